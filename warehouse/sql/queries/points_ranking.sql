-- Points per active deputy in scope (own township, levels) over the period, zero-point deputies
-- included. Order: points descending, then fewer absences (absent without leave), then deputy_id.
with deputies as (
    select * from dim_deputy
    where is_active and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code)) and (len($deputy_levels::varchar[]) = 0 or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
),

points as (
    select deputy_id, cast(sum(points) as bigint) as points
    from fct_points
    where earned_on between $start and $end
    group by 1
),

absences as (
    select deputy_id, sum(absences) as absences
    from mart_deputy_absence_daily
    where activity_date between $start and $end
    group by 1
),

ranked as (
    select
        deputies.deputy_id,
        deputies.deputy_name,
        townships.township_name,
        deputies.levels,
        cast(coalesce(points.points, 0) as bigint) as points,
        cast(coalesce(absences.absences, 0) as bigint) as absences
    from deputies
    left join dim_township as townships on townships.township_code = deputies.township_code
    left join points on points.deputy_id = deputies.deputy_id
    left join absences on absences.deputy_id = deputies.deputy_id
),

final as (
    select
        cast(row_number() over (order by points desc, absences asc, deputy_id asc) as integer) as rank,
        *
    from ranked
)

select * from final
order by rank
