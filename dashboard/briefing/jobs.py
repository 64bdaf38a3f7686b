"""Scheduled briefings: the previous month's every month, and the previous year's in January.

Kept in ``data_dir/briefs/`` as PDF and DOCX named after the period and the snapshot version they were
written from (``brief_<start>_<end>_<version>.<fmt>``), listed by the ``/briefs`` page. The scheduler
(``etl/scheduler.py``) knows nothing of the dashboard: it runs whatever jobs the composition root hands
it, and :func:`scheduled_briefings_job` is the one handed over for briefings.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from dashboard.briefing import render
from dashboard.briefing.periods import previous_month, previous_year
from dashboard.briefing.write import BriefingError, build_briefing
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader, SnapshotUnavailable

log = logging.getLogger("cockpit.briefing")

BRIEF_NAME = re.compile(r"^brief_(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})_([A-Za-z0-9._-]+)\.(pdf|docx)$")


@dataclass(frozen=True)
class KeptBrief:
    path: Path
    start: date
    end: date
    version: str
    fmt: str
    written_at: datetime


def briefs_dir(settings: Settings) -> Path:
    return settings.data_dir / "briefs"


def _safe_version(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", version) or "unknown"


def due_periods(today: date) -> list[tuple[date, date]]:
    """The periods a run on ``today`` writes: the previous month, plus the previous year in January."""
    periods = [previous_month(today)]
    if today.month == 1:
        periods.append(previous_year(today))
    return periods


def write_scheduled_briefings(settings: Settings, today: date, *, charts: bool = True) -> list[Path]:
    """Write the due district briefings (PDF and DOCX) into ``data_dir/briefs/``; returns the paths.

    A period already written from the same snapshot version is not written again. No names of the
    low-points watchlist: these files are kept and forwarded beyond the roles that see them.
    """
    reader = SnapshotReader(settings.published_db)
    written: list[Path] = []
    try:
        try:
            cursor = reader.cursor()
        except SnapshotUnavailable as exc:
            raise BriefingError("no_snapshot", path=str(settings.published_db)) from exc
        with cursor as con:
            version = _safe_version(reader.version or "")
            folder = briefs_dir(settings)
            folder.mkdir(parents=True, exist_ok=True)
            for start, end in due_periods(today):
                targets = {fmt: folder / f"brief_{start}_{end}_{version}.{fmt}" for fmt in ("pdf", "docx")}
                if all(p.is_file() for p in targets.values()):
                    continue
                doc = build_briefing(con, settings, start, end, None, charts=charts)
                for fmt, path in targets.items():
                    content = render.to_pdf(doc) if fmt == "pdf" else render.to_docx(doc)
                    tmp = path.with_name(path.name + ".part")
                    tmp.write_bytes(content)
                    tmp.replace(path)
                    written.append(path)
    finally:
        reader.close()
    return written


def scheduled_briefings_job(settings: Settings) -> list[Path]:
    """The scheduler's job (run on the 1st of each month): never raises, the scheduler keeps running."""
    try:
        paths = write_scheduled_briefings(settings, date.today())
    except Exception:
        log.exception("scheduled briefings failed; next attempt on schedule")
        return []
    for path in paths:
        log.info("briefing written: %s", path)
    return paths


def kept_briefs(settings: Settings) -> list[KeptBrief]:
    """The briefings in ``data_dir/briefs/``, newest period first."""
    folder = briefs_dir(settings)
    if not folder.is_dir():
        return []
    out = []
    for path in folder.iterdir():
        match = BRIEF_NAME.match(path.name)
        if match and path.is_file():
            out.append(
                KeptBrief(
                    path=path,
                    start=date.fromisoformat(match[1]),
                    end=date.fromisoformat(match[2]),
                    version=match[3],
                    fmt=match[4],
                    written_at=datetime.fromtimestamp(path.stat().st_mtime),
                )
            )
    return sorted(out, key=lambda b: (b.end, b.start, b.written_at, b.fmt), reverse=True)
