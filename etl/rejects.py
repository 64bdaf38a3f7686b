"""Rejected rows and files of a run, read from the raw store (``cockpit etl rejects``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from etl.run import EtlError
from warehouse.ops_query import ops_sql
from warehouse.settings import Settings


@contextmanager
def open_raw_read_only(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The raw store, read-only, for the ``with`` block.

    Raises:
        EtlError: No run recorded yet, or an ETL run holds the raw store.
    """
    if not settings.raw_db.exists():
        raise EtlError("etl.error.no_runs")
    try:
        con = duckdb.connect(str(settings.raw_db), read_only=True)
    except duckdb.IOException:
        raise EtlError("etl.error.raw_locked") from None
    try:
        yield con
    finally:
        con.close()


def list_rejects(con: duckdb.DuckDBPyConnection, run_id: str | None = None, limit: int | None = None):
    """(run_id, rejects as dicts) for a run (default: the last one).

    Raises:
        EtlError: no run recorded, or no such run.
    """
    if run_id is None:
        row = con.execute(ops_sql("raw_last_run_id")).fetchall()
        if not row:
            raise EtlError("etl.error.no_runs")
        run_id = row[0][0]
    elif not con.execute(ops_sql("raw_run_exists"), {"run_id": run_id}).fetchall():
        raise EtlError("etl.error.run_not_found", run_id=run_id)
    cur = con.execute(ops_sql("raw_run_rejects"), {"run_id": run_id, "limit": limit})
    names = [d[0] for d in cur.description]
    return run_id, [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
