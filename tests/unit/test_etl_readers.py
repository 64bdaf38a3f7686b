"""Readers on messy inline bytes: title rows, encodings, blank rows, sheets, JSON lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from etl.mapping import load_mapping, norm_header
from etl.readers import ReadError, read_source

ACTIVITY_CSV = (
    "石拐区代表履职活动统计表\n"
    "导出日期：2024-01-19\n"
    "\n"
    "活动编号 ,活动日期,活动类型,接待人数\n"
    "A1,2023年5月6日,学习,１２\n"
    "\n"
    "A2,45052,议事,3\n"
    ",,,\n"
    "合计,,,15\n"
)


@pytest.fixture
def con():
    with duckdb.connect() as c:
        yield c


def _rows(con, source):
    return con.execute(f"select * from {source.table} order by __row").fetchall()


def test_gb18030_csv_with_title_rows_keeps_file_line_numbers(tmp_path: Path, con) -> None:
    path = tmp_path / "活动.csv"
    path.write_bytes(ACTIVITY_CSV.encode("gb18030"))
    source = read_source(con, path, load_mapping(), "src")
    assert source.encoding == "gb18030"
    assert source.header_row == 4
    assert source.headers == ["活动编号", "活动日期", "活动类型", "接待人数"]
    assert _rows(con, source) == [
        (5, "A1", "2023年5月6日", "学习", "１２"),
        (7, "A2", "45052", "议事", "3"),
        (8, None, None, None, None),
        (9, "合计", None, None, "15"),
    ]


@pytest.mark.parametrize(("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig")])
def test_utf8_csv_with_and_without_bom(tmp_path: Path, con, encoding: str, expected: str) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(ACTIVITY_CSV.encode(encoding))
    source = read_source(con, path, load_mapping(), "src")
    assert source.encoding == expected
    assert [r[0] for r in _rows(con, source)] == [5, 7, 8, 9]


def test_csv_crlf_and_semicolon_delimiter(tmp_path: Path, con) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(
        "活动编号;活动日期;活动类型\r\nA1;2023-01-02;学习\r\n\r\nA2;2023-01-03;议事\r\n".encode()
    )
    source = read_source(con, path, load_mapping(), "src")
    assert _rows(con, source) == [(2, "A1", "2023-01-02", "学习"), (4, "A2", "2023-01-03", "议事")]


def test_binary_garbage_named_csv_is_unreadable(tmp_path: Path, con) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ReadError) as err:
        read_source(con, path, load_mapping(), "src")
    assert err.value.code == "unreadable"


def test_xlsx_header_found_on_any_sheet_below_titles(tmp_path: Path, con) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本表由平台导出"
    ws = wb.create_sheet("数据")
    ws["A1"] = "2023年履职活动"
    ws.append([])
    ws.append(["活动编号", "活动日期*", "活动类型", "接待人数"])
    ws.append(["A1", dt.date(2023, 5, 6), "学习", 12])
    ws.append(["A2", 45052, "议事", 3.0])
    ws.append([])
    ws.append(["合计", None, None, 15])
    path = tmp_path / "活动.xlsx"
    wb.save(path)
    source = read_source(con, path, load_mapping(), "src")
    assert (source.sheet, source.header_row) == ("数据", 3)
    assert _rows(con, source) == [
        (4, "A1", "2023-05-06", "学习", "12"),
        (5, "A2", "45052", "议事", "3"),
        (6, None, None, None, None),
        (7, "合计", None, None, "15"),
    ]


def test_truncated_xlsx_is_unreadable(tmp_path: Path, con) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["活动编号", "活动日期", "活动类型"])
    full = tmp_path / "full.xlsx"
    wb.save(full)
    path = tmp_path / "活动.xlsx"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(ReadError) as err:
        read_source(con, path, load_mapping(), "src")
    assert err.value.code == "unreadable"


def test_jsonl_keys_are_headers_and_bad_lines_are_row_rejects(tmp_path: Path, con) -> None:
    path = tmp_path / "活动.jsonl"
    path.write_text(
        '{"活动编号": "A1", "活动日期": "2023-05-06", "接待人数": 12}\n'
        "\n"
        "{not json\n"
        '{"活动编号": "A2", "活动类型": "议事", "参加代表编号": ["D1", "D2"]}\n',
        encoding="utf-8",
    )
    source = read_source(con, path, load_mapping(), "src")
    assert source.headers == ["活动编号", "活动日期", "接待人数", "活动类型", "参加代表编号"]
    assert source.bad_rows and source.bad_rows[0][0] == 3
    assert _rows(con, source) == [
        (1, "A1", "2023-05-06", "12", None, None),
        (4, "A2", None, None, "议事", "D1;D2"),
    ]


def test_header_matching_tolerates_spaces_stars_and_full_width() -> None:
    assert norm_header(" 活动编号 *") == norm_header("活动编号")
    assert norm_header("代表之家（站）名称") == norm_header("代表之家(站)名称")
    assert norm_header("接待\u3000人数") == norm_header("接待人数")


def test_entity_from_headers_then_file_name() -> None:
    mapping = load_mapping()
    assert mapping.entity_for(["案件编号", "案件类型", "受理日期", "状态"], "export.csv").name == "cases"
    assert mapping.entity_for(["foo"], "2024-01-19_信访案件.csv").name == "cases"
    assert mapping.entity_for(["foo"], "代表之家名单.csv").name == "homes"
    assert mapping.entity_for(["foo"], "report.csv") is None


def test_user_mapping_file_adds_headers_without_code(tmp_path: Path) -> None:
    extra = tmp_path / "mapping.toml"
    extra.write_text('[entities.activities.columns.visitors]\nheaders = ["群众人数"]\n', encoding="utf-8")
    mapping = load_mapping(extra)
    found = mapping.entities["activities"].match_headers(["活动编号", "群众人数", "接待人数"])
    assert found["visitors"] == 1
    assert "接待人数" in mapping.entities["activities"].columns["visitors"].headers


def test_csv_cells_spanning_lines_keep_their_first_line_number(tmp_path: Path, con) -> None:
    path = tmp_path / "活动.csv"
    path.write_text(
        '标题\n活动编号,活动日期,活动类型,活动主题\nA1,2023-01-02,学习,"第一行\n第二行"\n\nA2,2023-01-03,议事,x\n',
        encoding="utf-8",
    )
    source = read_source(con, path, load_mapping(), "src")
    assert _rows(con, source) == [
        (3, "A1", "2023-01-02", "学习", "第一行\n第二行"),
        (6, "A2", "2023-01-03", "议事", "x"),
    ]


UNCLOSED_ZH = (
    "该行的引号没有闭合（否则其后各行都会被并入这一格），本行未导入，其余各行照常导入；请检查该行的引号"
)
UNCLOSED_EN = (
    "The quote opened on this line is never closed (it would swallow every line after it into one cell); "
    "this line was not loaded, the others were; check its quotes"
)


def test_csv_lines_with_an_unclosed_quote_are_row_rejects_and_the_rest_loads(tmp_path: Path, con) -> None:
    path = tmp_path / "活动.csv"
    path.write_text(
        "活动编号,活动日期,活动类型\n"
        'A1,2023-01-02,学习\nA2,"2023-01-03,议事\nA3,2023-01-04,学习\n'  # never closed before the next quote
        '"A4,2023-01-05,调研\nA5,"多\n行",调研\n'  # a cell with a line break is no bad line
        'A6,2023-01-06,"x\n',  # open at the end of the file
        encoding="utf-8",
    )
    source = read_source(con, path, load_mapping(), "src")
    assert _rows(con, source) == [
        (2, "A1", "2023-01-02", "学习"),
        (4, "A3", "2023-01-04", "学习"),
        (6, "A5", "多\n行", "调研"),
    ]
    assert [(line, note.code, note.zh, note.en) for line, note in source.bad_rows] == [
        (n, "row_unclosed_quote", UNCLOSED_ZH, UNCLOSED_EN) for n in (3, 5, 8)
    ]


def test_csv_with_too_many_unclosed_quotes_is_rejected_as_a_whole(tmp_path: Path, con, monkeypatch) -> None:
    import etl.readers as readers

    monkeypatch.setattr(readers, "MAX_UNCLOSED_QUOTES", 2)
    path = tmp_path / "活动.csv"
    path.write_text(
        '活动编号,活动日期,活动类型\nA1,"2023-01-02,学习\nA2,"2023-01-03,议事\nA3,"2023-01-04,学习\n'
        "A4,2023-01-05,学习\n",
        encoding="utf-8",
    )
    with pytest.raises(ReadError) as err:
        read_source(con, path, load_mapping(), "src")
    assert (err.value.code, err.value.message, err.value.detail) == ("unreadable", "unclosed_quote", "4")


def _gb18030_lines(n: int) -> str:
    # Two- and four-byte characters (丂 is 0x8140, € and 𠀀 need four bytes), so that parts and chunks
    # fall inside multi-byte characters unless cut at line feeds.
    return "".join(f"A{i},2023年5月{1 + i % 28}日,学习,丂€𠀀{i}\n" for i in range(n))


@pytest.fixture
def small_parts(monkeypatch):
    """Parallel transcoding on tiny files: parts of 1 KB, reads of 100 bytes, four cores."""
    import etl.readers as readers

    monkeypatch.setattr(readers, "PARALLEL_PART", 1024)
    monkeypatch.setattr(readers, "CHUNK", 100)
    monkeypatch.setattr(readers.os, "cpu_count", lambda: 4)
    return readers


def test_gb18030_parallel_transcode_matches_the_serial_one(tmp_path: Path, small_parts) -> None:
    text = "活动编号,活动日期,活动类型,活动主题\n" + _gb18030_lines(400)
    path = tmp_path / "活动.csv"
    path.write_bytes(text.encode("gb18030"))
    cuts = small_parts._split_points(path, 4)
    assert len(cuts) == 5 and all(path.read_bytes()[c - 1 : c] == b"\n" for c in cuts[1:-1])
    target = tmp_path / "out.csv"
    assert small_parts._transcode_parallel(path, "gb18030", target)
    assert target.read_bytes() == text.encode("utf-8")
    converted = small_parts._transcode(path, "gb18030", tmp_path)
    assert converted.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".part") == []


@pytest.mark.parametrize("where", [0.2, 0.9])
def test_gb18030_invalid_bytes_give_the_serial_error_from_any_part(
    tmp_path: Path, small_parts, where
) -> None:
    data = bytearray(("活动编号,活动日期,活动类型,活动主题\n" + _gb18030_lines(400)).encode("gb18030"))
    at = data.index(b"\n", int(len(data) * where)) - 1
    data[at : at + 1] = b"\xff"  # not a GB18030 lead byte
    path = tmp_path / "坏.csv"
    path.write_bytes(bytes(data))
    small_parts.PARALLEL_PART = 10**12  # the serial transcoder's message, for comparison
    with pytest.raises(ReadError) as serial:
        small_parts._transcode(path, "gb18030", tmp_path)
    small_parts.PARALLEL_PART = 1024
    assert not small_parts._transcode_parallel(path, "gb18030", tmp_path / "x.csv")
    with pytest.raises(ReadError) as parallel:
        small_parts._transcode(path, "gb18030", tmp_path)
    assert (parallel.value.code, parallel.value.detail) == (serial.value.code, serial.value.detail)
    assert parallel.value.code == "unreadable" and "invalid gb18030 text" in parallel.value.detail
    assert [p for p in tmp_path.iterdir() if p.suffix in (".part",) or p.name.startswith("tmp")] == []


def test_large_gb18030_csv_reads_the_same_rows_in_parallel(tmp_path: Path, con, small_parts) -> None:
    text = "标题行\n活动编号,活动日期,活动类型,活动主题\n" + _gb18030_lines(300)
    path = tmp_path / "活动.csv"
    path.write_bytes(text.encode("gb18030"))
    source = read_source(con, path, load_mapping(), "src")
    rows = _rows(con, source)
    assert source.encoding == "gb18030" and len(rows) == 300
    assert rows[0] == (3, "A0", "2023年5月1日", "学习", "丂€𠀀0")
    assert rows[-1] == (302, "A299", "2023年5月20日", "学习", "丂€𠀀299")


@pytest.mark.parametrize("kernel_copy", ["works", "fails", "stops"])
def test_parts_are_appended_whole_with_or_without_kernel_copy(
    tmp_path: Path, monkeypatch, kernel_copy
) -> None:
    import etl.readers as readers

    real = readers.os.copy_file_range
    if kernel_copy == "fails":
        monkeypatch.setattr(
            readers.os, "copy_file_range", lambda *a: (_ for _ in ()).throw(OSError(18, "EXDEV"))
        )
    elif kernel_copy == "stops":  # copies a first piece, then reports nothing more
        calls = []

        def partial(src, dst, count):
            calls.append(count)
            return real(src, dst, 10) if len(calls) == 1 else 0

        monkeypatch.setattr(readers.os, "copy_file_range", partial)
    head, part = tmp_path / "head", tmp_path / "part"
    head.write_bytes("甲乙".encode())
    part.write_bytes(bytes(range(256)) * 40)
    with open(head, "r+b") as out:
        out.seek(0, 2)
        readers._append(part, out)
    assert head.read_bytes() == "甲乙".encode() + bytes(range(256)) * 40
