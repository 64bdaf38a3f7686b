"""Issue 12, behaviour 10 for .ods/.xls/.xlsb (read by calamine): a sheet whose used range is huge
because of one stray cell reads in bounded memory, or is rejected in plain words, never called damaged."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

import etl.workbooks as workbooks
from etl.mapping import load_mapping
from etl.readers import ReadError, read_source
from warehouse.i18n import both

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)

MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def _cell(value: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def _ods_with_stray_cell(path: Path, empty_rows: int, stray_column: int) -> Path:
    """An .ods (written by hand: no ODS writer is a dependency) with an activities table, then
    ``empty_rows`` empty rows and one stray cell in column ``stray_column + 1``."""
    rows = [["活动编号", "活动日期", "活动类型"], ["A1", "2023-05-06", "学习"], ["A2", "2023-05-07", "调研"]]
    body = "".join("<table:table-row>" + "".join(_cell(c) for c in r) + "</table:table-row>" for r in rows)
    body += (
        f'<table:table-row table:number-rows-repeated="{empty_rows}"><table:table-cell/></table:table-row>'
    )
    body += (
        f'<table:table-row><table:table-cell table:number-columns-repeated="{stray_column}"/>'
        + _cell("备注")
        + "</table:table-row>"
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="活动">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", MANIFEST)
    return path


@pytest.fixture
def con():
    with duckdb.connect() as c:
        yield c


def _rows(con, source):
    return con.execute(
        f"select __row, c0, c1, c2 from {source.table} where c0 is not null order by 1"
    ).fetchall()


def test_used_range_beyond_the_readers_limit_is_rejected_in_plain_words(tmp_path: Path, con) -> None:
    path = _ods_with_stray_cell(
        tmp_path / "活动.ods", 1_048_000, 16_000
    )  # XFD1048576, as a stray cell makes it
    with pytest.raises(ReadError) as err:
        read_source(con, path, load_mapping(), "src")
    assert (err.value.code, err.value.message) == ("unreadable", "range_too_large")
    zh, en = both("readers.file.range_too_large")
    assert zh == (
        "工作表的已用范围过大（远处有零星的单元格或格式），无法读取；请删除数据以外的行和列（或把数据复制到新工作表），"
        "另存为 .xlsx 后再放入"
    )
    assert en.startswith("A sheet's used range is too large (a stray cell or formatting far away)")


def test_sheet_over_max_cells_is_read_row_by_row_to_the_same_values(tmp_path: Path, con, monkeypatch) -> None:
    path = _ods_with_stray_cell(tmp_path / "活动.ods", 300, 600)  # 304 rows x 601 columns
    whole = _rows(con, read_source(con, path, load_mapping(), "whole"))
    monkeypatch.setattr(workbooks, "MAX_CELLS", 1000)
    bounded = read_source(con, path, load_mapping(), "bounded")
    assert _rows(con, bounded) == whole == [(2, "A1", "2023-05-06", "学习"), (3, "A2", "2023-05-07", "调研")]
    assert bounded.headers == ["活动编号", "活动日期", "活动类型"]
