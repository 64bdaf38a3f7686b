-- Monthly points earned by the active deputies in scope (own township, levels), zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

-- Points of the active deputies from the daily points mart (deputy township and levels already joined).
ledger as (
    select * exclude (township_code) from mart_points_daily
    where $township_grain
      and list_contains($townships::varchar[], township_code)
      and earned_on between $start and $end
    union all by name
    select * exclude (district_code) from mart_points_district_daily
    where not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and earned_on between $start and $end
),

measure as (
    select cast(date_trunc('month', earned_on) as date) as month, cast(sum(points) as bigint) as value
    from ledger
    where len($deputy_levels::varchar[]) = 0 or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[])
    group by 1
),

final as (
    select months.month, coalesce(measure.value, 0) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
