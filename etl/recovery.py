"""Recovery after a run was killed (SIGKILL, power loss) part-way.

A killed run leaves two traces, both handled here at the start of the next run, under the run lock:

- its ``etl_runs`` row still says ``running``: :func:`close_interrupted_runs` marks it ``failed``;
- files it committed to the raw store before dying (each file is its own transaction) may never have
  been published, and the next run would skip them as "already loaded" and publish nothing:
  :func:`snapshot_behind` compares the raw store's newest load per entity with the published snapshot's
  ``snapshot_as_of`` (the same numbers, copied at build time: no clocks compared), and the job publishes
  when they differ.

The published snapshot itself needs no repair: it is only ever replaced whole.
"""

from __future__ import annotations

import logging

import duckdb

from warehouse.ops_query import ops_sql
from warehouse.settings import Settings

log = logging.getLogger("cockpit.recovery")

INTERRUPTED = "interrupted: the process stopped before the run finished / 运行中断"


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute("select count(*) from duckdb_tables() where table_name = ?", [name]).fetchall()
    return rows[0][0] > 0


def close_interrupted_runs(settings: Settings) -> list[str]:
    """Mark runs still ``running`` as failed; call only while holding the run lock.

    Returns:
        The run ids marked.
    """
    if not settings.raw_db.exists():
        return []
    con = duckdb.connect(str(settings.raw_db))
    try:
        if not _has_table(con, "etl_runs"):
            return []
        ids = [
            r[0] for r in con.execute(ops_sql("mark_interrupted_runs"), {"message": INTERRUPTED}).fetchall()
        ]
    finally:
        con.close()
    for run_id in ids:
        log.warning("run %s was interrupted; marked failed", run_id)
    return ids


def _as_of(path, query: str, table: str) -> dict[str, object] | None:
    con = duckdb.connect()
    try:
        con.execute("attach ? as db (read_only)", [str(path)])
        con.execute("use db")
        if not _has_table(con, table):
            return None
        return dict(con.execute(ops_sql(query)).fetchall())
    finally:
        con.close()


def snapshot_behind(settings: Settings) -> bool:
    """Whether the raw store holds loaded files that the published snapshot has not seen."""
    if not settings.raw_db.exists() or not settings.published_db.exists():
        return False
    raw = _as_of(settings.raw_db, "raw_as_of", "etl_files") or {}
    published = _as_of(settings.published_db, "published_as_of", "snapshot_as_of") or {}
    return raw != published
