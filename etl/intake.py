"""The clerk's web intake: stage uploaded files, screen them, check them (dry run), confirm, run.

The path of one upload (its manifest is ``staging/uploads/<upload_id>.json``, so it survives a restart):

1. **stage**: each uploaded file is written to ``staging/files/<upload_id>/<sha256><suffix>`` (never the
   inbox) after the screening of :func:`screen_file` (spreadsheet formats only, no macro workbooks, size
   limit); a ``.zip`` is opened member by member with the limits of :func:`_unzip` (no ``../`` or absolute
   paths, no links, total size and compression ratio) and its members are staged one by one;
2. **check** (:func:`check_upload`): the real ETL (``etl.run.run_etl``: read -> map -> normalise ->
   validate -> load, then publish) runs on a copy of the raw store taken under the run lock
   (``etl.run.run_on_copy``), with the staged files as its inbox; the report is what that run did (each
   file's :class:`etl.report.FileReport`), plus the headline KPIs before and after. Nothing of the
   installation changes;
3. **confirm** (:func:`confirm_upload`): a separate process (``python -m etl.intake run UPLOAD_ID``)
   waits for the run lock, copies the staged files into the inbox and runs the ordinary job
   (``etl.jobs.guarded_run``): never a web worker thread, and a closed browser does not stop it;
4. **cancel** (:func:`cancel_upload`) discards the staged files; the manifest stays as history.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import duckdb
from openpyxl import Workbook

from etl import header_proposals
from etl.intake_progress import Progress, ProgressRecorder, read_progress
from etl.jobs import guarded_run
from etl.mapping import load_mapping
from etl.normalize import ident
from etl.readers import SUPPORTED, read_source
from etl.run import RunSummary, run_etl, run_on_copy
from warehouse import SQL_DIR as WAREHOUSE_SQL_DIR
from warehouse import query
from warehouse.errors import UserError
from warehouse.i18n import both
from warehouse.locks import LockBusy, etl_lock
from warehouse.publish import publish_snapshot
from warehouse.settings import Settings, load_settings

MACRO_SUFFIXES = (".xlsm", ".xlsb", ".xltm", ".xlam", ".docm", ".pptm")
# Spreadsheet formats the readers do not take: named so that the message says what to do.
OLD_SUFFIXES = (".xls", ".et", ".ods", ".numbers")
ZIP_SUFFIX = ".zip"
CHUNK = 1024 * 1024
# Members smaller than this are not judged by their compression ratio (tiny files compress oddly).
RATIO_MIN_BYTES = 1024 * 1024
FIRST_REJECTS = 50
UPDATE_SAMPLE = 5
SQL_DIR = WAREHOUSE_SQL_DIR / "intake"
STORED_REJECTS = 100_000

log = logging.getLogger("cockpit.intake")

STAGED, REFUSED = "staged", "refused"
# Upload states, in order: staged -> checked -> queued -> waiting -> running -> succeeded | failed;
# cancelled from staged or checked.
OPEN_STATES = ("staged", "checked")
ACTIVE_STATES = ("queued", "waiting", "running")


class IntakeError(UserError):
    """Something the clerk must be told (Chinese / English); ``status`` is the HTTP status to answer."""

    def __init__(self, key: str, status: int = 400, **params):
        self.zh, self.en = both(key, **params)
        super().__init__(f"{self.zh} / {self.en}")
        self.key = key
        self.status = status


@dataclass
class StagedFile:
    """One file of an upload: staged (kept by content hash) or refused with a reason."""

    name: str
    sha256: str | None = None
    size: int = 0
    status: str = STAGED
    reason: str | None = None  # i18n key under intake.refuse.*
    message_zh: str | None = None
    message_en: str | None = None
    inbox_name: str | None = None

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    def refuse(self, reason: str, **params) -> StagedFile:
        self.status = REFUSED
        self.reason = reason
        self.message_zh, self.message_en = both(f"intake.refuse.{reason}", name=self.name, **params)
        return self


@dataclass
class Upload:
    """An upload's manifest: who, when, which files, what the check found, how the run went."""

    upload_id: str
    actor: str
    created_at: str
    state: str = "staged"
    files: list[StagedFile] = field(default_factory=list)
    check: dict | None = None
    run_id: str | None = None
    snapshot_version: str | None = None
    message: str = ""
    pid: int | None = None
    updated_at: str | None = None

    @property
    def staged(self) -> list[StagedFile]:
        return [f for f in self.files if f.status == STAGED]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Upload:
        data = dict(data)
        data["files"] = [StagedFile(**f) for f in data.get("files", [])]
        return cls(**data)


# ---------------------------------------------------------------- manifests


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def uploads_dir(settings: Settings) -> Path:
    return settings.staging_dir / "uploads"


def files_dir(settings: Settings, upload_id: str) -> Path:
    return settings.staging_dir / "files" / upload_id


_UPLOAD_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")


def _manifest(settings: Settings, upload_id: str) -> Path:
    if not _UPLOAD_ID.match(upload_id or ""):
        raise IntakeError("intake.error.upload_gone", status=404)
    return uploads_dir(settings) / f"{upload_id}.json"


def save_upload(settings: Settings, upload: Upload) -> None:
    """Write the manifest atomically (a reader never sees half a file)."""
    upload.updated_at = _now()
    path = _manifest(settings, upload.upload_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(upload.to_dict(), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


def load_upload(settings: Settings, upload_id: str) -> Upload:
    """The upload's manifest.

    Raises:
        IntakeError: no such upload (404): the clerk is told to upload again.
    """
    path = _manifest(settings, upload_id)
    try:
        return Upload.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise IntakeError("intake.error.upload_gone", status=404) from None


def upload_history(settings: Settings, limit: int | None = 50) -> list[Upload]:
    """The newest uploads first (all of them with ``limit=None``)."""
    folder = uploads_dir(settings)
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.glob("*.json")), reverse=True)[:limit]
    out = []
    for name in names:
        try:
            out.append(load_upload(settings, name.removesuffix(".json")))
        except (IntakeError, ValueError, TypeError):
            continue
    return out


def new_upload(settings: Settings, actor: str) -> Upload:
    """A new, empty upload; staged uploads past ``staging_keep_days`` are cleaned up first."""
    cleanup_staging(settings)
    upload = Upload(
        upload_id=f"{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", actor=actor, created_at=_now()
    )
    save_upload(settings, upload)
    return upload


def cleanup_staging(settings: Settings, now: datetime | None = None) -> list[str]:
    """Discard the staged files of uploads untouched for more than ``staging_keep_days`` days.

    A finished or cancelled upload loses its staged files and stored rejects; an open one (staged or
    checked, never confirmed) is cancelled with a message saying why; a confirmed one still queued or
    running is left alone (its run reads the files). Manifests stay as history. A folder of staged
    files without a manifest (a crash between the two) goes once it is as old.

    Returns:
        The ids of the uploads (or orphan folders) cleaned.
    """
    if settings.staging_keep_days <= 0:
        return []
    now = now or datetime.now().astimezone()
    cutoff = now - timedelta(days=settings.staging_keep_days)
    cleaned = []
    for upload in upload_history(settings, limit=None):
        touched = datetime.fromisoformat(upload.updated_at or upload.created_at)
        if touched >= cutoff or upload.state in ACTIVE_STATES:
            continue
        folder = files_dir(settings, upload.upload_id)
        if upload.state in OPEN_STATES:
            upload.state = "cancelled"
            upload.message = " / ".join(both("intake_progress.expired", days=settings.staging_keep_days))
            save_upload(settings, upload)
        elif not folder.exists() and not rejects_path(settings, upload.upload_id).exists():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        rejects_path(settings, upload.upload_id).unlink(missing_ok=True)
        cleaned.append(upload.upload_id)
    for folder in (settings.staging_dir / "files").glob("*"):
        orphan = not (uploads_dir(settings) / f"{folder.name}.json").exists()
        if orphan and datetime.fromtimestamp(folder.stat().st_mtime).astimezone() < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            cleaned.append(folder.name)
    if cleaned:
        log.info("staging cleanup: %d upload(s) older than %d days", len(cleaned), settings.staging_keep_days)
    return cleaned


def staged_path(settings: Settings, upload: Upload, item: StagedFile) -> Path:
    return files_dir(settings, upload.upload_id) / f"{item.sha256}{item.suffix}"


# ---------------------------------------------------------------- staging and screening


def clean_name(name: str) -> str:
    """The file's own name, without any directory part or control character (never a path)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if ord(c) >= 32).strip().lstrip(".")
    return base[:200] or "upload"


def _spool(stream: BinaryIO, target: Path, limit: int) -> tuple[str, int] | None:
    """Copy ``stream`` to ``target`` while hashing; None (and no file left) once past ``limit`` bytes."""
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            digest.update(chunk)
            out.write(chunk)
    if size > limit:
        target.unlink(missing_ok=True)
        return None
    return digest.hexdigest(), size


def screen_file(path: Path, name: str) -> tuple[str, dict] | None:
    """Why a staged file cannot be loaded (reason, params), or None when it may go to the check.

    Only the formats the readers take pass; a workbook with macros is refused whatever its extension
    says (its VBA part is looked for, never run); a text file must not be binary.
    """
    suffix = Path(name).suffix.lower()
    if suffix in MACRO_SUFFIXES:
        return "macro_workbook", {}
    if suffix in OLD_SUFFIXES:
        return "old_format", {"suffix": suffix}
    if suffix not in SUPPORTED:
        return "not_spreadsheet", {"suffix": suffix or "—"}
    if suffix == ".xlsx":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        except (zipfile.BadZipFile, OSError, KeyError):
            return "not_spreadsheet", {"suffix": suffix}
        if not types or not any(n.startswith("xl/") for n in names):
            return "not_spreadsheet", {"suffix": suffix}
        if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
            return "macro_workbook", {}
        return None
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if b"\x00" in head or head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")):
        return "not_spreadsheet", {"suffix": suffix}
    return None


def add_file(settings: Settings, upload: Upload, name: str, stream: BinaryIO) -> list[StagedFile]:
    """Stage one uploaded file (a ``.zip`` becomes its members) and save the manifest.

    Returns:
        The entries added to the upload (refused ones included, each with its reason).

    Raises:
        IntakeError: the upload is no longer open (already confirmed or cancelled).
    """
    if upload.state not in OPEN_STATES:
        raise IntakeError("intake.error.not_open", status=409)
    folder = files_dir(settings, upload.upload_id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".incoming-{uuid.uuid4().hex}"
    name = clean_name(name)
    added: list[StagedFile] = []
    try:
        spooled = _spool(stream, tmp, settings.upload_max_bytes)
        if spooled is None:
            added.append(StagedFile(name).refuse("too_large", limit=_mb(settings.upload_max_bytes)))
        elif name.lower().endswith(ZIP_SUFFIX):
            added.extend(_unzip(settings, upload, name, tmp))
        else:
            added.append(_accept(settings, upload, name, tmp, *spooled))
    finally:
        tmp.unlink(missing_ok=True)
    upload.files.extend(added)
    if upload.state == "checked":  # new files make the old check stale
        upload.state, upload.check = "staged", None
    save_upload(settings, upload)
    return added


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n} B"


def _accept(
    settings: Settings, upload: Upload, name: str, tmp: Path, sha: str, size: int, pending: Iterable = ()
) -> StagedFile:
    item = StagedFile(name, sha256=sha, size=size)
    staged = upload.staged + [f for f in pending if f.status == STAGED]
    if len(staged) >= settings.upload_max_files:
        return item.refuse("too_many_files", limit=settings.upload_max_files)
    twin = next((f for f in staged if f.sha256 == sha), None)
    if twin is not None:
        return item.refuse("duplicate", other=twin.name)
    problem = screen_file(tmp, name)
    if problem is not None:
        return item.refuse(problem[0], **problem[1])
    if any(f.name == item.name for f in staged):  # two different files of one name (zip folders)
        item.name = f"{Path(name).stem}-{sha[:8]}{Path(name).suffix}"
    os.replace(tmp, staged_path(settings, upload, item))
    return item


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _unsafe_member(name: str) -> bool:
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts


def _unzip(settings: Settings, upload: Upload, zip_name: str, path: Path) -> list[StagedFile]:
    """Stage a zip's members, or refuse the whole zip when any member is unsafe.

    Refused outright: a member path with ``..`` or an absolute path, a link, more members than
    ``upload_max_files``, a declared total above ``upload_zip_max_total_bytes``, a member above
    ``upload_max_bytes`` or compressed more than ``upload_zip_max_ratio`` times (a zip bomb). The
    declared sizes are checked before anything is unpacked, and again while unpacking (a header that
    lies does not get past the limits).
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return [StagedFile(zip_name).refuse("bad_zip")]
    with zf:
        members = [
            i
            for i in zf.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not Path(i.filename).name.startswith(".")
        ]
        for info in zf.infolist():
            if _unsafe_member(info.filename):
                return [StagedFile(zip_name).refuse("zip_path", member=info.filename[:120])]
            if _is_link(info):
                return [StagedFile(zip_name).refuse("zip_link", member=info.filename[:120])]
        if len(members) > settings.upload_max_files:
            return [StagedFile(zip_name).refuse("too_many_files", limit=settings.upload_max_files)]
        if sum(i.file_size for i in members) > settings.upload_zip_max_total_bytes:
            return [StagedFile(zip_name).refuse("zip_bomb", limit=_mb(settings.upload_zip_max_total_bytes))]
        for info in members:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size >= RATIO_MIN_BYTES and ratio > settings.upload_zip_max_ratio:
                return [
                    StagedFile(zip_name).refuse("zip_bomb", limit=_mb(settings.upload_zip_max_total_bytes))
                ]
        out: list[StagedFile] = []
        budget = settings.upload_zip_max_total_bytes
        for info in members:
            member_name = clean_name(f"{info.filename}")
            tmp = files_dir(settings, upload.upload_id) / f".member-{uuid.uuid4().hex}"
            try:
                with zf.open(info) as stream:
                    spooled = _spool(stream, tmp, min(settings.upload_max_bytes, budget))
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
                tmp.unlink(missing_ok=True)
                out.append(StagedFile(member_name).refuse("bad_zip"))
                continue
            if spooled is None:
                return [
                    StagedFile(zip_name).refuse("zip_bomb", limit=_mb(settings.upload_zip_max_total_bytes))
                ]
            budget -= spooled[1]
            try:
                out.append(_accept(settings, upload, member_name, tmp, *spooled, pending=out))
            finally:
                tmp.unlink(missing_ok=True)
        return out


# ---------------------------------------------------------------- check (dry run)


def _kpis(path: Path, settings: Settings) -> dict[str, int | float | None]:
    if not path.exists():
        return {}
    start, end = settings.default_period()
    con = duckdb.connect(str(path), read_only=True)
    try:
        return query.kpis(con, query.Filters(start=start, end=end))
    finally:
        con.close()


def _proposals(report: dict | None, settings: Settings) -> dict:
    """The closest known fields for the headers of a file that nothing recognised (from its report)."""
    if not report or not report.get("headers"):
        return {}
    return header_proposals.propose(load_mapping(settings.mapping_file), report["headers"], report["entity"])


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


# Bookkeeping columns of the raw store: never shown as a change.
BOOK_COLUMNS = frozenset({"row_hash", "file_id", "source_row", "run_id", "loaded_at"})


def _update_sample(con, settings: Settings, entity_name: str, file_id: str, run_id: str) -> list[dict]:
    """Up to ``UPDATE_SAMPLE`` updated records of a file: id and each changed field, before -> after."""
    entity = load_mapping(settings.mapping_file).entities[entity_name]
    table, past, key = ident(entity.name), ident(entity.name + "_past"), ident(entity.key)
    text = _sql("update_sample").format(table=table, past=past, key=key)
    cursor = con.execute(text, {"run_id": run_id, "file_id": file_id, "max_rows": UPDATE_SAMPLE})
    names = [d[0] for d in cursor.description]
    half = len(names) // 2
    out = []
    for row in cursor.fetchall():
        after, before = (
            dict(zip(names[:half], row[:half], strict=True)),
            dict(zip(names[:half], row[half:], strict=True)),
        )
        changes = [
            {
                "field": name,
                "label": (entity.columns[name].headers or (name,))[0] if name in entity.columns else name,
                "before": _plain(before.get(name)),
                "after": _plain(value),
            }
            for name, value in after.items()
            if name not in BOOK_COLUMNS and before.get(name) != value
        ]
        out.append({"id": str(after.get(entity.key)), "changes": changes})
    return out


def _plain(value) -> str:
    return "" if value is None else str(value)


def rejects_path(settings: Settings, upload_id: str) -> Path:
    return uploads_dir(settings) / f"{upload_id}.rejects.json"


REJECT_FIELDS = (
    "file_id",
    "file_name",
    "source_row",
    "column_name",
    "reason_code",
    "message_zh",
    "message_en",
    "raw_value",
)


def _check_details(work: Settings, summary: RunSummary) -> tuple[list[dict], dict[str, list[dict]]]:
    """The check run's rejects (for the page and the "下载拒收行" workbook) and each updating file's
    sample of changes, read from the copy of the raw store the run wrote."""
    con = duckdb.connect(str(work.raw_db), read_only=True)
    try:
        rows = con.execute(_sql("check_rejects"), {"run_id": summary.run_id, "max_rows": STORED_REJECTS})
        rejects = [dict(zip(REJECT_FIELDS, r, strict=True)) for r in rows.fetchall()]
        samples = {
            f.file_id: _update_sample(con, work, f.entity, f.file_id, summary.run_id)
            for f in summary.files
            if f.status == "loaded" and f.rows_updated
        }
    finally:
        con.close()
    return rejects, samples


def check_upload(settings: Settings, upload: Upload, run_date: date | None = None) -> dict:
    """Dry-run the upload's staged files through the real ETL on a copy of the raw store.

    ``etl.run.run_on_copy`` copies the raw store under the run lock and runs ``run_etl`` (with its
    publish step, for the KPIs now -> after) on the copy with the staged files as its inbox, so the
    counts, rejects and messages are exactly those the confirmed run will produce against the same raw
    store. Each file's entry carries the run's own :class:`etl.report.FileReport` (``report``: sheets,
    hidden sheets, column mapping, unrecognised and absent columns, export date, counts, notes), plus
    the proposals for unknown headers, the first rejects and a sample of updates. The report is saved
    in the manifest (state ``checked``); every reject of the check is kept for the "下载拒收行" workbook.

    Raises:
        IntakeError: nothing staged, a staged file vanished (upload again), or a run in progress.
    """
    if upload.state not in OPEN_STATES:
        raise IntakeError("intake.error.not_open", status=409)
    staged = upload.staged
    if not staged:
        raise IntakeError("intake.error.nothing_staged")
    for item in staged:
        if not staged_path(settings, upload, item).exists():
            raise IntakeError("intake.error.upload_gone", status=410)
    tmp_root = settings.staging_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    clock = time.monotonic()
    with tempfile.TemporaryDirectory(dir=tmp_root) as inbox:
        # The staged files under their own names (the name may say the entity and the export date).
        for item in staged:
            os.link(staged_path(settings, upload, item), Path(inbox) / item.name)
        try:
            with run_on_copy(
                settings,
                Path(inbox),
                publish=publish_snapshot,
                trigger="check",
                run_date=run_date,
                copy_lock=lambda: etl_lock(settings),
                tmp_root=tmp_root,
            ) as (summary, work):
                rejects, samples = _check_details(work, summary)
                kpis_after = _kpis(work.published_db, settings)
        except LockBusy:
            raise IntakeError("intake.error.run_busy", status=409) from None
    files = []
    for result in summary.files:
        entry = {k: v for k, v in asdict(result).items() if k != "seconds"}
        entry["rows_loaded"] = result.rows_loaded
        entry["proposals"] = (
            _proposals(entry["report"], settings) if result.status != "already_loaded" else {}
        )
        entry["first_rejects"] = [r for r in rejects if r["file_id"] == result.file_id][:FIRST_REJECTS]
        entry["update_sample"] = samples.get(result.file_id, [])
        files.append(entry)
    report = {
        "checked_at": _now(),
        "seconds": round(time.monotonic() - clock, 2),
        "status": summary.status,
        "message": summary.message,
        "files": files,
        "rows_read": summary.rows_read,
        "rows_new": summary.rows_new,
        "rows_updated": summary.rows_updated,
        "rows_rejected": summary.rows_rejected,
        "rows_duplicate": summary.rows_duplicate,
        "rows_older": summary.rows_older,
        "rejects_by_reason": summary.rejects_by_reason,
        "kpis_before": _kpis(settings.published_db, settings),
        "kpis_after": kpis_after,
    }
    path = rejects_path(settings, upload.upload_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rejects, ensure_ascii=False, default=str), encoding="utf-8")
    upload.check, upload.state = report, "checked"
    save_upload(settings, upload)
    return report


def stored_rejects(settings: Settings, upload_id: str) -> list[dict]:
    path = rejects_path(settings, upload_id)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def rejects_workbook(settings: Settings, upload: Upload, sha256: str) -> bytes:
    """ "下载拒收行": the rejected rows of one staged file, exactly as the file had them (original headers
    and cells), followed by the source row number and 原因 (every reason of the row, in Chinese).

    Corrected in Excel/WPS and uploaded again, it is read like any export (the two extra columns are not
    mapped to any field).

    Raises:
        IntakeError: unknown file, or no rejected row in it.
    """
    item = next((f for f in upload.staged if f.sha256 == sha256), None)
    path = staged_path(settings, upload, item) if item else None
    if item is None or not path.exists():
        raise IntakeError("intake.error.upload_gone", status=404)
    reasons: dict[int, list[str]] = {}
    for r in stored_rejects(settings, upload.upload_id):
        if r["file_id"] == sha256 and r["source_row"] is not None:
            reasons.setdefault(int(r["source_row"]), []).append(r["message_zh"] or r["reason_code"])
    if not reasons:
        raise IntakeError("intake.error.no_rejects", status=404)
    con = duckdb.connect()
    try:
        source = read_source(con, path, load_mapping(settings.mapping_file), "src_rejects")
        width = len(source.headers)
        cols = ", ".join(f"c{j}" for j in range(width))
        con.execute("create temp table wanted (n bigint)")
        con.executemany("insert into wanted values (?)", [[n] for n in sorted(reasons)])
        rows = con.execute(
            f"select __row, {cols} from src_rejects where __row in (select n from wanted) order by __row"
        ).fetchall()
    finally:
        con.close()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "拒收行"
    row_header, reason_header = both("intake.rejects.source_row")[0], both("intake.rejects.reason")[0]
    sheet.append([*source.headers, row_header, reason_header])
    for row in rows:
        sheet.append([*row[1:], row[0], "；".join(dict.fromkeys(reasons[row[0]]))])
    out = tempfile.SpooledTemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out.read()


# ---------------------------------------------------------------- confirm, run, cancel


def cancel_upload(settings: Settings, upload: Upload) -> Upload:
    """Discard the staged files (the manifest stays, as history).

    Raises:
        IntakeError: the upload was already confirmed or cancelled.
    """
    if upload.state not in OPEN_STATES:
        raise IntakeError("intake.error.not_open", status=409)
    shutil.rmtree(files_dir(settings, upload.upload_id), ignore_errors=True)
    rejects_path(settings, upload.upload_id).unlink(missing_ok=True)
    upload.state = "cancelled"
    save_upload(settings, upload)
    return upload


def confirm_upload(settings: Settings, upload: Upload, start: bool = True) -> Upload:
    """Queue the checked upload and start its run in a separate process (see :func:`run_upload`).

    Raises:
        IntakeError: not checked yet (or changed since), or a staged file is gone (upload again).
    """
    if upload.state != "checked":
        raise IntakeError("intake.error.not_checked", status=409)
    for item in upload.staged:
        if not staged_path(settings, upload, item).exists():
            raise IntakeError("intake.error.upload_gone", status=410)
    upload.state = "queued"
    save_upload(settings, upload)
    if start:
        # The child owns the manifest from now on; its pid goes to a file of its own (rewriting the
        # manifest here could undo a state the child has just written).
        pid = start_run_process(settings, upload.upload_id)
        _pid_file(settings, upload.upload_id).write_text(str(pid), encoding="ascii")
    return upload


def _pid_file(settings: Settings, upload_id: str) -> Path:
    return uploads_dir(settings) / f"{upload_id}.pid"


def run_pid(settings: Settings, upload: Upload) -> int | None:
    """The process running a confirmed upload: recorded by the run itself, else by its starter."""
    if upload.pid:
        return upload.pid
    try:
        return int(_pid_file(settings, upload.upload_id).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def start_run_process(settings: Settings, upload_id: str) -> int:
    """Start ``python -m etl.intake run UPLOAD_ID`` in its own session (a closed browser or a restarted
    web worker does not stop it); its settings are the server's (same environment, same cockpit.toml),
    with the paths that may have been set in code passed explicitly."""
    env = dict(os.environ)
    env["COCKPIT_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    for name in ("mapping_file", "points_rules_file", "townships_geojson"):
        value = getattr(settings, name)
        if value is not None:
            env[f"COCKPIT_{name.upper()}"] = str(Path(value).resolve())
    log_path = uploads_dir(settings) / f"{upload_id}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "etl.intake", "run", upload_id],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # Reap the child when it ends (no zombie); the thread only waits, the work is in the child.
    threading.Thread(target=process.wait, daemon=True).start()
    return process.pid


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def refresh_upload(settings: Settings, upload_id: str) -> Upload:
    """The manifest, with a run whose process died without finishing marked as failed."""
    upload = load_upload(settings, upload_id)
    pid = run_pid(settings, upload)
    if upload.state in ACTIVE_STATES and pid and not _pid_alive(pid):
        time.sleep(0.2)  # the process may have just written its outcome
        upload = load_upload(settings, upload_id)
        if upload.state in ACTIVE_STATES:
            upload.state = "failed"
            upload.message = " / ".join(both("intake.error.run_died"))
            save_upload(settings, upload)
    return upload


def progress_path(settings: Settings, upload_id: str) -> Path:
    return uploads_dir(settings) / f"{upload_id}.progress.json"


def run_progress(settings: Settings, upload: Upload) -> Progress | None:
    """The confirmed run's last reported progress (see ``etl.intake_progress``), None before it starts."""
    if upload.state in OPEN_STATES or upload.state == "cancelled":
        return None
    return read_progress(progress_path(settings, upload.upload_id))


def _inbox_name(settings: Settings, item: StagedFile) -> str:
    """The file's name in the inbox; a different file already there under that name keeps its own."""
    target = settings.inbox / item.name
    if not target.exists():
        return item.name
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest == item.sha256:
        return item.name
    return f"{Path(item.name).stem}-{item.sha256[:8]}{Path(item.name).suffix}"


def _deliver(settings: Settings, upload: Upload) -> None:
    """Copy the staged files into the inbox (under the run lock: the run that follows is the one that
    reads them); a partial copy is never visible (hidden temp name, then rename)."""
    settings.inbox.mkdir(parents=True, exist_ok=True)
    for item in upload.staged:
        item.inbox_name = _inbox_name(settings, item)
        target = settings.inbox / item.inbox_name
        if not target.exists():
            tmp = settings.inbox / f".{item.sha256}.tmp"
            shutil.copyfile(staged_path(settings, upload, item), tmp)
            os.replace(tmp, target)


def run_upload(
    settings: Settings, upload_id: str, poll_seconds: float = 2.0, wait_hours: float = 6.0
) -> Upload:
    """The confirmed run: wait for the run lock (state ``waiting``), copy the files into the inbox and
    run the ordinary incremental job; record the outcome (run id, snapshot version) in the manifest."""
    upload = load_upload(settings, upload_id)
    if upload.state not in ("queued", "waiting"):
        return upload
    upload.pid = os.getpid()
    save_upload(settings, upload)
    deadline = time.monotonic() + wait_hours * 3600
    progress = ProgressRecorder(progress_path(settings, upload_id))
    progress("queued", files_total=len(upload.staged))

    def work(s: Settings):
        upload.state = "running"
        save_upload(s, upload)
        progress("delivering")
        _deliver(s, upload)
        # The run reads the whole inbox (files loaded before are reported "already loaded"): all count.
        return run_etl(s, trigger="intake", progress=progress)

    while True:
        try:
            status = guarded_run(settings, "intake", work)
            break
        except LockBusy:
            if upload.state != "waiting":
                upload.state = "waiting"
                save_upload(settings, upload)
                progress("waiting")
            if time.monotonic() > deadline:
                upload.state, upload.message = "failed", " / ".join(both("ops.lock.run_busy"))
                save_upload(settings, upload)
                return upload
            time.sleep(poll_seconds)
        except BaseException as exc:
            upload.state, upload.message = "failed", f"{type(exc).__name__}: {exc}"[:500]
            save_upload(settings, upload)
            raise
    upload.state = "succeeded" if status.ok else "failed"
    upload.run_id, upload.snapshot_version, upload.message = (
        status.run_id,
        status.snapshot_version,
        status.message,
    )
    result = status.result
    files = getattr(result, "files", []) or []
    progress("finished", files_done=len(files), rows=getattr(result, "rows_read", 0))
    outcome = {f.file_id: f for f in files}
    for item in upload.staged:
        found = outcome.get(item.sha256)
        if found is not None and found.status in ("rejected", "failed"):
            item.message_zh, item.message_en = found.message_zh, found.message_en
    save_upload(settings, upload)
    return upload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl.intake", description="数据导入 / web intake jobs")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a confirmed upload (started by the import page)")
    run.add_argument("upload_id")
    args = parser.parse_args(argv)
    upload = run_upload(load_settings(), args.upload_id)
    return 0 if upload.state == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
