"""Each mart on the hand-made raw store of ``tests/support/raw_fixture.py``: given those rows, expect these."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.support.raw_fixture import EXPECTED_POINTS_2023, T1
from warehouse.points import PointsRulesError, load_points_rules
from warehouse.publish import publish_snapshot


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def test_dim_township_keeps_every_township_in_code_order(snapshot_con):
    assert rows(snapshot_con, "select township_code, sort_order from dim_township order by sort_order") == [
        ("150205001000", 1),
        ("150205002000", 2),
        ("150205101000", 3),
    ]


def test_dim_home_flags_the_four_home_levels(snapshot_con):
    assert rows(snapshot_con, "select home_id, is_home from dim_home order by home_id") == [
        ("H1", True),
        ("H2", True),
        ("H3", True),
        ("L1", False),
        ("S1", False),
    ]


def test_dim_deputy_levels_flags_and_activity(snapshot_con):
    got = rows(
        snapshot_con,
        "select deputy_id, levels, is_city, is_district, is_town, is_active from dim_deputy order by deputy_id",
    )
    assert got == [
        ("D1", "区;镇", False, True, True, True),
        ("D2", "区", False, True, False, True),  # null status counts as active
        ("D3", "镇", False, False, True, True),
        ("D4", "市", True, False, False, True),
        ("D5", "区", False, True, False, False),  # 终止
    ]


def test_fct_activity_takes_the_place_township_and_counts_participants(snapshot_con):
    got = dict(
        (r[0], r[1:])
        for r in rows(
            snapshot_con,
            "select activity_id, township_code, deputy_count, absent_count, is_at_home from fct_activity",
        )
    )
    assert got["A1"] == (T1, 2, 1, True)
    assert got["A3"][1] == 2  # 'D1; D3'
    assert got["A8"][1] == 1  # 'D2;' -> one participant
    assert got["A4"][3] is False  # a work station is not a home
    assert got["A5"][0] is None and got["A5"][3] is False  # no place
    assert rows(snapshot_con, "select count(*) from fct_activity")[0][0] == 11
    assert rows(
        snapshot_con,
        "select deputy_id from mart_deputy_activity_daily where activity_date = '2023-03-20' order by 1",
    ) == [("D1",), ("D3",)]  # ids trimmed


def test_mart_activity_daily_sums_by_day_place_type(snapshot_con):
    got = rows(
        snapshot_con,
        "select activities, visitors, attendances, absences from mart_activity_daily "
        "where activity_date = '2023-01-10' and home_id = 'H1'",
    )
    assert got == [(1, 10, 2, 1)]
    total = rows(snapshot_con, "select sum(activities), sum(visitors) from mart_activity_daily")[0]
    assert total == (11, 10 + 25 + 0 + 7 + 0 + 0 + 99 + 5 + 3 + 0 + 0)


def test_mart_deputy_activity_daily_unnests_attendance_and_absence(snapshot_con):
    got = rows(
        snapshot_con,
        "select deputy_id, attendances, absences from mart_deputy_activity_daily "
        "where activity_date = '2023-01-10' order by deputy_id",
    )
    assert got == [("D1", 1, 0), ("D2", 1, 0), ("D3", 0, 1)]
    assert rows(snapshot_con, "select sum(attendances), sum(absences) from mart_deputy_activity_daily")[
        0
    ] == (
        20,
        2,
    )


def test_mart_deputy_daily_rolls_up_per_deputy_day_level(snapshot_con):
    got = rows(
        snapshot_con,
        "select attendances, absences, is_at_home from mart_deputy_daily "
        "where deputy_id = 'D2' and activity_date = '2023-09-19'",
    )
    assert got == [(0, 1, False)]


def test_fct_suggestion_on_time_flag(snapshot_con):
    got = dict(rows(snapshot_con, "select suggestion_id, is_on_time from fct_suggestion"))
    assert got["S01"] is True  # replied before the due date
    assert got["S04"] is False  # closed after the due date
    assert got["S02"] is None  # unanswered


def test_fct_case_and_project_rows(snapshot_con):
    assert rows(snapshot_con, "select count(*) from fct_case")[0][0] == 7
    assert rows(snapshot_con, "select project_id, is_elected from fct_project order by project_id") == [
        ("P1", True),
        ("P2", False),
        ("P3", True),
        ("P4", True),
    ]


def test_fct_points_totals_match_the_hand_computed_ledger(snapshot_con):
    got = rows(
        snapshot_con,
        "select deputy_id, sum(points) from fct_points where earned_on between '2023-01-01' and '2023-12-31' "
        "group by 1 order by 1",
    )
    assert got == [(d, p) for d, (p, _) in sorted(EXPECTED_POINTS_2023.items())]


def test_fct_points_rules(snapshot_con):
    by_rule = dict(
        rows(
            snapshot_con,
            "select rule_id, sum(points) from fct_points where deputy_id = 'D1' "
            "and earned_on between '2023-01-01' and '2023-12-31' group by 1",
        )
    )
    assert by_rule == {
        "home_activity": 15,  # A1 A3 A9 (学习/议事 at homes)
        "training": 10,
        "csc_observation": 5,
        "suggestion": 5,
        "suggestion_adopted": 5,
        "petition_closed": 5,
    }
    # 不予立案 earns nothing; absences cost 3
    assert (
        rows(
            snapshot_con,
            "select sum(points) from fct_points where deputy_id = 'D3' and rule_id = 'suggestion'",
        )[0][0]
        == 5
    )
    assert rows(snapshot_con, "select sum(events), sum(points) from fct_points where rule_id = 'absence'")[
        0
    ] == (2, -6)
    # Rules without a source column earn nothing but are documented in dim_points_rule.
    assert rows(snapshot_con, "select rule_id from dim_points_rule where not is_fed order by rule_id") == [
        ("congress_attendance",),
        ("deliberation_speech",),
    ]


def test_home_activity_rule_needs_a_home(raw_store: Path, tmp_settings):
    con = duckdb.connect(str(raw_store))
    con.execute(
        "insert into activities values ('A99', 'S1', '2023-10-10', '学习', '工作站学习', 0, 'D4', null, 'h', 'f', 1, 'r')"
    )
    con.close()
    publish_snapshot(raw_store, tmp_settings, "run-x")
    snap = duckdb.connect(str(tmp_settings.published_db), read_only=True)
    assert rows(snap, "select count(*) from fct_points where earned_on = '2023-10-10'")[0][0] == 0
    assert rows(
        snap, "select attendances from mart_deputy_activity_daily where activity_date = '2023-10-10'"
    ) == [(1,)]
    snap.close()


def test_points_rules_file_is_validated(tmp_path: Path):
    bad = tmp_path / "rules.toml"
    bad.write_text(
        '[a]\npoints = 5\nsource = "attendance"\nactivity_types = ["学习"]\n'
        '[b]\npoints = 5\nsource = "attendance"\nactivity_types = ["学习"]\n',
        encoding="utf-8",
    )
    with pytest.raises(PointsRulesError, match="学习"):
        load_points_rules(bad)
    bad.write_text('[a]\npoints = 5\nsource = "nowhere"\n', encoding="utf-8")
    with pytest.raises(PointsRulesError, match="unknown source"):
        load_points_rules(bad)
    rules = load_points_rules()
    assert {r.rule_id for r in rules} >= {"home_activity", "absence", "congress_attendance"}


def test_custom_rules_change_the_ledger(raw_store: Path, tmp_settings, tmp_path: Path):
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(
        '[training]\nname = "培训"\npoints = 2\nsource = "attendance"\nactivity_types = ["培训"]\n',
        encoding="utf-8",
    )
    publish_snapshot(raw_store, tmp_settings.with_(points_rules_file=rules_file), "run-rules")
    snap = duckdb.connect(str(tmp_settings.published_db), read_only=True)
    assert rows(snap, "select rule_id, sum(events), sum(points) from fct_points group by 1") == [
        ("training", 7, 14)
    ]
    snap.close()


def test_period_dates_are_recorded(snapshot_con):
    meta = dict(rows(snapshot_con, "select key, value from snapshot_meta"))
    assert (meta["data_start"], meta["data_end"]) == (date(2022, 6, 1).isoformat(), "2023-09-29")
