"""Jobs: every ETL run, wrapped with the run lock, the status file and the operators' copy.

A job is a plain function of the settings, testable without the scheduler:

- :func:`run_incremental` loads the inbox (``etl.run.run_etl``): the scheduler's half-hourly job,
  ``cockpit etl run`` and the demo's load;
- :func:`rebuild_snapshot` rebuilds the snapshot from the raw store (marts + publish) without re-reading
  any file: the nightly job.

Each one, through :func:`guarded_run`:

1. takes the run lock (``warehouse.locks.etl_lock``) without waiting: a second run raises
   :class:`warehouse.locks.LockBusy` (Chinese / English message, exit code 2 on the CLI);
2. runs the work and logs one line with its counts (no personal data: ids and counts only);
3. copies the run log, files and rejects to ``data_dir/ops.duckdb`` (``warehouse.ops_store``) while it still
   holds the lock, so that the operators' page never opens the raw store;
4. writes ``data_dir/last_run.json`` atomically, success or failure (``warehouse.run_status``).

A failure is recorded and re-raised; the published snapshot is untouched by a failed run because the
publish step builds a new file and ``os.replace``s it only when it is complete.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from etl import recovery
from etl.run import run_etl
from warehouse import ops_store
from warehouse.locks import etl_lock
from warehouse.publish import publish_snapshot
from warehouse.run_status import COUNT_KEYS, FAILED, SUCCEEDED, RunStatus, read_status, write_status
from warehouse.settings import Settings

log = logging.getLogger("cockpit.jobs")

Work = Callable[[Settings], Any]


def now_local() -> datetime:
    """The current time with the machine's UTC offset (ISO strings in the status file carry it)."""
    return datetime.now().astimezone()


def _attr(result: Any, name: str) -> Any:
    if isinstance(result, dict):
        return result.get(name)
    return getattr(result, name, None)


def summarise(result: Any) -> dict[str, Any]:
    """Pull run id, status, counts and snapshot version out of whatever the work returned.

    The ETL's summary object and the publish step's result are owned by other modules; this reads the
    attributes (or dict keys) it knows and ignores the rest, so either can grow without breaking the job.
    """
    counts = {}
    for key in COUNT_KEYS:
        value = _attr(result, key)
        if isinstance(value, int) and not isinstance(value, bool):
            counts[key] = value
    version = _attr(result, "snapshot_version") or _attr(result, "version")
    snapshot = _attr(result, "snapshot")
    if version is None and snapshot is not None:
        version = _attr(snapshot, "version")
    status = _attr(result, "status")
    return {
        "run_id": _attr(result, "run_id"),
        "status": status if status in (SUCCEEDED, FAILED) else SUCCEEDED,
        "counts": counts,
        "snapshot_version": str(version) if version is not None else None,
        "message": _attr(result, "message") or "",
    }


def guarded_run(settings: Settings, trigger: str, work: Work, recover: bool = True) -> RunStatus:
    """Run ``work(settings)`` under the run lock and record its outcome.

    Args:
        settings: The installation's settings.
        trigger: ``cli``, ``scheduler``, ``rebuild``, ``demo`` or ``rollback`` (for the status and logs).
        work: The function doing the run; its return value is read by :func:`summarise`.
        recover: After a killed or failed previous run, publish when the run itself published nothing
            but the raw store holds loads the published snapshot lacks (``etl.recovery``). False for
            runs that must not publish (``cockpit etl run --no-publish``).

    Returns:
        The status written to ``last_run.json``.

    Raises:
        warehouse.locks.LockBusy: Another run holds the lock (nothing is written in that case).
        Exception: Whatever ``work`` raised, after the failure has been recorded.
    """
    with etl_lock(settings):
        started = now_local()
        clock = time.monotonic()
        log.info("run start trigger=%s", trigger)
        try:
            previous = read_status(settings)
            interrupted = recovery.close_interrupted_runs(settings)
            result = work(settings)
            if recover and (interrupted or (previous is not None and previous.status == FAILED)):
                _publish_if_behind(settings, result)
        except BaseException as exc:
            # BaseException too: SIGTERM (SystemExit) or Ctrl-C mid-run is recorded as a failed run.
            status = RunStatus(
                run_id=f"failed-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}",
                status=FAILED,
                trigger=trigger,
                started_at=started.isoformat(timespec="seconds"),
                finished_at=now_local().isoformat(timespec="seconds"),
                message=f"{type(exc).__name__}: {exc}"[:500],
            )
            log.error(
                "run failed trigger=%s seconds=%.1f error=%s",
                trigger,
                time.monotonic() - clock,
                status.message,
                exc_info=not isinstance(exc, KeyboardInterrupt | SystemExit),
            )
            _finish(settings, status, None)
            raise
        _log_files(result)
        summary = summarise(result)
        status = RunStatus(
            run_id=summary["run_id"] or f"{trigger}-{started:%Y%m%dT%H%M%S}",
            status=summary["status"],
            trigger=trigger,
            started_at=started.isoformat(timespec="seconds"),
            finished_at=now_local().isoformat(timespec="seconds"),
            counts=summary["counts"],
            message=summary["message"][:500],
            snapshot_version=summary["snapshot_version"],
            result=result,
        )
        counts = " ".join(f"{k}={v}" for k, v in status.counts.items())
        log.log(
            logging.INFO if status.ok else logging.ERROR,
            "run %s trigger=%s run_id=%s seconds=%.1f snapshot=%s %s",
            status.status,
            trigger,
            status.run_id,
            time.monotonic() - clock,
            status.snapshot_version,
            counts,
        )
        _finish(settings, status, result)
        return status


def _publish_if_behind(settings: Settings, result: Any) -> None:
    """Publish what an earlier, interrupted run loaded but never published (see ``etl.recovery``)."""
    summary = summarise(result)
    if (
        summary["status"] != SUCCEEDED
        or summary["snapshot_version"]
        or not recovery.snapshot_behind(settings)
    ):
        return
    run_id = summary["run_id"] or uuid.uuid4().hex
    version = publish_snapshot(settings.raw_db, settings, run_id)
    log.warning("published %s: loads of an interrupted run had not been published", version)
    if isinstance(result, dict):
        result["snapshot_version"] = version
    else:
        result.snapshot_version = version


def _log_files(result: Any) -> None:
    """One line per file of the run (file name, outcome, counts; never a cell value).

    Files skipped as already loaded are logged at DEBUG: a file still settling stays in the inbox until a
    later run archives it (``etl.archive``), and a line each half hour would bury the lines that matter.
    """
    for item in _attr(result, "files") or ():
        log.log(
            logging.DEBUG if _attr(item, "status") == "already_loaded" else logging.INFO,
            "file %s status=%s entity=%s rows_read=%s loaded=%s rejected=%s duplicate=%s%s",
            _attr(item, "file_name"),
            _attr(item, "status"),
            _attr(item, "entity"),
            _attr(item, "rows_read"),
            _attr(item, "rows_loaded"),
            _attr(item, "rows_rejected"),
            _attr(item, "rows_duplicate"),
            f" reason={_attr(item, 'reason_code')}" if _attr(item, "reason_code") else "",
        )


def _finish(settings: Settings, status: RunStatus, result: Any) -> None:
    """Refresh the operators' copy, then the status file; neither may hide the run's own outcome."""
    try:
        ops_store.export_ops(settings, result)
    except Exception as exc:  # the run itself is done; the copy is refreshed by the next run
        log.warning("ops copy not refreshed: %s: %s", type(exc).__name__, exc)
    write_status(settings, status)


def _incremental_work(trigger: str) -> Work:
    def work(settings: Settings):
        return run_etl(settings, trigger=trigger)

    return work


def _rebuild_work(settings: Settings) -> dict[str, Any]:
    run_id = uuid.uuid4().hex
    version = publish_snapshot(settings.raw_db, settings, run_id)
    return {"run_id": f"rebuild-{run_id[:8]}", "status": SUCCEEDED, "snapshot_version": version}


def run_incremental(settings: Settings, trigger: str = "scheduler", work: Work | None = None) -> RunStatus:
    """Load new files from the inbox, build and publish (under the run lock, with the status recorded).

    Args:
        settings: The installation's settings.
        trigger: Who asked: ``scheduler``, ``cli`` or ``demo``.
        work: Replaces ``etl.run.run_etl`` (tests).

    Raises:
        warehouse.locks.LockBusy: Another run is in progress.
    """
    return guarded_run(settings, trigger, work or _incremental_work(trigger))


def rebuild_snapshot(settings: Settings, work: Work | None = None) -> RunStatus:
    """Rebuild marts and publish a new snapshot from the raw store, reading no file.

    Args:
        settings: The installation's settings.
        work: Replaces ``warehouse.publish.publish_snapshot`` (tests).

    Raises:
        warehouse.locks.LockBusy: Another run is in progress.
    """
    return guarded_run(settings, "rebuild", work or _rebuild_work)
