"""Issue 12, behaviour 10: an inbox file that still fails (unreadable, aborted) leaves the inbox after its
run for data_dir/quarantine/<run date>/ with a reason file; files rejected for their headers stay."""

from __future__ import annotations

import io
import os
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl

from cockpit.cli import main
from etl.rejects import list_rejects, open_raw_read_only
from etl.run import dry_run, run_etl
from warehouse.settings import Settings

RUN_DATE = date(2024, 1, 19)
TOWNSHIPS = "乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n150205101000,五当召镇,镇\n"
TRUNCATED_ZH = "文件不完整（复制或下载可能中断了）；请重新导出或重新复制该文件"
TRUNCATED_EN = "The file is incomplete (a copy or download was probably interrupted); export or copy it again"


def _settings(tmp_path: Path, settle: int = 0) -> Settings:
    return replace(Settings(data_dir=tmp_path / "data"), quarantine_settle_seconds=settle)


def _truncated_workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["乡镇代码", "乡镇", "类型"])
    for n in range(200):
        book.active.append([f"150205{n:03d}000", f"乡镇{n}", "镇"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def _drop(tmp_path: Path, files: dict[str, str | bytes], age_seconds: int = 3600) -> Path:
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    old = time.time() - age_seconds
    for name, content in files.items():
        path = inbox / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        os.utime(path, (old, old))
    return inbox


def _run(settings: Settings):
    return run_etl(settings, run_date=RUN_DATE, publish=None)


def _moved(path: str) -> tuple[str, str]:
    return (
        f"已移出收件目录，放在 {path}（原因见同名 .reason.txt）；修改后重新放入收件目录即可再次导入",
        f"Moved out of the inbox to {path} (reason in the .reason.txt beside it); "
        "fix it and drop it into the inbox again to load it",
    )


def test_unreadable_file_is_quarantined_with_a_reason_and_the_rest_loads(tmp_path: Path, capsys) -> None:
    settings = _settings(tmp_path)
    bad = _truncated_workbook()
    inbox = _drop(tmp_path, {"01_乡镇.csv": TOWNSHIPS, "02_乡镇补充.xlsx": bad})
    summary = _run(settings)

    assert summary.files_loaded == 1 and summary.rows_new == 2
    result = next(f for f in summary.files if f.file_name == "02_乡镇补充.xlsx")
    held = "quarantine/2024-01-19/02_乡镇补充.xlsx"
    assert (result.status, result.reason_code, result.quarantined) == ("rejected", "unreadable", held)
    zh, en = _moved(held)
    assert result.message_zh == f"{TRUNCATED_ZH}；{zh}"
    assert result.message_en == f"{TRUNCATED_EN}; {en}"
    assert list(inbox.iterdir()) == []  # the loaded file went to the archive (etl.archive)
    assert (settings.data_dir / "archive/2024-01-19/01_乡镇.csv").read_bytes() == TOWNSHIPS.encode()
    target = settings.data_dir / held
    assert target.read_bytes() == bad
    assert target.with_name("02_乡镇补充.xlsx.reason.txt").read_text(encoding="utf-8") == (
        f"文件：02_乡镇补充.xlsx\n运行：{summary.run_id}\n原因（unreadable）：{TRUNCATED_ZH}\n"
        "处理：修改或重新导出后，把文件重新放入收件目录；本文件不会被当作“已导入”。\n\n"
        f"File: 02_乡镇补充.xlsx\nRun: {summary.run_id}\nReason (unreadable): {TRUNCATED_EN}\n"
        "What to do: fix or re-export the file and drop it into the inbox again; it does not count as loaded.\n"
    )
    # The run summary and `cockpit etl rejects` say where the file went.
    assert "02_乡镇补充.xlsx [?] " in summary.describe() and held in summary.describe()
    with open_raw_read_only(settings) as con:
        _, rows = list_rejects(con)
    assert [(r["file_name"], r["reason_code"], r["message_zh"]) for r in rows] == [
        ("02_乡镇补充.xlsx", "unreadable", result.message_zh)
    ]
    assert main(["etl", "rejects", "--data-dir", str(settings.data_dir)]) == 0
    assert (
        f"02_乡镇补充.xlsx\t—\tunreadable\t{result.message_zh} / {result.message_en}"
        in capsys.readouterr().out
    )

    # The next run does not see it; dropped back unchanged, it is rejected again (never "already loaded")
    # and held beside the first copy.
    assert _run(settings).files_rejected == 0
    _drop(tmp_path, {"02_乡镇补充.xlsx": bad})
    again = next(f for f in _run(settings).files if f.file_name == "02_乡镇补充.xlsx")
    assert (again.status, again.quarantined) == ("rejected", "quarantine/2024-01-19/02_乡镇补充 (2).xlsx")
    assert (settings.data_dir / again.quarantined).read_bytes() == bad
    assert not (inbox / "02_乡镇补充.xlsx").exists()


def test_identical_copies_of_a_failing_file_are_each_quarantined(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    bad = _truncated_workbook()
    _drop(tmp_path, {"a.xlsx": bad, "a - 副本.xlsx": bad})
    summary = _run(settings)
    got = {f.file_name: (f.status, f.quarantined, f.message_en) for f in summary.files}
    assert got == {
        name: (
            "rejected",
            f"quarantine/2024-01-19/{name}",
            f"{TRUNCATED_EN}; {_moved(f'quarantine/2024-01-19/{name}')[1]}",
        )
        for name in ("a.xlsx", "a - 副本.xlsx")
    }
    assert sorted(p.name for p in (settings.data_dir / "quarantine" / "2024-01-19").iterdir()) == [
        "a - 副本.xlsx",
        "a - 副本.xlsx.reason.txt",
        "a.xlsx",
        "a.xlsx.reason.txt",
    ]


def test_files_that_stay_in_the_inbox(tmp_path: Path) -> None:
    """Header rejects (cured by a mapping fix), files still arriving, and previews are never moved."""
    unknown = "甲,乙\n1,2\n"
    bad = _truncated_workbook()
    inbox = _drop(tmp_path, {"未知.csv": unknown, "旧的.xlsx": bad})
    _drop(tmp_path, {"刚复制.xlsx": bad}, age_seconds=0)
    names = ["刚复制.xlsx", "旧的.xlsx", "未知.csv"]

    preview = dry_run(_settings(tmp_path), run_date=RUN_DATE)
    assert preview.files_rejected == 3 and sorted(p.name for p in inbox.iterdir()) == names

    summary = _run(_settings(tmp_path, settle=300))
    got = {f.file_name: (f.status, f.reason_code, f.quarantined) for f in summary.files}
    assert got == {
        "未知.csv": ("rejected", "unknown_entity", None),
        "刚复制.xlsx": ("rejected", "unreadable", None),
        "旧的.xlsx": ("rejected", "unreadable", "quarantine/2024-01-19/旧的.xlsx"),
    }
    assert sorted(p.name for p in inbox.iterdir()) == ["刚复制.xlsx", "未知.csv"]
    assert _settings(tmp_path).quarantine_settle_seconds == 0
    assert Settings(data_dir=tmp_path).quarantine_settle_seconds == 300
