-- One row per township; sort_order follows the 12-digit code (街道 first, then 镇, then 苏木).
with townships as (
    select * from stg_townships
),

final as (
    select
        township_code,
        township_name,
        kind,
        cast(row_number() over (order by township_code) as integer) as sort_order
    from townships
)

select * from final
