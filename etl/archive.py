"""Loaded inbox files leave the inbox for a dated archive, so that later runs do not read them again.

Every run hashes every inbox file to tell a new file from one loaded before (``etl.run``): a file kept in
the inbox is read in full again each half hour (GBs at the scale of a city). After a real run (not a dry
run nor the web intake's check) a file the run loaded, or found already loaded (its content hash is in
the run log), moves to ``data_dir/archive/<run date>/`` under a unique name; nothing is deleted. Dropped
into the inbox again, the same content is recognised by its hash as already loaded, and archived again.

A file modified less than ``quarantine_settle_seconds`` ago stays for the next run: it may still be being
copied in, and moving it now would archive the rest of the copy unread.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

log = logging.getLogger("cockpit.etl")

ARCHIVE_DIR = "archive"


def free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or ``stem (2).ext``... when a file of that name is already held there."""
    target, n = folder / name, 1
    while target.exists():
        n += 1
        target = folder / f"{Path(name).stem} ({n}){Path(name).suffix}"
    return target


@dataclass(frozen=True)
class Archive:
    """Where a real run moves the inbox files it loaded or found already loaded."""

    data_dir: Path
    run_date: date
    settle_seconds: int

    def keep(self, path: Path) -> Path | None:
        """Move ``path`` into ``data_dir/archive/<run date>/``; the new path, or None when it stays.

        A file still settling, or that cannot be moved, stays in the inbox (nothing is lost: the next run
        finds it already loaded and tries again).
        """
        try:
            if time.time() - path.stat().st_mtime < self.settle_seconds:
                return None
            folder = self.data_dir / ARCHIVE_DIR / self.run_date.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            target = free_name(folder, path.name)
            shutil.move(path, target)
        except OSError as exc:
            log.warning("could not archive %s: %s", path.name, exc)
            return None
        return target
