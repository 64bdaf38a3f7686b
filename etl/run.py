"""One ETL run: inbox files → raw store (validated, idempotent, with history) → published snapshot.

Files are read first (to learn each file's entity), then applied in dependency order (townships,
homes, deputies, activities, suggestions, cases, projects; by file name within an entity), each in
its own transaction: a failure leaves nothing of that file behind and the other files still load.
A file whose content (sha256) was loaded before is skipped as "already loaded". After a real run, the
files it loaded or found already loaded leave the inbox for ``data_dir/archive/<run date>/`` (``etl.archive``),
so that later runs do not read them again.

The caller holds the run lock (``etl.jobs`` / ``cockpit etl run``); this module only writes the raw
store and calls the publish hook.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from etl.archive import Archive, free_name
from etl.export_date import COLUMN, FILE_NAME, LOAD_TIME, stamp_column, stamp_from_name, stamp_sql
from etl.load import Applied, RawStoreLocked, apply_valid, open_raw, table_columns
from etl.mapping import Entity, Mapping, load_mapping
from etl.normalize import build_parsed, value_column
from etl.readers import SHEET_ROWS, SUPPORTED, ReadError, Source, drop_source, read_source, sheet_row
from etl.report import ColumnUse, FileReport, Note, SheetUse
from etl.validate import REASONS, build_rejects, build_valid
from warehouse.errors import UserError
from warehouse.i18n import both, t
from warehouse.incremental import publish_incremental
from warehouse.settings import Settings

LOADED, ALREADY, REJECTED, FAILED = "loaded", "already_loaded", "rejected", "failed"
# Runs that only preview the files (``dry_run``, the web intake's check): they never move an inbox file.
PREVIEW_TRIGGERS = frozenset({"dry_run", "check"})
# File rejects that a fix of mapping.toml cures: such a file stays in the inbox to load on the next run.
MAPPING_REASONS = frozenset({"unknown_entity", "missing_columns"})
Publish = Callable[[duckdb.DuckDBPyConnection, Settings, str], str]
_DEFAULT = object()
log = logging.getLogger("cockpit.etl")


class EtlError(UserError):
    """The run could not start (inbox missing, raw store locked): one line, Chinese / English."""

    def __init__(self, key: str, **params):
        zh, en = both(key, **params)
        super().__init__(f"{zh} / {en}")
        self.key = key


@dataclass
class FileResult:
    """What happened to one file in a run."""

    file_name: str
    file_id: str | None
    status: str
    entity: str | None = None
    rows_read: int = 0
    rows_new: int = 0
    rows_updated: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    # Rows not applied because the stored record comes from a newer export (read = loaded + rejected +
    # duplicate + older).
    rows_older: int = 0
    reason_code: str | None = None
    message_zh: str | None = None
    message_en: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    seconds: float = 0.0
    report: FileReport | None = None
    # Where the file was moved after a failure, relative to the data directory (``etl.run`` quarantine).
    quarantined: str | None = None
    # Where the loaded (or already loaded) file was moved, relative to the data directory (``etl.archive``).
    archived: str | None = None

    @property
    def rows_loaded(self) -> int:
        return self.rows_new + self.rows_updated


@dataclass
class EntityCounts:
    rows_read: int = 0
    rows_loaded: int = 0
    rows_updated: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0


@dataclass
class RunSummary:
    """The outcome of :func:`run_etl`; counts reconcile: read = loaded + rejected + duplicate."""

    run_id: str
    status: str
    trigger: str
    run_date: date
    started_at: datetime
    finished_at: datetime | None = None
    snapshot_version: str | None = None
    message: str = ""
    files: list[FileResult] = field(default_factory=list)
    entities: dict[str, EntityCounts] = field(default_factory=dict)
    rejects_by_reason: dict[str, int] = field(default_factory=dict)

    def _count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def files_seen(self) -> int:
        return len(self.files)

    @property
    def files_loaded(self) -> int:
        return self._count(LOADED)

    @property
    def files_skipped(self) -> int:
        return self._count(ALREADY)

    @property
    def files_rejected(self) -> int:
        return self._count(REJECTED) + self._count(FAILED)

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def rows_read(self) -> int:
        return self._sum("rows_read")

    @property
    def rows_new(self) -> int:
        return self._sum("rows_new")

    @property
    def rows_updated(self) -> int:
        return self._sum("rows_updated")

    @property
    def rows_loaded(self) -> int:
        return self.rows_new + self.rows_updated

    @property
    def rows_rejected(self) -> int:
        return self._sum("rows_rejected")

    @property
    def rows_duplicate(self) -> int:
        return self._sum("rows_duplicate")

    @property
    def rows_older(self) -> int:
        return self._sum("rows_older")

    @property
    def changed(self) -> bool:
        return self.rows_loaded > 0

    def to_dict(self) -> dict:
        """JSON-ready dict (dates as ISO strings), with the totals."""
        out = asdict(self)
        for key in ("run_date", "started_at", "finished_at"):
            value = getattr(self, key)
            out[key] = value.isoformat() if value else None
        for key in (
            "files_seen", "files_loaded", "files_skipped", "files_rejected",
            "rows_read", "rows_new", "rows_loaded", "rows_updated", "rows_rejected", "rows_duplicate",
            "rows_older",
        ):  # fmt: skip
            out[key] = getattr(self, key)
        return out

    def describe(self, lang: str = "both") -> str:
        """The human summary printed by ``cockpit etl run`` (both languages by default)."""

        def say(key: str, **params) -> str:
            zh, en = both("etl." + key, **params)
            return {"zh-CN": zh, "en": en}.get(lang, f"{zh} / {en}")

        lines = [
            say("cli.run_header", run_id=self.run_id, status=self.status),
            say(
                "cli.files",
                loaded=self.files_loaded,
                skipped=self.files_skipped,
                rejected=self.files_rejected,
            ),
        ]
        for f in self.files:
            state = say(f"cli.file_status.{f.status}")
            extra = f"  {f.message_zh} / {f.message_en}" if f.status in (REJECTED, FAILED) else ""
            lines.append(f"  - {f.file_name} [{f.entity or '?'}] {state}{extra}")
            if f.rows_older:
                zh, en = both("readers.older_export", n=f.rows_older, date=(f.report.export_date or "")[:10])
                lines.append("      " + {"zh-CN": zh, "en": en}.get(lang, f"{zh} / {en}"))
        if self.entities:
            lines.append(say("cli.rows_header"))
            for name, c in self.entities.items():
                lines.append(
                    f"  {name:<12} {c.rows_read:>9} {c.rows_loaded:>9} {c.rows_updated:>9} "
                    f"{c.rows_rejected:>9} {c.rows_duplicate:>9}"
                )
        if self.rejects_by_reason:
            lines.append(say("cli.rejects_header"))
            for code, n in sorted(self.rejects_by_reason.items(), key=lambda x: -x[1]):
                lines.append(f"  {code:<18} {n:>9}  {say('reason.' + code)}")
        archived = sorted({Path(f.archived).parent.as_posix() for f in self.files if f.archived})
        if archived:
            zh, en = both(
                "archive.moved", n=sum(1 for f in self.files if f.archived), path="、".join(archived)
            )
            lines.append({"zh-CN": zh, "en": en}.get(lang, f"{zh} / {en}"))
        if not self.files_loaded and not self.files_rejected:
            lines.append(say("cli.nothing_new"))
        if self.snapshot_version:
            lines.append(say("cli.snapshot", version=self.snapshot_version))
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)


def _today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def inbox_files(inbox: Path) -> list[Path]:
    """Files of the inbox in name order; hidden files and Office lock files (``~$x.xlsx``) ignored."""
    return sorted(
        p
        for p in inbox.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".tmp")
    )


def run_etl(
    settings: Settings,
    inbox: Path | None = None,
    trigger: str = "cli",
    run_date: date | None = None,
    publish: Publish | None | object = _DEFAULT,
    progress: ProgressCallback | None = None,
) -> RunSummary:
    """Load every new file of the inbox into the raw store, then publish a snapshot if anything changed.

    Args:
        settings: Installation settings (``raw_db``, ``mapping_file``, ``timezone``...).
        inbox: Directory to read; default ``settings.inbox``.
        trigger: Who started the run (``cli``, ``scheduler``, ``demo``...), recorded in ``etl_runs``.
        run_date: "Today" for the no-future-date rule; default today in ``settings.timezone``.
        publish: ``publish(con, settings, run_id) -> version``; default
            ``warehouse.incremental.publish_incremental`` (the touched days only, when it can);
            None skips publishing.
        progress: Called with a :class:`Progress` at each stage and file (e.g. a terminal display).

    Returns:
        The run summary (status ``succeeded`` even with rejects; ``failed`` if publishing failed).

    Raises:
        EtlError: the inbox does not exist or the raw store is locked by another process.
    """
    inbox = Path(inbox) if inbox is not None else settings.inbox
    if not inbox.is_dir():
        raise EtlError("etl.error.inbox_missing", path=str(inbox))
    if publish is _DEFAULT:
        publish = publish_incremental
    mapping = load_mapping(settings.mapping_file)
    try:
        con = open_raw(settings.raw_db)
    except RawStoreLocked:
        raise EtlError("etl.error.raw_locked") from None
    started = datetime.now()
    summary = RunSummary(
        run_id=f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}",
        status="running",
        trigger=trigger,
        run_date=run_date or _today(settings),
        started_at=started,
    )
    try:
        # A run still "running" here was killed (runs are serialised by the run lock and DuckDB's file lock).
        con.execute("update etl_runs set status = 'failed', message = 'interrupted' where status = 'running'")
        con.execute(
            "insert into etl_runs (run_id, started_at, status, trigger, run_date) values (?, ?, 'running', ?, ?)",
            [summary.run_id, started, trigger, summary.run_date],
        )
        holding = archive = None
        if trigger not in PREVIEW_TRIGGERS:
            holding = _Quarantine(settings.data_dir, summary.run_date, settings.quarantine_settle_seconds)
            archive = Archive(settings.data_dir, summary.run_date, settings.quarantine_settle_seconds)
        _run_files(con, summary, inbox, mapping, progress, holding, archive)
        summary.status = "succeeded"
        if publish is not None and (summary.changed or not settings.published_db.exists()):
            if progress is not None:
                n = summary.files_seen
                progress(Progress("publish", None, n, n, summary.rows_read))
            try:
                summary.snapshot_version = publish(con, settings, summary.run_id)
            except Exception as exc:
                summary.status = "failed"
                zh, en = both("etl.error.publish_failed", detail=f"{type(exc).__name__}: {exc}"[:300])
                summary.message = f"{zh} / {en}"
    except BaseException as exc:
        summary.status = "failed"
        summary.message = f"{type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        summary.finished_at = datetime.now()
        _record_run(con, summary)
        con.close()
    return summary


def dry_run(
    settings: Settings,
    inbox: Path | None = None,
    run_date: date | None = None,
    progress: ProgressCallback | None = None,
) -> RunSummary:
    """What :func:`run_etl` would do with the inbox, changing nothing: every file's result and
    :class:`~etl.report.FileReport` (entity, sheets, column mapping, counts new/updated/unchanged/older/
    rejected, notes), computed on a copy of the raw store (:func:`run_on_copy`); nothing is published.

    The copy costs a read of the raw store: call it between runs (the caller holds the run lock, as for
    a run).
    """
    with run_on_copy(settings, inbox, run_date=run_date, progress=progress) as (summary, _scratch):
        return summary


@contextmanager
def run_on_copy(
    settings: Settings,
    inbox: Path | None = None,
    *,
    publish: Publish | None = None,
    trigger: str = "dry_run",
    run_date: date | None = None,
    progress: ProgressCallback | None = None,
    copy_lock: Callable[[], AbstractContextManager] | None = None,
    tmp_root: Path | None = None,
) -> Iterator[tuple[RunSummary, Settings]]:
    """Run :func:`run_etl` on a copy of the raw store in a temporary data directory; the installation
    is never written. The one "run on a copy" of the code base (``dry_run``, the web intake's check).

    Yields the run's summary and the scratch settings (its ``raw_db`` holds the run's rejects, its
    ``published_db`` the snapshot when ``publish`` is given, e.g. to show the KPIs after the run); the
    temporary directory is removed when the ``with`` block ends.

    Args:
        inbox: Directory of the files to run; default ``settings.inbox``.
        publish: As for :func:`run_etl`, but None (nothing published) by default.
        copy_lock: Held while the raw store (and its WAL) is copied, e.g. the run lock when the caller
            does not hold it: no run writes the store mid-copy, and the run on the copy does not wait.
        tmp_root: Where the temporary directory goes (the raw store's size: not a small tmpfs).
    """
    inbox = Path(inbox) if inbox is not None else settings.inbox
    if tmp_root is not None:
        tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cockpit-run-copy-", dir=tmp_root) as tmp:
        # A geojson found under the data directory by default must still be found from the copy.
        scratch = settings.with_(
            data_dir=Path(tmp) / "data", townships_geojson=settings.townships_geojson_path
        )
        scratch.raw_db.parent.mkdir(parents=True, exist_ok=True)
        with copy_lock() if copy_lock is not None else nullcontext():
            for src in (settings.raw_db, settings.raw_db.with_name(settings.raw_db.name + ".wal")):
                if src.exists():
                    shutil.copyfile(src, scratch.raw_db.with_name(src.name))
        summary = run_etl(
            scratch, inbox=inbox, trigger=trigger, run_date=run_date, publish=publish, progress=progress
        )
        yield summary, scratch


def _record_run(con: duckdb.DuckDBPyConnection, s: RunSummary) -> None:
    con.execute(
        """update etl_runs set finished_at = ?, status = ?, files_seen = ?, rows_read = ?, rows_loaded = ?,
           rows_updated = ?, rows_rejected = ?, rows_duplicate = ?, snapshot_version = ?, message = ?
           where run_id = ?""",
        [
            s.finished_at,
            s.status,
            s.files_seen,
            s.rows_read,
            s.rows_loaded,
            s.rows_updated,
            s.rows_rejected,
            s.rows_duplicate,
            s.snapshot_version,
            s.message,
            s.run_id,
        ],  # fmt: skip
    )


@dataclass(frozen=True)
class Progress:
    """Where a run is, for a progress display: ``stage`` is ``read`` (reading and recognising files),
    ``load`` (applying them), ``loaded`` (all files done), ``publish`` (building the snapshot);
    ``file_name`` is the file in hand; ``files_done`` of ``files_total`` files; ``rows_done`` rows read
    so far (``load`` stage: of the files applied)."""

    stage: str
    file_name: str | None
    files_done: int
    files_total: int
    rows_done: int


ProgressCallback = Callable[[Progress], None]


@dataclass
class _Pending:
    path: Path
    file_id: str
    result: FileResult
    source: Source | None = None
    entity: Entity | None = None
    found: dict[str, int] = field(default_factory=dict)
    export_at: datetime | None = None
    # The clerk's message before the quarantine's sentence was added (identical copies share it).
    base_message: tuple[str | None, str | None] | None = None


@dataclass(frozen=True)
class _Quarantine:
    """Where a real run moves the inbox files that still failed: ``data_dir/quarantine/<run date>/``."""

    data_dir: Path
    run_date: date
    settle_seconds: int

    def hold(self, item: _Pending, run_id: str) -> None:
        """Move a file that cannot be read or aborted its load out of the inbox, with a reason file.

        Otherwise it would be read, and reported, again on every run (a damaged workbook of 200 MB each
        half hour); a rejected file never counts as loaded, so moving it back into the inbox retries it.
        Files rejected for their headers stay: a fix of mapping.toml loads them on the next run. A file
        modified within ``settle_seconds`` may still be arriving (a copy in progress reads as truncated).
        """
        r = item.result
        if r.status not in (REJECTED, FAILED) or (r.status == REJECTED and r.reason_code in MAPPING_REASONS):
            return
        try:
            if time.time() - item.path.stat().st_mtime < self.settle_seconds:
                return
            folder = self.data_dir / "quarantine" / self.run_date.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            target = free_name(folder, item.path.name)
            shutil.move(item.path, target)
            item.path = target  # the file's record (size, mtime) is taken from where it now is
        except OSError as exc:  # the file stays in the inbox, reported as rejected: nothing is lost
            log.warning("could not quarantine %s: %s", item.path.name, exc)
            return
        item.base_message = (r.message_zh, r.message_en)
        about = {"file": r.file_name, "run_id": run_id, "code": r.reason_code}
        zh = t("quarantine.reason_file", "zh-CN", message=r.message_zh or "", **about)
        en = t("quarantine.reason_file", "en", message=r.message_en or "", **about)
        target.with_name(target.name + ".reason.txt").write_text(f"{zh}\n\n{en}\n", encoding="utf-8")
        r.quarantined = target.relative_to(self.data_dir).as_posix()
        zh, en = both("quarantine.moved", path=r.quarantined)
        r.message_zh, r.message_en = f"{r.message_zh}；{zh}", f"{r.message_en}; {en}"


def _archive(archive: Archive | None, item: _Pending) -> None:
    """Move a file this run loaded, or found already loaded, out of the inbox (``etl.archive``)."""
    if archive is None or item.result.status not in (LOADED, ALREADY):
        return
    target = archive.keep(item.path)
    if target is not None:
        item.path = target
        item.result.archived = target.relative_to(archive.data_dir).as_posix()


def _run_files(
    con: duckdb.DuckDBPyConnection,
    summary: RunSummary,
    inbox: Path,
    mapping: Mapping,
    progress: ProgressCallback | None = None,
    holding: _Quarantine | None = None,
    archive: Archive | None = None,
) -> None:
    loaded_ids = {
        r[0] for r in con.execute("select file_id from etl_files where status = 'loaded'").fetchall()
    }
    pending: list[_Pending] = []
    # Byte-identical copies within this inbox: they share the first copy's fate (a copy of a rejected
    # file is rejected too, never "already loaded"), decided once the first copy has been applied.
    first_copy: dict[str, _Pending] = {}
    copies: list[tuple[_Pending, _Pending]] = []
    paths = inbox_files(inbox)
    tell = progress or (lambda _event: None)
    for n, path in enumerate(paths):
        tell(Progress("read", path.name, n, len(paths), summary.rows_read))
        clock = time.monotonic()
        file_id = _sha256(path)
        result = FileResult(file_name=path.name, file_id=file_id, status=LOADED)
        result.report = FileReport(file_name=path.name)
        item = _Pending(path, file_id, result)
        if file_id in first_copy:
            copies.append((item, first_copy[file_id]))
            continue
        if file_id in loaded_ids:
            result.status = ALREADY
            row = con.execute("select entity from etl_files where file_id = ?", [file_id]).fetchall()
            result.entity = row[0][0] if row else None
            pending.append(item)
            continue
        first_copy[file_id] = item
        if path.suffix.lower() not in SUPPORTED:
            _file_reject(result, "unsupported_format", path.suffix or path.name, "unsupported_format")
        else:
            try:
                item.source = read_source(con, path, mapping, f"src_{n}")
                _recognise(item, mapping)
                _export_date(con, item, summary.started_at)
            except ReadError as exc:
                _file_reject(result, exc.code, exc.detail, exc.message)
            except Exception as exc:  # a reader bug or an odd file must not stop the other files
                log.warning("reader failed on %s: %s: %s", path.name, type(exc).__name__, exc)
                _file_reject(result, "unreadable", "", "damaged")
        result.seconds = time.monotonic() - clock
        pending.append(item)

    order = {e.name: e.order for e in mapping.entities.values()}
    # Within an entity, older exports first: the newer one then updates what the older one loaded.
    pending.sort(
        key=lambda p: (order.get(p.result.entity or "", 99), p.export_at or summary.started_at, p.path.name)
    )
    rows_done = 0
    for seq, item in enumerate(pending):
        tell(Progress("load", item.path.name, seq, len(paths), rows_done))
        if item.result.status == LOADED:
            _apply_file(con, summary, item, mapping)
        rows_done += item.result.rows_read
        if item.result.report is not None:
            item.result.report.status = item.result.status
            item.result.report.entity = item.result.entity
        if item.source is not None:
            drop_source(con, item.source.table)
        if holding is not None:
            holding.hold(item, summary.run_id)
        _record_file(con, summary, item, seq)
        _archive(archive, item)
        summary.files.append(item.result)
    for seq, (item, first) in enumerate(copies, start=len(pending)):
        done = first.result
        if done.status in (REJECTED, FAILED):
            item.result.status, item.result.entity = REJECTED, done.entity
            item.result.reason_code = done.reason_code
            item.result.message_zh, item.result.message_en = first.base_message or (
                done.message_zh,
                done.message_en,
            )
            if holding is not None:
                holding.hold(item, summary.run_id)
        else:
            item.result.status, item.result.entity = ALREADY, done.entity
        item.result.report.status, item.result.report.entity = item.result.status, item.result.entity
        _record_file(con, summary, item, seq)
        _archive(archive, item)
        summary.files.append(item.result)
    tell(Progress("loaded", None, len(paths), len(paths), rows_done))
    for f in summary.files:
        if f.entity and f.status == LOADED:
            c = summary.entities.setdefault(f.entity, EntityCounts())
            c.rows_read += f.rows_read
            c.rows_loaded += f.rows_loaded
            c.rows_updated += f.rows_updated
            c.rows_rejected += f.rows_rejected
            c.rows_duplicate += f.rows_duplicate
    summary.rejects_by_reason = dict(
        con.execute(
            "select reason_code, count(*) from rejects where run_id = ? group by all order by 2 desc",
            [summary.run_id],
        ).fetchall()
    )


def _file_reject(result: FileResult, code: str, detail: str, message: str | None = None) -> None:
    """Reject the whole file: ``code`` is the reason code, ``message`` a more precise explanation for the
    clerk (``readers.file.<message>``) than the code's own."""
    result.status = REJECTED
    result.reason_code = code
    key = f"readers.file.{message}" if message else f"etl.file.{code}"
    result.message_zh, result.message_en = both(key, detail=detail)


def _recognise(item: _Pending, mapping: Mapping) -> None:
    source, result, report = item.source, item.result, item.result.report
    result.sheet, result.header_row, result.encoding = source.sheet, source.header_row, source.encoding
    report.encoding = source.encoding
    report.headers = [h or "" for h in source.headers]
    report.sheets = [SheetUse(name, row, n) for name, row, n in source.sheets] or [
        SheetUse(source.sheet, source.header_row)
    ]
    report.hidden_sheets = list(source.hidden_sheets)
    report.notes.extend(source.notes)
    for name in source.hidden_sheets:
        report.note("hidden_sheet", name, sheet=name)
    headers_seen = "、".join(h for h in source.headers if h) or "—"
    entity, how = mapping.recognise(source.headers, item.path.name)
    report.recognised_by = how
    if entity is None:
        _file_reject(result, "unknown_entity", headers_seen)
        return
    result.entity = report.entity = entity.name
    found = entity.match_headers(source.headers)
    _report_columns(report, entity, found, source.headers)
    missing = entity.missing_required(found)
    if missing:
        names = ["/".join((entity.columns[c].headers or (c,))[0] for c in m.split("/")) for m in missing]
        _file_reject(result, "missing_columns", "、".join(names) + f"（{headers_seen}）")
        return
    item.entity, item.found = entity, found


def _report_columns(report: FileReport, entity: Entity, found: dict[str, int], headers: list[str]) -> None:
    """Columns read, columns ignored (each named to the clerk) and optional fields the file lacks."""
    by_index = {i: name for name, i in found.items()}
    stamp = stamp_column(headers)
    for i, header in enumerate(headers):
        if i in by_index:
            report.columns.append(ColumnUse(header, by_index[i]))
        elif i == stamp:
            report.columns.append(ColumnUse(header, "export_date"))
        elif header and header.strip():
            report.unrecognised.append(header)
            report.note("unrecognised_column", header, header=header)
    filled_by_name = {
        ref for ref, by in (("township_ref", "township_name_ref"), ("home_ref", "home_name_ref"))
        if any(entity.columns[n].type == by for n in found)
    }  # fmt: skip
    for name, col in entity.columns.items():
        if name not in found and not col.required and col.store and col.type not in filled_by_name:
            label = (col.headers or (name,))[0]
            report.optional_absent.append(label)
    if report.optional_absent:
        report.note("optional_absent", None, columns="、".join(report.optional_absent))


def _export_date(con: duckdb.DuckDBPyConnection, item: _Pending, load_time: datetime) -> None:
    """The export's own date (``etl.export_date``): file name stamp, else stamp column, else load time."""
    report, source = item.result.report, item.source
    when, how = stamp_from_name(item.path.name), FILE_NAME
    if when is None and source is not None and (i := stamp_column(source.headers)) is not None:
        when = con.execute(f"select max({stamp_sql(f'c{i}')}) from {source.table}").fetchall()[0][0]
        how = COLUMN
    if when is None:
        when, how = load_time, LOAD_TIME
    item.export_at = when
    report.export_date, report.export_date_source = when.isoformat(sep=" "), how


def _messages(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(code, *both(f"etl.reject.{code}")) for code in REASONS]
    con.execute("create or replace temp table __messages (code varchar, zh varchar, en varchar)")
    con.executemany("insert into __messages values (?, ?, ?)", rows)


def _apply_file(
    con: duckdb.DuckDBPyConnection, summary: RunSummary, item: _Pending, mapping: Mapping
) -> None:
    clock = time.monotonic()
    result, source, entity = item.result, item.source, item.entity
    con.execute("begin transaction")
    try:
        _messages(con)
        width = len(source.headers)
        for statement in build_parsed(entity, item.found, width, source.table, mapping, source.edge_spaces):
            con.execute(*statement)
        parsed_cols = set(table_columns_temp(con, "stg_parsed"))
        for statement in build_rejects(entity, item.found, source.headers, parsed_cols, summary.run_date):
            con.execute(*statement)
        con.execute(build_valid(entity, parsed_cols, table_columns(con, entity.name)))
        rows = con.execute("select count(*) from stg_parsed").fetchall()[0][0]
        rejected = con.execute("select count(distinct __row) from stg_rejects").fetchall()[0][0]
        _insert_rejects(con, summary, item)
        canon = [c for c in entity.stored_columns if c in table_columns(con, entity.name)]
        absent = [c for c in canon if value_column(c, parsed_cols) is None]
        if entity.name == "townships" and "township_name" not in absent:
            _note_renames(con, result.report, item.export_at)
        applied = apply_valid(con, entity, item.file_id, summary.run_id, item.export_at, absent)
        bad = len(source.bad_rows)
        result.rows_read = rows + bad
        result.rows_rejected = rejected + bad
        _set_counts(result, applied)
        report = result.report
        report.rows_read, report.rows_rejected = result.rows_read, result.rows_rejected
        report.rows_new, report.rows_updated = applied.new, applied.updated
        report.rows_unchanged, report.rows_older = applied.duplicate, applied.older
        if applied.older:
            report.note("older_export", None, n=applied.older, date=report.export_date[:10])
        result.seconds += time.monotonic() - clock
        _register_file(con, summary, item)
        con.execute("commit")
    except Exception as exc:
        con.execute("rollback")
        result.rows_read = result.rows_new = result.rows_updated = result.rows_rejected = (
            result.rows_duplicate
        ) = result.rows_older = 0
        result.status = FAILED
        result.reason_code = "load_error"
        # The technical cause goes to the log for the operators; the clerk is told what happened and
        # that nothing was written.
        log.warning("loading %s failed: %s: %s", item.path.name, type(exc).__name__, str(exc).splitlines()[0])
        result.message_zh, result.message_en = both("readers.file.load_failed", detail=item.path.name)


def _note_renames(con: duckdb.DuckDBPyConnection, report: FileReport, export_at: datetime | None) -> None:
    """A note per existing township this file renames (applied as an update unless the file is older)."""
    rows = con.execute(
        "select cur.township_code, cur.township_name, v.township_name from townships cur "
        "join stg_valid v on v.township_code = cur.township_code "
        "where v.township_name <> cur.township_name and (cur.export_at is null or cur.export_at <= ?::timestamp) "
        "order by 1",
        [export_at],
    ).fetchall()
    for code, old, new in rows:
        report.note("township_renamed", code, unit=code, old=old, new=new)


def table_columns_temp(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"select * from {table} limit 0").description]


def _set_counts(result: FileResult, applied: Applied) -> None:
    result.rows_new, result.rows_updated, result.rows_duplicate, result.rows_older = (
        applied.new,
        applied.updated,
        applied.duplicate,
        applied.older,
    )


def _insert_rejects(con: duckdb.DuckDBPyConnection, summary: RunSummary, item: _Pending) -> None:
    head = [summary.run_id, item.file_id, item.path.name, item.entity.name]
    # Row numbers of a workbook read over several sheets carry the sheet (etl.readers.sheet_row).
    sheets = [name for name, _, _ in item.source.sheets] or [item.source.sheet]
    con.execute(
        f"""insert into rejects (run_id, file_id, file_name, entity, source_row, column_name, reason_code,
                                message_zh, message_en, raw_value, sheet)
           select ?, ?, ?, ?, r.__row % {SHEET_ROWS}, r.column_name, r.reason_code,
                  replace(replace(m.zh, '{{column}}', coalesce(r.column_name, '')), '{{value}}', coalesce(r.raw_value, '')),
                  replace(replace(m.en, '{{column}}', coalesce(r.column_name, '')), '{{value}}', coalesce(r.raw_value, '')),
                  r.raw_value, list_extract(?::varchar[], (r.__row // {SHEET_ROWS})::integer + 1)
           from stg_rejects r join __messages m on m.code = r.reason_code order by r.__row""",
        [*head, sheets],
    )
    for row_no, detail in item.source.bad_rows:
        # A reader's note (e.g. a formula without a value) is already the clerk's message in both languages.
        zh, en = (
            (detail.zh, detail.en) if isinstance(detail, Note) else both("etl.reject.bad_row", value=detail)
        )
        sheet, row = sheet_row(row_no, sheets)
        con.execute(
            """insert into rejects (run_id, file_id, file_name, entity, source_row, column_name, reason_code,
                                    message_zh, message_en, raw_value, sheet)
               values (?, ?, ?, ?, ?, null, 'bad_row', ?, ?, null, ?)""",
            [*head, row, zh, en, sheet],
        )


def _register_file(con: duckdb.DuckDBPyConnection, summary: RunSummary, item: _Pending) -> None:
    r = item.result
    stat = item.path.stat()
    # A file rejected by an earlier run (e.g. before its mapping was fixed) is tried again: replace its row.
    con.execute("delete from etl_files where file_id = ?", [item.file_id])
    con.execute(
        """insert into etl_files (file_id, run_id, file_name, file_size, file_mtime, entity, status,
               rows_read, rows_loaded, rows_updated, rows_rejected, rows_duplicate,
               reason_code, message_zh, message_en, loaded_at)
           values (?, ?, ?, ?, to_timestamp(?)::timestamp, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)""",
        [
            item.file_id,
            summary.run_id,
            r.file_name,
            stat.st_size,
            stat.st_mtime,
            r.entity,
            "loaded" if r.status == LOADED else "rejected",
            r.rows_read,
            r.rows_loaded,
            r.rows_updated,
            r.rows_rejected,
            r.rows_duplicate,
            r.reason_code,
            r.message_zh,
            r.message_en,
        ],  # fmt: skip
    )


def _record_file(con: duckdb.DuckDBPyConnection, summary: RunSummary, item: _Pending, seq: int) -> None:
    r = item.result
    if r.status in (REJECTED, FAILED):
        con.execute("begin transaction")
        if item.file_id:
            _register_file(con, summary, item)
        con.execute(
            """insert into rejects (run_id, file_id, file_name, entity, source_row, column_name, reason_code,
                                    message_zh, message_en, raw_value)
               values (?, ?, ?, ?, null, null, ?, ?, ?, null)""",
            [summary.run_id, item.file_id, r.file_name, r.entity, r.reason_code, r.message_zh, r.message_en],
        )
        con.execute("commit")
    report = json.dumps(r.report.to_dict(), ensure_ascii=False) if r.report is not None else None
    con.execute(
        """insert into etl_run_files (run_id, seq, file_id, file_name, entity, status, sheet, header_row,
               encoding, rows_read, rows_new, rows_updated, rows_rejected, rows_duplicate, reason_code,
               message_zh, message_en, seconds, recorded_at, rows_older, report)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp, ?, ?)""",
        [
            summary.run_id,
            seq,
            item.file_id,
            r.file_name,
            r.entity,
            r.status,
            r.sheet,
            r.header_row,
            r.encoding,
            r.rows_read,
            r.rows_new,
            r.rows_updated,
            r.rows_rejected,
            r.rows_duplicate,
            r.reason_code,
            r.message_zh,
            r.message_en,
            r.seconds,
            r.rows_older,
            report,
        ],  # fmt: skip
    )
