"""The import page's check shows the run's own per-file report (etl/report.py): an older export's
records not applied, the sheets read and the hidden ones skipped, columns not recognised."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from dashboard.app import create_app
from etl import intake
from etl.mapping import load_mapping
from etl.run import run_etl
from tests.integration.test_intake import SUGGESTION_HEAD, SUGGESTIONS, make_settings
from tests.integration.test_intake_web import PASSWORD, client_for, upload, upload_id_of
from tests.support.security_helpers import create_user


@pytest.fixture
def env(tmp_path: Path) -> dict:
    settings = make_settings(tmp_path)
    create_user(settings.data_dir, "clerk1", "clerk", PASSWORD)
    app = create_app(settings)
    app.server.config["TESTING"] = True
    return {"app": app, "settings": settings}


def _check_page(env, files: dict[str, bytes | str], lang: str = "") -> tuple[dict, str]:
    """Upload through the page as the clerk: the check's entry of the one file and the page's text."""
    client = client_for(env, "clerk1")
    upload_id = upload_id_of(upload(client, files))
    (entry,) = intake.load_upload(env["settings"], upload_id).check["files"]
    page = html.unescape(client.get(f"/import/{upload_id}{lang}").get_data(as_text=True))
    return entry, page


def _count(page: str, key: str, file_name: str) -> int:
    """The count ``key`` shown in the file's own card (not the upload's totals)."""
    card = page[page.index(f'data-file="{file_name}"') :]
    return int(re.search(rf'data-count="{key}">(\d+)<', card).group(1))


def test_an_older_export_shows_its_records_not_applied_and_says_why(env) -> None:
    settings = env["settings"]
    (settings.inbox / "05_建议_20240601.csv").write_text(SUGGESTIONS, encoding="utf-8")
    run_etl(settings, trigger="test")
    # Last year's export dropped again: S01 and S04 were since updated; S05 is new to the warehouse.
    older = SUGGESTION_HEAD + (
        "S01,代表之家,D1,石拐街道,旧标题,2023-05-06,,办理中,,\n"
        "S04,代表之家,D1,石拐街道,旧标题,2023-06-06,,办理中,,\n"
        "S05,代表之家,D1,石拐街道,新建议,2023-06-08,,办理中,,\n"
    )
    entry, page = _check_page(env, {"05_建议_20230101.csv": older})
    report = entry["report"]
    assert (report["rows_read"], report["rows_new"], report["rows_older"], report["rows_updated"]) == (
        3,
        1,
        2,
        0,
    )
    assert (report["export_date"][:10], report["export_date_source"]) == ("2023-01-01", "file_name")
    assert _count(page, "rows_older", "05_建议_20230101.csv") == 2
    assert 'data-count="rows_older">2<' in page[: page.index("intake-file")]  # the upload's totals too
    assert "较旧的导出，2 条未覆盖" in page
    assert "导出日期: 2023-01-01（取自文件名）" in page
    english = _check_page(env, {"05_建议_20230101.csv": older}, "?lang=en")[1]
    assert "Older export: 2 records not overwritten" in english


def _workbook() -> bytes:
    """Suggestions split over two visible sheets (the second under a title row), and a hidden copy."""
    book = Workbook()
    first = book.active
    first.title = "1-3月"
    head = SUGGESTION_HEAD.strip().split(",")
    first.append(head)
    first.append(["S11", "代表之家", "D1", "石拐街道", "一季度", "2023-02-06", None, "办理中", None, "是"])
    second = book.create_sheet("4-6月")
    second.append(["2023年第二季度代表建议"])
    second.append(head)
    second.append(["S12", "代表之家", "D1", "石拐街道", "二季度甲", "2023-05-06", None, "办理中", None, "是"])
    second.append(["S13", "代表之家", "D1", "石拐街道", "二季度乙", "2023-05-07", None, "办理中", None, "否"])
    hidden = book.create_sheet("备份")
    hidden.append(head)
    hidden.append(["S99", "代表之家", "D1", "石拐街道", "不应读取", "2023-05-06", None, "办理中", None, "是"])
    hidden.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_shows_the_sheets_read_with_their_header_rows_and_the_hidden_one_skipped(env) -> None:
    entry, page = _check_page(env, {"建议_两季度.xlsx": _workbook()})
    report = entry["report"]
    assert [(s["name"], s["header_row"], s["rows"]) for s in report["sheets"]] == [
        ("1-3月", 1, 1),
        ("4-6月", 2, 2),
    ]
    assert report["hidden_sheets"] == ["备份"] and report["rows_new"] == 3
    sheets_line = re.search(r'class="small mb-1 intake-sheets">(.*?)</p>', page, re.S).group(1)
    assert "「1-3月」（表头第 1 行，1 行数据）" in sheets_line
    assert "「4-6月」（表头第 2 行，2 行数据）" in sheets_line
    assert "备份" not in sheets_line
    hidden_line = re.search(r'class="small mb-1 intake-hidden-sheets">(.*?)</p>', page, re.S).group(1)
    assert "跳过的隐藏工作表" in hidden_line and "「备份」" in hidden_line
    assert "S99" not in page and _count(page, "rows_new", "建议_两季度.xlsx") == 3


def test_a_column_not_recognised_is_named_and_the_mapping_shown(env) -> None:
    head, *rows = SUGGESTIONS.splitlines()
    text = "\n".join([head + ",天气", *(r + ",晴" for r in rows)]) + "\n"
    entry, page = _check_page(env, {"05_建议.csv": text})
    report = entry["report"]
    assert report["unrecognised"] == ["天气"]
    assert "列「天气」未识别，已忽略" in page
    assert re.search(r'class="small mb-1 intake-sheets">表头行: 1</p>', page)  # a CSV: no sheet to name
    assert re.search(r'<tr class="table-warning intake-unrecognised"><td>天气</td>', page)
    # The mapping table names each source header's field by the mapping's own header for it, and its id.
    label = load_mapping(None).entities["suggestions"].columns["suggestion_id"].headers[0]
    assert f'<tr data-field="suggestion_id"><td>建议编号</td><td>{label} <code>suggestion_id</code>' in page
    assert "评价" in page[page.index("intake-columns") :]
    assert (entry["status"], report["rows_new"], report["rows_rejected"]) == ("loaded", 2, 2)


def test_a_formula_without_a_value_is_a_warning_on_the_check_page(env) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "建议"
    sheet.append(SUGGESTION_HEAD.strip().split(","))
    sheet.append(["S21", "代表之家", "D1", "石拐街道", "有标题", "2023-05-06", None, "办理中", None, "是"])
    # openpyxl writes a formula without its computed value, as programs (not Excel/WPS) do.
    sheet.append(["S22", "代表之家", "D1", "石拐街道", '="标题"&1', "2023-05-06", None, "办理中", None, "是"])
    out = io.BytesIO()
    book.save(out)
    entry, page = _check_page(env, {"05_建议.xlsx": out.getvalue()})
    notes = [n for n in entry["report"]["notes"] if n["code"] == "formula_no_value"]
    assert [n["where"] for n in notes] == ["建议!E3"]
    notes_box = re.search(
        r'class="alert alert-warning py-1 small intake-notes">(.*?)</div>', page, re.S
    ).group(1)
    assert "单元格 建议!E3 是公式但没有计算结果，请用 Excel/WPS 打开保存后再导出" in notes_box
    assert (entry["report"]["rows_new"], entry["report"]["rows_rejected"]) == (1, 1)
