-- Every KPI of sql/queries/kpis.sql for each period of the temporary table preset_periods (period_start,
-- period_end) and each scope: the whole root (township_code '') and, when the snapshot has at most
-- $max_townships townships, each township on its own. One row per (period, scope); columns = KPI ids,
-- with the same definitions as kpis.sql without home-level or deputy-level filters (those views are
-- queried live). Built once per snapshot from the marts (warehouse/presets.py): one pass per mart, the
-- rows of each period found by a range join, the root and the townships by grouping sets.
with periods as (
    select distinct period_start, period_end from preset_periods
),

scopes as (
    select '' as scope
    union all
    select township_code from dim_township
    where (select count(*) from dim_township) <= $max_townships
),

keys as (
    select periods.period_start, periods.period_end, scopes.scope
    from periods
    cross join scopes
),

-- Period-independent figures (dimensions), per scope.
deputy_figures as (
    select coalesce(township_code, '') as scope, count(*) as deputies_total
    from dim_deputy
    where is_active
    group by grouping sets ((township_code), ())
    having grouping(township_code) = 1 or township_code is not null
),

place_figures as (
    select
        coalesce(township_code, '') as scope,
        count(*) filter (where is_home) as homes_total,
        count(*) filter (where home_level = '代表工作站') as stations_total,
        count(*) filter (where home_level = '立法联络站') as liaison_points_total
    from dim_home
    group by grouping sets ((township_code), ())
    having grouping(township_code) = 1 or township_code is not null
),

activity_figures as (
    select
        periods.period_start,
        periods.period_end,
        coalesce(activity.township_code, '') as scope,
        coalesce(sum(activity.activities) filter (where activity.is_at_home), 0) as activities_total,
        coalesce(sum(activity.visitors) filter (where activity.is_at_home), 0) as visitors_total,
        coalesce(sum(activity.activities) filter (where activity.activity_type = '培训'), 0) as trainings_total,
        coalesce(sum(activity.attendances) filter (where activity.activity_type = '培训'), 0)
            as training_attendance,
        coalesce(sum(activity.attendances) filter (where activity.activity_type = '列席常委会'), 0)
            as csc_observations
    from mart_activity_daily as activity
    inner join periods on activity.activity_date between periods.period_start and periods.period_end
    group by grouping sets (
        (periods.period_start, periods.period_end, activity.township_code),
        (periods.period_start, periods.period_end)
    )
    having grouping(activity.township_code) = 1 or activity.township_code is not null
),

-- Active deputies who attended at a home in the period, by the deputy's own township.
home_visitors as (
    select
        periods.period_start,
        periods.period_end,
        coalesce(deputies.township_code, '') as scope,
        count(distinct home_days.deputy_id) as deputies_at_homes
    from mart_deputy_home_days as home_days
    inner join dim_deputy as deputies on deputies.deputy_id = home_days.deputy_id and deputies.is_active
    inner join periods on home_days.activity_date between periods.period_start and periods.period_end
    group by grouping sets (
        (periods.period_start, periods.period_end, deputies.township_code),
        (periods.period_start, periods.period_end)
    )
    having grouping(deputies.township_code) = 1 or deputies.township_code is not null
),

suggestion_figures as (
    select
        periods.period_start,
        periods.period_end,
        coalesce(s.township_code, '') as scope,
        cast(coalesce(sum(s.suggestions) filter (where s.channel = '代表之家'), 0) as bigint) as suggestions_collected,
        cast(coalesce(sum(s.suggestions) filter (where s.status = '已办结'), 0) as bigint) as suggestions_closed,
        cast(coalesce(sum(s.suggestions) filter (where s.status <> '不予立案'), 0) as bigint) as suggestions_filed,
        cast(coalesce(sum(s.suggestions) filter (
            where s.satisfaction in ('满意', '基本满意')
        ), 0) as bigint) as suggestions_satisfied,
        cast(coalesce(sum(s.suggestions) filter (
            where s.satisfaction in ('满意', '基本满意', '不满意')
        ), 0) as bigint) as suggestions_evaluated,
        cast(coalesce(sum(s.suggestions) filter (where s.channel = '立法联系点'), 0) as bigint)
            as legislative_suggestions,
        count(distinct s.regulation) filter (where s.channel = '立法联系点') as regulations_consulted,
        cast(coalesce(sum(s.suggestions) filter (where s.channel = '联动监督'), 0) as bigint)
            as supervision_suggestions
    from mart_suggestion_daily as s
    inner join periods on s.submitted_on between periods.period_start and periods.period_end
    group by grouping sets (
        (periods.period_start, periods.period_end, s.township_code),
        (periods.period_start, periods.period_end)
    )
    having grouping(s.township_code) = 1 or s.township_code is not null
),

case_figures as (
    select
        periods.period_start,
        periods.period_end,
        coalesce(c.township_code, '') as scope,
        cast(coalesce(sum(c.cases) filter (where c.case_type = '信访代办'), 0) as bigint) as petition_cases,
        cast(coalesce(sum(c.cases) filter (
            where c.case_type = '信访代办' and c.status = '已办结'
        ), 0) as bigint) as petition_completed,
        cast(coalesce(sum(c.cases) filter (
            where c.case_type = '信访代办' and c.satisfaction in ('满意', '基本满意')
        ), 0) as bigint) as petitions_satisfied,
        cast(coalesce(sum(c.cases) filter (
            where c.case_type = '信访代办' and c.satisfaction in ('满意', '基本满意', '不满意')
        ), 0) as bigint) as petitions_revisited,
        cast(coalesce(sum(c.cases) filter (where c.case_type = '诉前调解'), 0) as bigint) as mediation_cases,
        cast(coalesce(sum(c.cases) filter (
            where c.case_type = '诉前调解' and c.outcome = '调解成功'
        ), 0) as bigint) as mediation_success
    from mart_case_daily as c
    inner join periods on c.accepted_on between periods.period_start and periods.period_end
    where c.status <> '不予受理'
    group by grouping sets (
        (periods.period_start, periods.period_end, c.township_code),
        (periods.period_start, periods.period_end)
    )
    having grouping(c.township_code) = 1 or c.township_code is not null
),

mediator_figures as (
    select
        periods.period_start,
        periods.period_end,
        coalesce(m.township_code, '') as scope,
        count(distinct m.deputy_id) as mediators_total
    from mart_mediator_days as m
    inner join periods on m.accepted_on between periods.period_start and periods.period_end
    group by grouping sets (
        (periods.period_start, periods.period_end, m.township_code),
        (periods.period_start, periods.period_end)
    )
    having grouping(m.township_code) = 1 or m.township_code is not null
),

project_figures as (
    select
        periods.period_start,
        periods.period_end,
        coalesce(p.township_code, '') as scope,
        count(*) as livelihood_projects_voted
    from fct_project as p
    inner join periods on p.year between year(periods.period_start) and year(periods.period_end)
    where p.is_elected
    group by grouping sets (
        (periods.period_start, periods.period_end, p.township_code),
        (periods.period_start, periods.period_end)
    )
    having grouping(p.township_code) = 1 or p.township_code is not null
),

final as (
    select
        keys.period_start,
        keys.period_end,
        keys.scope as township_code,
        coalesce(d.deputies_total, 0) as deputies_total,
        coalesce(pl.homes_total, 0) as homes_total,
        coalesce(pl.stations_total, 0) as stations_total,
        coalesce(pl.liaison_points_total, 0) as liaison_points_total,
        coalesce(a.activities_total, 0) as activities_total,
        coalesce(a.visitors_total, 0) as visitors_total,
        coalesce(s.suggestions_collected, 0) as suggestions_collected,
        s.suggestions_closed / nullif(s.suggestions_filed, 0) as suggestion_closure_rate,
        s.suggestions_satisfied / nullif(s.suggestions_evaluated, 0) as suggestion_satisfaction_rate,
        coalesce(c.petition_cases, 0) as petition_cases,
        coalesce(c.petition_completed, 0) as petition_completed,
        c.petition_completed / nullif(c.petition_cases, 0) as petition_completion_rate,
        c.petitions_satisfied / nullif(c.petitions_revisited, 0) as petition_satisfaction_rate,
        coalesce(c.mediation_cases, 0) as mediation_cases,
        coalesce(c.mediation_success, 0) as mediation_success,
        c.mediation_success / nullif(c.mediation_cases, 0) as mediation_success_rate,
        coalesce(m.mediators_total, 0) as mediators_total,
        coalesce(s.legislative_suggestions, 0) as legislative_suggestions,
        coalesce(s.regulations_consulted, 0) as regulations_consulted,
        coalesce(s.supervision_suggestions, 0) as supervision_suggestions,
        coalesce(pr.livelihood_projects_voted, 0) as livelihood_projects_voted,
        coalesce(h.deputies_at_homes, 0) / nullif(coalesce(d.deputies_total, 0), 0) as home_visit_rate,
        coalesce(a.trainings_total, 0) as trainings_total,
        coalesce(a.training_attendance, 0) as training_attendance,
        coalesce(a.csc_observations, 0) as csc_observations
    from keys
    left join deputy_figures as d on d.scope = keys.scope
    left join place_figures as pl on pl.scope = keys.scope
    left join activity_figures as a
        on a.scope = keys.scope and a.period_start = keys.period_start and a.period_end = keys.period_end
    left join home_visitors as h
        on h.scope = keys.scope and h.period_start = keys.period_start and h.period_end = keys.period_end
    left join suggestion_figures as s
        on s.scope = keys.scope and s.period_start = keys.period_start and s.period_end = keys.period_end
    left join case_figures as c
        on c.scope = keys.scope and c.period_start = keys.period_start and c.period_end = keys.period_end
    left join mediator_figures as m
        on m.scope = keys.scope and m.period_start = keys.period_start and m.period_end = keys.period_end
    left join project_figures as pr
        on pr.scope = keys.scope and pr.period_start = keys.period_start and pr.period_end = keys.period_end
)

select * from final
order by period_start, period_end, township_code
