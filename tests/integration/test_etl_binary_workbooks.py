"""Binary workbooks clerks re-save (issue 12, behaviour 9): BIFF ``.xls`` (Excel 97-2003, WPS's default
"兼容" format) and OpenDocument ``.ods`` (LibreOffice), generated here with xlwt and odfpy, load with the
exact values of the same rows in ``.xlsx``: real date cells, numbers as numbers, a hidden sheet skipped."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlwt

from tests.integration.test_etl_exports import _activities, _base, _drop, _file, _run

HEADER = ["活动编号", "活动日期", "活动类型", "接待群众人次（人）"]
EXPECTED = [("A1", date(2023, 5, 6), "学习", 3), ("A2", date(2023, 7, 9), "议事", 4)]


def _biff(path: Path) -> bytes:
    """An Excel 97-2003 workbook: a date cell, a date-time cell, counts as numbers, a hidden old sheet."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("活动")
    day = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    moment = xlwt.easyxf(num_format_str="yyyy/m/d h:mm")
    for col, name in enumerate(HEADER):
        sheet.write(0, col, name)
    sheet.write(1, 0, "A1")
    sheet.write(1, 1, datetime(2023, 5, 6), day)
    sheet.write(1, 2, "学习")
    sheet.write(1, 3, 3)
    sheet.write(2, 0, "A2")
    sheet.write(2, 1, datetime(2023, 7, 9, 14, 30), moment)
    sheet.write(2, 2, "议事")
    sheet.write(2, 3, 4)
    old = book.add_sheet("旧")
    for col, name in enumerate(HEADER):
        old.write(0, col, name)
    old.write(1, 0, "A9")
    old.write(1, 1, datetime(2020, 1, 1), day)
    old.write(1, 2, "学习")
    old.visibility = 1  # hidden: a clerk's leftover, not data to load
    book.save(str(path))
    return path.read_bytes()


def _ods(path: Path) -> bytes:
    frame = pd.DataFrame(
        [["A1", datetime(2023, 5, 6), "学习", 3], ["A2", datetime(2023, 7, 9, 14, 30), "议事", 4]],
        columns=HEADER,
    )
    frame.to_excel(path, engine="odf", index=False, sheet_name="活动")
    return path.read_bytes()


def test_biff_xls_loads_exact_values_and_skips_its_hidden_sheet(tmp_path: Path) -> None:
    _base(tmp_path)
    _drop(tmp_path, {"04_活动_兼容.xls": _biff(tmp_path / "a.xls")})
    summary = _run(tmp_path)
    loaded = _file(summary, "04_活动_兼容.xls")
    assert loaded.status == "loaded", loaded.message_zh
    assert loaded.rows_rejected == 0 and loaded.rows_read == 2
    assert _activities(tmp_path) == EXPECTED
    assert loaded.report.hidden_sheets == ["旧"]


def test_ods_loads_exact_values(tmp_path: Path) -> None:
    _base(tmp_path)
    _drop(tmp_path, {"04_活动_开放格式.ods": _ods(tmp_path / "a.ods")})
    summary = _run(tmp_path)
    loaded = _file(summary, "04_活动_开放格式.ods")
    assert loaded.status == "loaded", loaded.message_zh
    assert loaded.rows_rejected == 0 and loaded.rows_read == 2
    assert _activities(tmp_path) == EXPECTED
