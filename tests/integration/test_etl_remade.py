"""The demo's own exports re-made the ways clerks and office software re-make them, loaded AFTER the
originals: nothing new, nothing updated, the same row rejects, the same KPIs (issue 12).

The demo is loaded once (module fixture); each case copies that data directory, drops only the re-made
file into an empty inbox and runs the ETL (with publishing) again.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest

from etl.demo.generator import generate
from etl.run import run_etl
from warehouse.query import Filters, kpis
from warehouse.settings import Settings

pytestmark = pytest.mark.slow
RUN_DATE = date(2024, 1, 20)
YEAR_2023 = Filters(start=date(2023, 1, 1), end=date(2023, 12, 31))
ACTIVITIES = "履职活动_2023上半年_20230705.xlsx"
SUGGESTIONS = "意见建议_2023上半年_20230705.csv"
ENTITIES = ("townships", "homes", "deputies", "activities", "suggestions", "cases", "projects")


def _fingerprint(settings: Settings) -> dict[str, tuple]:
    with duckdb.connect(str(settings.raw_db), read_only=True) as con:
        return {
            t: con.execute(
                f"select count(*), md5(string_agg(row_hash, ',' order by row_hash)) from {t}"
            ).fetchone()
            for t in ENTITIES
        }


def _kpis(settings: Settings) -> dict:
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        return kpis(con, YEAR_2023)


def _rejects(settings: Settings, file_name: str) -> Counter:
    with duckdb.connect(str(settings.raw_db), read_only=True) as con:
        rows = con.execute(
            "select reason_code from rejects where file_name = ? and source_row is not null", [file_name]
        ).fetchall()
    return Counter(r[0] for r in rows)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("remade")
    settings = Settings(data_dir=root / "data")
    settings.inbox.mkdir(parents=True)
    generate(settings.inbox)
    originals = root / "originals"
    shutil.copytree(settings.inbox, originals)
    summary = run_etl(settings, trigger="demo", run_date=RUN_DATE)
    assert summary.status == "succeeded"
    return settings, originals, _fingerprint(settings), _kpis(settings)


def _workbook_rows(path: Path) -> list[list]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _save(rows_by_sheet: dict[str, list[list]], target: Path, hidden: tuple[str, ...] = ()) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in rows_by_sheet.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(target)


def _header_index(rows: list[list]) -> int:
    return next(i for i, r in enumerate(rows) if r and r[0] == "活动编号")


def units_and_two_row_headers(src: Path, inbox: Path) -> str:
    rows = _workbook_rows(src / ACTIVITIES)
    h = _header_index(rows)
    header = list(rows[h])
    header[header.index("接待群众人次")] = "接待群众人次（人）"
    header[header.index("活动日期")] = "活动日期\n(年月日)"
    header[header.index("活动主题")] = "活动主题【选填】"
    group = ["基本信息", None, None, None, None, "接待情况", "参会情况", None]
    name = "履职活动_2023上半年_重新保存_20230705.xlsx"
    _save({"Sheet1": [*rows[:h], group, header, *rows[h + 1 :]]}, inbox / name)
    return name


def without_optional_columns(src: Path, inbox: Path) -> str:
    rows = _workbook_rows(src / ACTIVITIES)
    drop = {rows[_header_index(rows)].index(c) for c in ("活动主题", "缺席代表编号")}
    name = "履职活动_2023上半年_精简_20230705.xlsx"
    _save({"Sheet1": [[c for j, c in enumerate(r) if j not in drop] for r in rows]}, inbox / name)
    return name


def split_over_sheets_with_a_hidden_one(src: Path, inbox: Path) -> str:
    rows = _workbook_rows(src / ACTIVITIES)
    h = _header_index(rows)
    data = rows[h + 1 :]
    half = len(data) // 2
    sheets = {
        "1-3月": [*rows[: h + 1], *data[:half]],
        "草稿": [rows[h], ["HD299900001", "JD001", 44929, "学习", "草稿", 1, None, None]],
        "4-6月": [rows[h], *data[half:]],
    }
    name = "履职活动_2023上半年_分表_20230705.xlsx"
    _save(sheets, inbox / name, hidden=("草稿",))
    return name


def dates_with_a_time(src: Path, inbox: Path) -> str:
    rows = _workbook_rows(src / ACTIVITIES)
    h = _header_index(rows)
    col = rows[h].index("活动日期")
    for k, row in enumerate(rows[h + 1 :]):
        if isinstance(row[col], int):  # an Excel serial: the same day at 9:36, or as text with a time
            row[col] = row[col] + 0.4 if k % 2 else f"{row[col]}.75"
    name = "履职活动_2023上半年_含时间_20230705.xlsx"
    _save({"Sheet1": rows}, inbox / name)
    return name


def formulas_with_cached_values(src: Path, inbox: Path) -> str:
    name = "履职活动_2023上半年_公式_20230705.xlsx"
    target = inbox / name
    shutil.copy(src / ACTIVITIES, target)
    with zipfile.ZipFile(target) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    xml = parts[sheet].decode()
    # Every plain number cell becomes a formula with its cached value, as Excel saves it.
    xml, n = re.subn(
        r'<c r="([A-Z]+\d+)"( s="\d+")? t="n"><v>([^<]*)</v></c>',
        r'<c r="\1"\2><f>\3+0</f><v>\3</v></c>',
        xml,
    )
    assert n > 10
    parts[sheet] = xml.encode()
    with zipfile.ZipFile(target, "w") as zf:
        for part, data in parts.items():
            zf.writestr(part, data)
    return name


def older_export_reencoded_and_renamed(src: Path, inbox: Path) -> str:
    name = "建议导出（另存为UTF8）_2023-07-05.csv"
    (inbox / name).write_text((src / SUGGESTIONS).read_bytes().decode("gb18030"), encoding="utf-8-sig")
    return name


CASES: dict[str, tuple[Callable[[Path, Path], str], str]] = {
    "1 units, notes, line breaks, group row": (units_and_two_row_headers, ACTIVITIES),
    "2 re-export without optional columns": (without_optional_columns, ACTIVITIES),
    "3 split over sheets, hidden sheet": (split_over_sheets_with_a_hidden_one, ACTIVITIES),
    "4 dates with a time": (dates_with_a_time, ACTIVITIES),
    "5 formulas with cached values": (formulas_with_cached_values, ACTIVITIES),
    "7 older export re-encoded and renamed": (older_export_reencoded_and_renamed, SUGGESTIONS),
}


@pytest.mark.parametrize("case", list(CASES))
def test_remade_export_changes_nothing(demo, tmp_path: Path, case: str) -> None:
    settings0, originals, fingerprint, kpis0 = demo
    remake, original = CASES[case]
    settings = Settings(data_dir=tmp_path / "data")
    shutil.copytree(settings0.data_dir, settings.data_dir, ignore=shutil.ignore_patterns("inbox"))
    settings.inbox.mkdir()
    name = remake(originals, settings.inbox)
    summary = run_etl(settings, trigger="cli", run_date=RUN_DATE)
    f = summary.files[0]
    assert (f.file_name, f.status) == (name, "loaded"), f.message_zh
    assert (f.rows_new, f.rows_updated) == (0, 0)
    expected = _rejects(settings0, original)
    assert expected and _rejects(settings, name) == expected
    assert f.rows_read == f.rows_rejected + f.rows_duplicate + f.rows_older
    assert _fingerprint(settings) == fingerprint
    assert _kpis(settings) == kpis0
    if case.startswith("3"):
        assert [s.name for s in f.report.sheets] == ["1-3月", "4-6月"] and f.report.hidden_sheets == ["草稿"]
    if case.startswith("7"):
        assert f.rows_older > 0 and f.report.export_date_source == "file_name"
