-- Per county (district_code) under $district_prefix: the township_summary measures that have records
-- without a township (suggestions collected at homes, petition and mediation cases, points), read from
-- the district-wide marts, so that a county's (and its city's) row counts its district-wide records.
with suggestions as (
    select district_code, cast(sum(suggestions) as bigint) as suggestions
    from mart_suggestion_district_daily
    where ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and submitted_on between $start and $end
      and channel = '代表之家'
    group by 1
),

cases as (
    select
        district_code,
        cast(coalesce(sum(cases) filter (where case_type = '信访代办'), 0) as bigint) as petition_cases,
        cast(coalesce(sum(cases) filter (where case_type = '诉前调解'), 0) as bigint) as mediation_cases,
        cast(coalesce(sum(cases) filter (
            where case_type = '诉前调解' and outcome = '调解成功'
        ), 0) as bigint) as mediation_success
    from mart_case_district_daily
    where ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and accepted_on between $start and $end
      and status <> '不予受理'
    group by 1
),

points as (
    select district_code, cast(sum(points) as bigint) as points
    from mart_points_district_daily
    where ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and earned_on between $start and $end
      and (len($deputy_levels::varchar[]) = 0
           or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
    group by 1
),

counties as (
    select district_code from suggestions
    union
    select district_code from cases
    union
    select district_code from points
),

final as (
    select
        counties.district_code,
        coalesce(suggestions.suggestions, 0) as suggestions,
        coalesce(cases.petition_cases, 0) as petition_cases,
        coalesce(cases.mediation_cases, 0) as mediation_cases,
        coalesce(cases.mediation_success, 0) as mediation_success,
        coalesce(points.points, 0) as points
    from counties
    left join suggestions on suggestions.district_code = counties.district_code
    left join cases on cases.district_code = counties.district_code
    left join points on points.district_code = counties.district_code
    where counties.district_code is not null
)

select * from final
order by district_code
