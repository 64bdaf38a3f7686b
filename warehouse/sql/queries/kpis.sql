-- Every KPI of docs/DATA_CONTRACT.md's dictionary for one period and filter set, as one row (columns = KPI ids).
-- Township filters apply to each record's own township (activities: the place's township; deputies:
-- the deputy's township); home levels restrict the home-based measures; deputy levels the deputy-based.
-- Rates are null when their denominator is zero.
with places as (
    select * from dim_home
    where (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
),

deputies as (
    select * from dim_deputy
    where is_active
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($deputy_levels::varchar[]) = 0
           or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
),

-- Under a region (no explicit township filter), also the activities without a township of its counties.
activity as (
    select * from mart_activity_daily
    where activity_date between $start and $end
      and (len($townships::varchar[]) = 0
           or list_contains($townships::varchar[], township_code)
           or (not $township_grain and township_code is null and starts_with(district_code, $district_prefix)))
),

activity_figures as (
    select
        coalesce(sum(activities) filter (
            where is_at_home
              and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
        ), 0) as activities_total,
        coalesce(sum(visitors) filter (
            where is_at_home
              and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
        ), 0) as visitors_total,
        coalesce(sum(activities) filter (where activity_type = '培训'), 0) as trainings_total,
        coalesce(sum(attendances) filter (where activity_type = '培训'), 0) as training_attendance,
        coalesce(sum(attendances) filter (where activity_type = '列席常委会'), 0) as csc_observations
    from activity
),

place_figures as (
    select
        count(*) filter (where is_home) as homes_total,
        count(*) filter (where home_level = '代表工作站') as stations_total,
        count(*) filter (where home_level = '立法联络站') as liaison_points_total
    from places
),

deputy_figures as (
    select count(*) as deputies_total from deputies
),

-- Deputies in scope who attended at a home: whole calendar years of the period, year($start - 1) + 1 ..
-- year($end + 1) - 1 (possibly none), from the yearly mart, which carries the deputy's township and levels;
-- the other days, as plain date ranges, from the daily mart joined to the deputies in scope. The bounds
-- fold to constants: branches whose guard is false are dropped, an empty range scans nothing.
home_days as (
    select deputy_id, home_level
    from mart_deputy_home_days
    where year($start::date - 1) + 1 > year($end::date + 1) - 1
      and activity_date between $start and $end
    union all
    select deputy_id, home_level
    from mart_deputy_home_days
    where year($start::date - 1) + 1 <= year($end::date + 1) - 1
      and activity_date between $start and make_date(year($start::date - 1) + 1, 1, 1) - 1
    union all
    select deputy_id, home_level
    from mart_deputy_home_days
    where year($start::date - 1) + 1 <= year($end::date + 1) - 1
      and activity_date between make_date(year($end::date + 1) - 1, 12, 31) + 1 and $end
),

home_visitors as (
    select count(distinct deputy_id) as deputies_at_homes
    from (
        select deputy_id
        from mart_deputy_home_years
        where year between year($start::date - 1) + 1 and year($end::date + 1) - 1
          and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_level))
          and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
          and (len($deputy_levels::varchar[]) = 0
               or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
        union all
        select home_days.deputy_id
        from home_days
        inner join deputies on deputies.deputy_id = home_days.deputy_id
        where len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_days.home_level)
    )
),

-- Suggestions and cases from their daily marts: the township grain when townships are filtered, else the
-- district-wide grain, limited to a region's counties (DuckDB folds the bound parameters, so only one
-- branch is scanned).
suggestions as (
    select * exclude (township_code) from mart_suggestion_daily
    where $township_grain
      and list_contains($townships::varchar[], township_code)
      and submitted_on between $start and $end
    union all by name
    select * exclude (district_code) from mart_suggestion_district_daily
    where not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and submitted_on between $start and $end
),

suggestion_figures as (
    select
        cast(coalesce(sum(suggestions) filter (where channel = '代表之家'), 0) as bigint) as suggestions_collected,
        cast(coalesce(sum(suggestions) filter (where status = '已办结'), 0) as bigint) as suggestions_closed,
        cast(coalesce(sum(suggestions) filter (where status <> '不予立案'), 0) as bigint) as suggestions_filed,
        cast(coalesce(sum(suggestions) filter (
            where satisfaction in ('满意', '基本满意')
        ), 0) as bigint) as suggestions_satisfied,
        cast(coalesce(sum(suggestions) filter (
            where satisfaction in ('满意', '基本满意', '不满意')
        ), 0) as bigint) as suggestions_evaluated,
        cast(coalesce(sum(suggestions) filter (where channel = '立法联系点'), 0) as bigint) as legislative_suggestions,
        count(distinct regulation) filter (where channel = '立法联系点') as regulations_consulted,
        cast(coalesce(sum(suggestions) filter (where channel = '联动监督'), 0) as bigint) as supervision_suggestions
    from suggestions
),

cases as (
    select * exclude (township_code) from mart_case_daily
    where $township_grain
      and list_contains($townships::varchar[], township_code)
      and accepted_on between $start and $end
      and status <> '不予受理'
    union all by name
    select * exclude (district_code) from mart_case_district_daily
    where not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and accepted_on between $start and $end
      and status <> '不予受理'
),

case_figures as (
    select
        cast(coalesce(sum(cases) filter (where case_type = '信访代办'), 0) as bigint) as petition_cases,
        cast(coalesce(sum(cases) filter (
            where case_type = '信访代办' and status = '已办结'
        ), 0) as bigint) as petition_completed,
        cast(coalesce(sum(cases) filter (
            where case_type = '信访代办' and satisfaction in ('满意', '基本满意')
        ), 0) as bigint) as petitions_satisfied,
        cast(coalesce(sum(cases) filter (
            where case_type = '信访代办' and satisfaction in ('满意', '基本满意', '不满意')
        ), 0) as bigint) as petitions_revisited,
        cast(coalesce(sum(cases) filter (where case_type = '诉前调解'), 0) as bigint) as mediation_cases,
        cast(coalesce(sum(cases) filter (
            where case_type = '诉前调解' and outcome = '调解成功'
        ), 0) as bigint) as mediation_success
    from cases
),

-- Mediators: distinct deputies over the period, from the deputy x day mart of mediation cases.
mediator_figures as (
    select count(distinct deputy_id) as mediators_total
    from mart_mediator_days
    where accepted_on between $start and $end
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($deputy_levels::varchar[]) = 0
           or deputy_id in (
               select deputy_id from dim_deputy
               where list_has_any(string_split(levels, ';'), $deputy_levels::varchar[])
           ))
),

project_figures as (
    select count(*) as livelihood_projects_voted
    from fct_project
    where is_elected
      and year between year($start::date) and year($end::date)
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

-- Every block above is one row; stacked by name and collapsed with max() instead of cross-joined: eight
-- cross joins made the join-order optimizer cost more than running the query.
stacked as (
    select * from deputy_figures
    union all by name select * from place_figures
    union all by name select * from activity_figures
    union all by name select * from home_visitors
    union all by name select * from suggestion_figures
    union all by name select * from case_figures
    union all by name select * from mediator_figures
    union all by name select * from project_figures
),

figures as (
    select max(columns(*)) from stacked
),

final as (
    select
        figures.deputies_total,
        figures.homes_total,
        figures.stations_total,
        figures.liaison_points_total,
        figures.activities_total,
        figures.visitors_total,
        figures.suggestions_collected,
        figures.suggestions_closed / nullif(figures.suggestions_filed, 0)
            as suggestion_closure_rate,
        figures.suggestions_satisfied / nullif(figures.suggestions_evaluated, 0)
            as suggestion_satisfaction_rate,
        figures.petition_cases,
        figures.petition_completed,
        figures.petition_completed / nullif(figures.petition_cases, 0) as petition_completion_rate,
        figures.petitions_satisfied / nullif(figures.petitions_revisited, 0)
            as petition_satisfaction_rate,
        figures.mediation_cases,
        figures.mediation_success,
        figures.mediation_success / nullif(figures.mediation_cases, 0) as mediation_success_rate,
        figures.mediators_total,
        figures.legislative_suggestions,
        figures.regulations_consulted,
        figures.supervision_suggestions,
        figures.livelihood_projects_voted,
        figures.deputies_at_homes / nullif(figures.deputies_total, 0) as home_visit_rate,
        figures.trainings_total,
        figures.training_attendance,
        figures.csc_observations
    from figures
)

select * from final
