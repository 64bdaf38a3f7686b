-- The monthly trend measures and the township summary's measures per calendar month, for the whole root
-- (township_code '') and each township: activities and visitors at homes, suggestions collected at homes
-- (channel 代表之家), petition and mediation cases and mediation successes (status not 不予受理), points of
-- the active deputies (by the deputy's township). The definitions of sql/queries/trend_*.sql and
-- township_summary.sql without level filters; a period of whole months sums its months
-- (warehouse/query.py reads it for such periods). Only months with records have rows.
with activity as (
    select
        cast(date_trunc('month', activity_date) as date) as month,
        township_code,
        cast(sum(activities) as bigint) as activities,
        cast(sum(visitors) as bigint) as visitors,
        cast(null as bigint) as suggestions,
        cast(null as bigint) as petition_cases,
        cast(null as bigint) as mediation_cases,
        cast(null as bigint) as mediation_success,
        cast(null as bigint) as points
    from mart_activity_daily
    where is_at_home
    group by all
),

suggestion as (
    select
        cast(date_trunc('month', submitted_on) as date) as month,
        township_code,
        null, null,
        cast(sum(suggestions) as bigint),
        null, null, null, null
    from mart_suggestion_daily
    where channel = '代表之家'
    group by all
),

cases as (
    select
        cast(date_trunc('month', accepted_on) as date) as month,
        township_code,
        null, null, null,
        cast(sum(cases) filter (where case_type = '信访代办') as bigint),
        cast(sum(cases) filter (where case_type = '诉前调解') as bigint),
        cast(sum(cases) filter (where case_type = '诉前调解' and outcome = '调解成功') as bigint),
        null
    from mart_case_daily
    where status <> '不予受理'
    group by all
),

points as (
    select
        cast(date_trunc('month', earned_on) as date) as month,
        township_code,
        null, null, null, null, null, null,
        cast(sum(points) as bigint)
    from mart_points_daily
    group by all
),

stacked as (
    select * from activity
    union all select * from suggestion
    union all select * from cases
    union all select * from points
),

final as (
    select
        month,
        coalesce(township_code, '') as township_code,
        cast(coalesce(sum(activities), 0) as bigint) as activities,
        cast(coalesce(sum(visitors), 0) as bigint) as visitors,
        cast(coalesce(sum(suggestions), 0) as bigint) as suggestions,
        cast(coalesce(sum(petition_cases), 0) as bigint) as petition_cases,
        cast(coalesce(sum(mediation_cases), 0) as bigint) as mediation_cases,
        cast(coalesce(sum(mediation_success), 0) as bigint) as mediation_success,
        cast(coalesce(sum(points), 0) as bigint) as points
    from stacked
    group by grouping sets ((month, township_code), (month))
    having grouping(township_code) = 1 or township_code is not null
)

select * from final
order by month, township_code
