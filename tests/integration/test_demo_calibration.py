"""End to end: the generated demo, loaded by the real ETL, gives the seed's figures through the query layer."""

from __future__ import annotations

from collections import Counter
from datetime import date

import duckdb
import pytest

from etl.demo.calibration import PERIODS, SEED_2023_KPIS, SEED_PROJECTS_2022_2023, reference_kpis
from etl.demo.generator import export_plan, generate
from etl.demo.records import build_records
from etl.run import run_etl
from warehouse.query import RATE_KPIS, Filters, kpis
from warehouse.settings import Settings

pytestmark = pytest.mark.slow
YEAR_2023 = Filters(start=date(2023, 1, 1), end=date(2023, 12, 31))
# Each deliberately bad row of the demo and the reason the ETL must give (11 bad rows + 7 合计 rows).
EXPECTED_REJECTS = {
    "summary_row": 7,
    "unknown_home": 3,
    "missing_value": 2,
    "unknown_deputy": 2,
    "bad_enum": 2,
    "negative_count": 2,
    "close_before_open": 2,
    "unknown_township": 1,
    "bad_date": 1,
}


def load_demo(root, scale: int = 1):
    settings = Settings(data_dir=root)
    settings.inbox.mkdir(parents=True)
    generate(settings.inbox, scale=scale)
    summary = run_etl(settings, trigger="demo", run_date=date(2024, 1, 20))
    return settings, summary


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    settings, summary = load_demo(tmp_path_factory.mktemp("demo_e2e") / "data")
    con = duckdb.connect(str(settings.published_db), read_only=True)
    yield summary, con
    con.close()


def assert_same_kpis(got: dict, expected: dict) -> None:
    for kpi_id, value in expected.items():
        if kpi_id in RATE_KPIS and value is not None:
            assert got[kpi_id] == pytest.approx(value, abs=1e-9), kpi_id
        else:
            assert got[kpi_id] == value, kpi_id


def test_the_run_succeeds_and_every_file_loads(demo):
    summary, _ = demo
    assert summary.status == "succeeded", summary.message
    assert len(summary.files) == 16
    assert {f.status for f in summary.files} == {"loaded"}
    for f in summary.files:
        assert f.rows_read == f.rows_loaded + f.rows_rejected + f.rows_duplicate, f.file_name


def test_exactly_the_bad_rows_are_rejected_for_the_right_reason(demo):
    summary, _ = demo
    assert dict(Counter(summary.rejects_by_reason)) == EXPECTED_REJECTS
    assert sum(f.rows_duplicate for f in summary.files) == sum(
        s.duplicates for s in export_plan(build_records())
    )


def test_the_later_export_updates_suggestions(demo):
    summary, _ = demo
    update = next(f for f in summary.files if "年度更新" in f.file_name)
    assert update.rows_updated == update.rows_read > 0
    assert update.rows_new == 0


def test_the_seed_2023_figures_come_out_exactly(demo):
    _, con = demo
    got = kpis(con, YEAR_2023)
    assert {k: got[k] for k in SEED_2023_KPIS} == SEED_2023_KPIS
    assert got["mediation_success_rate"] == pytest.approx(0.9017, abs=1e-4)
    two_years = kpis(con, Filters(start=date(2022, 1, 1), end=date(2023, 12, 31)))
    assert two_years["livelihood_projects_voted"] == SEED_PROJECTS_2022_2023


@pytest.mark.parametrize("period", list(PERIODS))
def test_every_kpi_of_every_period_matches_the_generator_records(demo, period):
    _, con = demo
    start, end = PERIODS[period]
    assert_same_kpis(
        kpis(con, Filters(start=start, end=end)), reference_kpis(build_records().tables, start, end)
    )


def test_scaled_demo_loads_and_multiplies_the_counts(tmp_path):
    scale = 2
    settings, summary = load_demo(tmp_path / "data", scale=scale)
    assert summary.status == "succeeded", summary.message
    assert dict(Counter(summary.rejects_by_reason)) == EXPECTED_REJECTS
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        got = kpis(con, YEAR_2023)
    finally:
        con.close()
    base = reference_kpis(build_records().tables, YEAR_2023.start, YEAR_2023.end)
    # Replicas share the regulation names, so the distinct count does not grow; rates stay the same.
    expected = {
        k: v if k in RATE_KPIS or k == "regulations_consulted" else v * scale for k, v in base.items()
    }
    assert_same_kpis(got, expected)
