"""The whole ETL run on tiny inboxes: rejects, reconciliation, idempotency, updates with history, CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cockpit.cli import main
from etl.run import EtlError, run_etl
from warehouse.settings import Settings

RUN_DATE = date(2024, 1, 19)

TOWNSHIPS = "乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n150205101000,五当召镇,镇\n"
HOMES = (
    "阵地编号,名称,级别,所属苏木镇街道,经度,纬度,建成日期\n"
    "H1,石拐街道代表之家,街道级,石拐街道,110.2,40.7,2020/5/6\n"
    "H2,区代表之家,区级,150205101000,,,\n"
)
DEPUTIES = (
    "代表编号,姓名,性别,代表层级,所属乡镇,进驻代表之家编号,联系电话\n"
    "D1,测试甲,男,区、镇,石拐街道,H1,13800000000\n"
    "D2,测试乙,女,区,五当召镇,H2,\n"
)
SUGGESTION_HEAD = "建议编号,来源,提出代表编号,所属乡镇,标题,提出日期,办结日期,状态,评价,是否采纳\n"


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def _inbox(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (inbox / name).write_bytes(data)
    return inbox


def _base(tmp_path: Path, **more: str | bytes) -> Path:
    return _inbox(
        tmp_path, {"01_乡镇.csv": TOWNSHIPS, "02_代表之家.csv": HOMES, "03_代表.csv": DEPUTIES, **more}
    )


def _run(tmp_path: Path):
    return run_etl(_settings(tmp_path), run_date=RUN_DATE, publish=None)


def _query(tmp_path: Path, sql: str, params=None):
    with duckdb.connect(str(_settings(tmp_path).raw_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _reasons(tmp_path: Path, run_id: str, file_name: str) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for row, reason in _query(
        tmp_path,
        "select source_row, reason_code from rejects where run_id = ? and file_name = ?",
        [run_id, file_name],
    ):
        out.setdefault(row, set()).add(reason)
    return out


def _file(summary, name: str):
    return next(f for f in summary.files if f.file_name == name)


def test_reference_files_load_with_names_resolved_to_codes(tmp_path: Path) -> None:
    _base(tmp_path)
    summary = _run(tmp_path)
    assert summary.status == "succeeded"
    assert summary.files_loaded == 3 and summary.rows_rejected == 0
    assert _query(tmp_path, "select home_id, home_level, township_code, opened_on from homes order by 1") == [
        ("H1", "苏木镇街道级", "150205001000", date(2020, 5, 6)),
        ("H2", "区级", "150205101000", None),
    ]
    assert _query(tmp_path, "select deputy_id, levels, township_code from deputies order by 1") == [
        ("D1", "区;镇", "150205001000"),
        ("D2", "区", "150205101000"),
    ]


def test_every_reject_reason_with_file_row_and_column(tmp_path: Path) -> None:
    rows = [
        "S01,代表之家,D1,石拐街道,好建议,2023-05-06,,办理中,,是",  # 2 ok
        "S02,代表之家,D1,石拐街道,,2023-05-06,,办理中,,",  # 3 missing title
        "S03,微信,D1,石拐街道,标题,2023-05-06,,办理中,,",  # 4 bad channel
        "S04,代表之家,D1,石拐街道,标题,2023-13-45,,办理中,,",  # 5 bad date
        "S05,代表之家,D1,石拐街道,标题,2025-01-01,,办理中,,",  # 6 future date
        "S06,代表之家,D1,石拐街道,标题,2023-05-06,2023-05-01,已办结,满意,",  # 7 closed before submitted
        "S07,代表之家,D1,火星乡,标题,2023-05-06,,办理中,,",  # 8 unknown township
        "S08,代表之家,D9,石拐街道,标题,2023-05-06,,办理中,,",  # 9 unknown deputy
        "合计,,,,,,,,,",  # 10 summary row
        "S09,代表之家,D1,石拐街道,标题,2023-05-06,,办理中,,也许",  # 11 bad boolean
    ]
    _base(tmp_path, **{"05_建议.csv": SUGGESTION_HEAD + "\n".join(rows) + "\n"})
    summary = _run(tmp_path)
    assert _reasons(tmp_path, summary.run_id, "05_建议.csv") == {
        3: {"missing_value"},
        4: {"bad_enum"},
        5: {"bad_date"},
        6: {"future_date"},
        7: {"close_before_open"},
        8: {"unknown_township"},
        9: {"unknown_deputy"},
        10: {"summary_row"},
        11: {"bad_enum"},
    }
    (column, message_zh, message_en) = _query(
        tmp_path, "select column_name, message_zh, message_en from rejects where source_row = 4"
    )[0]
    assert column == "来源" and "微信" in message_zh and "微信" in message_en
    assert _query(tmp_path, "select suggestion_id, adopted from suggestions") == [("S01", True)]


def test_activity_rejects_negative_count_unknown_home_and_any_unknown_deputy(tmp_path: Path) -> None:
    csv = (
        "活动编号,活动日期,活动类型,活动阵地,接待人数,参加代表编号\n"
        "A1,2023年5月6日,学习,石拐街道代表之家,１２,D1;D2\n"  # 2 ok: home by name, full-width digits
        "A2,2023/5/6,议事,H1,-3,D1\n"  # 3 negative count
        "A3,2023.05.06,视察,不存在之家,1,D1\n"  # 4 unknown home
        "A4,45052,调研,H2,1,D1、D7\n"  # 5 one unknown deputy in the list
        "A5,2023-05-06,跳舞,H2,1,D1\n"  # 6 bad enum
    )
    _base(tmp_path, **{"04_活动.csv": csv})
    summary = _run(tmp_path)
    assert _reasons(tmp_path, summary.run_id, "04_活动.csv") == {
        3: {"negative_count"},
        4: {"unknown_home"},
        5: {"unknown_deputy"},
        6: {"bad_enum"},
    }
    assert _query(
        tmp_path, "select activity_id, home_id, activity_date, visitors, deputy_ids from activities"
    ) == [("A1", "H1", date(2023, 5, 6), 12, "D1;D2")]


def test_dates_in_every_spelling_parse_to_the_same_day(tmp_path: Path) -> None:
    spellings = [
        "2023-05-06",
        "2023/5/6",
        "2023.05.06",
        "2023年5月6日",
        "45052",
        "２０２３-０５-０６",
        " 2023-05-06 ",
    ]
    csv = "活动编号,活动日期,活动类型\n" + "".join(f"A{i},{d},学习\n" for i, d in enumerate(spellings))
    _base(tmp_path, **{"04_活动.csv": csv})
    summary = _run(tmp_path)
    assert summary.rows_rejected == 0
    assert _query(tmp_path, "select distinct activity_date from activities") == [(date(2023, 5, 6),)]


def test_reconciliation_per_file_and_run(tmp_path: Path) -> None:
    csv = (
        "标题行\n\n活动编号,活动日期,活动类型,接待人数\n"
        "A1,2023-05-06,学习,1\n\nA1,2023-05-06,学习,1\nA2,2023-02-30,学习,1\n,,,\n合计,,,3\n"
    )
    _base(tmp_path, **{"04_活动.csv": csv})
    summary = _run(tmp_path)
    f = _file(summary, "04_活动.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_duplicate) == (4, 1, 2, 1)
    for x in [*summary.files, summary]:
        assert x.rows_read == x.rows_loaded + x.rows_rejected + x.rows_duplicate
    run = _query(
        tmp_path, "select status, rows_read, rows_loaded, rows_rejected, rows_duplicate from etl_runs"
    )
    assert run == [
        ("succeeded", summary.rows_read, summary.rows_loaded, summary.rows_rejected, summary.rows_duplicate)
    ]


def test_same_inbox_twice_changes_nothing_and_says_already_loaded(tmp_path: Path) -> None:
    _base(tmp_path, **{"04_活动.csv": "活动编号,活动日期,活动类型\nA1,2023-05-06,学习\n"})
    first = _run(tmp_path)
    tables = ("townships", "homes", "deputies", "activities", "activities_history")
    before = {t: _query(tmp_path, f"select * from {t} order by all") for t in tables}
    second = _run(tmp_path)
    assert first.files_loaded == 4
    assert second.files_skipped == 4 and second.files_loaded == 0 and second.rows_read == 0
    assert {t: _query(tmp_path, f"select * from {t} order by all") for t in tables} == before
    assert "此前已导入" in second.describe() and "already loaded" in second.describe()


def test_new_status_in_later_export_updates_and_keeps_history(tmp_path: Path) -> None:
    row = "S1,代表之家,D1,石拐街道,修路,2023-05-06,{closed},{status},{sat},\n"
    _base(
        tmp_path, **{"05_建议_20230601.csv": SUGGESTION_HEAD + row.format(closed="", status="办理中", sat="")}
    )
    _run(tmp_path)
    _inbox(
        tmp_path,
        {
            "05_建议_20230701.csv": SUGGESTION_HEAD
            + row.format(closed="2023-06-30", status="已办结", sat="满意")
        },
    )
    summary = _run(tmp_path)
    f = _file(summary, "05_建议_20230701.csv")
    assert (f.rows_read, f.rows_new, f.rows_updated, f.rows_duplicate) == (1, 0, 1, 0)
    assert summary.entities["suggestions"].rows_updated == 1
    assert _query(tmp_path, "select status, closed_on from suggestions") == [("已办结", date(2023, 6, 30))]
    assert _query(tmp_path, "select status, change from suggestions_history order by loaded_at, status") == [
        ("办理中", "new"),
        ("已办结", "updated"),
    ]


def test_same_record_in_a_later_file_is_a_duplicate(tmp_path: Path) -> None:
    _base(tmp_path, **{"04_活动_1.csv": "活动编号,活动日期,活动类型\nA1,2023-05-06,学习\n"})
    _run(tmp_path)
    _inbox(tmp_path, {"04_活动_2.csv": "活动日期,活动编号,活动类型\n2023/5/6,A1,学习\n"})
    summary = _run(tmp_path)
    f = _file(summary, "04_活动_2.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_duplicate) == (1, 0, 1)


def test_unreadable_and_unknown_files_are_file_rejects_while_others_load(tmp_path: Path) -> None:
    _base(
        tmp_path,
        **{"05_bad.csv": b"\x00\x01\x02garbage", "06_杂项.csv": "foo,bar\n1,2\n", "07_note.txt": "hi"},
    )
    summary = _run(tmp_path)
    assert summary.status == "succeeded" and summary.files_loaded == 3 and summary.files_rejected == 3
    assert {f.file_name: f.reason_code for f in summary.files if f.status == "rejected"} == {
        "05_bad.csv": "unreadable",
        "06_杂项.csv": "unknown_entity",
        "07_note.txt": "unsupported_format",
    }
    assert "foo" in _file(summary, "06_杂项.csv").message_zh
    assert _query(tmp_path, "select count(*) from deputies") == [(2,)]


def test_files_are_applied_in_dependency_order_whatever_their_names(tmp_path: Path) -> None:
    _inbox(tmp_path, {"a_代表.csv": DEPUTIES, "b_代表之家.csv": HOMES, "c_乡镇.csv": TOWNSHIPS})
    summary = _run(tmp_path)
    assert [f.entity for f in summary.files] == ["townships", "homes", "deputies"]
    assert summary.rows_rejected == 0


def test_missing_inbox_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EtlError) as err:
        run_etl(_settings(tmp_path), inbox=tmp_path / "nope", publish=None)
    assert "收件目录不存在" in str(err.value) and "Inbox directory not found" in str(err.value)


def test_publish_hook_receives_the_run_and_its_version_is_reported(tmp_path: Path) -> None:
    _base(tmp_path)
    calls = []
    summary = run_etl(
        _settings(tmp_path), run_date=RUN_DATE, publish=lambda con, s, run_id: calls.append(run_id) or "v1"
    )
    assert calls == [summary.run_id] and summary.snapshot_version == "v1"


def test_cli_run_json_and_rejects(tmp_path: Path, capsys) -> None:
    _base(tmp_path, **{"04_活动.csv": "活动编号,活动日期,活动类型\nA1,2023-05-06,学习\nA2,2023-05-06,跳舞\n"})
    data_dir = str(tmp_path / "data")
    assert main(["etl", "run", "--data-dir", data_dir, "--no-publish", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files_loaded"] == 4 and out["rows_rejected"] == 1
    assert main(["etl", "rejects", "--data-dir", data_dir, "--json"]) == 0
    rejects = json.loads(capsys.readouterr().out)
    assert rejects["run_id"] == out["run_id"]
    assert [
        (r["file_name"], r["source_row"], r["column_name"], r["reason_code"]) for r in rejects["rejects"]
    ] == [("04_活动.csv", 3, "活动类型", "bad_enum")]
    assert main(["etl", "rejects", "--data-dir", data_dir]) == 0
    assert "04_活动.csv:3" in capsys.readouterr().out


def test_two_versions_of_an_id_in_one_file_load_in_row_order(tmp_path: Path) -> None:
    rows = (
        "S1,代表之家,D1,石拐街道,修路,2023-05-06,,办理中,,\n"
        "S1,代表之家,D1,石拐街道,修路,2023-05-06,2023-06-30,已办结,满意,\n"
    )
    _base(tmp_path, **{"05_建议.csv": SUGGESTION_HEAD + rows})
    f = _file(_run(tmp_path), "05_建议.csv")
    assert (f.rows_read, f.rows_new, f.rows_updated, f.rows_duplicate) == (2, 1, 1, 0)
    assert _query(tmp_path, "select status from suggestions") == [("已办结",)]
    assert _query(
        tmp_path, "select status, change, is_current from suggestions_history order by source_row"
    ) == [
        ("办理中", "new", False),
        ("已办结", "updated", True),
    ]


def test_stray_and_full_width_spaces_and_digits_are_cleaned(tmp_path: Path) -> None:
    csv = (
        "活动编号,活动日期,活动类型,接待人数,参加代表编号\n"
        " A1 ,２０２３年５月６日,\u3000学习\u3000,\u00a0１２ ,D1；D2\n"
        'A2\t,2023-05-06,议事,"","D1, D2"\n'
    )
    _base(tmp_path, **{"04_活动.csv": csv})
    summary = _run(tmp_path)
    assert summary.rows_rejected == 0
    assert _query(
        tmp_path,
        "select activity_id, activity_date, activity_type, visitors, deputy_ids from activities order by 1",
    ) == [
        ("A1", date(2023, 5, 6), "学习", 12, "D1;D2"),
        ("A2", date(2023, 5, 6), "议事", None, "D1;D2"),
    ]


def test_full_width_characters_are_folded_in_coded_cells_only_whatever_the_row_path(tmp_path: Path) -> None:
    # No space anywhere: no row takes the trimming path; rows with a non-ASCII coded cell take the folding
    # path, where only the rows with a full-width character in a coded cell are translated.
    csv = (
        "活动编号,活动日期,活动类型,活动主题,接待人数,参加代表编号\n"
        "A3,２０２３年５月６日,学习,主题ＡＢＣ,１２,D1;D2\n"
        "A4,2023年5月6日,议事,普通,7,D1\n"
        "A5,2023-05-06,学习,全角Ｘ１,3,D2\n"
        "A6,2023-05-06,学习,,０,D1；D2\n"
    )
    _base(tmp_path, **{"04_活动.csv": csv})
    summary = _run(tmp_path)
    assert summary.rows_rejected == 0
    assert _query(
        tmp_path,
        "select activity_id, activity_date, activity_type, title, visitors, deputy_ids from activities order by 1",
    ) == [
        ("A3", date(2023, 5, 6), "学习", "主题ＡＢＣ", 12, "D1;D2"),
        ("A4", date(2023, 5, 6), "议事", "普通", 7, "D1"),
        ("A5", date(2023, 5, 6), "学习", "全角Ｘ１", 3, "D2"),
        ("A6", date(2023, 5, 6), "学习", None, 0, "D1;D2"),
    ]


def test_xlsx_and_jsonl_exports_load_end_to_end(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2023年履职活动"])
    ws.append(["活动编号", "活动日期", "活动类型", "接待人数"])
    ws.append(["A1", date(2023, 5, 6), "学习", 12])
    ws.append(["A2", 45052, "议事", 3])
    ws.append(["合计", None, None, 15])
    inbox = _base(tmp_path)
    wb.save(inbox / "04_活动.xlsx")
    (inbox / "05_活动.jsonl").write_text(
        '{"活动编号": "A3", "活动日期": "2023/5/6", "活动类型": "视察"}\n{oops\n', encoding="utf-8"
    )
    summary = _run(tmp_path)
    xlsx, jsonl = _file(summary, "04_活动.xlsx"), _file(summary, "05_活动.jsonl")
    assert (xlsx.rows_read, xlsx.rows_loaded, xlsx.rows_rejected) == (3, 2, 1)
    assert (jsonl.rows_read, jsonl.rows_loaded, jsonl.rows_rejected) == (2, 1, 1)
    assert _reasons(tmp_path, summary.run_id, "04_活动.xlsx") == {5: {"summary_row"}}
    assert _reasons(tmp_path, summary.run_id, "05_活动.jsonl") == {2: {"bad_row"}}
    assert _query(tmp_path, "select count(*) from activities where activity_date = date '2023-05-06'") == [
        (3,)
    ]


def test_raw_store_held_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    settings = _settings(tmp_path)
    _base(tmp_path)
    settings.raw_db.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(30)",
            str(settings.raw_db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(EtlError) as err:
            run_etl(settings, run_date=RUN_DATE, publish=None)
        assert "占用" in str(err.value) and "in use" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def test_malformed_csv_line_is_a_row_reject_and_the_rest_loads(tmp_path: Path) -> None:
    csv = (
        "活动编号,活动日期,活动类型\nA1,2023-01-02,学习\nA2,2023-01-03,议事,多出的一格\nA3,2023-01-04,学习,\n"
    )
    _base(tmp_path, **{"04_活动.csv": csv})
    summary = _run(tmp_path)
    f = _file(summary, "04_活动.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (3, 2, 1)
    assert _reasons(tmp_path, summary.run_id, "04_活动.csv") == {3: {"bad_row"}}
    assert _query(tmp_path, "select activity_id, source_row from activities order by 1") == [
        ("A1", 2),
        ("A3", 4),
    ]


def test_ids_stay_unique_after_loads_with_duplicates_and_updates(tmp_path: Path) -> None:
    # The entity tables have no PRIMARY KEY (its index dominated large loads): the loader keeps ids unique.
    head = "活动编号,活动日期,活动类型,接待人数\n"
    _base(
        tmp_path,
        **{
            "04_活动_1.csv": head
            + "A1,2023-05-06,学习,1\nA2,2023-05-06,学习,2\nA2,2023-05-06,学习,2\nA3,2023-05-07,议事,3\n"
            + "A3,2023-05-07,议事,4\nA3,2023-05-07,议事,3\n"
        },
    )
    first = _run(tmp_path)
    _inbox(
        tmp_path,
        {
            "04_活动_2.csv": head
            + "A1,2023-05-06,学习,1\nA2,2023-05-06,学习,5\nA4,2023-05-08,视察,0\nA4,2023-05-08,视察,0\n"
            + "A3,2023-05-07,议事,9\nA3,2023-05-07,议事,9\n"
        },
    )
    second = _run(tmp_path)
    f1, f2 = _file(first, "04_活动_1.csv"), _file(second, "04_活动_2.csv")
    assert (f1.rows_read, f1.rows_new, f1.rows_updated, f1.rows_duplicate) == (6, 3, 1, 2)
    assert (f2.rows_read, f2.rows_new, f2.rows_updated, f2.rows_duplicate) == (6, 1, 2, 3)
    for table, key in (
        ("townships", "township_code"),
        ("homes", "home_id"),
        ("deputies", "deputy_id"),
        ("activities", "activity_id"),
    ):
        assert _query(tmp_path, f"select count(*) - count(distinct {key}) from {table}") == [(0,)]
    assert _query(tmp_path, "select activity_id, visitors from activities order by 1") == [
        ("A1", 1),
        ("A2", 5),
        ("A3", 9),
        ("A4", 0),
    ]
    assert _query(
        tmp_path,
        "select visitors, change from activities_history where activity_id = 'A3' order by loaded_at, source_row",
    ) == [(3, "new"), (4, "updated"), (9, "updated")]


def test_store_created_with_primary_keys_is_migrated_and_keeps_loading(tmp_path: Path) -> None:
    from etl.load import RAW_DDL

    _base(tmp_path, **{"04_活动_1.csv": "活动编号,活动日期,活动类型\nA1,2023-05-06,学习\n"})
    # A store of the earlier layout: the entity tables keyed by their id.
    old_ddl = RAW_DDL.read_text(encoding="utf-8")
    for key in (
        "township_code",
        "home_id",
        "deputy_id",
        "activity_id",
        "suggestion_id",
        "case_id",
        "project_id",
    ):
        old_ddl = old_ddl.replace(f"    {key} varchar not null,\n", f"    {key} varchar primary key,\n", 1)
    raw_db = _settings(tmp_path).raw_db
    raw_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(raw_db)) as con:
        con.execute(old_ddl)
        keyed = "select count(*) from duckdb_constraints() where constraint_type = 'PRIMARY KEY' and table_name = ?"
        assert con.execute(keyed, ["activities"]).fetchall() == [(1,)]
    first = _run(tmp_path)
    assert first.status == "succeeded" and first.files_loaded == 4
    with duckdb.connect(str(raw_db), read_only=True) as con:
        assert con.execute(keyed, ["activities"]).fetchall() == [(0,)]
        assert con.execute(keyed, ["etl_runs"]).fetchall() == [(1,)]
    _inbox(
        tmp_path, {"04_活动_2.csv": "活动编号,活动日期,活动类型\nA1,2023-05-06,议事\nA2,2023-05-07,学习\n"}
    )
    f = _file(_run(tmp_path), "04_活动_2.csv")
    assert (f.rows_new, f.rows_updated) == (1, 1)
    assert _query(tmp_path, "select activity_id, activity_type from activities order by 1") == [
        ("A1", "议事"),
        ("A2", "学习"),
    ]
    assert _query(tmp_path, "select count(*) from activities_history") == [(3,)]
