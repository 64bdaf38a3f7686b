"""Upkeep of the web intake's staging area: staged uploads older than ``staging_keep_days`` are cleaned
when a new upload is staged; recent ones and confirmed runs still in progress keep their files."""

from __future__ import annotations

import io
import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from etl import intake
from warehouse.settings import Settings

CSV = "建议编号,标题\nS01,好建议\n"


def _stage(settings: Settings, text: str = CSV) -> intake.Upload:
    upload = intake.new_upload(settings, "clerk1")
    intake.add_file(settings, upload, "建议.csv", io.BytesIO(text.encode("utf-8")))
    return upload


def _age(settings: Settings, upload: intake.Upload, days: int, state: str | None = None) -> None:
    """Rewrite the manifest as if the upload was last touched ``days`` ago (optionally in ``state``)."""
    path = intake.uploads_dir(settings) / f"{upload.upload_id}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    when = (datetime.now().astimezone() - timedelta(days=days)).isoformat(timespec="seconds")
    data["created_at"] = data["updated_at"] = when
    if state:
        data["state"] = state
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _files(settings: Settings, upload: intake.Upload) -> list[Path]:
    folder = intake.files_dir(settings, upload.upload_id)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_new_upload_cleans_old_staged_uploads_and_keeps_the_history(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.staging_keep_days == 14
    done_old = _stage(settings, CSV + "S02,一\n")
    open_old = _stage(settings, CSV + "S03,二\n")
    running_old = _stage(settings, CSV + "S04,三\n")
    recent = _stage(settings, CSV + "S05,四\n")
    intake.rejects_path(settings, done_old.upload_id).write_text("[]", encoding="utf-8")
    _age(settings, done_old, 15, state="succeeded")
    _age(settings, open_old, 15)
    _age(settings, running_old, 30, state="running")
    _age(settings, recent, 13)
    orphan = intake.files_dir(settings, "leftover")
    orphan.mkdir(parents=True)
    (orphan / "x.csv").write_text(CSV, encoding="utf-8")
    old = time.time() - 20 * 86400
    os.utime(orphan, (old, old))

    newest = _stage(settings)  # staging a new upload runs the cleanup

    assert _files(settings, done_old) == []
    assert not intake.rejects_path(settings, done_old.upload_id).exists()
    assert intake.load_upload(settings, done_old.upload_id).state == "succeeded"  # history kept
    assert _files(settings, open_old) == []
    expired = intake.load_upload(settings, open_old.upload_id)
    assert expired.state == "cancelled"
    assert (
        "14" in expired.message and "重新上传" in expired.message and "upload them again" in expired.message
    )
    assert len(_files(settings, running_old)) == 1  # its run still reads the file
    assert len(_files(settings, recent)) == 1
    assert len(_files(settings, newest)) == 1
    assert not orphan.exists()
    history = {u.upload_id for u in intake.upload_history(settings, limit=None)}
    assert {done_old.upload_id, open_old.upload_id, running_old.upload_id, recent.upload_id} <= history


def test_cleanup_follows_the_setting_and_zero_keeps_everything(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", staging_keep_days=3)
    upload = _stage(settings)
    _age(settings, upload, 2, state="failed")
    assert intake.cleanup_staging(settings) == []
    assert len(_files(settings, upload)) == 1
    _age(settings, upload, 4, state="failed")
    assert intake.cleanup_staging(settings.with_(staging_keep_days=0)) == []
    assert len(_files(settings, upload)) == 1
    assert intake.cleanup_staging(settings) == [upload.upload_id]
    assert _files(settings, upload) == []
    assert intake.cleanup_staging(settings) == []  # nothing left to clean: not reported again
