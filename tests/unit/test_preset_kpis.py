"""Precomputed KPIs of the preset periods and monthly measures (warehouse.presets): every precomputed
answer equals the live query's, lookups are used only for an exact key, and anything else takes the live
query."""

from __future__ import annotations

from dataclasses import make_dataclass
from datetime import date

import pandas as pd
import pytest

from tests.support.raw_fixture import T1, T2, T3
from warehouse import presets
from warehouse import query as q
from warehouse.periods import month_end
from warehouse.settings import Settings

YEAR_2023 = (date(2023, 1, 1), date(2023, 12, 31))


def _keys(con) -> list[tuple[date, date, str]]:
    return [
        tuple(r)
        for r in con.execute("select period_start, period_end, township_code from preset_kpis").fetchall()
    ]


def _filters(start: date, end: date, township: str) -> q.Filters:
    return q.Filters(start, end, townships=(township,) if township else ())


def _assert_every_row_is_live(con) -> None:
    keys = _keys(con)
    assert keys
    for start, end, township in keys:
        f = _filters(start, end, township)
        assert q._preset_kpi_row(con, f) is not None
        assert q.kpis.uncached(con, f) == q.live_kpis(con, f), (start, end, township)


def test_the_published_snapshot_carries_every_preset_for_the_root_and_each_township(snapshot_con):
    keys = _keys(snapshot_con)
    scopes = {township for _, _, township in keys}
    assert scopes == {"", T1, T2, T3}
    periods = {(start, end) for start, end, _ in keys}
    # The fixture's records are 2023's: the screens open on 2023 whatever the day, so the presets are
    # December, Q4, 2023 and 2022, with their comparisons.
    assert {
        YEAR_2023,
        (date(2023, 12, 1), date(2023, 12, 31)),
        (date(2023, 10, 1), date(2023, 12, 31)),
    } <= periods
    assert (date(2022, 1, 1), date(2022, 12, 31)) in periods
    assert (date(2023, 11, 1), date(2023, 11, 30)) in periods  # 环比 of December
    assert len(keys) == len(periods) * len(scopes)


def test_every_precomputed_row_equals_the_live_query(snapshot_con):
    _assert_every_row_is_live(snapshot_con)


@pytest.mark.parametrize("today", [date(2023, 9, 14), date(2023, 12, 31), date(2024, 2, 29)])
def test_rebuilt_for_another_day_the_rows_still_equal_the_live_query(writable_copy, today):
    built = presets.build_preset_kpis(writable_copy, Settings(), today=today)
    if today.year == 2023:  # this year has records: the default period is 1 January .. today
        assert (date(2023, 1, 1), today) in built
        assert (date(2022, 1, 1), today.replace(year=2022)) in built  # its 同比
    _assert_every_row_is_live(writable_copy)


def test_a_lookup_answers_a_preset_key_and_nothing_else(writable_copy):
    # A marked row proves where the answer came from.
    writable_copy.execute(
        "update preset_kpis set activities_total = -7 where period_start = ? and period_end = ? and township_code = ?",
        [*YEAR_2023, T1],
    )
    year = q.Filters(*YEAR_2023, townships=(T1,))
    assert q.kpis.uncached(writable_copy, year)["activities_total"] == -7
    live = q.live_kpis(writable_copy, year)["activities_total"]
    assert live >= 0
    # Any other filter, a period that is no key, or several townships: the live query.
    others = [
        q.Filters(*YEAR_2023, townships=(T1,), home_levels=("代表之家",)),
        q.Filters(*YEAR_2023, townships=(T1,), deputy_levels=("区",)),
        q.Filters(date(2023, 1, 1), date(2023, 12, 30), townships=(T1,)),
        q.Filters(*YEAR_2023, townships=(T1, T2)),
    ]
    for f in others:
        assert q._preset_kpi_row(writable_copy, f) is None
        assert q.kpis.uncached(writable_copy, f) == q.live_kpis(writable_copy, f)


def test_a_filter_field_added_later_takes_the_live_query_unless_left_at_its_default():
    Wider = make_dataclass("Wider", [("region", str, "")], bases=(q.Filters,), frozen=True)
    assert q.preset_key(Wider(*YEAR_2023)) == (*YEAR_2023, "")
    assert q.preset_key(Wider(*YEAR_2023, region="1502")) is None


def test_the_callers_scope_decides_the_key():
    registered = q._scope_provider  # the dashboard's, when imported: restored afterwards
    q.set_scope_provider(lambda: (T2,))
    try:
        assert q.preset_key(q.Filters(*YEAR_2023)) == (*YEAR_2023, T2)
        assert q.preset_key(q.Filters(*YEAR_2023, townships=(T1,))) == (*YEAR_2023, T2)
    finally:
        q.set_scope_provider(registered)
    q.set_scope_provider(lambda: (T1, T2))
    try:  # a scope of several townships has no row of its own
        assert q.preset_key(q.Filters(*YEAR_2023)) is None
    finally:
        q.set_scope_provider(registered)


def test_a_snapshot_without_the_table_takes_the_live_query(writable_copy):
    writable_copy.execute("drop table preset_kpis")
    year = q.Filters(*YEAR_2023)
    assert q._preset_kpi_row(writable_copy, year) is None
    assert q.kpis.uncached(writable_copy, year) == q.live_kpis(writable_copy, year)


# --- monthly measures: trends and township summaries of whole-month periods -------------------------

WHOLE_MONTHS = [
    *((date(2023, m, 1), month_end(2023, m)) for m in range(1, 13)),
    (date(2023, 10, 1), date(2023, 12, 31)),
    (date(2023, 1, 1), date(2023, 12, 31)),
    (date(2022, 1, 1), date(2024, 2, 29)),
]


def _live_trend(con, f, measure):
    name, extra = q._TREND_QUERIES[measure]
    return q._frame(con, name, {**q._params(con, f), **extra})


@pytest.mark.parametrize("start,end", WHOLE_MONTHS)
def test_monthly_trends_and_township_summaries_equal_the_live_queries(snapshot_con, start, end):
    for scope in ((), (T1,), (T2,), (T3,)):
        f = q.Filters(start, end, townships=scope)
        assert q._monthly_scope(snapshot_con, f, single=True) is not None
        for measure in q.TREND_MEASURES:
            pd.testing.assert_frame_equal(
                q.monthly_trend.uncached(snapshot_con, f, measure), _live_trend(snapshot_con, f, measure)
            )
    for scope in ((), (T1,), (T1, T2), (T3,)):
        f = q.Filters(start, end, townships=scope)
        pd.testing.assert_frame_equal(
            q.township_summary.uncached(snapshot_con, f),
            q._frame(snapshot_con, "township_summary", q._params(snapshot_con, f)),
        )


@pytest.mark.parametrize(
    "start,end", [WHOLE_MONTHS[0], WHOLE_MONTHS[-1], (date(2023, 3, 2), date(2023, 5, 17))]
)
def test_monthly_trends_are_the_single_trends_side_by_side(snapshot_con, start, end):
    measures = ("visitors", "activities", "points")
    for scope in ((), (T1,), (T1, T2)):
        f = q.Filters(start, end, townships=scope)
        side_by_side = q.monthly_trends.uncached(snapshot_con, f, measures)
        assert list(side_by_side.columns) == ["month", *measures]
        for measure in measures:
            single = q.monthly_trend.uncached(snapshot_con, f, measure)
            assert side_by_side["month"].tolist() == single["month"].tolist()
            assert side_by_side[measure].tolist() == single["value"].tolist(), (scope, measure)
    with pytest.raises(ValueError, match="unknown trend measure"):
        q.monthly_trends(snapshot_con, q.Filters(start, end), ("activities", "nonsense"))


def test_other_periods_and_filters_take_the_live_trend(writable_copy):
    writable_copy.execute("update monthly_measures set activities = -5 where month = '2023-03-01'")
    march = q.Filters(date(2023, 3, 1), date(2023, 3, 31))
    assert q.monthly_trend.uncached(writable_copy, march, "activities")["value"].tolist() == [-5]
    for f in (
        q.Filters(date(2023, 3, 1), date(2023, 3, 30)),
        q.Filters(date(2023, 3, 2), date(2023, 3, 31)),
        q.Filters(date(2023, 3, 1), date(2023, 3, 31), home_levels=("代表之家",)),
        q.Filters(date(2023, 3, 1), date(2023, 3, 31), deputy_levels=("区",)),
    ):
        assert q._monthly_scope(writable_copy, f, single=False) is None
        pd.testing.assert_frame_equal(
            q.monthly_trend.uncached(writable_copy, f, "activities"),
            _live_trend(writable_copy, f, "activities"),
        )
    several = q.Filters(date(2023, 3, 1), date(2023, 3, 31), townships=(T1, T2))
    assert q._monthly_scope(writable_copy, several, single=True) is None
    assert q._monthly_scope(writable_copy, several, single=False) is not None


def test_snapshot_facts_are_kept_without_asking_the_callers_scope(snapshot_con):
    # /healthz is public: inside its request the scope provider refuses (no principal).
    def refuse():
        raise PermissionError("no principal")

    q.clear_memo()
    registered = q._scope_provider
    q.set_scope_provider(refuse)
    try:
        first = q.snapshot_info(snapshot_con)
        assert first.version and q.snapshot_info(snapshot_con) is first  # kept, not read again
        assert q.snapshot_meta(snapshot_con)["version"] == first.version
    finally:
        q.set_scope_provider(registered)
