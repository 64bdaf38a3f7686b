-- Cases accepted in the period (status not 不予受理) by type and outcome (null outcome: not yet known).
with cases as (
    select * exclude (township_code) from mart_case_daily
    where len($townships::varchar[]) > 0
      and list_contains($townships::varchar[], township_code)
      and accepted_on between $start and $end
      and status <> '不予受理'
    union all by name
    select * from mart_case_district_daily
    where len($townships::varchar[]) = 0
      and accepted_on between $start and $end
      and status <> '不予受理'
),

final as (
    select case_type, outcome, cast(sum(cases) as bigint) as cases
    from cases
    group by 1, 2
)

select * from final
order by case_type, cases desc, outcome nulls last
