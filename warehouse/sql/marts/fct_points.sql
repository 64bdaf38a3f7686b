-- The points ledger: events and points per deputy x day x rule, from the rules in dim_points_rule.
-- Every source is joined set-wise; an activity type maps to one attendance rule (checked on load).
-- Not sorted: at 10M activities the ledger has ~100M rows, and queries read mart_points_daily or filter on
-- deputy_id, which a date order does not help.
with rules as (
    select * from dim_points_rule
),

rule_activity_types as (
    select
        rule_id,
        unnest(activity_types) as activity_type,
        at_home_only
    from rules
    where rule_source = 'attendance'
),

participation as (
    select * from mart_deputy_daily
),

suggestions as (
    select * from fct_suggestion where deputy_id is not null
),

cases as (
    select * from fct_case where deputy_id is not null
),

attendance_events as (
    select
        participation.deputy_id,
        participation.activity_date as earned_on,
        rule_activity_types.rule_id,
        sum(participation.attendances) as events
    from participation
    inner join rule_activity_types on rule_activity_types.activity_type = participation.activity_type
    where participation.attendances > 0
      and (not rule_activity_types.at_home_only or participation.is_at_home)
    group by all
),

absence_events as (
    select
        participation.deputy_id,
        participation.activity_date as earned_on,
        rules.rule_id,
        sum(participation.absences) as events
    from participation
    inner join rules on rules.rule_source = 'absence'
    where participation.absences > 0
    group by all
),

suggestion_events as (
    select
        suggestions.deputy_id,
        suggestions.submitted_on as earned_on,
        rules.rule_id,
        count(*) as events
    from suggestions
    inner join rules
        on (rules.rule_source = 'suggestion' and not list_contains(rules.exclude_statuses, suggestions.status))
        or (rules.rule_source = 'suggestion_adopted' and coalesce(suggestions.adopted, false))
    group by all
),

case_events as (
    select
        cases.deputy_id,
        coalesce(cases.closed_on, cases.accepted_on) as earned_on,
        rules.rule_id,
        count(*) as events
    from cases
    inner join rules
        on (rules.rule_source = 'petition_closed' and cases.case_type = '信访代办' and cases.status = '已办结')
        or (rules.rule_source = 'mediation_success' and cases.case_type = '诉前调解' and cases.outcome = '调解成功')
    group by all
),

events as (
    select * from attendance_events
    union all
    select * from absence_events
    union all
    select * from suggestion_events
    union all
    select * from case_events
),

final as (
    select
        events.deputy_id,
        events.earned_on,
        events.rule_id,
        rules.rule_name,
        cast(events.events as bigint) as events,
        cast(events.events * rules.points as bigint) as points
    from events
    inner join rules on rules.rule_id = events.rule_id
)

select * from final
