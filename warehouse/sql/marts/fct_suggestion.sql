-- One row per suggestion (current version).
with suggestions as (
    select * from stg_suggestions
),

final as (
    select * from suggestions
)

select * from final
order by submitted_on
