"""Child processes of the ETL benchmark (run apart so that their peak memory is theirs alone).

python -m benchmarks.etl_child etl DATA_DIR        # one ETL job (run_incremental), as the scheduler runs it
python -m benchmarks.etl_child read_csv FILE...    # DuckDB's bare read_csv of the files (the ceiling)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from benchmarks.common import emit_json


def cap_duckdb_memory() -> str | None:
    """``BENCH_DUCKDB_MEMORY_LIMIT`` (e.g. ``8GB``): every DuckDB connection of this process gets that
    ``memory_limit`` (DuckDB's default is 80% of RAM, too much on a machine shared with other work)."""
    limit = os.environ.get("BENCH_DUCKDB_MEMORY_LIMIT")
    if not limit:
        return None
    import duckdb

    connect = duckdb.connect

    def capped(*args, **kwargs):
        con = connect(*args, **kwargs)
        con.execute(f"set memory_limit = '{limit}'")
        return con

    duckdb.connect = capped
    return limit


def etl(data_dir: Path) -> None:
    limit = cap_duckdb_memory()
    from etl.jobs import run_incremental
    from warehouse.settings import load_settings

    settings = load_settings(data_dir=data_dir)
    started = time.perf_counter()
    status = run_incremental(settings, trigger="bench")
    seconds = time.perf_counter() - started
    summary = status.result
    files = [f for f in summary.files if f.status != "already_loaded"]
    load_seconds = sum(f.seconds for f in summary.files)
    emit_json(
        {
            "status": status.status,
            "seconds": seconds,
            "load_seconds": load_seconds,
            "publish_seconds": max(0.0, seconds - load_seconds),
            "files_loaded": len(files),
            "files_skipped": len(summary.files) - len(files),
            "rows_read": summary.rows_read,
            "rows_loaded": summary.rows_loaded,
            "rows_rejected": summary.rows_rejected,
            "activity_rows_read": summary.entities.get("activities").rows_read
            if "activities" in summary.entities
            else 0,
            "snapshot_version": summary.snapshot_version,
            "seconds_by_entity": _by_entity(summary.files),
            "duckdb_memory_limit": limit,
        }
    )


def _by_entity(files) -> dict[str, float]:
    out: dict[str, float] = {}
    for f in files:
        key = f.entity or "unknown"
        out[key] = round(out.get(key, 0.0) + f.seconds, 2)
    return out


def read_csv(paths: list[str]) -> None:
    """Each file into a table with ``read_csv``, all VARCHAR (GB18030 files read as latin-1 bytes: DuckDB
    has no GB18030 decoder, and latin-1 passes every byte through at no cost)."""
    cap_duckdb_memory()
    import duckdb

    con = duckdb.connect()
    rows = 0
    started = time.perf_counter()
    for i, path in enumerate(paths):
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as exc:
            encoding = "utf-8" if exc.start > len(head) - 4 else "latin-1"
        con.execute(
            f"create table t{i} as select * from read_csv(?, encoding='{encoding}', all_varchar=true, header=true)",
            [path],
        )
        rows += con.execute(f"select count(*) from t{i}").fetchall()[0][0]
        con.execute(f"drop table t{i}")
    emit_json({"seconds": time.perf_counter() - started, "rows": rows})


if __name__ == "__main__":
    if sys.argv[1] == "etl":
        etl(Path(sys.argv[2]))
    else:
        read_csv(sys.argv[2:])
