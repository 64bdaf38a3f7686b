-- One row per place in scope (all levels, stations included; is_home tells them apart) with its
-- activities and visitors in the period and the active deputies stationed there (进驻代表) whose own
-- township is in scope (a home may host deputies of other townships).
with places as (
    select * from dim_home
    where (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code)) and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
),

activity as (
    select home_id, cast(sum(activities) as bigint) as activities, cast(sum(visitors) as bigint) as visitors
    from mart_activity_daily
    where activity_date between $start and $end
      and home_id is not null
    group by 1
),

stationed as (
    select home_id, count(*) as deputies
    from dim_deputy
    where is_active and home_id is not null
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($deputy_levels::varchar[]) = 0 or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
    group by 1
),

final as (
    select
        places.home_id,
        places.home_name,
        places.home_level,
        places.is_home,
        places.township_code,
        townships.township_name,
        places.lon,
        places.lat,
        coalesce(activity.activities, 0) as activities,
        coalesce(activity.visitors, 0) as visitors,
        coalesce(stationed.deputies, 0) as deputies
    from places
    left join dim_township as townships on townships.township_code = places.township_code
    left join activity on activity.home_id = places.home_id
    left join stationed on stationed.home_id = places.home_id
)

select * from final
order by home_id
