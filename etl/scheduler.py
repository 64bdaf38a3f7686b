"""``cockpit scheduler``: the refresh schedule, as its own process.

APScheduler 3.x ``BlockingScheduler`` with two jobs, both in ``settings.timezone`` (Asia/Shanghai; the
zone is passed to each trigger too, since a trigger built directly uses the machine's zone otherwise):

- ``load_inbox``: ``etl.jobs.run_incremental`` on ``settings.etl_cron`` (default every 30 minutes);
- ``rebuild_snapshot``: ``etl.jobs.rebuild_snapshot`` every night at ``settings.rebuild_hour`` (02:00).

Jobs coalesce, never overlap (``max_instances=1``) and may start up to ``MISFIRE_GRACE_SECONDS`` late.
Two locks keep work single across processes (``warehouse.locks``): the scheduler lock (a second scheduler on the
same data directory refuses to start, exit code 2) and the run lock around each run (a job finding a
``cockpit etl run`` in progress logs that it skipped and waits for its next turn).

SIGTERM or SIGINT: no new run starts; a run in progress is allowed to finish, then the process exits 0.
A second signal abandons the run at once (exit 143): that is safe, because the published snapshot is
only ever replaced whole (``os.replace`` of a complete file) and a killed run leaves it untouched.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from etl import jobs
from warehouse.i18n import both
from warehouse.locks import LockBusy, scheduler_lock
from warehouse.run_status import FAILED, RunStatus, write_status
from warehouse.settings import Settings

log = logging.getLogger("cockpit.scheduler")

MISFIRE_GRACE_SECONDS = 300
LOAD_JOB_ID = "load_inbox"
REBUILD_JOB_ID = "rebuild_snapshot"
# Marks the one stderr handler this module installs, so configure_logging stays idempotent.
LOG_HANDLER_NAME = "cockpit-stderr"
# Jobs in progress in this process, kept by the jobs themselves: the second signal reads it to know
# whether a run is being abandoned.
_RUNNING_JOBS: set[str] = set()
_RUNNING_LOCK = threading.Lock()


@dataclass(frozen=True)
class ExtraJob:
    """A job the composition root adds (e.g. the briefings, which live above etl/): ``run(settings)`` on
    ``cron``. The scheduler runs it like its own jobs, in the same zone, coalesced, never overlapping."""

    job_id: str
    name: str
    cron: str
    run: Callable[[Settings], object]


def configure_logging() -> None:
    """One line per event on stderr, with time and logger name (idempotent)."""
    root = logging.getLogger()
    if not any(h.get_name() == LOG_HANDLER_NAME for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.set_name(LOG_HANDLER_NAME)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def load_inbox_job(settings: Settings) -> RunStatus | None:
    """The half-hourly job: load the inbox. Never raises (the scheduler must keep running).

    Returns:
        The run's status, or None when it was skipped or failed.
    """
    return _job(settings, LOAD_JOB_ID, lambda: jobs.run_incremental(settings, trigger="scheduler"))


def rebuild_snapshot_job(settings: Settings) -> RunStatus | None:
    """The nightly job: rebuild marts and publish from the raw store. Never raises."""
    return _job(settings, REBUILD_JOB_ID, lambda: jobs.rebuild_snapshot(settings))


def _job(settings: Settings, job_id: str, run) -> RunStatus | None:
    with _RUNNING_LOCK:
        _RUNNING_JOBS.add(job_id)
    try:
        return run()
    except LockBusy:
        log.warning("job %s skipped: another run holds the run lock", job_id)
    except Exception:
        # guarded_run has logged the error with its context and written last_run.json.
        log.error("job %s failed; next attempt on schedule", job_id)
    finally:
        with _RUNNING_LOCK:
            _RUNNING_JOBS.discard(job_id)
    return None


def build_scheduler(
    settings: Settings, run_now: bool = False, extra_jobs: Sequence[ExtraJob] = ()
) -> BlockingScheduler:
    """The scheduler with both jobs and ``extra_jobs`` added (not started): inspectable without running."""
    zone = settings.timezone
    scheduler = BlockingScheduler(
        timezone=zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    # next_run_time=None would add the job paused: pass it only to run at once.
    first_run = {"next_run_time": datetime.now().astimezone()} if run_now else {}
    scheduler.add_job(
        load_inbox_job,
        CronTrigger.from_crontab(settings.etl_cron, timezone=zone),
        args=[settings],
        id=LOAD_JOB_ID,
        name="load inbox",
        **first_run,
    )
    scheduler.add_job(
        rebuild_snapshot_job,
        CronTrigger(hour=settings.rebuild_hour, minute=0, timezone=zone),
        args=[settings],
        id=REBUILD_JOB_ID,
        name="rebuild snapshot",
    )
    for job in extra_jobs:
        scheduler.add_job(
            job.run,
            CronTrigger.from_crontab(job.cron, timezone=zone),
            args=[settings],
            id=job.job_id,
            name=job.name,
        )
    scheduler.add_listener(_on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _on_event(event) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run time %s", event.job_id, event.scheduled_run_time)
    else:
        log.error("job %s raised %s", event.job_id, type(event.exception).__name__)


class GracefulStop:
    """SIGTERM/SIGINT handling: first signal finishes the current run, the second abandons it."""

    def __init__(self, settings: Settings, scheduler: BlockingScheduler) -> None:
        self.settings = settings
        self.scheduler = scheduler
        self.signals = 0
        self.stopper: threading.Thread | None = None

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.handle)
        signal.signal(signal.SIGINT, self.handle)

    def handle(self, signum, _frame) -> None:
        self.signals += 1
        if self.signals == 1:
            log.info("signal %s: no new runs; waiting for a run in progress to finish", signum)
            # shutdown(wait=True) joins the job thread; run it off the signal handler's frame.
            self.stopper = threading.Thread(target=self._shutdown, name="scheduler-shutdown", daemon=True)
            self.stopper.start()
            return
        log.warning("signal %s again: abandoning the run in progress", signum)
        self.abandon()

    def _shutdown(self) -> None:
        try:
            self.scheduler.shutdown(wait=True)
        except Exception as exc:  # already stopped
            log.info("scheduler shutdown: %s", exc)

    def abandon(self) -> None:
        """Exit now. The raw store's open transaction is rolled back by DuckDB on next open."""
        if jobs_running():
            now = jobs.now_local().isoformat(timespec="seconds")
            write_status(
                self.settings,
                RunStatus(
                    run_id=f"abandoned-{datetime.now():%Y%m%dT%H%M%S}",
                    status=FAILED,
                    trigger="scheduler",
                    started_at=now,
                    finished_at=now,
                    message="abandoned on signal",
                ),
            )
        logging.shutdown()
        os._exit(143)


def jobs_running() -> bool:
    """Whether a job of this process is in progress (APScheduler 3 has no public API for it)."""
    with _RUNNING_LOCK:
        return bool(_RUNNING_JOBS)


def run_scheduler(settings: Settings, run_now: bool = False, extra_jobs: Sequence[ExtraJob] = ()) -> int:
    """Run the scheduler until SIGTERM/SIGINT; refuses (LockBusy) if another one runs on the same data.

    Returns:
        The process exit code (0 after a clean stop).
    """
    configure_logging()
    # An operator drops files into the inbox; a missing one would fail every run until created.
    settings.inbox.mkdir(parents=True, exist_ok=True)
    with scheduler_lock(settings):
        scheduler = build_scheduler(settings, run_now=run_now, extra_jobs=extra_jobs)
        stop = GracefulStop(settings, scheduler)
        stop.install()
        for job in scheduler.get_jobs():
            log.info("job %s trigger=%s", job.id, job.trigger)
        log.info("scheduler started pid=%s timezone=%s", os.getpid(), settings.timezone)
        print(" / ".join(both("ops.scheduler.started", pid=os.getpid())), file=sys.stderr)
        scheduler.start()
        if stop.stopper is not None:
            # The main loop ends as soon as the state is STOPPED; the run in progress may still be going.
            stop.stopper.join()
        log.info("scheduler stopped")
    return 0
