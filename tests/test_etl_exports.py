"""Exports as clerks really make them (issue 12): older exports, partial re-exports, the file report."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from etl.export_date import stamp_from_name
from etl.run import run_etl
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
