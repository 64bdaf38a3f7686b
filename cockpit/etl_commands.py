"""``cockpit etl run`` and ``cockpit etl rejects``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cockpit.options import current_settings, data_dir_option
from etl.jobs import guarded_run
from etl.rejects import list_rejects, open_raw_read_only
from etl.run import EtlError, run_etl
from etl.run import dry_run as check_inbox
from warehouse.i18n import both
from warehouse.locks import etl_lock
from warehouse.settings import Settings


@click.group("etl", help="load exports into the raw store / 导入数据")
@data_dir_option
def etl_group() -> None:
    """``cockpit etl …``"""


@etl_group.command("run", help="load the inbox, then publish a snapshot / 导入收件目录并发布")
@click.option(
    "--inbox",
    type=click.Path(path_type=Path),
    default=None,
    help="directory to read (default: data_dir/inbox)",
)
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@data_dir_option
@click.option("--no-publish", is_flag=True, help="load only; do not publish a snapshot")
@click.option(
    "--dry-run", is_flag=True, help="report what loading would do, change nothing / 试导入，不改动数据"
)
def run_command(inbox: Path | None, as_json: bool, no_publish: bool, dry_run: bool) -> int:
    """Run the ETL under the run lock; exit 0 when the run completed (rejects included)."""
    settings = current_settings()
    if not (inbox or settings.inbox).is_dir():
        # Checked before taking the lock: nothing to record for a run that never started.
        raise EtlError("etl.error.inbox_missing", path=str(inbox or settings.inbox))
    box: dict = {}
    # Progress only for a person at a terminal: --json output and logs stay machine-readable.
    show = None if as_json or not sys.stderr.isatty() else progress_line(sys.stderr)

    def work(s: Settings):
        kwargs = {"publish": None} if no_publish else {}
        box["summary"] = run_etl(s, inbox=inbox, trigger="cli", progress=show, **kwargs)
        return box["summary"]

    try:
        if dry_run:  # under the run lock, so that the raw store is not copied in the middle of a run
            with etl_lock(settings):
                box["summary"] = check_inbox(settings, inbox=inbox, progress=show)
        else:
            guarded_run(settings, "cli", work, recover=not no_publish)
    finally:
        if show is not None:
            sys.stderr.write("\n")
    summary = box["summary"]
    if as_json:
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


@etl_group.command("rejects", help="list rejected rows and files / 查看拒收记录")
@click.option("--run", "run_id", default=None, help="run id (default: the last run)")
@click.option("--json", "as_json", is_flag=True, help="print as JSON")
@click.option("--limit", type=int, default=None, help="show at most this many rows")
@data_dir_option
def rejects_command(run_id: str | None, as_json: bool, limit: int | None) -> int:
    """Print the rejects of a run: file, row, column, reason, message."""
    with open_raw_read_only(current_settings()) as con:
        run_id, rows = list_rejects(con, run_id, limit)
    if as_json:
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


COMMANDS = (etl_group,)
