"""The last run's status as a small JSON file, ``data_dir/last_run.json``.

The dashboard must not open the raw store (the ETL holds it read-write, and DuckDB forbids a reader
while a writer is open), so every run ends by writing this file, success or failure. It is written to
a temporary file in the same directory and ``os.replace``d over the old one: a reader sees the old
file or the new one, never half of one. It holds counts and ids only: no personal data.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from warehouse.settings import Settings

STATUS_FILE_NAME = "last_run.json"
SUCCEEDED = "succeeded"
FAILED = "failed"
RUNNING = "running"
COUNT_KEYS = (
    "files_seen",
    "files_loaded",
    "files_skipped",
    "files_rejected",
    "rows_read",
    "rows_loaded",
    "rows_updated",
    "rows_rejected",
    "rows_duplicate",
)


@dataclass
class RunStatus:
    """One run as the dashboard and ``/healthz`` see it.

    Attributes:
        run_id: The ETL's run id (or one made up by the wrapper when the run failed before having one).
        status: ``succeeded`` or ``failed`` (``running`` while a run is in progress).
        trigger: ``cli``, ``scheduler``, ``rebuild``, ``demo`` or ``rollback``.
        started_at: ISO 8601 with offset.
        finished_at: ISO 8601 with offset, None while running.
        counts: Files and rows (see ``COUNT_KEYS``); absent keys are unknown.
        message: A short, non-personal summary or the error's type and message.
        snapshot_version: The version published by the run, if any.
        result: What the run's work returned (e.g. ``etl.run.RunSummary``), in memory only: never
            written to the file.
    """

    run_id: str
    status: str
    trigger: str
    started_at: str
    finished_at: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""
    snapshot_version: str | None = None
    result: Any = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == SUCCEEDED

    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)

    def finished(self) -> datetime | None:
        return datetime.fromisoformat(self.finished_at) if self.finished_at else None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunStatus:
        known = {f.name for f in fields(cls)} - {"result"}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe fields (everything but ``result``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "result"}


def status_path(settings: Settings) -> Path:
    return settings.data_dir / STATUS_FILE_NAME


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` atomically (temporary file, fsync, ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_status(settings: Settings, status: RunStatus) -> Path:
    """Replace ``last_run.json`` with ``status``; returns the file's path."""
    path = status_path(settings)
    write_json_atomic(path, status.to_dict())
    return path


def read_status(settings: Settings) -> RunStatus | None:
    """The last run's status, or None when no run has finished yet (or the file is unreadable)."""
    try:
        data = json.loads(status_path(settings).read_text(encoding="utf-8"))
        return RunStatus.from_dict(data)
    except (OSError, ValueError, TypeError):
        return None
