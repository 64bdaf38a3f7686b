"""Issue 12, behaviour 8: a CSV line whose quote is never closed is a row reject with its line number;
the lines after it load (it must not swallow them into one cell, nor reject the file)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from etl.run import run_etl
from warehouse.settings import Settings

UNCLOSED_ZH = (
    "该行的引号没有闭合（否则其后各行都会被并入这一格），本行未导入，其余各行照常导入；请检查该行的引号"
)


def test_unclosed_quotes_reject_their_lines_among_thousands(tmp_path: Path) -> None:
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "01_乡镇.csv").write_text("乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n", encoding="utf-8")
    bad = {1000, 2500}
    lines = ["活动编号,活动日期,活动类型,所属乡镇\n"]
    for i in range(5000):
        quote = '"' if i in bad else ""
        lines.append(f"A{i},{quote}2023-05-06,学习,石拐街道\n")
    (inbox / "04_活动.csv").write_text("".join(lines), encoding="utf-8")

    summary = run_etl(Settings(data_dir=tmp_path / "data"), run_date=date(2024, 1, 19), publish=None)

    result = next(f for f in summary.files if f.file_name == "04_活动.csv")
    assert (result.status, result.rows_read, result.rows_new, result.rows_rejected) == (
        "loaded",
        5000,
        4998,
        2,
    )
    with duckdb.connect(str(tmp_path / "data" / "raw.duckdb"), read_only=True) as con:
        rejects = con.execute(
            "select source_row, reason_code, message_zh from rejects where file_name = '04_活动.csv' order by 1"
        ).fetchall()
        ids = {r[0] for r in con.execute("select activity_id from activities").fetchall()}
    # Line numbers as the clerk counts them: the header is line 1, activity A<i> is on line i + 2.
    assert rejects == [(1002, "bad_row", UNCLOSED_ZH), (2502, "bad_row", UNCLOSED_ZH)]
    assert ids == {f"A{i}" for i in range(5000)} - {"A1000", "A2500"}
