-- One row per case (current version), without party_name / party_phone.
-- Not sorted: the dashboard reads its daily marts (mart_case_daily); a sort of every row costs build
-- memory for nothing.
with cases as (
    select * from stg_cases
),

final as (
    select * from cases
)

select * from final
