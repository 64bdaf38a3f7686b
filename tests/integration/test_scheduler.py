"""The run lock, the status file, the job wrapper and the scheduler (no real ETL: work is injected)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from etl import jobs, scheduler
from warehouse.locks import LockBusy, etl_lock, run_lock_held, scheduler_lock
from warehouse.run_status import RunStatus, read_status, status_path, write_status
from warehouse.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def hold_lock_in_subprocess(settings: Settings, which: str) -> subprocess.Popen:
    """Another process holding ``etl_lock`` or ``scheduler_lock`` until its stdin closes."""
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from warehouse.locks import {which}
        from warehouse.settings import Settings
        with {which}(Settings(data_dir=Path({str(settings.data_dir)!r}))):
            print("held", flush=True)
            sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def release(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=10)


# Lock -------------------------------------------------------------------------------------


def test_second_run_lock_in_another_process_is_refused_in_both_languages(settings):
    holder = hold_lock_in_subprocess(settings, "etl_lock")
    try:
        with pytest.raises(LockBusy) as info:
            with etl_lock(settings):
                pass
        assert "另一个数据加载正在运行" in str(info.value)
        assert "another ETL run is in progress" in str(info.value)
        assert f"pid={holder.pid}" in str(info.value)
        assert run_lock_held(settings)
    finally:
        release(holder)
    assert not run_lock_held(settings)
    with etl_lock(settings):
        pass


def test_lock_is_released_when_the_holder_is_killed(settings):
    holder = hold_lock_in_subprocess(settings, "etl_lock")
    holder.kill()
    holder.wait(timeout=10)
    with etl_lock(settings):
        assert settings.lock_file.exists()


def test_scheduler_lock_is_separate_from_the_run_lock(settings):
    with scheduler_lock(settings):
        with etl_lock(settings):
            pass
        with pytest.raises(LockBusy, match="另一个调度器正在运行 / another scheduler is running"):
            with scheduler_lock(settings):
                pass


# Status file -------------------------------------------------------------------------------


def test_status_round_trips_and_leaves_no_temporary_file(settings):
    status = RunStatus(run_id="r1", status="succeeded", trigger="cli", started_at="2026-01-01T10:00:00+08:00")
    write_status(settings, status)
    write_status(settings, RunStatus(**{**status.__dict__, "run_id": "r2"}))
    assert read_status(settings).run_id == "r2"
    assert [p.name for p in settings.data_dir.iterdir()] == ["last_run.json"]


def test_missing_or_corrupt_status_reads_as_none(settings):
    assert read_status(settings) is None
    settings.data_dir.mkdir(parents=True)
    status_path(settings).write_text("{not json")
    assert read_status(settings) is None


# Job wrapper -------------------------------------------------------------------------------


class FakeSummary:
    run_id = "run-42"
    status = "succeeded"
    files_seen = 3
    rows_read = 10
    rows_loaded = 7
    rows_rejected = 2
    rows_duplicate = 1
    snapshot_version = "20260101T020000"


def test_successful_run_writes_status_with_counts(settings):
    status = jobs.run_incremental(settings, trigger="cli", work=lambda s: FakeSummary())
    written = json.loads(status_path(settings).read_text())
    assert written["run_id"] == "run-42" == status.run_id
    assert written["status"] == "succeeded"
    assert written["trigger"] == "cli"
    assert written["snapshot_version"] == "20260101T020000"
    assert written["counts"] == {
        "files_seen": 3,
        "rows_read": 10,
        "rows_loaded": 7,
        "rows_rejected": 2,
        "rows_duplicate": 1,
    }
    assert datetime.fromisoformat(written["finished_at"]) >= datetime.fromisoformat(written["started_at"])


def test_failed_run_writes_failed_status_and_reraises(settings):
    def boom(_settings):
        raise ValueError("mart build failed")

    with pytest.raises(ValueError):
        jobs.run_incremental(settings, work=boom)
    status = read_status(settings)
    assert status.status == "failed"
    assert "mart build failed" in status.message
    assert not run_lock_held(settings)


def test_summary_reporting_failure_is_recorded_as_failed(settings):
    status = jobs.rebuild_snapshot(settings, work=lambda s: {"status": "failed", "message": "x"})
    assert status.status == "failed" == read_status(settings).status
    assert read_status(settings).trigger == "rebuild"


def test_run_while_locked_raises_and_writes_nothing(settings):
    holder = hold_lock_in_subprocess(settings, "etl_lock")
    try:
        with pytest.raises(LockBusy):
            jobs.run_incremental(settings, work=lambda s: FakeSummary())
        assert scheduler.load_inbox_job(settings) is None  # the job logs and skips, never raises
    finally:
        release(holder)
    assert read_status(settings) is None


def test_scheduler_jobs_never_raise(settings, monkeypatch):
    def boom(settings, trigger="scheduler"):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "run_incremental", boom)
    assert scheduler.load_inbox_job(settings) is None


# Scheduler ---------------------------------------------------------------------------------


def test_scheduler_has_both_jobs_in_shanghai_time(settings):
    sched = scheduler.build_scheduler(settings.with_(etl_cron="*/30 * * * *", rebuild_hour=2))
    load = sched.get_job(scheduler.LOAD_JOB_ID)
    rebuild = sched.get_job(scheduler.REBUILD_JOB_ID)
    assert str(load.trigger.timezone) == str(rebuild.trigger.timezone) == "Asia/Shanghai"
    # 01:10 in Shanghai is 17:10 UTC the day before: the next rebuild is 02:00 Shanghai, 50 min later.
    now = datetime(2026, 3, 1, 1, 10, tzinfo=SHANGHAI)
    assert rebuild.trigger.get_next_fire_time(None, now) == datetime(2026, 3, 1, 2, 0, tzinfo=SHANGHAI)
    assert load.trigger.get_next_fire_time(None, now) == datetime(2026, 3, 1, 1, 30, tzinfo=SHANGHAI)
    defaults = sched._job_defaults
    assert defaults["coalesce"] is True
    assert defaults["max_instances"] == 1
    assert defaults["misfire_grace_time"] == scheduler.MISFIRE_GRACE_SECONDS


def test_run_now_schedules_the_load_immediately(settings):
    before = datetime.now().astimezone()
    load = scheduler.build_scheduler(settings, run_now=True).get_job(scheduler.LOAD_JOB_ID)
    assert 0 <= (load.next_run_time - before).total_seconds() < 5
    # Without --run-now the trigger decides (the job is not added paused).
    assert not hasattr(scheduler.build_scheduler(settings).get_job(scheduler.LOAD_JOB_ID), "next_run_time")


SLOW_SCHEDULER = """
import sys, time
from pathlib import Path
from etl import jobs, scheduler
from warehouse.settings import Settings

def slow_work(settings):
    print("work started", flush=True)
    time.sleep(float(sys.argv[2]))
    return {"run_id": "slow-run", "status": "succeeded", "rows_read": 5}

real = jobs.run_incremental
jobs.run_incremental = lambda settings, trigger="scheduler": real(settings, trigger, work=slow_work)
sys.exit(scheduler.run_scheduler(Settings(data_dir=Path(sys.argv[1]), etl_cron="0 0 1 1 *"), run_now=True))
"""


def start_slow_scheduler(settings: Settings, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_SCHEDULER, str(settings.data_dir), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    assert proc.stdout.readline().strip() == "work started"
    return proc


def test_sigterm_lets_the_current_run_finish(settings):
    proc = start_slow_scheduler(settings, 2.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    status = read_status(settings)
    assert status.status == "succeeded"
    assert status.run_id == "slow-run"
    assert "scheduler stopped" in proc.stderr.read()


def test_second_sigterm_abandons_the_run_and_records_it(settings):
    proc = start_slow_scheduler(settings, 60.0)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    proc.stderr.close()
    proc.stdout.close()
    status = read_status(settings)
    assert status.status == "failed"
    assert "abandoned" in status.message
    assert not run_lock_held(settings)


def test_second_scheduler_process_refuses_to_start(settings):
    holder = hold_lock_in_subprocess(settings, "scheduler_lock")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cockpit", "scheduler", "--data-dir", str(settings.data_dir)],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=60,
        )
    finally:
        release(holder)
    assert done.returncode == 2
    assert "另一个调度器正在运行 / another scheduler is running" in done.stderr
