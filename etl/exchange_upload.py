"""An exchange package uploaded on ``/import`` at a city or province: screened, then loaded like the inbox's.

The upload is held to the limits of every upload (``etl.intake``: ``upload_max_bytes``; a zip with
``..``, absolute or link members, more members than a package has, a declared total above
``upload_zip_max_total_bytes`` or a member compressed more than ``upload_zip_max_ratio`` times is
refused before anything is read from it), then it goes through exactly the checks of ``cockpit exchange
load`` (``warehouse.exchange.load_packages``: format version, checksums and row counts, region within
the root, coverage) and, when loaded, the roll-up is published. Python's zip reader never yields more
than a member's declared size, so the declared sizes checked here bound what loading unpacks.

The file is spooled to ``exchange/uploads/`` and then filed like an inbox package: ``exchange/archive/``
(loaded or ignored) or ``exchange/rejected/``; a file refused by the screening is not kept.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from etl.intake import RATIO_MIN_BYTES, IntakeError, _is_link, _mb, _spool, _unsafe_member, clean_name
from warehouse.errors import UserError
from warehouse.exchange import MANIFEST, PACKAGE_SUFFIX, LoadResult, load_packages
from warehouse.locks import LockBusy
from warehouse.regions import is_within, region_table
from warehouse.settings import Settings

# A package holds one Parquet file per snapshot table and its manifest; far fewer than this.
MAX_MEMBERS = 200
UPPER_LEVELS = ("city", "province")


@dataclass(frozen=True)
class PackageUpload:
    """What became of an uploaded package: the load's result and the published version (or None)."""

    name: str
    sha256: str
    size: int
    result: LoadResult
    published_version: str | None


def accepts_packages(settings: Settings) -> bool:
    """Whether this deployment rolls up exchange packages (its root is a city or a province)."""
    return region_table(settings.region_table).get(settings.root_region).level in UPPER_LEVELS


def _screen(settings: Settings, path: Path, name: str, scope: str | None) -> None:
    """Refuse (IntakeError) a file that is not a safe zip, or a package outside the uploader's scope."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise IntakeError("exchange_web.refuse.not_zip", status=422, name=name) from None
    with archive:
        members = archive.infolist()
        for info in members:
            if _unsafe_member(info.filename):
                raise IntakeError("intake.refuse.zip_path", status=422, name=name, member=info.filename[:120])
            if _is_link(info):
                raise IntakeError("intake.refuse.zip_link", status=422, name=name, member=info.filename[:120])
        if len(members) > MAX_MEMBERS:
            raise IntakeError(
                "exchange_web.refuse.too_many_members", status=422, name=name, limit=MAX_MEMBERS
            )
        limit = _mb(settings.upload_zip_max_total_bytes)
        if sum(i.file_size for i in members) > settings.upload_zip_max_total_bytes:
            raise IntakeError("intake.refuse.zip_bomb", status=422, name=name, limit=limit)
        for info in members:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size >= RATIO_MIN_BYTES and ratio > settings.upload_zip_max_ratio:
                raise IntakeError("intake.refuse.zip_bomb", status=422, name=name, limit=limit)
        if scope:
            code = _manifest_region(archive)
            if code is not None and not _within(code, scope):
                raise IntakeError(
                    "exchange_web.refuse.outside_scope", status=403, name=name, code=code, scope=scope
                )


def _within(code: str, scope: str) -> bool:
    try:
        return is_within(code, scope)
    except UserError:  # not a division code: the load rejects it with its own message
        return True


def _manifest_region(archive: zipfile.ZipFile) -> str | None:
    """The region a package claims (None when there is no readable manifest: the load rejects it)."""
    try:
        info = archive.getinfo(MANIFEST)
        if info.file_size > RATIO_MIN_BYTES:
            return None
        manifest = json.loads(archive.read(info).decode("utf-8"))
        return str(manifest["region_code"])
    except (KeyError, TypeError, ValueError, zipfile.BadZipFile):
        return None


def receive_package(
    settings: Settings, name: str, stream: BinaryIO, scope: str | None = None, run_id: str | None = None
) -> PackageUpload:
    """Screen an uploaded exchange package and load it (publishing the roll-up when it is newer).

    Args:
        settings: The deployment's settings (a city or province root).
        name: The file name the browser sent.
        stream: The upload's body.
        scope: The uploader's region scope (significant digits), None for the whole deployment.
        run_id: Recorded in the published snapshot.

    Returns:
        The outcome; a package the load rejects is an outcome too (``result.status == "rejected"``).

    Raises:
        IntakeError: Not a city or province deployment (403), the file is too large (413), not a
            ``.zip``, an unsafe zip (422), outside the uploader's scope (403), or a run holds the lock (409).
    """
    if not accepts_packages(settings):
        raise IntakeError("exchange_web.error.not_upper", status=403, code=settings.root_region)
    name = clean_name(name)
    if not name.lower().endswith(PACKAGE_SUFFIX):
        raise IntakeError("exchange_web.refuse.not_zip", status=422, name=name)
    folder = settings.exchange_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / f".incoming-{uuid.uuid4().hex}"
    work.mkdir()
    path = work / name
    try:
        spooled = _spool(stream, path, settings.upload_max_bytes)
        if spooled is None:
            raise IntakeError(
                "intake.refuse.too_large", status=413, name=name, limit=_mb(settings.upload_max_bytes)
            )
        _screen(settings, path, name, scope)
        try:
            results, version = load_packages(settings, [path], run_id=run_id, file_away=True)
        except LockBusy:
            raise IntakeError("intake.error.run_busy", status=409) from None
    finally:
        path.unlink(missing_ok=True)
        work.rmdir()
    sha256, size = spooled
    return PackageUpload(name, sha256, size, results[0], version)
