"""Issue 12, behaviour 11: an official code table (统计用区划代码) loaded as townships adds no development
zones or parks (codes 4xx/5xx in positions 7-9 not named as a street, town or sumu), and wipes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from etl.run import run_etl
from warehouse.settings import Settings

ZONE_ZH = (
    "“统计用区划代码”的代码“{}”是开发区、园区等类似乡级单位（代码第 7-9 位为 400-599，名称不是街道、镇、乡或苏木），"
    "不是乡镇级单位，未导入"
)
ZONE_EN = (
    '"统计用区划代码": code "{}" is a development zone, park or similar unit (digits 7-9 from 400 to 599, '
    "not named as a street, town or sumu), not a township; not loaded"
)


def _run(tmp_path: Path, files: dict[str, str]):
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (inbox / name).write_text(text, encoding="utf-8")
    return run_etl(Settings(data_dir=tmp_path / "data"), run_date=date(2024, 1, 19), publish=None)


def test_official_table_adds_no_zones_or_parks_and_keeps_fields(tmp_path: Path) -> None:
    _run(
        tmp_path,
        {"01_乡镇.csv": "乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n150205101000,五当召镇,镇\n"},
    )
    official = (
        "统计用区划代码,名称\n"
        "150200000000,包头市\n"
        "150205001000,石拐街道\n"
        "150205400000,内蒙古包头钢铁冶金开发区管委会石拐产业园\n"
        "150205401000,园区街道\n"
        "150205500000,石拐区域服务中心\n"
        "150205501000,某某苏木\n"
    )
    summary = _run(tmp_path, {"区划代码_2023.csv": official})
    f = next(f for f in summary.files if f.file_name == "区划代码_2023.csv")
    assert (f.entity, f.rows_read, f.rows_new, f.rows_duplicate, f.rows_rejected) == ("townships", 6, 2, 1, 3)
    with duckdb.connect(str(tmp_path / "data" / "raw.duckdb"), read_only=True) as con:
        townships = con.execute(
            "select township_code, township_name, kind from townships order by 1"
        ).fetchall()
        rejects = con.execute(
            "select raw_value, reason_code, message_zh, message_en from rejects "
            "where file_name = '区划代码_2023.csv' order by 1"
        ).fetchall()
    assert townships == [
        ("150205001000", "石拐街道", "街道"),  # the table has no 类型: the kind stays
        ("150205101000", "五当召镇", "镇"),
        ("150205401000", "园区街道", None),
        ("150205501000", "某某苏木", None),
    ]
    assert rejects[0][:2] == ("150200000000", "not_township")
    assert rejects[1:] == [
        (code, "zone_unit", ZONE_ZH.format(code), ZONE_EN.format(code))
        for code in ("150205400000", "150205500000")
    ]
    assert "开发区、园区等单位" in summary.describe()
