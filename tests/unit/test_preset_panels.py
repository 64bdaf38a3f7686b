"""Panel results precomputed for the preset periods (warehouse.presets.build_preset_panels): every stored
result equals the live query's, a preset click is answered from them without the panel queries, the
caller's scope picks the key, and anything else runs live."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from tests.support.raw_fixture import T1, T2, T3
from warehouse import presets
from warehouse import query as q
from warehouse.settings import Settings

YEAR_2023 = (date(2023, 1, 1), date(2023, 12, 31))
CALLS = {q.call_id(name, extra): (name, extra) for name, extra in q.PRESET_PANEL_CALLS}


def _stored_rows(con) -> list[tuple]:
    return con.execute(
        "select period_start, period_end, township_code, call, payload from preset_panels"
    ).fetchall()


def _assert_every_result_is_live(con) -> None:
    rows = _stored_rows(con)
    assert rows
    for start, end, township, call, payload in rows:
        name, extra = CALLS[call]
        f = q.Filters(start, end, townships=(township,) if township else ())
        stored = pa.ipc.open_stream(bytes(payload)).read_all().to_pandas()
        pd.testing.assert_frame_equal(stored, getattr(q, name).uncached(con, f, *extra), obj=f"{call} {f}")


def test_the_snapshot_stores_every_panel_call_for_each_preset_of_the_root_and_each_township(snapshot_con):
    rows = _stored_rows(snapshot_con)
    keys = {(start, end, township) for start, end, township, _, _ in rows}
    periods = {(start, end) for start, end, _ in keys}
    # The fixture's records are 2023's: December, Q4, 2023 and 2022 (the comparisons are not stored).
    assert periods == {
        YEAR_2023,
        (date(2023, 12, 1), date(2023, 12, 31)),
        (date(2023, 10, 1), date(2023, 12, 31)),
        (date(2022, 1, 1), date(2022, 12, 31)),
    }
    assert {township for _, _, township in keys} == {"", T1, T2, T3}
    assert len(rows) == len(keys) * len(q.PRESET_PANEL_CALLS)
    assert {call for *_, call, _ in rows} == set(CALLS)


def test_every_stored_result_equals_the_live_query(snapshot_con):
    _assert_every_result_is_live(snapshot_con)


def _no_panel_queries(monkeypatch) -> None:
    def refuse(con, name, params):
        raise AssertionError(f"query {name} ran")

    monkeypatch.setattr(q, "_frame", refuse)


def test_a_preset_click_runs_none_of_the_panel_queries_and_any_other_period_runs_them(
    writable_copy, monkeypatch
):
    expected = {
        call: getattr(q, name).uncached(writable_copy, q.Filters(*YEAR_2023, townships=(T1,)), *extra)
        for call, (name, extra) in CALLS.items()
    }
    _no_panel_queries(monkeypatch)
    for call, (name, extra) in CALLS.items():
        answer = getattr(q, name)(writable_copy, q.Filters(*YEAR_2023, townships=(T1,)), *extra)
        pd.testing.assert_frame_equal(answer, expected[call])
    for other in (
        q.Filters(date(2023, 3, 1), date(2023, 3, 31), townships=(T1,)),  # not a preset period
        q.Filters(*YEAR_2023, townships=(T1, T2)),  # several townships
        q.Filters(*YEAR_2023, home_levels=("代表之家",)),  # another filter
    ):
        with pytest.raises(AssertionError, match="ran"):
            q.home_map(writable_copy, other)


def test_a_township_users_root_click_reads_their_townships_results(writable_copy, monkeypatch):
    own = q.home_map.uncached(writable_copy, q.Filters(*YEAR_2023, townships=(T2,)))
    registered = q._scope_provider  # the dashboard's, when imported: restored afterwards
    q.set_scope_provider(lambda: (T2,))
    try:
        _no_panel_queries(monkeypatch)
        pd.testing.assert_frame_equal(q.home_map(writable_copy, q.Filters(*YEAR_2023)), own)
    finally:
        q.set_scope_provider(registered)


def test_a_rebuild_never_reads_back_the_results_it_replaces(writable_copy):
    # An incremental build starts from a copy of the published snapshot: its stored results are stale.
    writable_copy.execute("update preset_panels set payload = (select payload from preset_panels limit 1)")
    count = presets.build_preset_panels(writable_copy, Settings(), today=date(2024, 2, 29))
    assert count == len(_stored_rows(writable_copy))
    _assert_every_result_is_live(writable_copy)


def test_the_build_leaves_the_connections_thread_setting_as_it_found_it(writable_copy):
    writable_copy.execute("set threads = 3")
    presets.build_preset_panels(writable_copy, Settings(), today=date(2024, 2, 29))
    assert writable_copy.execute("select current_setting('threads')").fetchall()[0][0] == 3
