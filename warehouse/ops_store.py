"""The operators' copy of the run log: ``data_dir/ops.duckdb``.

The operators' page (``/ops``) shows runs, files and rejects, which live in the raw store. The dashboard
must never open the raw store: the ETL holds it read-write while it runs, and DuckDB refuses a reader
while a writer is open (and a reader would block the next run). So every run ends, still under the run
lock, by copying ``etl_runs``, ``etl_files`` and ``rejects`` into a small separate file:

- built as a temporary file next to it, closed, then ``os.replace``d over ``ops.duckdb``: a dashboard
  worker sees the old copy or the new one, never half of one, and never blocks the ETL;
- no personal data: these tables hold ids, file names, counts and messages; ``rejects.raw_value``
  never holds a personal-data column (``warehouse/sql/ddl/raw.sql``).

Why a separate file rather than tables inside the published snapshot: the copy then refreshes after a
failed run too (when nothing is published), and the snapshot's contract stays the warehouse's own.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.ops_query import ops_db_path, ops_sql
from warehouse.settings import Settings

log = logging.getLogger("cockpit.ops")

MAX_RUNS = 200
MAX_FILES = 5000
MAX_REJECTS = 200_000
EXPORT_STEPS = (
    ("export_ops_runs", {"max_runs": MAX_RUNS}),
    ("export_ops_files", {"max_files": MAX_FILES}),
    ("export_ops_rejects", {"max_rejects": MAX_REJECTS}),
)


RUN_FILE_FIELDS = (
    "file_name",
    "file_id",
    "status",
    "entity",
    "rows_read",
    "rows_loaded",
    "rows_updated",
    "rows_rejected",
    "rows_duplicate",
    "reason_code",
    "message_zh",
    "message_en",
)


def run_file_rows(result: Any) -> list[dict[str, Any]]:
    """One row per file of the run's summary (``RunSummary.files``), for ``ops_run_files``."""
    run_id = getattr(result, "run_id", None)
    rows = []
    for item in getattr(result, "files", None) or ():
        row = {name: getattr(item, name, None) for name in RUN_FILE_FIELDS}
        row["run_id"] = run_id
        rows.append(row)
    return rows if run_id else []


def export_ops(settings: Settings, result: Any = None) -> Path | None:
    """Copy the run log, files and rejects from the raw store to ``ops.duckdb`` (atomically).

    Call it while holding the run lock, after the ETL has closed the raw store.

    Args:
        settings: The installation's settings.
        result: The run's summary (``etl.run.RunSummary``): its per-file outcomes are added to the
            per-run file list kept across copies. None for runs without one (rebuild, failure).

    Returns:
        The path written, or None when there is no raw store yet.
    """
    raw = settings.raw_db
    if not raw.exists():
        return None
    target = ops_db_path(settings)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove(tmp)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("attach ? as raw (read_only)", [str(raw)])
        for name, params in EXPORT_STEPS:
            con.execute(ops_sql(name), params)
        con.execute("detach raw")
        con.execute(ops_sql("create_ops_run_files"))
        if target.exists():
            try:
                con.execute("attach ? as prev (read_only)", [str(target)])
                con.execute(ops_sql("carry_ops_run_files"))
                con.execute("detach prev")
            except duckdb.Error as exc:  # an older or damaged copy: start the list afresh
                log.warning("previous ops copy not carried over: %s", exc)
        rows = run_file_rows(result)
        if rows:
            con.executemany(ops_sql("insert_ops_run_file"), rows)
        con.execute(ops_sql("export_ops_meta"), {"exported_at": datetime.now()})
        con.execute("checkpoint")
    except BaseException:
        con.close()
        _remove(tmp)
        raise
    con.close()
    Path(f"{tmp}.wal").unlink(missing_ok=True)
    os.replace(tmp, target)
    return target


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)
