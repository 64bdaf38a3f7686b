"""``cockpit etl run`` and ``cockpit etl rejects``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

from warehouse.i18n import both
from warehouse.settings import Settings


def register(sub) -> None:
    """Add the ``etl`` command group to the ``cockpit`` parser."""
    etl = sub.add_parser("etl", help="load exports into the raw store / 导入数据")
    etl_sub = etl.add_subparsers(dest="etl_command", required=True)

    run = etl_sub.add_parser("run", help="load the inbox, then publish a snapshot / 导入收件目录并发布")
    run.add_argument("--inbox", type=Path, default=None, help="directory to read (default: data_dir/inbox)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--data-dir", type=Path, default=None)
    run.add_argument("--no-publish", action="store_true", help="load only; do not publish a snapshot")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="report what loading would do, change nothing / 试导入，不改动数据",
    )
    run.set_defaults(func=cmd_run)

    rejects = etl_sub.add_parser("rejects", help="list rejected rows and files / 查看拒收记录")
    rejects.add_argument("--run", dest="run_id", default=None, help="run id (default: the last run)")
    rejects.add_argument("--json", action="store_true", help="print as JSON")
    rejects.add_argument("--limit", type=int, default=None, help="show at most this many rows")
    rejects.add_argument("--data-dir", type=Path, default=None)
    rejects.set_defaults(func=cmd_rejects)


def cmd_run(args, settings: Settings) -> int:
    """Run the ETL under the run lock; exit 0 when the run completed (rejects included)."""
    from etl.jobs import guarded_run
    from etl.lock import etl_lock
    from etl.run import EtlError, dry_run, run_etl

    inbox = args.inbox or settings.inbox
    if not inbox.is_dir():  # checked before taking the lock: nothing to record for a run that never started
        raise EtlError("etl.error.inbox_missing", path=str(inbox))
    box: dict = {}

    # Progress only for a person at a terminal: --json output and logs stay machine-readable.
    show = None if args.json or not sys.stderr.isatty() else progress_line(sys.stderr)

    def work(s: Settings):
        kwargs = {"publish": None} if args.no_publish else {}
        box["summary"] = run_etl(s, inbox=args.inbox, trigger="cli", progress=show, **kwargs)
        return box["summary"]

    try:
        if args.dry_run:  # under the run lock, so that the raw store is not copied in the middle of a run
            with etl_lock(settings):
                box["summary"] = dry_run(settings, inbox=args.inbox, progress=show)
        else:
            guarded_run(settings, "cli", work, recover=not args.no_publish)
    finally:
        if show is not None:
            sys.stderr.write("\n")
    summary = box["summary"]
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(summary.describe())
    return 0 if summary.status == "succeeded" else 1


def progress_line(stream):
    """A progress callback for ``run_etl`` rewriting one line of ``stream`` (a terminal) in place."""

    def show(event) -> None:
        zh, en = both(
            f"readers.progress.{event.stage}",
            file=event.file_name or "",
            done=event.files_done + (event.stage in ("read", "load")),
            total=event.files_total,
            rows=f"{event.rows_done:,}",
        )
        stream.write("\r\x1b[2K" + f"{zh} / {en}"[:200])
        stream.flush()

    return show


def _open_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    from etl.run import EtlError

    if not settings.raw_db.exists():
        raise EtlError("etl.error.no_runs")
    try:
        return duckdb.connect(str(settings.raw_db), read_only=True)
    except duckdb.IOException:
        raise EtlError("etl.error.raw_locked") from None


def list_rejects(con: duckdb.DuckDBPyConnection, run_id: str | None = None, limit: int | None = None):
    """(run_id, rejects as dicts) for a run (default: the last one).

    Raises:
        EtlError: no run recorded, or no such run.
    """
    from etl.run import EtlError

    if run_id is None:
        row = con.execute("select run_id from etl_runs order by started_at desc limit 1").fetchall()
        if not row:
            raise EtlError("etl.error.no_runs")
        run_id = row[0][0]
    elif not con.execute("select 1 from etl_runs where run_id = ?", [run_id]).fetchall():
        raise EtlError("etl.error.run_not_found", run_id=run_id)
    cur = con.execute(
        """select file_name, source_row, column_name, reason_code, message_zh, message_en, raw_value, entity
           from rejects where run_id = ? order by file_name, source_row nulls first, column_name
           limit coalesce(?, 9223372036854775807)""",
        [run_id, limit],
    )
    names = [d[0] for d in cur.description]
    return run_id, [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def cmd_rejects(args, settings: Settings) -> int:
    """Print the rejects of a run: file, row, column, reason, message."""
    con = _open_read_only(settings)
    try:
        run_id, rows = list_rejects(con, args.run_id, args.limit)
    finally:
        con.close()
    if args.json:
        print(json.dumps({"run_id": run_id, "rejects": rows}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(" / ".join(both("etl.cli.no_rejects")) + f"  ({run_id})")
        return 0
    print(run_id)
    for r in rows:
        where = r["file_name"] if r["source_row"] is None else f"{r['file_name']}:{r['source_row']}"
        column = r["column_name"] or "—"
        print(f"{where}\t{column}\t{r['reason_code']}\t{r['message_zh']} / {r['message_en']}")
    return 0
