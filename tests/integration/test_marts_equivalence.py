"""The queries moved from the facts onto the daily marts give the same answers as before, exactly.

``FACT_SQL`` holds each changed query as it was when it read ``fct_suggestion``, ``fct_case`` and
``fct_points`` directly (the definition of the figures); every test runs both on the same snapshot with
the same parameters, for several filter sets (townships, home levels, deputy levels, periods), and
compares the frames value for value and type for type.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from tests.support.raw_fixture import T1, T2, T3
from warehouse import query as q

FACT_SQL: dict[str, str] = {
    "case_outcomes": """
-- Cases accepted in the period (status not 不予受理) by type and outcome (null outcome: not yet known).
with cases as (
    select * from fct_case
    where accepted_on between $start and $end
      and status <> '不予受理'
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select case_type, outcome, count(*) as cases
    from cases
    group by 1, 2
)

select * from final
order by case_type, cases desc, outcome nulls last
""",
    "handling_units": """
-- Handling units of the suggestions submitted in the period: volume, closed, on-time rate (answered by
-- the due date, of those whose timeliness is known) and satisfaction rate (of those evaluated).
with suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end
      and handling_unit is not null
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select
        handling_unit as unit,
        count(*) as suggestions,
        count(*) filter (where status = '已办结') as closed,
        count(*) filter (where is_on_time) / nullif(count(is_on_time), 0) as on_time_rate,
        count(*) filter (where satisfaction in ('满意', '基本满意'))
            / nullif(count(*) filter (where satisfaction in ('满意', '基本满意', '不满意')), 0)
            as satisfaction_rate
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, unit
""",
    "kpis": """
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

activity as (
    select * from mart_activity_daily
    where activity_date between $start and $end
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
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

home_visitors as (
    select count(distinct home_days.deputy_id) as deputies_at_homes
    from mart_deputy_home_days as home_days
    inner join deputies on deputies.deputy_id = home_days.deputy_id
    where home_days.activity_date between $start and $end
      and (len($home_levels::varchar[]) = 0 or list_contains($home_levels::varchar[], home_days.home_level))
),

suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

suggestion_figures as (
    select
        count(*) filter (where channel = '代表之家') as suggestions_collected,
        count(*) filter (where status = '已办结') as suggestions_closed,
        count(*) filter (where status <> '不予立案') as suggestions_filed,
        count(*) filter (where satisfaction in ('满意', '基本满意')) as suggestions_satisfied,
        count(*) filter (where satisfaction in ('满意', '基本满意', '不满意')) as suggestions_evaluated,
        count(*) filter (where channel = '立法联系点') as legislative_suggestions,
        count(distinct regulation) filter (where channel = '立法联系点') as regulations_consulted,
        count(*) filter (where channel = '联动监督') as supervision_suggestions
    from suggestions
),

cases as (
    select * from fct_case
    where accepted_on between $start and $end
      and status <> '不予受理'
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

case_figures as (
    select
        count(*) filter (where case_type = '信访代办') as petition_cases,
        count(*) filter (where case_type = '信访代办' and status = '已办结') as petition_completed,
        count(*) filter (
            where case_type = '信访代办' and satisfaction in ('满意', '基本满意')
        ) as petitions_satisfied,
        count(*) filter (
            where case_type = '信访代办' and satisfaction in ('满意', '基本满意', '不满意')
        ) as petitions_revisited,
        count(*) filter (where case_type = '诉前调解') as mediation_cases,
        count(*) filter (where case_type = '诉前调解' and outcome = '调解成功') as mediation_success,
        count(distinct deputy_id) filter (
            where case_type = '诉前调解'
              and (len($deputy_levels::varchar[]) = 0
                   or deputy_id in (
                       select deputy_id from dim_deputy
                       where list_has_any(string_split(levels, ';'), $deputy_levels::varchar[])
                   ))
        ) as mediators_total
    from cases
),

project_figures as (
    select count(*) as livelihood_projects_voted
    from fct_project
    where is_elected
      and year between year($start::date) and year($end::date)
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select
        deputy_figures.deputies_total,
        place_figures.homes_total,
        place_figures.stations_total,
        place_figures.liaison_points_total,
        activity_figures.activities_total,
        activity_figures.visitors_total,
        suggestion_figures.suggestions_collected,
        suggestion_figures.suggestions_closed / nullif(suggestion_figures.suggestions_filed, 0)
            as suggestion_closure_rate,
        suggestion_figures.suggestions_satisfied / nullif(suggestion_figures.suggestions_evaluated, 0)
            as suggestion_satisfaction_rate,
        case_figures.petition_cases,
        case_figures.petition_completed,
        case_figures.petition_completed / nullif(case_figures.petition_cases, 0) as petition_completion_rate,
        case_figures.petitions_satisfied / nullif(case_figures.petitions_revisited, 0)
            as petition_satisfaction_rate,
        case_figures.mediation_cases,
        case_figures.mediation_success,
        case_figures.mediation_success / nullif(case_figures.mediation_cases, 0) as mediation_success_rate,
        case_figures.mediators_total,
        suggestion_figures.legislative_suggestions,
        suggestion_figures.regulations_consulted,
        suggestion_figures.supervision_suggestions,
        project_figures.livelihood_projects_voted,
        home_visitors.deputies_at_homes / nullif(deputy_figures.deputies_total, 0) as home_visit_rate,
        activity_figures.trainings_total,
        activity_figures.training_attendance,
        activity_figures.csc_observations
    from deputy_figures
    cross join place_figures
    cross join activity_figures
    cross join home_visitors
    cross join suggestion_figures
    cross join case_figures
    cross join project_figures
)

select * from final
""",
    "legislative_by_regulation": """
-- Legislative suggestions (channel 立法联系点) submitted in the period, per regulation consulted.
with suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end
      and channel = '立法联系点'
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select regulation, count(*) as suggestions
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, regulation nulls last
""",
    "points_by_rule": """
-- Points per rule over the period for the active deputies in scope, or for one deputy when
-- $deputy_id is not null. Every rule appears (zero rows included), in rules-file order.
with deputies as (
    select deputy_id from dim_deputy
    where is_active and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code)) and (len($deputy_levels::varchar[]) = 0 or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
      and ($deputy_id::varchar is null or deputy_id = $deputy_id::varchar)
),

ledger as (
    select fct_points.rule_id, cast(sum(fct_points.events) as bigint) as events, cast(sum(fct_points.points) as bigint) as points
    from fct_points
    inner join deputies on deputies.deputy_id = fct_points.deputy_id
    where fct_points.earned_on between $start and $end
    group by 1
),

final as (
    select
        rules.rule_id,
        rules.rule_name,
        rules.rule_name_en,
        rules.points as points_per_event,
        rules.is_fed,
        cast(coalesce(ledger.events, 0) as bigint) as events,
        cast(coalesce(ledger.points, 0) as bigint) as points,
        rules.sort_order
    from dim_points_rule as rules
    left join ledger on ledger.rule_id = rules.rule_id
)

select * exclude (sort_order) from final
order by sort_order
""",
    "points_ranking": """
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
""",
    "suggestions_by_category": """
-- Suggestions submitted in the period (all channels) by category, largest first.
with suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select category, count(*) as suggestions
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, category nulls last
""",
    "suggestions_by_status": """
-- Suggestions submitted in the period (all channels) by status, in workflow order.
with suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select status, count(*) as suggestions
    from suggestions
    group by 1
)

select * from final
order by coalesce(
    list_position(['已提交', '已交办', '办理中', '已答复', '已办结', '不予立案'], status), 99
), status
""",
    "township_summary": """
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
    select township_code, count(*) as suggestions
    from fct_suggestion
    where submitted_on between $start and $end
      and channel = '代表之家'
    group by 1
),

cases as (
    select
        township_code,
        count(*) filter (where case_type = '信访代办') as petition_cases,
        count(*) filter (where case_type = '诉前调解') as mediation_cases,
        count(*) filter (where case_type = '诉前调解' and outcome = '调解成功') as mediation_success
    from fct_case
    where accepted_on between $start and $end
      and status <> '不予受理'
    group by 1
),

points as (
    select deputies.township_code, cast(sum(ledger.points) as bigint) as points
    from fct_points as ledger
    inner join deputies on deputies.deputy_id = ledger.deputy_id
    where ledger.earned_on between $start and $end
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
""",
    "trend_cases": """
-- Monthly cases of one $case_type (信访代办 or 诉前调解) accepted (status not 不予受理), zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

measure as (
    select cast(date_trunc('month', accepted_on) as date) as month, count(*) as value
    from fct_case
    where accepted_on between $start and $end
      and case_type = $case_type
      and status <> '不予受理'
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
    group by 1
),

final as (
    select months.month, coalesce(measure.value, 0) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
""",
    "trend_points": """
-- Monthly points earned by the active deputies in scope (own township, levels), zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

deputies as (
    select deputy_id from dim_deputy
    where is_active
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($deputy_levels::varchar[]) = 0
           or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
),

measure as (
    select cast(date_trunc('month', ledger.earned_on) as date) as month, cast(sum(ledger.points) as bigint) as value
    from fct_points as ledger
    inner join deputies on deputies.deputy_id = ledger.deputy_id
    where ledger.earned_on between $start and $end
    group by 1
),

final as (
    select months.month, coalesce(measure.value, 0) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
""",
    "trend_suggestions": """
-- Monthly suggestions collected at homes (channel 代表之家, the suggestions_collected definition), zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

measure as (
    select cast(date_trunc('month', submitted_on) as date) as month, count(*) as value
    from fct_suggestion
    where submitted_on between $start and $end
      and channel = '代表之家'
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
    group by 1
),

final as (
    select months.month, coalesce(measure.value, 0) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
""",
}
# Extra parameters some queries take, each combination checked.
EXTRA: dict[str, list[dict]] = {
    "trend_cases": [{"case_type": "信访代办"}, {"case_type": "诉前调解"}],
    "points_by_rule": [{"deputy_id": None}, {"deputy_id": "FIXTURE_DEPUTY"}],
    # The fact query ranks every deputy; the top-N must be its head.
    "points_ranking": [{"limit": None}, {"limit": 1}, {"limit": 2}, {"limit": 20}],
}
PERIODS = (
    (date(2023, 1, 1), date(2023, 12, 31)),
    (date(2023, 4, 1), date(2023, 6, 30)),
    (date(2023, 3, 15), date(2023, 3, 15)),
    (date(2020, 1, 1), date(2030, 12, 31)),
    (date(2030, 1, 1), date(2030, 12, 31)),  # nothing in it
    (date(2022, 7, 1), date(2024, 1, 31)),  # a whole year and partial ones around it
    (date(2022, 1, 1), date(2023, 12, 31)),  # two whole years
)


def _filter_sets(townships: list[str]) -> list[q.Filters]:
    sets = [q.Filters(start, end) for start, end in PERIODS]
    year = PERIODS[0]
    for township_set in ([townships[0]], townships[:2], townships):
        sets.append(q.Filters(*year, townships=tuple(township_set)))
    sets += [
        q.Filters(*year, home_levels=("区级",)),
        q.Filters(*year, home_levels=("镇级", "村级", "代表工作站")),
        q.Filters(*year, deputy_levels=("市",)),
        q.Filters(*year, deputy_levels=("区", "镇")),
        q.Filters(*PERIODS[1], townships=(townships[0],), home_levels=("镇级",), deputy_levels=("镇",)),
    ]
    return sets


def _frame(con: duckdb.DuckDBPyConnection, text: str, params: dict) -> pd.DataFrame:
    # The same binding and conversion as warehouse.query._frame.
    used = q._PARAM_RE.findall("\n".join(line.split("--", 1)[0] for line in text.splitlines()))
    bound = {k: v for k, v in params.items() if k in used}
    return con.sql(text, params=bound).to_arrow_table().to_pandas()


def assert_same_answers(con: duckdb.DuckDBPyConnection, townships: list[str], deputy_id: str) -> int:
    compared = 0
    for name, fact_sql in FACT_SQL.items():
        for f in _filter_sets(townships):
            for extra in EXTRA.get(name, [{}]):
                extra = {k: (deputy_id if v == "FIXTURE_DEPUTY" else v) for k, v in extra.items()}
                params = {**q._params(con, f), **extra}
                expected = _frame(con, fact_sql, params)
                if extra.get("limit") is not None:
                    expected = expected.head(extra["limit"]).reset_index(drop=True)
                got = q._frame(con, name, params)
                pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=f"{name} {f} {extra}")
                compared += 1
    return compared


def test_mart_queries_equal_the_fact_queries_on_the_fixture(snapshot_con):
    deputy_id = snapshot_con.execute("select min(deputy_id) from fct_points").fetchall()[0][0]
    compared = assert_same_answers(snapshot_con, [T1, T2, T3], deputy_id)
    extra_runs = sum(len(v) - 1 for v in EXTRA.values())
    assert compared == (len(FACT_SQL) + extra_runs) * len(_filter_sets([T1]))


def test_the_fixture_has_records_the_marts_must_reproduce(snapshot_con):
    # The comparison above is only meaningful if the fact queries see records in the checked periods.
    year = q._params(snapshot_con, q.Filters(*PERIODS[0]))
    figures = _frame(snapshot_con, FACT_SQL["kpis"], year).iloc[0]
    assert figures["suggestions_collected"] > 0 and figures["petition_cases"] > 0
    assert figures["mediators_total"] > 0 and figures["regulations_consulted"] > 0


@pytest.mark.slow
def test_mart_queries_equal_the_fact_queries_on_the_demo(tmp_path_factory):
    from tests.integration.test_demo_calibration import load_demo

    settings, _ = load_demo(tmp_path_factory.mktemp("marts_demo") / "data")
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        townships = [
            r[0] for r in con.execute("select township_code from dim_township order by 1").fetchall()
        ]
        deputy_id = con.execute(
            "select deputy_id from fct_points group by 1 order by sum(points) desc, 1 limit 1"
        ).fetchall()[0][0]
        assert assert_same_answers(con, townships[:3], deputy_id) > 0
    finally:
        con.close()
