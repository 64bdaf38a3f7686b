"""Live progress of a confirmed intake run: stage, files done of the total, rows read.

The run process (``python -m etl.intake run ID``) reports through a :class:`ProgressRecorder`, which
writes ``staging/uploads/<upload_id>.progress.json`` (its own file: the manifest stays the run's main
thread's alone) for the import page to read. The recorder is a plain callable,
``progress(stage, files_done=None, files_total=None, rows=None)``, so a progress callback of
``etl.run.run_etl`` can be handed it directly once there is one. Until then :class:`RunLogWatcher`
feeds it from what the run already records: each file's row in ``etl_run_files``, committed as the
file is applied.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse import SQL_DIR

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
WATCH_SECONDS = 0.5


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
    """Writes each report to ``path`` atomically; safe to call from the run's thread and a watcher's."""

    def __init__(self, path: Path):
        self.path = path
        self.current = Progress(stage="queued")
        self._lock = threading.Lock()

    def __call__(
        self,
        stage: str | None = None,
        files_done: int | None = None,
        files_total: int | None = None,
        rows: int | None = None,
    ) -> Progress:
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


class RunLogWatcher:
    """While a run of ``trigger`` loads, report its files done and rows read from the run log.

    Used as a context manager around ``run_etl`` in the run's own process: there DuckDB serves every
    connection to the raw store from the run's one database instance, so this connection reads what the
    run has committed even though the run holds the file. It is closed before the ``with`` block ends
    (after the run closed its own), so nothing keeps the raw store open afterwards.
    """

    def __init__(self, raw_db: Path, trigger: str, report: ProgressRecorder, interval: float = WATCH_SECONDS):
        self.raw_db, self.trigger, self.report, self.interval = raw_db, trigger, report, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="intake-progress", daemon=True)
        self._sql = (SQL_DIR / "intake" / "run_progress.sql").read_text(encoding="utf-8")

    def __enter__(self) -> RunLogWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        con = None
        try:
            while not self._stop.wait(self.interval):
                if con is None and self.raw_db.exists():
                    con = duckdb.connect(str(self.raw_db))
                if con is not None:
                    self._poll(con)
        finally:
            if con is not None:
                con.close()

    def _poll(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            row = con.execute(self._sql, {"trigger": self.trigger}).fetchone()
        except duckdb.Error:  # the run has not created its tables yet
            return
        if row is None:
            return
        done, rows = row
        total = self.report.current.files_total
        stage = "reading" if done == 0 else ("publishing" if total and done >= total else "loading")
        self.report(stage, files_done=done, rows=int(rows))
