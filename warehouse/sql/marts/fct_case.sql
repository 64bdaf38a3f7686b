-- One row per case (current version), without party_name / party_phone.
with cases as (
    select * from stg_cases
),

final as (
    select * from cases
)

select * from final
order by accepted_on
