"""The KPIs of the preset periods, precomputed into the snapshot: a click on 本月/本季/本年/上年 (or on a
township) is a lookup, not a query.

:func:`build_preset_kpis` writes the table ``preset_kpis`` from the marts (``sql/presets/preset_kpis.sql``,
one pass per mart): one row per (period, scope) with every KPI of ``sql/queries/kpis.sql``, for the
periods a screen can open with and their comparisons (同比, 环比), for the whole root and each township.
``warehouse.query.kpis`` answers from it when the filters are exactly such a key, else runs its live
query; a lookup and the live query give the same dict (tests/integration/test_preset_kpis.py).

The anchor: presets are relative to the end of the default period (``warehouse.default_period``), which
depends on the day. The build takes that day in ``settings.timezone`` (and the next, for a server that
keeps a snapshot past midnight). A lookup matches a key's exact dates, never "the current preset", so a
snapshot whose anchor no longer holds still answers correctly: its keys just stop matching the clicks
and the live queries take over until the next build (the scheduler rebuilds nightly).

:func:`build_monthly_measures` writes ``monthly_measures`` (the trend and township-summary measures per
month and scope): ``query.monthly_trend`` and ``query.township_summary`` read it for any period of whole
months without level filters.

:func:`build_preset_panels` writes ``preset_panels``: for the preset periods themselves (not their
comparisons) of the root and each township, the result of every call behind the leadership view's panels
(``query.PRESET_PANEL_CALLS``), computed by the query functions themselves and kept as Arrow IPC streams;
``query`` reads them for exactly those keys (equal to the live queries by test).

All three are re-runnable on a snapshot whose marts are complete (the first two in well under a second, the
panel results in about 3 s at district scale): the incremental publish calls them again after it replaced
partitions of the marts (``publish.DERIVED_TABLES``).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse import periods, query
from warehouse.default_period import choose_default_period, today_in
from warehouse.settings import Settings

PRESET_TABLE = "preset_kpis"
MONTHLY_TABLE = "monthly_measures"
PANEL_TABLE = "preset_panels"
SQL_DIR = Path(__file__).resolve().parent / "sql" / "presets"
SQL_FILE = SQL_DIR / "preset_kpis.sql"
# Townships get rows of their own up to this many (a district has a few dozen); a snapshot of a whole
# region (thousands) keeps the root's rows only: its townships are queried live.
MAX_TOWNSHIPS = 64
# Panel results (a dozen queries per key) are kept for the root and each township up to this many
# townships; a larger root keeps the root's only.
MAX_PANEL_TOWNSHIPS = 24
PANEL_BUILD_THREADS = 2
PANEL_SCHEMA = pa.schema(
    [
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("township_code", pa.string()),
        ("call", pa.string()),
        ("payload", pa.binary()),
    ]
)
# Days after the build whose default period is precomputed too (a snapshot served past midnight).
EXTRA_DAYS = 1
PRESET_NAMES = periods.PRESETS[:-1]


def shown_periods(anchor_periods: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """The periods a screen shows for each default period: the default itself and the presets of its
    anchor (its end), each with its comparisons (同比, and 环比 unless it is the same range)."""
    shown: list[tuple[date, date]] = []
    for default in anchor_periods:
        anchor = default[1]
        for period in (default, *(periods.preset_period(p, anchor) for p in PRESET_NAMES)):
            last_year, previous = periods.comparisons(*period)
            shown.extend(p for p in (period, last_year, previous) if p is not None)
    return sorted(set(shown))


def default_periods(
    con: duckdb.DuckDBPyConnection, settings: Settings, today: date
) -> list[tuple[date, date]]:
    """The default period for ``today`` and the :data:`EXTRA_DAYS` after it, on the snapshot behind ``con``."""
    years = query.record_years.uncached(con)
    days = (today + timedelta(days=n) for n in range(EXTRA_DAYS + 1))
    return sorted({choose_default_period(settings, years, day).as_tuple() for day in days})


def build_preset_kpis(
    con: duckdb.DuckDBPyConnection, settings: Settings, today: date | None = None
) -> list[tuple[date, date]]:
    """(Re)write ``preset_kpis`` in the database ``con`` resolves unqualified names to (the snapshot
    being built, or a published one opened read-write); returns the periods precomputed."""
    today = today or today_in(settings)
    keys = shown_periods(default_periods(con, settings, today))
    con.execute("create or replace temp table preset_periods (period_start date, period_end date)")
    try:
        con.executemany("insert into preset_periods values (?, ?)", [list(k) for k in keys])
        body = SQL_FILE.read_text(encoding="utf-8")
        con.execute(f"create or replace table {PRESET_TABLE} as\n{body}", {"max_townships": MAX_TOWNSHIPS})
    finally:
        con.execute("drop table if exists temp.main.preset_periods")
    return keys


def build_monthly_measures(con: duckdb.DuckDBPyConnection, _settings: Settings | None = None) -> None:
    """(Re)write ``monthly_measures``: the trend and township-summary measures per calendar month, for the
    root and each township (``sql/presets/monthly_measures.sql``). Any period of whole months (every
    preset, any month, quarter or year picked by hand) then reads a few dozen rows for its trend and
    township summary instead of scanning the daily marts."""
    body = (SQL_DIR / f"{MONTHLY_TABLE}.sql").read_text(encoding="utf-8")
    con.execute(f"create or replace table {MONTHLY_TABLE} as\n{body}")


def panel_periods(anchor_periods: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """The periods a click shows for each default period: the default itself and its anchor's presets."""
    return sorted(
        {
            period
            for default in anchor_periods
            for period in (default, *(periods.preset_period(p, default[1]) for p in PRESET_NAMES))
        }
    )


def build_preset_panels(con: duckdb.DuckDBPyConnection, settings: Settings, today: date | None = None) -> int:
    """(Re)write ``preset_panels`` on the snapshot behind ``con`` (after ``monthly_measures``, which some
    calls read); returns the number of results stored."""
    # Dropped first: an incremental build works on a copy of the published snapshot, whose stored results
    # (from the previous data) the calls below must not read back.
    con.execute(f"drop table if exists {PANEL_TABLE}")
    today = today or today_in(settings)
    townships = [r[0] for r in con.execute("select township_code from dim_township order by 1").fetchall()]
    scopes: list[tuple[str, ...]] = [()]
    if len(townships) <= MAX_PANEL_TOWNSHIPS:
        scopes += [(code,) for code in townships]
    keys = [(p, scope) for p in panel_periods(default_periods(con, settings, today)) for scope in scopes]
    catalog = con.execute("select current_database()").fetchall()[0][0]

    def compute(key: tuple[tuple[date, date], tuple[str, ...]]) -> list[tuple]:
        (start, end), scope = key
        # One cursor per key: DuckDB runs cursors' queries side by side (it releases the GIL), which
        # roughly halves the build on two cores.
        cur = con.cursor()
        try:
            cur.execute(f'use "{catalog}"')
            filters = query.Filters(start, end, townships=scope)
            township = scope[0] if scope else ""
            rows = []
            for name, extra in query.PRESET_PANEL_CALLS:
                result = getattr(query, name).uncached(cur, filters, *extra)
                rows.append((start, end, township, query.call_id(name, extra), _ipc(result)))
            return rows
        finally:
            cur.close()

    # Each query is small (a key's share of a mart): DuckDB's own worker threads only add scheduling to it
    # (~12 % of the build at 10M rows), the keys already run side by side.
    threads = con.execute("select current_setting('threads')").fetchall()[0][0]
    con.execute("set threads = 1")
    try:
        with ThreadPoolExecutor(max_workers=PANEL_BUILD_THREADS) as pool:
            rows = [row for part in pool.map(compute, keys) for row in part]
    finally:
        con.execute(f"set threads = {int(threads)}")
    stored = pa.Table.from_pylist(  # noqa: F841 - read by name in the SQL below (a replacement scan)
        [dict(zip(PANEL_SCHEMA.names, row, strict=True)) for row in rows], schema=PANEL_SCHEMA
    )
    con.execute(f"create table {PANEL_TABLE} as select * from stored")
    return len(rows)


def _ipc(frame) -> bytes:
    """A query result as an Arrow IPC stream (read back by ``query`` with ``pyarrow.ipc.open_stream``)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()
