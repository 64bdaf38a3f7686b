"""File locks that keep ETL runs and schedulers single.

Two locks, two files, both taken with a non-blocking ``fcntl.flock``:

- the **run lock** (``settings.lock_file``, ``data_dir/etl.lock``) around every run that writes the raw
  store or publishes a snapshot: scheduler jobs, ``cockpit etl run``, the demo's load, a rollback;
- the **scheduler lock** (``data_dir/scheduler.lock``) held for the whole life of a ``cockpit scheduler``
  process, so that a second scheduler refuses to start.

``flock`` locks belong to the open file description: the kernel releases them when the process dies
(even by SIGKILL), so a crashed run never leaves a stale lock behind. The lock file itself is never
deleted (deleting it would let two processes lock two different inodes).
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.errors import UserError
from warehouse.i18n import both
from warehouse.settings import Settings


class LockBusy(UserError):
    """Another process holds the lock: printed as one line (Chinese / English), exit code 2."""

    def __init__(self, key: str, holder: str = "") -> None:
        zh, en = both(key)
        super().__init__(f"{zh} / {en}" + (f" ({holder})" if holder else ""))
        self.key = key
        self.holder = holder


def scheduler_lock_file(settings: Settings) -> Path:
    """The scheduler's own lock file, next to the run lock."""
    return settings.data_dir / "scheduler.lock"


@contextmanager
def file_lock(path: Path, busy_key: str) -> Iterator[Path]:
    """Hold an exclusive, non-blocking ``flock`` on ``path`` for the ``with`` block.

    Args:
        path: The lock file (created if missing, never deleted).
        busy_key: The i18n key of the message raised when another process holds the lock.

    Raises:
        LockBusy: Another process (or another open of the file in this process) holds the lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LockBusy(busy_key, _read_holder(fd)) from None
            raise
        # Record who holds it, for the operator's message; the lock itself is the flock.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid={os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        return os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


@contextmanager
def etl_lock(settings: Settings) -> Iterator[Path]:
    """Hold the run lock: ``with etl_lock(settings): run_etl(settings)``.

    Raises:
        LockBusy: Another ETL run (CLI, scheduler, demo or rollback) is in progress.
    """
    with file_lock(settings.lock_file, "ops.lock.run_busy") as path:
        yield path


@contextmanager
def scheduler_lock(settings: Settings) -> Iterator[Path]:
    """Hold the scheduler lock for the life of a scheduler process.

    Raises:
        LockBusy: Another scheduler is running on the same data directory.
    """
    with file_lock(scheduler_lock_file(settings), "ops.lock.scheduler_busy") as path:
        yield path


def run_lock_held(settings: Settings) -> bool:
    """Whether some process holds the run lock right now (probes without keeping it)."""
    try:
        with file_lock(settings.lock_file, "ops.lock.run_busy"):
            return False
    except LockBusy:
        return True
