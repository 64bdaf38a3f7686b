-- Townships (乡镇/街道/苏木) as loaded; names trimmed.
with source as (
    select * from townships
),

final as (
    select
        trim(township_code) as township_code,
        trim(township_name) as township_name,
        kind
    from source
)

select * from final
