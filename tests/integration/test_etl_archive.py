"""Loaded inbox files move to a dated archive; the same content dropped again is still "already loaded"."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from etl.run import dry_run, run_etl
from warehouse.settings import Settings

RUN_DATE = date(2024, 1, 19)
TOWNSHIPS = "乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n150205101000,五当召镇,镇\n".encode()
UNKNOWN = "甲,乙\n1,2\n".encode()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", quarantine_settle_seconds=60)
    settings.inbox.mkdir(parents=True)
    return settings


def _drop(settings: Settings, name: str, content: bytes, age_seconds: int = 3600) -> Path:
    path = settings.inbox / name
    path.write_bytes(content)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def _run(settings: Settings):
    return run_etl(settings, run_date=RUN_DATE, publish=None)


def test_loaded_file_moves_to_the_dated_archive_and_is_not_read_again(settings: Settings):
    _drop(settings, "乡镇_20240119.csv", TOWNSHIPS)
    first = _run(settings)
    assert [(f.status, f.archived) for f in first.files] == [
        ("loaded", "archive/2024-01-19/乡镇_20240119.csv")
    ]
    assert list(settings.inbox.iterdir()) == []
    assert (settings.data_dir / first.files[0].archived).read_bytes() == TOWNSHIPS
    assert "1 个已导入的文件已移出收件目录，存放在 archive/2024-01-19" in first.describe()
    assert "1 loaded file(s) moved out of the inbox to archive/2024-01-19" in first.describe("en")

    second = _run(settings)
    assert second.files == []  # nothing left to read


def test_same_content_dropped_again_is_already_loaded_and_archived_under_a_unique_name(settings: Settings):
    _drop(settings, "乡镇_20240119.csv", TOWNSHIPS)
    _run(settings)
    _drop(settings, "乡镇_20240119.csv", TOWNSHIPS)
    again = _run(settings)
    assert [(f.status, f.archived) for f in again.files] == [
        ("already_loaded", "archive/2024-01-19/乡镇_20240119 (2).csv")
    ]
    held = sorted(p.name for p in (settings.data_dir / "archive" / "2024-01-19").iterdir())
    assert held == ["乡镇_20240119 (2).csv", "乡镇_20240119.csv"]


def test_files_still_arriving_rejected_for_headers_or_previewed_stay_in_the_inbox(settings: Settings):
    _drop(settings, "乡镇_20240119.csv", TOWNSHIPS, age_seconds=0)
    _drop(settings, "不认识.csv", UNKNOWN)
    summary = dry_run(settings, run_date=RUN_DATE)
    assert {f.file_name: f.archived for f in summary.files} == {"乡镇_20240119.csv": None, "不认识.csv": None}

    summary = _run(settings)
    statuses = {f.file_name: (f.status, f.archived) for f in summary.files}
    assert statuses == {"乡镇_20240119.csv": ("loaded", None), "不认识.csv": ("rejected", None)}
    assert sorted(p.name for p in settings.inbox.iterdir()) == ["不认识.csv", "乡镇_20240119.csv"]

    # Settled by the next run: recognised by its hash, then archived.
    settled = time.time() - 3600
    os.utime(settings.inbox / "乡镇_20240119.csv", (settled, settled))
    summary = _run(settings)
    statuses = {f.file_name: (f.status, f.archived) for f in summary.files}
    assert statuses["乡镇_20240119.csv"] == ("already_loaded", "archive/2024-01-19/乡镇_20240119.csv")
    assert [p.name for p in settings.inbox.iterdir()] == ["不认识.csv"]
