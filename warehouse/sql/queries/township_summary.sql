-- One row per township in scope (zero rows included), each measure on the record's own township:
-- homes of the four levels, active deputies, activities and visitors at homes, suggestions collected
-- at homes (channel 代表之家), petition and mediation cases (status not 不予受理), points of its deputies.
with townships as (
    select * from dim_township
    where (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

homes as (
    select township_code, count(*) as homes
    from dim_home
    where is_home and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
    group by 1
),

deputies as (
    select deputy_id, township_code
    from dim_deputy
    where is_active and (len($deputy_levels::varchar[]) = 0 or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
),

deputy_counts as (
    select township_code, count(*) as deputies from deputies group by 1
),

activity as (
    select township_code, cast(sum(activities) as bigint) as activities, cast(sum(visitors) as bigint) as visitors
    from mart_activity_daily
    where activity_date between $start and $end
      and is_at_home
      and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
    group by 1
),

suggestions as (
    select township_code, cast(sum(suggestions) as bigint) as suggestions
    from mart_suggestion_daily
    where submitted_on between $start and $end
      and channel = '代表之家'
    group by 1
),

cases as (
    select
        township_code,
        cast(coalesce(sum(cases) filter (where case_type = '信访代办'), 0) as bigint) as petition_cases,
        cast(coalesce(sum(cases) filter (where case_type = '诉前调解'), 0) as bigint) as mediation_cases,
        cast(coalesce(sum(cases) filter (
            where case_type = '诉前调解' and outcome = '调解成功'
        ), 0) as bigint) as mediation_success
    from mart_case_daily
    where accepted_on between $start and $end
      and status <> '不予受理'
    group by 1
),

-- Points of the active deputies by their own township (mart_points_daily has the deputy's township and levels).
points as (
    select township_code, cast(sum(points) as bigint) as points
    from mart_points_daily
    where earned_on between $start and $end
      and (len($deputy_levels::varchar[]) = 0
           or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
    group by 1
),

final as (
    select
        townships.township_code,
        townships.township_name,
        coalesce(homes.homes, 0) as homes,
        coalesce(deputy_counts.deputies, 0) as deputies,
        coalesce(activity.activities, 0) as activities,
        coalesce(activity.visitors, 0) as visitors,
        coalesce(suggestions.suggestions, 0) as suggestions,
        coalesce(cases.petition_cases, 0) as petition_cases,
        coalesce(cases.mediation_cases, 0) as mediation_cases,
        coalesce(cases.mediation_success, 0) as mediation_success,
        coalesce(points.points, 0) as points,
        townships.sort_order
    from townships
    left join homes on homes.township_code = townships.township_code
    left join deputy_counts on deputy_counts.township_code = townships.township_code
    left join activity on activity.township_code = townships.township_code
    left join suggestions on suggestions.township_code = townships.township_code
    left join cases on cases.township_code = townships.township_code
    left join points on points.township_code = townships.township_code
)

select * exclude (sort_order) from final
order by sort_order
