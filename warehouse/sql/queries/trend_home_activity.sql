-- Monthly activities or visitors at homes (the activities_total / visitors_total definitions), every month
-- of the period, zero-filled. $measure: 'activities' or 'visitors'.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

measure as (
    select
        cast(date_trunc('month', activity_date) as date) as month,
        cast(sum(case when $measure = 'visitors' then visitors else activities end) as bigint) as value
    from mart_activity_daily
    where activity_date between $start and $end
      and is_at_home
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
    group by 1
),

final as (
    select months.month, coalesce(measure.value, 0) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
