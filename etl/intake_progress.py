"""Live progress of a confirmed intake run: stage, files done of the total, rows read.

The run process (``python -m etl.intake run ID``) reports through a :class:`ProgressRecorder`, which
writes ``staging/uploads/<upload_id>.progress.json`` (its own file: the manifest stays the run's main
thread's alone) for the import page to read. The recorder is a plain callable,
``progress(stage, files_done=None, files_total=None, rows=None)``, and is also ``etl.run.run_etl``'s
progress callback: called with the run's own :class:`etl.run.Progress` event, it translates the run's
stage (read, load, loaded, publish) into the page's.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from etl.run import Progress as RunProgress

# The stages of a confirmed run, in order, and the share of the bar each one starts at: the files'
# loading fills the span from ``loading`` to ``publishing`` one file at a time.
STAGES = {
    "queued": 0,
    "waiting": 0,
    "delivering": 2,
    "reading": 5,
    "loading": 10,
    "publishing": 90,
    "finished": 100,
}
# The run's stages (``etl.run.Progress.stage``) as the page's.
RUN_STAGES = {"read": "reading", "load": "loading", "loaded": "loading", "publish": "publishing"}


@dataclass
class Progress:
    stage: str
    files_done: int = 0
    files_total: int = 0
    rows: int = 0
    updated_at: str = ""

    @property
    def percent(self) -> int:
        """How full the bar is: the stage's start, plus the loaded share of the files while loading."""
        start = STAGES.get(self.stage, 0)
        if self.stage == "loading" and self.files_total:
            span = STAGES["publishing"] - start
            return start + span * min(self.files_done, self.files_total) // self.files_total
        return start


def read_progress(path: Path) -> Progress | None:
    """The last progress written to ``path``, or None (no run yet, or an unreadable file)."""
    try:
        return Progress(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


class ProgressRecorder:
    """Writes each report to ``path`` atomically (thread-safe); also ``run_etl``'s progress callback."""

    def __init__(self, path: Path):
        self.path = path
        self.current = Progress(stage="queued")
        self._lock = threading.Lock()

    def __call__(
        self,
        stage: str | RunProgress | None = None,
        files_done: int | None = None,
        files_total: int | None = None,
        rows: int | None = None,
    ) -> Progress:
        if isinstance(stage, RunProgress):
            event = stage
            stage, files_done, files_total, rows = (
                RUN_STAGES.get(event.stage, event.stage),
                event.files_done,
                event.files_total,
                event.rows_done,
            )
        with self._lock:
            updates = {"stage": stage, "files_done": files_done, "files_total": files_total, "rows": rows}
            for name, value in updates.items():
                if value is not None:
                    setattr(self.current, name, value)
            self.current.updated_at = datetime.now().astimezone().isoformat(timespec="seconds")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(asdict(self.current)), encoding="utf-8")
            os.replace(tmp, self.path)
            return self.current
