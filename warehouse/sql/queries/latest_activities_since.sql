-- The earliest date the latest $limit activities in scope can have, from the small daily mart, so that
-- latest_activities.sql reads only the last row groups of fct_activity (sorted by date).
with daily as (
    select activity_date, sum(activities) as activities
    from mart_activity_daily
    where activity_date between $start and $end
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
      and ($home_id::varchar is null or home_id = $home_id::varchar)
    group by 1
),

running as (
    select
        activity_date,
        sum(activities) over (order by activity_date desc rows between unbounded preceding and current row)
            as activities_since
    from daily
),

final as (
    select coalesce(max(activity_date) filter (where activities_since >= $limit), $start::date) as since
    from running
)

select * from final
