"""On the demo data: every preset period the leadership view offers (本月, 本季, 本年, 上年, the default
period, with their 同比 and 环比) × the root and every township is a precomputed row of the snapshot,
equal to the live query's answer."""

from __future__ import annotations

import pytest

from dashboard.filters import detect_preset, previous_filters, yoy_filters
from etl import jobs
from etl.demo.generator import generate
from warehouse import query as q
from warehouse.default_period import default_period
from warehouse.periods import PRESETS, preset_period
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo") / "data")
    generate(settings.inbox)
    jobs.run_incremental(settings, trigger="cli")
    reader = SnapshotReader(settings.published_db)
    yield settings, reader
    reader.close()


def test_every_preset_of_every_township_is_a_lookup_equal_to_the_live_query(demo):
    settings, reader = demo
    with reader.cursor() as con:
        default = default_period(con, settings)
        anchor = default.end
        townships = [""] + list(q.township_options(con)["township_code"])
        assert len(townships) > 1
        shown = [default.as_tuple(), *(preset_period(p, anchor) for p in PRESETS[:-1])]
        assert detect_preset(*preset_period("last_year", anchor), anchor) == "last_year"
        checked = 0
        for start, end in shown:
            for township in townships:
                f = q.Filters(start, end, townships=(township,) if township else ())
                for g in {f, yoy_filters(f), previous_filters(f)}:
                    assert q._preset_kpi_row(con, g) is not None, g
                    assert q.kpis.uncached(con, g) == q.live_kpis(con, g), g
                    checked += 1
        assert checked >= len(townships) * 10
        # A non-preset period and an extra filter take the live path.
        odd = q.Filters(default.start, default.end.replace(day=30))
        assert q._preset_kpi_row(con, odd) is None
        levels = q.Filters(default.start, default.end, home_levels=("代表之家",))
        assert q._preset_kpi_row(con, levels) is None
        assert q.kpis.uncached(con, levels) == q.live_kpis(con, levels)


def test_every_preset_trend_and_township_summary_equals_the_live_query(demo):
    import pandas as pd

    settings, reader = demo
    with reader.cursor() as con:
        default = default_period(con, settings)
        townships = [""] + list(q.township_options(con)["township_code"])
        for start, end in [default.as_tuple(), *(preset_period(p, default.end) for p in PRESETS[:-1])]:
            for township in townships:
                f = q.Filters(start, end, townships=(township,) if township else ())
                assert q._monthly_scope(con, f, single=True) is not None
                for measure in q.TREND_MEASURES:
                    name, extra = q._TREND_QUERIES[measure]
                    live = q._frame(con, name, {**q._params(con, f), **extra})
                    pd.testing.assert_frame_equal(q.monthly_trend.uncached(con, f, measure), live)
                live = q._frame(con, "township_summary", q._params(con, f))
                pd.testing.assert_frame_equal(q.township_summary.uncached(con, f), live)
