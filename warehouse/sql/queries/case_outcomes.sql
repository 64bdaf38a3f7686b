-- Cases accepted in the period (status not 不予受理) by type and outcome (null outcome: not yet known).
with cases as (
    select * from fct_case
    where accepted_on between $start and $end
      and status <> '不予受理'
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select case_type, outcome, count(*) as cases
    from cases
    group by 1, 2
)

select * from final
order by case_type, cases desc, outcome nulls last
