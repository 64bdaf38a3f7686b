-- Cases accepted in the period (status not 不予受理) by type and outcome (null outcome: not yet known).
with cases as (
    select * exclude (township_code) from mart_case_daily
    where $township_grain
      and list_contains($townships::varchar[], township_code)
      and accepted_on between $start and $end
      and status <> '不予受理'
    union all by name
    select * exclude (district_code) from mart_case_district_daily
    where not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
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
