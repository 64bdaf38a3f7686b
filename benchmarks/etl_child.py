"""Child processes of the ETL benchmark (run apart so that their peak memory is theirs alone).

python -m benchmarks.etl_child etl DATA_DIR        # one ETL job (run_incremental), as the scheduler runs it
python -m benchmarks.etl_child rebuild DATA_DIR    # the full build of the same raw store (rebuild_snapshot)
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


def time_stages() -> dict[str, float]:
    """Seconds spent in each ingest stage, summed over files (the functions ``etl.run`` calls, wrapped):
    hash, read (transcode, read_csv, byte scans), normalise + validate, load (``apply_valid``)."""
    from etl import readers, run
    from warehouse import incremental

    seconds: dict[str, float] = {}

    def wrap(module, name: str, stage: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)

    wrap(run, "_sha256", "hash")
    wrap(run, "read_source", "read")
    wrap(readers, "_transcode", "read.transcode")
    wrap(readers, "_load_csv", "read.read_csv")
    wrap(readers, "_blank_lines", "read.scans")
    wrap(readers, "_has_edge_spaces", "read.scans")
    wrap(run, "_apply_file", "apply")
    wrap(run, "apply_valid", "apply.load")
    # The incremental publish (warehouse.incremental): its plan, the copy of the published snapshot, the
    # touched partitions of the date- and year-keyed marts, the small tables rebuilt whole.
    wrap(incremental, "plan_build", "publish.plan")
    wrap(incremental, "_copy_base", "publish.copy")
    wrap(incremental, "_refresh_partitions", "publish.partitions")
    wrap(incremental, "_keep_sorted", "publish.partitions")
    wrap(incremental, "_rebuild_whole", "publish.whole")
    return seconds


def etl(data_dir: Path) -> None:
    limit = cap_duckdb_memory()
    stages = time_stages()
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
            **build_path(settings.published_db),
            "seconds_by_entity": _by_entity(summary.files),
            "seconds_by_stage": {
                **{k: round(v, 2) for k, v in sorted(stages.items())},
                # normalise + validate + rejects + bookkeeping of the applied files
                "apply.normalise_validate": round(
                    stages.get("apply", 0.0) - stages.get("apply.load", 0.0), 2
                ),
            },
            "duckdb_memory_limit": limit,
        }
    )


def build_path(published: Path) -> dict:
    """Which path built the published snapshot (``warehouse.build_state``): full or incremental, and
    how many days the incremental build rebuilt."""
    import duckdb

    from warehouse.build_state import DAYS_KEY, MODE_KEY

    if not published.exists():
        return {}
    with duckdb.connect(str(published), read_only=True) as con:
        meta = dict(con.execute("select key, value from snapshot_meta").fetchall())
        days = con.execute("select count(distinct activity_date) from fct_activity").fetchall()[0][0]
    return {
        "publish_path": meta.get(MODE_KEY),
        "days_rebuilt": int(meta[DAYS_KEY]) if DAYS_KEY in meta else None,
        "activity_days": days,
    }


def rebuild(data_dir: Path) -> None:
    """The full build of the raw store as it is (marts + publish, no file read): the incremental
    day's publish side by side with what a full publish of the same data costs."""
    limit = cap_duckdb_memory()
    from etl.jobs import rebuild_snapshot
    from warehouse.settings import load_settings

    settings = load_settings(data_dir=data_dir)
    started = time.perf_counter()
    status = rebuild_snapshot(settings)
    emit_json(
        {
            "status": status.status,
            "seconds": time.perf_counter() - started,
            **build_path(settings.published_db),
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
    elif sys.argv[1] == "rebuild":
        rebuild(Path(sys.argv[2]))
    else:
        read_csv(sys.argv[2:])
