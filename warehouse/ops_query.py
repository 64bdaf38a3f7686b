"""Reads of the operators' copy (``data_dir/ops.duckdb``, written by ``warehouse.ops_store``) for ``/ops``.

The copy is a small file replaced whole after every run; each call opens it read-only, reads, and
closes it, so a worker never holds an old copy and never touches the raw store. SQL lives in
``sql/ops/q_*.sql``. Rows come back as plain dicts (ready for dash-ag-grid's ``rowData``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.settings import Settings

SQL_DIR = Path(__file__).resolve().parent / "sql" / "ops"
OPS_DB_NAME = "ops.duckdb"


def ops_sql(name: str) -> str:
    """The text of ``warehouse/sql/ops/<name>.sql`` (the copy's writer in ``warehouse.ops_store`` uses it too)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def ops_db_path(settings: Settings) -> Path:
    return settings.data_dir / OPS_DB_NAME


@contextmanager
def ops_connection(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection on the operators' copy, or None when there is none (yet).

    An in-memory database with the file ATTACHed: ``duckdb.connect(path)`` in a process that opened an
    older file at that path would return DuckDB's cached instance of the replaced file.
    """
    path = ops_db_path(settings)
    con = duckdb.connect()
    try:
        try:
            con.execute("attach ? as ops (read_only)", [str(path)])
            con.execute("use ops")
        except duckdb.Error:
            yield None
            return
        yield con
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    cursor = con.execute(ops_sql(name), params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict]:
    """The most recent runs, newest first."""
    return _rows(con, "q_runs", {"limit": limit})


def run_files(con: duckdb.DuckDBPyConnection, run_id: str | None, limit: int = 2000) -> list[dict]:
    """Per-run file outcomes (``loaded``/``already_loaded``/``rejected``/``failed``); None: all runs."""
    return _rows(con, "q_run_files", {"run_id": run_id, "limit": limit})


def reject_reasons(con: duckdb.DuckDBPyConnection, run_id: str | None) -> list[dict]:
    """Rejected rows per reason code (``reason_code``, ``count_rows``), largest first."""
    return _rows(con, "q_reject_reasons", {"run_id": run_id})


def rejects(con: duckdb.DuckDBPyConnection, run_id: str | None, limit: int = 200_000) -> list[dict]:
    """Rejected rows with file, row, column, reason (zh/en) and the offending value."""
    return _rows(con, "q_rejects", {"run_id": run_id, "limit": limit})


def exported_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the copy was taken (machine-local naive time)."""
    rows = con.execute(ops_sql("q_ops_meta")).fetchall()
    return rows[0][0] if rows else None
