"""Exports as clerks really make them (issue 12): older exports, partial re-exports, the file report."""

from __future__ import annotations

import json
import re
import time
import zipfile
from datetime import date, datetime
from io import StringIO
from pathlib import Path

import duckdb
import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from cockpit.cli import main
from cockpit.etl_commands import progress_line
from etl.export_date import stamp_from_name
from etl.run import Progress, dry_run, run_etl
from warehouse.settings import Settings

RUN_DATE = date(2024, 1, 19)
TOWNSHIPS = "乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n150205101000,五当召镇,镇\n"
DEPUTIES = (
    "代表编号,姓名,性别,代表层级,所属乡镇,联系电话\n"
    "D1,测试甲,男,区、镇,石拐街道,13800000000\n"
    "D2,测试乙,女,区,五当召镇,13900000000\n"
)
SUGGESTION_HEAD = "建议编号,来源,提出代表编号,所属乡镇,标题,提出日期,办结日期,状态,评价\n"
OPEN = "S1,代表之家,D1,石拐街道,修路,2023-05-06,,办理中,\n"
CLOSED = "S1,代表之家,D1,石拐街道,修路,2023-05-06,2023-06-30,已办结,满意\n"


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def _drop(tmp_path: Path, files: dict[str, str | bytes]) -> None:
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (inbox / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def _run(tmp_path: Path):
    return run_etl(_settings(tmp_path), run_date=RUN_DATE, publish=None)


def _query(tmp_path: Path, sql: str, params=None):
    with duckdb.connect(str(_settings(tmp_path).raw_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _file(summary, name: str):
    return next(f for f in summary.files if f.file_name == name)


def _base(tmp_path: Path) -> None:
    _drop(tmp_path, {"01_乡镇.csv": TOWNSHIPS, "03_代表.csv": DEPUTIES})


# -- behaviour 7: an older export never rolls back newer data -----------------------------------


def test_older_export_dropped_later_does_not_roll_back_and_is_reported(tmp_path: Path) -> None:
    _base(tmp_path)
    _drop(tmp_path, {"建议_20230701.csv": SUGGESTION_HEAD + CLOSED})
    _run(tmp_path)
    # Last month's export again, re-encoded and renamed (its name still carries its date).
    _drop(tmp_path, {"建议（重新保存）_2023-06-01.csv": (SUGGESTION_HEAD + OPEN).encode("gb18030")})
    summary = _run(tmp_path)
    f = _file(summary, "建议（重新保存）_2023-06-01.csv")
    assert (f.rows_read, f.rows_new, f.rows_updated, f.rows_older, f.rows_duplicate) == (1, 0, 0, 1, 0)
    assert _query(tmp_path, "select status, closed_on, satisfaction from suggestions") == [
        ("已办结", date(2023, 6, 30), "满意")
    ]
    older = [n for n in f.report.notes if n.code == "older_export"]
    assert len(older) == 1 and older[0].zh.startswith("较旧的导出，1 条未覆盖")
    assert f.report.export_date_source == "file_name" and f.report.rows_older == 1
    assert "较旧的导出，1 条未覆盖" in summary.describe()
    stored = _query(
        tmp_path, "select rows_older, report from etl_run_files where run_id = ? and file_name = ?",
        [summary.run_id, f.file_name],
    )  # fmt: skip
    assert stored[0][0] == 1 and json.loads(stored[0][1])["rows_older"] == 1


def test_same_inbox_applies_exports_by_their_date_not_their_name(tmp_path: Path) -> None:
    _base(tmp_path)
    # "a_" sorts first but is the newer export: it must still win.
    _drop(
        tmp_path,
        {"a_建议_20230701.csv": SUGGESTION_HEAD + CLOSED, "b_建议_20230601.csv": SUGGESTION_HEAD + OPEN},
    )
    summary = _run(tmp_path)
    assert _query(tmp_path, "select status from suggestions") == [("已办结",)]
    assert (_file(summary, "a_建议_20230701.csv").rows_updated, summary.rows_older) == (1, 0)


def test_export_time_column_dates_an_unstamped_file(tmp_path: Path) -> None:
    _base(tmp_path)
    head = SUGGESTION_HEAD.rstrip("\n") + ",导出时间\n"
    _drop(tmp_path, {"建议.csv": head + CLOSED.rstrip("\n") + ",2023/07/01 09:30\n"})
    first = _run(tmp_path)
    assert _file(first, "建议.csv").report.export_date == "2023-07-01 09:30:00"
    assert _file(first, "建议.csv").report.export_date_source == "column"
    # Not recognised as data, but not "unrecognised" either: it dates the export.
    assert _file(first, "建议.csv").report.unrecognised == []
    _drop(tmp_path, {"建议副本.csv": head + OPEN.rstrip("\n") + ",2023年6月1日\n"})
    second = _run(tmp_path)
    assert _file(second, "建议副本.csv").rows_older == 1
    assert _query(tmp_path, "select status from suggestions") == [("已办结",)]


def test_unstamped_later_file_still_updates_by_load_time(tmp_path: Path) -> None:
    _base(tmp_path)
    _drop(tmp_path, {"建议_20230601.csv": SUGGESTION_HEAD + OPEN})
    _run(tmp_path)
    _drop(tmp_path, {"建议新.csv": SUGGESTION_HEAD + CLOSED})
    summary = _run(tmp_path)
    f = _file(summary, "建议新.csv")
    assert (f.rows_updated, f.rows_older, f.report.export_date_source) == (1, 0, "load_time")


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from(["", "-", "_", "."])
)
def test_file_name_stamp_property(day: date, sep: str) -> None:
    stamp = f"{day.year}{sep}{day.month:02d}{sep}{day.day:02d}"
    expected = datetime(day.year, day.month, day.day)
    assert stamp_from_name(f"意见建议_2022-2023_{stamp}.csv") == expected
    assert stamp_from_name(f"导出{day.year}年{day.month}月{day.day}日.xlsx") == expected
    assert stamp_from_name(f"x{stamp}9.csv") is None  # part of a longer number: not a date


# -- behaviour 2: a file never wipes what it does not carry -------------------------------------


def test_reexport_without_optional_columns_keeps_their_stored_values(tmp_path: Path) -> None:
    _base(tmp_path)
    _run(tmp_path)
    # The same deputies without 性别 and 联系电话: nothing changes, nothing is wiped.
    _drop(
        tmp_path,
        {
            "03_代表_无电话.csv": "代表编号,姓名,代表层级,所属乡镇\nD1,测试甲,区、镇,石拐街道\nD2,测试乙,区,五当召镇\n"
        },
    )
    summary = _run(tmp_path)
    f = _file(summary, "03_代表_无电话.csv")
    assert (f.rows_new, f.rows_updated, f.rows_duplicate) == (0, 0, 2)
    assert _query(tmp_path, "select deputy_id, gender, phone from deputies order by 1") == [
        ("D1", "男", "13800000000"),
        ("D2", "女", "13900000000"),
    ]
    assert set(f.report.optional_absent) >= {"性别", "联系电话"}
    assert "optional_absent" in [n.code for n in f.report.notes]


def test_partial_reexport_updates_only_the_columns_it_has(tmp_path: Path) -> None:
    _base(tmp_path)
    _run(tmp_path)
    _drop(tmp_path, {"03_代表_改名.csv": "代表编号,姓名,代表层级\nD1,测试丙,区\n"})
    summary = _run(tmp_path)
    f = _file(summary, "03_代表_改名.csv")
    assert (f.rows_new, f.rows_updated) == (0, 1)
    assert _query(
        tmp_path, "select name, levels, gender, phone, township_code from deputies where deputy_id = 'D1'"
    ) == [("测试丙", "区", "男", "13800000000", "150205001000")]
    # The superseded version is kept in the history, complete.
    assert _query(tmp_path, "select name, phone from deputies_past") == [("测试甲", "13800000000")]


def test_report_names_every_unrecognised_column(tmp_path: Path) -> None:
    _base(tmp_path)
    _drop(tmp_path, {"04_活动.csv": "活动编号,活动日期,活动类型,备注,天气\nA1,2023-05-06,学习,无,晴\n"})
    summary = _run(tmp_path)
    report = _file(summary, "04_活动.csv").report
    assert report.unrecognised == ["备注", "天气"]
    assert [n.zh for n in report.notes if n.code == "unrecognised_column"] == [
        "列「备注」未识别，已忽略",
        "列「天气」未识别，已忽略",
    ]
    assert report.recognised_by == "headers" and report.entity == "activities"
    assert [(c.source, c.field) for c in report.columns] == [
        ("活动编号", "activity_id"),
        ("活动日期", "activity_date"),
        ("活动类型", "activity_type"),
    ]


# -- behaviours 1, 3, 4, 5: workbooks as clerks and office software make them ----------------------

HOMES = "阵地编号,名称,级别,所属苏木镇街道\nH1,石拐街道代表之家,街道级,石拐街道\n"


def _xlsx(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = (), very_hidden=()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
        if name in very_hidden:
            ws.sheet_state = "veryHidden"
    wb.save(path)
    return path.read_bytes()


def _activities(tmp_path: Path):
    return _query(
        tmp_path, "select activity_id, activity_date, activity_type, visitors from activities order by 1"
    )


def test_headers_with_units_notes_line_breaks_and_two_rows_are_recognised(tmp_path: Path) -> None:
    _base(tmp_path)
    _drop(tmp_path, {"02_代表之家.csv": HOMES})
    rows = [
        ["石拐区履职活动统计表"],
        ["基本信息", None, None, "接待情况", None],  # a group row above the header
        ["活动编号", "活动日期\n（年月日）", "活动类型", "接待群众人次（人）", None],
        [None, None, None, None, "活动阵地编号"],  # a header merged down over two rows
        ["A1", "2023-05-06", "学习", 12, "H1"],
        ["A2", "2023/05/07", "议事", 3, "H1"],
    ]
    _drop(tmp_path, {"04_活动.xlsx": _xlsx(tmp_path / "a.xlsx", {"Sheet1": rows})})
    summary = _run(tmp_path)
    f = _file(summary, "04_活动.xlsx")
    assert (f.status, f.rows_read, f.rows_new, f.rows_rejected) == ("loaded", 2, 2, 0)
    assert f.report.sheets[0].header_row == 4
    assert {c.field for c in f.report.columns} == {
        "activity_id",
        "activity_date",
        "activity_type",
        "visitors",
        "home_id",
    }
    assert _activities(tmp_path) == [
        ("A1", date(2023, 5, 6), "学习", 12),
        ("A2", date(2023, 5, 7), "议事", 3),
    ]
    assert _query(tmp_path, "select distinct home_id from activities") == [("H1",)]


def test_csv_header_with_a_quoted_line_break_and_units(tmp_path: Path) -> None:
    _base(tmp_path)
    text = '活动编号,"活动日期\n(年月日)",活动类型,接待人数[人],备注\nA1,2023-05-06,学习,5,\nA2,2023-05-07,议事,7,x\n'
    _drop(tmp_path, {"04_活动.csv": text})
    summary = _run(tmp_path)
    f = _file(summary, "04_活动.csv")
    assert (f.rows_read, f.rows_new, f.rows_rejected) == (2, 2, 0)
    assert _activities(tmp_path) == [("A1", date(2023, 5, 6), "学习", 5), ("A2", date(2023, 5, 7), "议事", 7)]
    assert f.report.unrecognised == ["备注"]


def test_every_visible_matching_sheet_is_read_and_hidden_sheets_are_named(tmp_path: Path) -> None:
    _base(tmp_path)
    head = ["活动编号", "活动日期", "活动类型"]
    sheets = {
        "说明": [["本表由平台导出"]],
        "1-3月": [head, ["A1", "2023-01-05", "学习"], ["A2", "2023-02-05", "bogus"]],
        # Columns in another order in the second sheet.
        "4-6月": [["活动类型", "活动编号", "活动日期"], ["议事", "A3", "2023-04-05"]],
        "旧数据": [head, ["A9", "2020-01-01", "学习"]],
        "内部": [head, ["A8", "2020-01-01", "学习"]],
    }
    _drop(
        tmp_path,
        {"04_活动.xlsx": _xlsx(tmp_path / "a.xlsx", sheets, hidden=("旧数据",), very_hidden=("内部",))},
    )
    summary = _run(tmp_path)
    f = _file(summary, "04_活动.xlsx")
    assert (f.rows_read, f.rows_new, f.rows_rejected) == (3, 2, 1)
    assert [r[0] for r in _activities(tmp_path)] == ["A1", "A3"]
    assert [(s.name, s.header_row, s.rows) for s in f.report.sheets] == [("1-3月", 1, 2), ("4-6月", 1, 1)]
    assert f.report.hidden_sheets == ["旧数据", "内部"]
    assert [n.zh for n in f.report.notes if n.code == "hidden_sheet"] == [
        "工作表「旧数据」是隐藏的，未读取",
        "工作表「内部」是隐藏的，未读取",
    ]
    rejects = _query(
        tmp_path, "select sheet, source_row, reason_code from rejects where file_name = '04_活动.xlsx'"
    )
    assert rejects == [("1-3月", 3, "bad_enum")]


def test_dates_with_a_time_read_the_right_day_whatever_the_row(tmp_path: Path) -> None:
    _base(tmp_path)
    rows = [
        ["活动编号", "活动日期", "活动类型", "活动主题"],
        ["A1", "2023/07/09 14:30", "学习", "主题"],
        ["A2", "2023-07-09T14:30:00", "学习", "主题"],
        ["A3", datetime(2023, 7, 9, 14, 30), "学习", "主题"],
        # Full-width digits and padding elsewhere in the row send it down the slow cleaning path.
        ["A4", " 2023/07/09 14:30 ", "学习", " 主题 "],
        ["A5", "２０２３/07/09 14:30", "学习", "主题"],
        ["A6", "2023年7月9日 14:30", "学习", "主题"],
    ]
    _drop(tmp_path, {"04_活动.xlsx": _xlsx(tmp_path / "a.xlsx", {"Sheet1": rows})})
    summary = _run(tmp_path)
    f = _file(summary, "04_活动.xlsx")
    assert (f.rows_read, f.rows_new, f.rows_rejected) == (6, 6, 0)
    assert _query(tmp_path, "select distinct activity_date from activities") == [(date(2023, 7, 9),)]


def test_formula_cells_read_cached_values_and_report_cells_without_one(tmp_path: Path) -> None:
    _base(tmp_path)
    path = tmp_path / "f.xlsx"
    _xlsx(
        path, {"1-3月": [["活动编号", "活动日期", "活动类型", "接待人数"], ["A1", "2023-05-06", "学习", 4]]}
    )
    # Patch the sheet XML as Excel writes it: A1 visitors = formula with a cached value; then a formula
    # without one (written by a program) and an error value.
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = xml.replace('<c r="D2" t="n"><v>4</v></c>', '<c r="D2"><f>2+2</f><v>4</v></c>')
    extra = (
        '<row r="3"><c r="A3" t="inlineStr"><is><t>A2</t></is></c><c r="B3" t="inlineStr"><is><t>2023-05-07</t></is></c>'
        '<c r="C3" t="inlineStr"><is><t>学习</t></is></c><c r="D3"><f>D2*2</f><v></v></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>A3</t></is></c><c r="B4" t="inlineStr"><is><t>2023-05-08</t></is></c>'
        '<c r="C4" t="inlineStr"><is><t>学习</t></is></c><c r="D4" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    )
    assert "<f>2+2</f>" in xml
    parts["xl/worksheets/sheet1.xml"] = xml.replace("</sheetData>", extra + "</sheetData>").encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    _drop(tmp_path, {"04_活动.xlsx": path.read_bytes()})
    summary = _run(tmp_path)
    f = _file(summary, "04_活动.xlsx")
    assert (f.status, f.rows_read, f.rows_new, f.rows_rejected) == ("loaded", 3, 1, 2)
    assert _activities(tmp_path) == [("A1", date(2023, 5, 6), "学习", 4)]
    rejects = _query(
        tmp_path,
        "select sheet, source_row, message_zh from rejects where file_name = '04_活动.xlsx' order by source_row",
    )
    assert rejects == [
        ("1-3月", 3, "单元格 1-3月!D3 是公式但没有计算结果，请用 Excel/WPS 打开保存后再导出"),
        ("1-3月", 4, "单元格 1-3月!D4 的公式结果是错误值 #DIV/0!，请在表格中修正后再导出"),
    ]
    assert [n.where for n in f.report.notes if n.code.startswith("formula")] == ["1-3月!D3", "1-3月!D4"]


def test_workbook_of_formulas_only_is_not_called_empty(tmp_path: Path) -> None:
    _base(tmp_path)
    path = tmp_path / "f.xlsx"
    _xlsx(path, {"Sheet1": [["活动编号", "活动日期", "活动类型"], ['="A"&1', "2023-05-06", "学习"]]})
    _drop(tmp_path, {"04_活动.xlsx": path.read_bytes()})  # openpyxl writes formulas without values
    f = _file(_run(tmp_path), "04_活动.xlsx")
    assert (f.status, f.rows_read, f.rows_rejected) == ("loaded", 1, 1)
    assert [n.where for n in f.report.notes if n.code == "formula_no_value"] == ["Sheet1!A2"]
    assert _query(
        tmp_path, "select reason_code, source_row from rejects where file_name = '04_活动.xlsx'"
    ) == [("bad_row", 2)]


# -- behaviours 12 and 13: copies of a rejected file, progress -----------------------------------


def test_identical_copies_of_a_rejected_file_are_all_rejected(tmp_path: Path) -> None:
    _base(tmp_path)
    bad = "活动编号,活动类型\nA1,学习\n"  # 活动日期 missing: a file-level reject
    _drop(tmp_path, {"04_活动.csv": bad, "04_活动 - 副本.csv": bad, "04_活动(1).csv": bad})
    summary = _run(tmp_path)
    states = {f.file_name: (f.status, f.reason_code) for f in summary.files if "活动" in f.file_name}
    assert states == {
        n: ("rejected", "missing_columns") for n in ("04_活动.csv", "04_活动 - 副本.csv", "04_活动(1).csv")
    }
    assert summary.files_rejected == 3


def test_progress_reports_stages_files_and_rows(tmp_path: Path, capsys) -> None:
    _base(tmp_path)
    _drop(tmp_path, {"04_活动.csv": "活动编号,活动日期,活动类型\nA1,2023-05-06,学习\nA2,2023-05-07,学习\n"})
    events = []
    run_etl(_settings(tmp_path), run_date=RUN_DATE, publish=None, progress=events.append)
    assert [e.stage for e in events] == ["read"] * 3 + ["load"] * 3 + ["loaded"]
    assert [e.files_done for e in events if e.stage == "load"] == [0, 1, 2]
    assert events[-1].rows_done == 2 + 2 + 2 and events[-1].files_total == 3
    # --json stays machine-readable: nothing but the JSON document on stdout, nothing on stderr.
    _drop(tmp_path, {"04_活动2.csv": "活动编号,活动日期,活动类型\nA3,2023-05-06,学习\n"})
    assert main(["etl", "run", "--json", "--no-publish", "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["rows_new"] == 1 and out.err == ""


def test_progress_line_rewrites_one_terminal_line() -> None:
    stream = StringIO()
    show = progress_line(stream)
    show(Progress("load", "活动.csv", 1, 3, 12345))
    assert (
        stream.getvalue()
        == "\r\x1b[2K导入文件 2/3：活动.csv（已读 12,345 行） / Loading file 2/3: 活动.csv (12,345 rows read)"
    )


# -- behaviour 9: files that are not what their name says ----------------------------------------

ACTIVITY_ROWS = [
    ["活动编号", "活动日期", "活动类型", "接待人数"],
    ["A1", "2023-05-06", "学习", "3"],
    ["A2", "2023-05-07", "议事", "4"],
]
JARGON = re.compile(r"Error|Zip|EOCD|Calamine|Invalid|Exception|NUL|byte|BIFF|OLE", re.I)


def _html_table(rows) -> bytes:
    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<html><head><meta charset='utf-8'></head><body><table>{cells}</table></body></html>".encode()


def _spreadsheetml(rows, hidden_rows=None) -> bytes:
    def sheet(name, rs, hidden=False):
        body = "".join(
            "<Row>" + "".join(f'<Cell><Data ss:Type="String">{c}</Data></Cell>' for c in r) + "</Row>"
            for r in rs
        )
        options = '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions>'
        return f'<Worksheet ss:Name="{name}"><Table>{body}</Table>{options if hidden else ""}</Worksheet>'

    return (
        '<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        + sheet("活动", rows)
        + (sheet("旧", hidden_rows, hidden=True) if hidden_rows else "")
        + "</Workbook>"
    ).encode()


def test_web_platform_xls_files_html_and_spreadsheetml_and_other_formats_load(tmp_path: Path) -> None:
    _base(tmp_path)
    xlsm = tmp_path / "m.xlsx"
    _xlsx(xlsm, {"Sheet1": ACTIVITY_ROWS})
    tsv = "\n".join("\t".join(r) for r in ACTIVITY_ROWS) + "\n"
    files = {
        "04_活动_网页.xls": _html_table(ACTIVITY_ROWS),
        "04_活动_2003.xls": _spreadsheetml(
            ACTIVITY_ROWS, hidden_rows=[["活动编号", "活动日期", "活动类型"], ["A9", "2020-01-01", "学习"]]
        ),
        "04_活动_宏.xlsm": xlsm.read_bytes(),
        "04_活动_制表符.tsv": tsv,
        "04_活动_文本.xls": ",".join(ACTIVITY_ROWS[0]) + "\nA1,2023-05-06,学习,3\n",
    }
    _drop(tmp_path, files)
    summary = _run(tmp_path)
    for name in files:
        f = _file(summary, name)
        assert f.status in ("loaded", "already_loaded"), (name, f.message_zh)
        if f.status == "loaded":
            assert f.rows_rejected == 0 and f.rows_read in (1, 2), name
    assert _activities(tmp_path) == [("A1", date(2023, 5, 6), "学习", 3), ("A2", date(2023, 5, 7), "议事", 4)]
    assert _file(summary, "04_活动_2003.xls").report.hidden_sheets == ["旧"]


def test_broken_files_are_rejected_in_plain_words(tmp_path: Path) -> None:
    _base(tmp_path)
    good = tmp_path / "g.xlsx"
    _xlsx(good, {"Sheet1": ACTIVITY_ROWS})
    other_zip = tmp_path / "o.zip"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("照片.jpg", b"\xff\xd8\xff")
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "EncryptedPackage".encode("utf-16-le")
        + b"\x00" * 64
    )
    files = {
        "04_活动_加密.xlsx": ole,
        "04_活动_截断.xlsx": good.read_bytes()[: good.stat().st_size // 2],
        "04_活动_空.xlsx": b"",
        "04_活动_压缩包.xlsx": other_zip.read_bytes(),
        "04_活动_图片.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    }
    _drop(tmp_path, files)
    summary = _run(tmp_path)
    expected = {
        "04_活动_加密.xlsx": ("unreadable", "工作簿设有打开密码"),
        "04_活动_截断.xlsx": ("unreadable", "文件不完整"),
        "04_活动_空.xlsx": ("empty_file", "文件为空"),
        "04_活动_压缩包.xlsx": ("unreadable", "内容不是表格"),
        "04_活动_图片.csv": ("unreadable", "不是文字表格"),
    }
    for name, (code, words) in expected.items():
        f = _file(summary, name)
        assert (f.status, f.reason_code) == ("rejected", code), name
        assert words in f.message_zh, (name, f.message_zh)
        assert not JARGON.search(f.message_zh + f.message_en), (name, f.message_zh, f.message_en)
    assert summary.files_loaded == 2  # the reference files still load


# -- behaviour 6: Excel-mangled CSV ----------------------------------------------------------------


def test_codes_turned_into_scientific_notation_are_rejected_saying_excel_did_it(tmp_path: Path) -> None:
    _base(tmp_path)
    _drop(
        tmp_path,
        {
            "05_建议.csv": SUGGESTION_HEAD
            + "1.50205E+11,代表之家,D1,石拐街道,修路,2023-05-06,,办理中,\n"
            + OPEN
        },
    )
    summary = _run(tmp_path)
    f = _file(summary, "05_建议.csv")
    assert (f.rows_read, f.rows_new, f.rows_rejected) == (2, 1, 1)
    rows = _query(
        tmp_path, "select source_row, reason_code, message_zh from rejects where file_name = '05_建议.csv'"
    )
    assert rows == [
        (
            2,
            "excel_code",
            "“建议编号”的编码“1.50205E+11”疑似被 Excel 转为科学计数法；请把该列设为文本格式后另存（或直接导出为 .xlsx）再导入",
        )
    ]
    assert _query(tmp_path, "select suggestion_id from suggestions") == [("S1",)]
    assert "编码被 Excel 改写" in summary.describe()


# -- behaviour 10: no file can crash or exhaust the ETL --------------------------------------------


def test_a_stray_cell_at_xfd1048576_reads_in_bounded_time(tmp_path: Path) -> None:
    _base(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in ACTIVITY_ROWS:
        ws.append(row)
    ws["XFD1048576"] = "x"  # the workbook library would allocate 17 G cells for this sheet
    path = tmp_path / "stray.xlsx"
    wb.save(path)
    _drop(tmp_path, {"04_活动.xlsx": path.read_bytes()})
    started = time.monotonic()
    f = _file(_run(tmp_path), "04_活动.xlsx")
    assert time.monotonic() - started < 60
    assert (f.status, f.rows_read, f.rows_new, f.rows_rejected) == ("loaded", 2, 2, 0)


# -- behaviour 11: reference tables ------------------------------------------------------------


def test_official_code_table_adds_only_townships_keeps_fields_and_notes_renames(tmp_path: Path) -> None:
    _base(tmp_path)
    _run(tmp_path)
    official = (
        "统计用区划代码,城乡分类代码,名称\n"
        "150205000000,,石拐区\n"
        "150205001000,,石拐街道\n"
        "150205001001,111,某某社区居委会\n"
        "150205101000,,五当召新镇\n"
        "150205101200,220,某某嘎查村委会\n"
    )
    _drop(tmp_path, {"区划代码_2023.csv": official})
    summary = _run(tmp_path)
    f = _file(summary, "区划代码_2023.csv")
    assert f.entity == "townships"
    assert (f.rows_read, f.rows_new, f.rows_updated, f.rows_duplicate, f.rows_rejected) == (5, 0, 1, 1, 3)
    assert _query(tmp_path, "select township_code, township_name, kind from townships order by 1") == [
        ("150205001000", "石拐街道", "街道"),
        ("150205101000", "五当召新镇", "镇"),
    ]
    rejected = _query(
        tmp_path,
        "select raw_value, reason_code from rejects where file_name = '区划代码_2023.csv' order by 1",
    )
    assert rejected == [
        ("150205000000", "not_township"),
        ("150205001001", "not_township"),
        ("150205101200", "not_township"),
    ]
    assert [n.zh for n in f.report.notes if n.code == "township_renamed"] == [
        "乡镇 150205101000 更名：「五当召镇」→「五当召新镇」"
    ]
    assert "城乡分类代码" in f.report.unrecognised


# -- behaviour 8: a bad line rejects that line, not the file ---------------------------------------


def test_bad_lines_are_row_rejects_with_their_line_number(tmp_path: Path) -> None:
    _base(tmp_path)
    head = "活动编号,活动日期,活动类型,活动主题\n"
    files = {
        # Mixed line ends (a lone CR, CRLF, LF) and a trailing Ctrl-Z; line 4 has a bad enum.
        "04_活动_换行.csv": (
            head
            + "A1,2023-05-06,学习,x\r\nA2,2023-05-07,学习,y\rA3,2023-05-08,坏,z\nA4,2023-05-09,学习,w\n\x1a"
        ).encode(),
        # An over-long cell and a line with too many cells.
        "04_活动_超长.csv": (
            head
            + "B1,2023-05-06,学习,"
            + "长" * 3_000_000
            + "\nB2,2023-05-07,学习,x,多,余\nB3,2023-05-08,学习,y\n"
        ).encode(),
    }
    _drop(tmp_path, files)
    summary = _run(tmp_path)
    mixed, long = _file(summary, "04_活动_换行.csv"), _file(summary, "04_活动_超长.csv")
    assert (mixed.status, mixed.rows_read, mixed.rows_new, mixed.rows_rejected) == ("loaded", 4, 3, 1)
    assert (long.status, long.rows_read, long.rows_new, long.rows_rejected) == ("loaded", 3, 1, 2)
    rejects = _query(
        tmp_path,
        "select file_name, source_row, reason_code, message_zh, message_en from rejects where source_row is not null order by 1, 2",
    )
    assert [r[:3] for r in rejects] == [
        ("04_活动_换行.csv", 4, "bad_enum"),
        ("04_活动_超长.csv", 2, "bad_row"),
        ("04_活动_超长.csv", 3, "bad_row"),
    ]
    assert rejects[1][3].startswith("该行过长") and rejects[2][3].startswith("该行的列数多于表头")
    assert not any(JARGON.search(r[3] + r[4]) or "MAXIMUM" in r[4] for r in rejects)
    assert sorted(r[0] for r in _query(tmp_path, "select activity_id from activities")) == [
        "A1",
        "A2",
        "A4",
        "B3",
    ]


# -- the dry run behind the intake page's preview --------------------------------------------------


def test_dry_run_reports_what_a_run_would_do_and_changes_nothing(tmp_path: Path) -> None:
    _base(tmp_path)
    _drop(tmp_path, {"建议_20230701.csv": SUGGESTION_HEAD + CLOSED})
    _run(tmp_path)
    settings = _settings(tmp_path)
    before = settings.raw_db.read_bytes()
    preview = tmp_path / "preview"
    preview.mkdir()
    (preview / "建议_20230601.csv").write_text(
        SUGGESTION_HEAD + OPEN + "S2,代表之家,D9,石拐街道,路灯,2023-05-06,,办理中,\n"
    )
    summary = dry_run(settings, inbox=preview, run_date=RUN_DATE)
    f = summary.files[0]
    assert (f.status, f.rows_read, f.rows_older, f.rows_rejected, f.rows_new) == ("loaded", 2, 1, 1, 0)
    assert f.report.to_dict()["rows_older"] == 1 and summary.snapshot_version is None
    assert settings.raw_db.read_bytes() == before
    assert _query(tmp_path, "select count(*) from etl_runs where trigger = 'dry_run'") == [(0,)]


def test_cli_dry_run_prints_the_reports_and_loads_nothing(tmp_path: Path, capsys) -> None:
    _base(tmp_path)
    assert main(["etl", "run", "--dry-run", "--json", "--data-dir", str(tmp_path / "data")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["trigger"] == "dry_run" and out["rows_new"] == 4
    assert {f["report"]["entity"] for f in out["files"]} == {"townships", "deputies"}
    assert not (tmp_path / "data" / "raw.duckdb").exists()
