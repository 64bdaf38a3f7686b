-- Monthly cases of one $case_type (信访代办 or 诉前调解) accepted (status not 不予受理), zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

cases as (
    select * exclude (township_code) from mart_case_daily
    where $township_grain
      and list_contains($townships::varchar[], township_code)
      and accepted_on between $start and $end
      and case_type = $case_type
      and status <> '不予受理'
    union all by name
    select * exclude (district_code) from mart_case_district_daily
    where not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and accepted_on between $start and $end
      and case_type = $case_type
      and status <> '不予受理'
),

measure as (
    select cast(date_trunc('month', accepted_on) as date) as month, cast(sum(cases) as bigint) as value
    from cases
    group by 1
),

final as (
    select months.month, coalesce(measure.value, 0) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
