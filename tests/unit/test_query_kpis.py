"""The query layer on the hand-made fixture snapshot: every KPI and every dashboard query."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.support.raw_fixture import EXPECTED_KPIS_2023, EXPECTED_POINTS_2023, LOADED_AT, T1, T2, T3
from warehouse import query as q
from warehouse.timefmt import localize

YEAR_2023 = q.Filters(date(2023, 1, 1), date(2023, 12, 31))
SEPTEMBER = q.Filters(date(2023, 9, 1), date(2023, 9, 30))


def test_every_kpi_for_2023(snapshot_con):
    got = q.kpis(snapshot_con, YEAR_2023)
    assert set(got) == set(q.KPI_IDS)
    assert got == pytest.approx(EXPECTED_KPIS_2023)
    assert all(isinstance(got[k], int) for k in q.KPI_IDS if k not in q.RATE_KPIS)


def test_zero_denominator_rates_are_none_and_counts_zero(snapshot_con):
    got = q.kpis(snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(T3,)))
    assert all(got[k] is None for k in q.RATE_KPIS)
    assert all(got[k] == 0 for k in q.KPI_IDS if k not in q.RATE_KPIS)


def test_township_filter_applies_to_each_record_township(snapshot_con):
    got = q.kpis(snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(T2,)))
    assert got == pytest.approx(
        {
            "deputies_total": 2,  # D3 D4
            "homes_total": 2,
            "stations_total": 0,
            "liaison_points_total": 1,
            "activities_total": 3,  # A2 A3 A9
            "visitors_total": 28,
            "suggestions_collected": 2,
            "suggestion_closure_rate": 0.0,  # a zero numerator is 0, not None
            "suggestion_satisfaction_rate": 1.0,  # S05 基本满意
            "petition_cases": 1,
            "petition_completed": 0,
            "petition_completion_rate": 0.0,
            "petition_satisfaction_rate": None,  # C2 not revisited
            "mediation_cases": 2,
            "mediation_success": 1,
            "mediation_success_rate": 0.5,
            "mediators_total": 2,
            "legislative_suggestions": 3,
            "regulations_consulted": 2,
            "supervision_suggestions": 0,
            "livelihood_projects_voted": 1,
            "home_visit_rate": 0.5,  # D3 of D3 D4
            "trainings_total": 0,  # trainings had no place, hence no township
            "training_attendance": 0,
            "csc_observations": 0,
        }
    )


def test_home_and_deputy_level_filters(snapshot_con):
    district_homes = q.kpis(
        snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), home_levels=("区级",))
    )
    assert (
        district_homes["homes_total"],
        district_homes["activities_total"],
        district_homes["visitors_total"],
    ) == (
        1,
        2,
        15,
    )
    city = q.kpis(snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), deputy_levels=("市",)))
    assert (city["deputies_total"], city["home_visit_rate"], city["mediators_total"]) == (1, 0.0, 0)
    town = q.kpis(snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), deputy_levels=("镇",)))
    assert town["deputies_total"] == 2  # D1 (区;镇) and D3


def test_kpi_as_of_uses_the_newest_loaded_file_of_the_entity(snapshot_con):
    as_of = q.kpi_as_of(snapshot_con)
    assert set(as_of) == set(q.KPI_IDS)
    # The fixture's file names carry no date stamp: the export date is the load day in the settings' zone.
    day = {e: localize(ts, "Asia/Shanghai").date() for e, ts in LOADED_AT.items()}
    assert as_of["activities_total"] == day["activities"]  # the later rejected file does not count
    assert as_of["mediation_cases"] == day["cases"]
    info = q.snapshot_info(snapshot_con)
    assert info.as_of["activities"] == datetime(2024, 1, 19, 9, 30)  # the load time stays the load time
    assert info.export_date == max(day.values())
    assert as_of["deputies_total"] is None  # no deputies file recorded in the fixture


def test_snapshot_info_and_period(snapshot_con):
    info = q.snapshot_info(snapshot_con)
    assert info.run_id == "run-fixture" and info.version.endswith("-ixture")
    assert info.as_of["townships"] == datetime(2024, 1, 19, 8, 0)
    assert q.data_period(snapshot_con) == (date(2022, 6, 1), date(2023, 9, 29))
    assert list(q.township_options(snapshot_con)["township_code"]) == [T1, T2, T3]


def test_monthly_trend_zero_fills_every_month(snapshot_con):
    activities = q.monthly_trend(snapshot_con, YEAR_2023, "activities")
    assert list(activities["month"]) == [date(2023, m, 1) for m in range(1, 13)]
    assert list(activities["value"]) == [1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0]
    assert q.monthly_trend(snapshot_con, YEAR_2023, "points")["value"].sum() == sum(
        p for p, _ in EXPECTED_POINTS_2023.values()
    )
    assert q.monthly_trend(snapshot_con, YEAR_2023, "mediation_cases")["value"].sum() == 3
    # Every trend adds up to its KPI over the same period (one query serves petitions and mediations).
    kpis = q.kpis(snapshot_con, YEAR_2023)
    for measure, kpi_id in (("petition_cases", "petition_cases"), ("visitors", "visitors_total")):
        assert q.monthly_trend(snapshot_con, YEAR_2023, measure)["value"].sum() == kpis[kpi_id]
    winter = q.monthly_trend(snapshot_con, q.Filters(date(2022, 12, 15), date(2023, 1, 15)), "visitors")
    assert list(winter["value"]) == [99, 10]
    with pytest.raises(ValueError, match="unknown trend measure"):
        q.monthly_trend(snapshot_con, YEAR_2023, "nonsense")


def test_township_summary_has_a_row_per_township_and_reconciles(snapshot_con):
    summary = q.township_summary(snapshot_con, YEAR_2023)
    assert list(summary["township_code"]) == [T1, T2, T3]
    assert summary.iloc[2][["homes", "deputies", "activities", "points"]].tolist() == [0, 0, 0, 0]
    kpi = q.kpis(snapshot_con, YEAR_2023)
    assert summary["activities"].sum() == kpi["activities_total"]
    assert summary["visitors"].sum() == kpi["visitors_total"]
    assert summary["homes"].sum() == kpi["homes_total"]
    assert summary["deputies"].sum() == kpi["deputies_total"]
    assert summary["points"].tolist() == [45 + 38, 22 + 15, 0]
    scoped = q.township_summary(
        snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(T2,))
    )
    assert scoped["township_code"].tolist() == [T2]


def test_home_map(snapshot_con):
    homes = q.home_map(snapshot_con, YEAR_2023).set_index("home_id")
    assert homes.loc["H1", ["activities", "visitors", "deputies"]].tolist() == [2, 15, 2]
    assert homes.loc["S1", "activities"] == 2 and not homes.loc["S1", "is_home"]
    only_village = q.home_map(
        snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), home_levels=("嘎查村级",))
    )
    assert only_village["home_id"].tolist() == ["H3"]


def test_points_ranking_2023(snapshot_con):
    ranking = q.points_ranking(snapshot_con, YEAR_2023)
    assert ranking[["rank", "deputy_id", "points", "absences"]].values.tolist() == [
        [1, "D1", 45, 0],
        [2, "D2", 38, 1],
        [3, "D3", 22, 1],
        [4, "D4", 15, 0],
    ]
    assert "D5" not in set(ranking["deputy_id"])  # inactive
    assert q.points_ranking(snapshot_con, YEAR_2023, limit=2)["deputy_id"].tolist() == ["D1", "D2"]


def test_points_ranking_ties_fewer_absences_then_deputy_id(snapshot_con):
    ranking = q.points_ranking(snapshot_con, SEPTEMBER)
    # D2, D3, D4 all have 5 points; D2 was absent once, so it ranks last; D3 before D4 by id.
    assert ranking[["rank", "deputy_id", "points", "absences"]].values.tolist() == [
        [1, "D1", 10, 0],
        [2, "D3", 5, 0],
        [3, "D4", 5, 0],
        [4, "D2", 5, 1],
    ]


def test_low_points_watchlist(snapshot_con):
    assert q.low_points_watchlist(snapshot_con, YEAR_2023)["deputy_id"].tolist() == ["D4"]
    assert q.low_points_watchlist(snapshot_con, SEPTEMBER).empty  # shorter than 6 months
    assert q.spans_months(date(2023, 1, 1), date(2023, 6, 30), 6)
    assert not q.spans_months(date(2023, 1, 1), date(2023, 6, 29), 6)
    assert q.spans_months(date(2023, 8, 31), date(2024, 2, 28), 6)


def test_latest_activities(snapshot_con):
    latest = q.latest_activities(snapshot_con, YEAR_2023, limit=3)
    assert latest["activity_id"].tolist() == ["A11", "A10", "A9"]
    at_t2 = q.latest_activities(
        snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(T2,))
    )
    assert at_t2["activity_id"].tolist() == ["A9", "A3", "A2"]


def test_suggestion_breakdowns(snapshot_con):
    by_status = q.suggestions_by_status(snapshot_con, YEAR_2023)
    assert by_status.values.tolist() == [
        ["已提交", 2],
        ["已交办", 1],
        ["办理中", 1],
        ["已答复", 1],
        ["已办结", 2],
        ["不予立案", 1],
    ]
    assert q.suggestions_by_category(snapshot_con, YEAR_2023).values.tolist()[0] == ["立法", 3]
    units = q.handling_units(snapshot_con, YEAR_2023).set_index("unit")
    assert units.loc["区住建局"].tolist() == [2, 2, 0.5, 0.5]
    assert units.loc["区民政局", "suggestions"] == 1
    assert units["on_time_rate"].isna().sum() == 2  # nothing answered yet: no rate, not 0%
    assert q.legislative_by_regulation(snapshot_con, YEAR_2023).values.tolist() == [
        ["包头市物业管理条例", 2],
        ["包头市养犬管理条例", 1],
    ]


def test_case_outcomes_and_projects(snapshot_con):
    outcomes = q.case_outcomes(snapshot_con, YEAR_2023)
    assert outcomes[outcomes["case_type"] == "诉前调解"][["outcome", "cases"]].values.tolist() == [
        ["调解成功", 2],
        ["调解不成", 1],
    ]
    assert outcomes["cases"].sum() == 5
    projects = q.projects_by_township(snapshot_con, YEAR_2023)
    assert projects[["township_code", "projects", "elected", "completed"]].values.tolist() == [
        [T1, 1, 1, 0],
        [T2, 2, 1, 1],
        [T3, 0, 0, 0],
    ]


def test_points_by_rule(snapshot_con):
    everyone = q.points_by_rule(snapshot_con, YEAR_2023)
    assert everyone["points"].sum() == 120 and len(everyone) == 15
    d2 = q.points_by_rule(snapshot_con, YEAR_2023, deputy_id="D2").set_index("rule_id")
    assert d2.loc["mediation_success", ["events", "points"]].tolist() == [2, 10]
    assert d2.loc["absence", "points"] == -3
    assert d2["points"].sum() == 38


def test_home_detail(snapshot_con):
    detail = q.home_detail(snapshot_con, YEAR_2023, "H1")
    assert detail["home"]["home_name"] == "测试区级代表之家" and detail["home"]["deputies"] == 2
    assert detail["by_type"][["activity_type", "activities"]].values.tolist() == [["学习", 1], ["视察", 1]]
    assert len(detail["monthly"]) == 12 and detail["monthly"]["visitors"].sum() == 15
    assert detail["deputies"]["deputy_id"].tolist() == ["D1", "D2"]
    assert detail["latest"]["activity_id"].tolist() == ["A8", "A1"]
    assert (
        q.home_detail(snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(T2,)), "H1")
        is None
    )
    assert q.home_detail(snapshot_con, YEAR_2023, "nope") is None


def test_deputy_detail(snapshot_con):
    detail = q.deputy_detail(snapshot_con, YEAR_2023, "D2")
    assert (detail["points"], detail["absences"], detail["rank"], detail["ranked"]) == (38, 1, 2, 4)
    assert "phone" not in detail["deputy"]
    assert detail["records"] == {
        "suggestions": 1,
        "suggestions_adopted": 0,
        "petition_cases": 0,
        "mediation_cases": 2,
        "mediation_success": 2,
    }
    assert detail["by_type"].set_index("activity_type").loc["培训"].tolist() == [1, 1]
    assert detail["monthly"]["points"].sum() == 38
    assert (
        q.deputy_detail(snapshot_con, q.Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(T2,)), "D2")
        is None
    )
