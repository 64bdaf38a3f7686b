-- Cases counted by day accepted x township x type, status, outcome and satisfaction: what the case queries
-- read instead of fct_case.
with cases as (
    select * from fct_case
),

final as (
    select
        accepted_on,
        township_code,
        case_type,
        status,
        outcome,
        satisfaction,
        count(*) as cases
    from cases
    group by all
)

select * from final
