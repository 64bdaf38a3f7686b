"""Issue 12, behaviour 6: codes Excel stripped of their leading zeros (0012 -> 12, while the column's
other codes keep the width) are row rejects saying Excel did it and how to export codes as text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from etl.run import run_etl
from warehouse.settings import Settings

TOWNSHIPS = "乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n"
HEAD = "代表编号,姓名,性别,代表层级,所属乡镇,联系电话\n"
ZH = (
    "“代表编号”的编码“{}”疑似被 Excel 去掉了开头的 0（同列其他编码保留了开头的 0、位数更多）；"
    "请把该列设为文本格式后另存（或直接导出为 .xlsx）再导入"
)
EN = (
    '"代表编号": code "{}" looks stripped of its leading zeros by Excel (other codes of the column keep them '
    "and are longer); format the column as text before saving (or export as .xlsx), then load it again"
)


def _load(tmp_path: Path, ids: list[str]) -> tuple[list, list]:
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "01_乡镇.csv").write_text(TOWNSHIPS, encoding="utf-8")
    rows = "".join(f"{i},代表{n},男,区,石拐街道,1380000000{n}\n" for n, i in enumerate(ids))
    (inbox / "03_代表.csv").write_text(HEAD + rows, encoding="utf-8")
    summary = run_etl(Settings(data_dir=tmp_path / "data"), run_date=date(2024, 1, 19), publish=None)
    with duckdb.connect(str(tmp_path / "data" / "raw.duckdb"), read_only=True) as con:
        rejects = con.execute(
            "select source_row, reason_code, message_zh, message_en from rejects order by 1"
        ).fetchall()
        loaded = [r[0] for r in con.execute("select deputy_id from deputies order by 1").fetchall()]
    assert "编码开头的 0 被 Excel 去掉" in summary.describe() or not rejects
    return rejects, loaded


def test_codes_that_lost_their_leading_zeros_are_rejected_saying_excel_did_it(tmp_path: Path) -> None:
    rejects, loaded = _load(tmp_path, ["0012", "0013", "14", "0015", "7"])
    assert rejects == [
        (4, "excel_zeros", ZH.format("14"), EN.format("14")),
        (6, "excel_zeros", ZH.format("7"), EN.format("7")),
    ]
    assert loaded == ["0012", "0013", "0015"]


def test_codes_of_varying_width_are_not_taken_for_stripped_ones(tmp_path: Path) -> None:
    # Zero-led codes of two widths: no width to compare with; codes longer than the width are fine too.
    rejects, loaded = _load(tmp_path, ["012", "0013", "14", "D15"])
    assert (rejects, loaded) == ([], ["0013", "012", "14", "D15"])


def test_codes_without_leading_zeros_anywhere_are_fine(tmp_path: Path) -> None:
    rejects, loaded = _load(tmp_path, ["12", "123", "0"])
    assert (rejects, loaded) == ([], ["0", "12", "123"])
