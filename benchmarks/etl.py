"""ETL benchmark: full load, incremental load (one more day of exports), and DuckDB's bare read_csv.

Every measured step runs in its own child process; its peak memory is the child's ``ru_maxrss``
(``os.wait4``). The full ETL is one ``run_incremental`` job (read, validate, load with history, build
marts, publish) on an empty data dir whose inbox holds the scale's exports (hard links, no copy); the
incremental ETL is the next job after the next day's files arrive (the earlier files were archived by the
full run: only the new ones are read; the publish rebuilds the days they touched, ``warehouse.incremental``,
and reports which path ran); then the full build of the same raw store (``rebuild_snapshot``), for the
incremental publish side by side with a full one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import cockpit_env, dir_bytes, parse_child_json
from benchmarks.data import export_files, scale_dir, write_next_day


def run_measured(args: list[str], timeout: float | None = None) -> dict:
    """Run ``python -m benchmarks.etl_child ARGS``: its JSON result, wall seconds and its own peak RSS (``os.wait4``)."""
    started = time.perf_counter()
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-child-{os.getpid()}-{time.monotonic_ns()}.out"
    with out_path.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.etl_child", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            # The bench's exports are complete when linked in: archive them after the full run (etl.archive)
            # rather than wait for them to settle, as a scheduler's next run would.
            env=cockpit_env({"COCKPIT_QUARANTINE_SETTLE_SECONDS": "0"}),
        )
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.monotonic() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                process.returncode = -9
                out_path.unlink(missing_ok=True)
                return {"timeout_s": timeout}
            time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(errors="replace")
    out_path.unlink(missing_ok=True)
    result = parse_child_json(stdout) if process.returncode == 0 else {"error": stdout[-3000:]}
    result["wall_seconds"] = round(time.perf_counter() - started, 3)
    result["max_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


def link_inbox(files: list[Path], inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for path in files:
        target = inbox / path.name
        try:
            os.link(path, target)
        except OSError:
            target.symlink_to(path)


def bench_etl(
    scale: int,
    timeout: float | None = None,
    shape: str = "districts",
    ceiling_timeout: float | None = None,
    incremental_timeout: float | None = None,
    on_step=None,
) -> dict:
    """Full and incremental ETL of the scale's exports, and the bare read_csv ceiling of the same files.

    Leaves the data dir (with its published snapshot) at ``scale_dir(scale, shape) / "cockpit"`` for the
    dashboard benchmarks.
    """
    files = export_files(scale, shape)
    data_dir = scale_dir(scale, shape) / "cockpit"
    shutil.rmtree(data_dir, ignore_errors=True)
    link_inbox(files, data_dir / "inbox")
    input_bytes = sum(p.stat().st_size for p in files)

    # The ceiling reads the CSV files (DuckDB's read_csv has no xlsx reader; the xlsx exports are small).
    csv_files = [p for p in files if p.suffix == ".csv"]
    ceiling = run_measured(["read_csv", *map(str, csv_files)], timeout=ceiling_timeout or timeout)
    save = on_step or (lambda partial: None)
    save({"input_bytes": input_bytes, "files": len(files), "read_csv": ceiling})
    full = run_measured(["etl", str(data_dir)], timeout=timeout)
    result: dict = {"input_bytes": input_bytes, "files": len(files), "read_csv": ceiling, "full": full}
    save(result)
    if "error" in full or "timeout_s" in full:
        return result
    published = data_dir / "published.duckdb"
    result["snapshot_bytes"] = published.stat().st_size if published.exists() else None
    result["raw_store_bytes"] = (data_dir / "raw.duckdb").stat().st_size

    next_day = write_next_day(scale_dir(scale, shape) / "exports", scale_dir(scale, shape) / "next_day")
    link_inbox(next_day, data_dir / "inbox")
    result["incremental"] = run_measured(["etl", str(data_dir)], timeout=incremental_timeout or timeout)
    result["incremental"]["new_bytes"] = sum(p.stat().st_size for p in next_day)
    result["snapshot_bytes_after_incremental"] = published.stat().st_size if published.exists() else None
    result["rebuild"] = run_measured(["rebuild", str(data_dir)], timeout=incremental_timeout or timeout)
    incremental, rebuilt = result["incremental"], result["rebuild"]
    if incremental.get("days_rebuilt") and "seconds" in rebuilt and incremental.get("activity_days"):
        # Per day (partition): what the incremental publish costs per day it rebuilt (its fixed part,
        # the copy of the snapshot, included) and what a full build costs per day of data.
        incremental["publish_s_per_day"] = round(
            incremental["publish_seconds"] / incremental["days_rebuilt"], 3
        )
        rebuilt["s_per_day"] = round(rebuilt["seconds"] / incremental["activity_days"], 4)
    result["data_dir_bytes"] = dir_bytes(data_dir) - input_bytes
    for key in ("full", "incremental"):
        run = result[key]
        if "seconds" in run:
            run["rows_per_s"] = round(run["rows_read"] / run["seconds"]) if run["seconds"] else None
            run["mb_per_s"] = round(input_bytes / 1e6 / run["seconds"], 1) if key == "full" else None
    if "seconds" in ceiling and "seconds" in full:
        ceiling["rows_per_s"] = round(ceiling["rows"] / ceiling["seconds"])
        ceiling["mb_per_s"] = round(sum(p.stat().st_size for p in csv_files) / 1e6 / ceiling["seconds"], 1)
        result["etl_vs_read_csv"] = round(ceiling["seconds"] / full["seconds"], 3)
    return result
