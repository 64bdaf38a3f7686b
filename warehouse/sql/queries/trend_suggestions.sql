-- Monthly suggestions collected at homes (channel 代表之家, the suggestions_collected definition), zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

suggestions as (
    select * exclude (township_code) from mart_suggestion_daily
    where $township_grain
      and list_contains($townships::varchar[], township_code)
      and submitted_on between $start and $end
      and channel = '代表之家'
    union all by name
    select * exclude (district_code) from mart_suggestion_district_daily
    where not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and submitted_on between $start and $end
      and channel = '代表之家'
),

measure as (
    select cast(date_trunc('month', submitted_on) as date) as month, cast(sum(suggestions) as bigint) as value
    from suggestions
    group by 1
),

final as (
    select months.month, coalesce(measure.value, 0) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
