"""Never an empty screen: the default period is this year when it has records, else the latest year
that has, with a note (warehouse.default_period); the demo's data dir opens on 2023 under any command."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from etl import jobs
from etl.demo.generator import generate
from warehouse.default_period import DefaultPeriod, choose_default_period, default_period
from warehouse.settings import Settings

TODAY = date(2026, 12, 2)


def test_this_year_when_it_has_records():
    period = choose_default_period(Settings(), {2025: date(2025, 12, 30), 2026: date(2026, 3, 1)}, TODAY)
    assert period == DefaultPeriod(date(2026, 1, 1), TODAY, None)
    assert period.note("zh-CN") is None


def test_latest_year_with_records_otherwise_with_a_note():
    period = choose_default_period(Settings(), {2022: date(2022, 12, 1), 2023: date(2023, 12, 28)}, TODAY)
    assert period.as_tuple() == (date(2023, 1, 1), date(2023, 12, 31))
    assert period.note("zh-CN") == "本年暂无数据，显示2023年"
    assert period.note("en") == "No records this year yet; showing 2023"
    assert period.notes_for(date(2023, 1, 1), date(2023, 12, 31), "zh-CN") == "本年暂无数据，显示2023年"
    assert period.notes_for(date(2023, 1, 1), date(2023, 6, 30), "zh-CN") is None  # another period chosen


def test_a_latest_year_of_a_few_weeks_gives_way_to_the_year_before():
    years = {2023: date(2023, 12, 31), 2024: date(2024, 1, 20)}
    assert choose_default_period(Settings(), years, TODAY).fallback_year == 2023
    # Records into April are a year worth showing; without a year before, the stub is all there is.
    assert choose_default_period(Settings(), {**years, 2024: date(2024, 4, 2)}, TODAY).fallback_year == 2024
    assert choose_default_period(Settings(), {2024: date(2024, 1, 20)}, TODAY).fallback_year == 2024


def test_no_records_at_all_is_this_year_and_a_configured_period_wins():
    assert choose_default_period(Settings(), {}, TODAY).as_tuple() == (date(2026, 1, 1), TODAY)
    configured = Settings(default_start=date(2024, 1, 1), default_end=date(2024, 6, 30))
    assert choose_default_period(configured, {2023: date(2023, 5, 1)}, TODAY) == DefaultPeriod(
        date(2024, 1, 1), date(2024, 6, 30), None
    )


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    """A fresh demo data dir (exports → load → publish), as `cockpit demo --no-serve` leaves it."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo") / "data")
    generate(settings.inbox)
    jobs.run_incremental(settings, trigger="cli")
    return settings


def test_demo_snapshot_defaults_to_2023_and_kpis_cli_agrees(demo_data, capsys):
    from warehouse.kpi_report import collect_kpis, report_period
    from warehouse.snapshot import SnapshotReader

    reader = SnapshotReader(demo_data.published_db)
    with reader.cursor() as con:
        period = default_period(con, demo_data)
    reader.close()
    assert period == DefaultPeriod(date(2023, 1, 1), date(2023, 12, 31), 2023)
    doc = collect_kpis(demo_data, *report_period(demo_data, None, None), None)
    assert doc["period"] == {"start": "2023-01-01", "end": "2023-12-31"}
    assert doc["kpis"]["activities_total"] == 146  # the seed newsletter's 2023 figure
    json.dumps(doc)


def test_wall_on_the_demo_data_dir_opens_on_2023_with_the_note(demo_data):
    from dashboard import wall_data
    from tests.support.wall_tree import by_class, text
    from warehouse.snapshot import SnapshotReader

    reader = SnapshotReader(demo_data.published_db)
    try:
        root = wall_data.build_layout(demo_data, reader)
    finally:
        reader.close()
    period = text(by_class(root, "wall-period"))
    assert "2023-01-01 至 2023-12-31" in period and "本年暂无数据，显示2023年" in period
    # An explicit period is what the URL asked for: no note.
    reader = SnapshotReader(demo_data.published_db)
    try:
        root = wall_data.build_layout(demo_data, reader, start="2023-01-01", end="2023-06-30")
    finally:
        reader.close()
    assert "本年暂无数据" not in text(by_class(root, "wall-period"))


def test_leadership_on_the_demo_data_dir_opens_on_2023_with_the_note(demo_data):
    from dashboard import context
    from dashboard.components.lead_view import clear_caches, default_period, render_summary
    from warehouse.snapshot import SnapshotReader

    reader = SnapshotReader(demo_data.published_db)
    context.configure(demo_data, reader)
    clear_caches()
    try:
        assert default_period() == (date(2023, 1, 1), date(2023, 12, 31))
        scope = render_summary("")[3]
    finally:
        reader.close()
    assert scope.startswith("2023-01-01") and "本年暂无数据，显示2023年" in scope
    assert "数据截至 2024-01-20 · 更新于" in scope  # the newest export's own date (乡镇区划_20240120.csv)


EMPTY_YEAR = ("2026-01-01", "2026-12-31")  # the demo has no records in 2026


def test_an_empty_period_on_the_wall_says_so_instead_of_zeros(demo_data):
    from dashboard import wall_data
    from tests.support.wall_tree import by_id, text
    from warehouse.snapshot import SnapshotReader

    reader = SnapshotReader(demo_data.published_db)
    try:
        root = wall_data.build_layout(demo_data, reader, start=EMPTY_YEAR[0], end=EMPTY_YEAR[1])
        full = wall_data.build_layout(demo_data, reader)
    finally:
        reader.close()
    assert text(by_id(root, "wall-ranking")) == "本期暂无数据"
    trend = by_id(root, "wall-trend").figure
    assert not trend["data"] and trend["layout"]["annotations"][0]["text"] == "本期暂无数据"
    # The same wall on a period with records draws the ranking and the trend.
    assert "本期暂无数据" not in text(by_id(full, "wall-ranking"))
    assert by_id(full, "wall-trend").figure["data"]


def test_an_empty_period_in_the_leadership_view_shows_no_ranking_of_zeros(demo_data):
    from dashboard.components.lead_panels import PANELS_BY_KEY
    from warehouse.query import Filters
    from warehouse.snapshot import SnapshotReader

    empty = Filters(start=date.fromisoformat(EMPTY_YEAR[0]), end=date.fromisoformat(EMPTY_YEAR[1]))
    full = Filters(start=date(2023, 1, 1), end=date(2023, 12, 31))
    reader = SnapshotReader(demo_data.published_db)
    try:
        with reader.cursor() as con:
            for key in ("ranking", "watchlist", "points", "points_rules", "trend", "townships", "projects"):
                assert PANELS_BY_KEY[key].rows(con, empty).empty, key
            assert PANELS_BY_KEY["ranking"].rows(con, full)["points"].sum() > 0
            assert not PANELS_BY_KEY["trend"].rows(con, full).empty
            # Idle homes over an empty period are a true statement (every home idle), not an empty state.
            assert not PANELS_BY_KEY["idle_homes"].rows(con, empty).empty
    finally:
        reader.close()
    fig = PANELS_BY_KEY["trend"].figure(pd.DataFrame(columns=["month", "activities"]), "zh-CN", empty)
    assert fig.layout.annotations[0].text == "本期暂无数据"


def test_a_whole_year_shows_one_comparison_other_periods_two(demo_data):
    from dashboard import context
    from dashboard.components.lead_view import clear_caches, render_summary
    from tests.unit.test_lead_components import texts
    from warehouse.snapshot import SnapshotReader

    reader = SnapshotReader(demo_data.published_db)
    context.configure(demo_data, reader)
    clear_caches()
    try:
        year = " ".join(texts(card) for card in render_summary("?from=2023-01-01&to=2023-12-31")[0])
        half = " ".join(texts(card) for card in render_summary("?from=2023-01-01&to=2023-06-30")[0])
    finally:
        reader.close()
    assert year.count("同比") > 0 and "环比" not in year
    assert half.count("同比") == half.count("环比") > 0
