-- The most recent activities in the period and scope (township of the place; home levels when set),
-- optionally at one place ($home_id not null). $since comes from latest_activities_since.sql.
with activities as (
    select * from fct_activity
    where activity_date between $since and $end
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
      and ($home_id::varchar is null or home_id = $home_id::varchar)
),

final as (
    select
        activities.activity_id,
        activities.activity_date,
        activities.activity_type,
        activities.title,
        activities.home_id,
        places.home_name,
        activities.home_level,
        activities.township_code,
        townships.township_name,
        activities.visitors,
        activities.deputy_count
    from activities
    left join dim_home as places on places.home_id = activities.home_id
    left join dim_township as townships on townships.township_code = activities.township_code
)

select * from final
order by activity_date desc, activity_id desc
limit $limit
