"""The web intake's library (``etl.intake``): staging, screening of bad input, the dry-run check, the
confirmed run (in its own process) and the rejects workbook that loads once corrected."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import time
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from etl import intake
from etl.intake import IntakeError
from etl.run import run_etl
from warehouse.locks import etl_lock
from warehouse.settings import Settings

TOWNSHIPS = "乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n150205101000,五当召镇,镇\n"
HOMES = "阵地编号,名称,级别,所属苏木镇街道,经度,纬度,建成日期\nH1,石拐街道代表之家,街道级,石拐街道,110.2,40.7,2020/5/6\n"
DEPUTIES = "代表编号,姓名,性别,代表层级,所属乡镇,进驻代表之家编号,联系电话\nD1,测试甲,男,区、镇,石拐街道,H1,13800000000\n"
SUGGESTION_HEAD = "建议编号,来源,提出代表编号,所属乡镇,标题,提出日期,办结日期,状态,评价,是否采纳\n"
SUGGESTIONS = SUGGESTION_HEAD + (
    "S01,代表之家,D1,石拐街道,好建议,2023-05-06,,办理中,,是\n"  # row 2 ok
    "S02,代表之家,D1,石拐街道,,2023-05-06,,办理中,,\n"  # row 3 missing title
    "S03,微信,D1,石拐街道,标题,2023-05-06,,办理中,,\n"  # row 4 bad channel
    "S04,代表之家,D1,石拐街道,修路,2023-06-06,2023-07-01,已办结,满意,\n"  # row 5 ok
)


def make_settings(tmp_path: Path, **more) -> Settings:
    """An installation with townships, homes and deputies loaded and a snapshot published."""
    settings = Settings(
        data_dir=tmp_path / "data", default_start=date(2023, 1, 1), default_end=date(2023, 12, 31), **more
    )
    settings.inbox.mkdir(parents=True)
    for name, text in {"01_乡镇.csv": TOWNSHIPS, "02_代表之家.csv": HOMES, "03_代表.csv": DEPUTIES}.items():
        (settings.inbox / name).write_text(text, encoding="utf-8")
    run_etl(settings, trigger="test")
    return settings


def stage(settings: Settings, files: dict[str, bytes | str]) -> intake.Upload:
    upload = intake.new_upload(settings, "clerk1")
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        intake.add_file(settings, upload, name, io.BytesIO(data))
    return upload


def _zip(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return out.getvalue()


def _xlsx(rows: list[list], macro: bool = False) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    if not macro:
        return out.getvalue()
    # The same workbook with a VBA part, as Excel saves an .xlsm renamed to .xlsx.
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w") as zf:
        for item in source.infolist():
            zf.writestr(item, source.read(item.filename))
        zf.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake vba")
    return patched.getvalue()


# ---------------------------------------------------------------- staging and bad input


def test_staged_under_content_hash_outside_the_inbox(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    before = sorted(p.name for p in settings.inbox.iterdir())
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    (item,) = upload.files
    assert item.status == "staged" and len(item.sha256) == 64
    path = intake.staged_path(settings, upload, item)
    assert path.name == f"{item.sha256}.csv" and path.read_text(encoding="utf-8") == SUGGESTIONS
    assert sorted(p.name for p in settings.inbox.iterdir()) == before
    assert intake.load_upload(settings, upload.upload_id).files[0].sha256 == item.sha256


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("report.pdf", b"%PDF-1.4 not a sheet", "not_spreadsheet"),
        ("fake.csv", b"\x00\x01\x02binary\x00", "not_spreadsheet"),
        ("fake.xlsx", b"just text, not a workbook", "not_spreadsheet"),
        ("old.xls", b"\xd0\xcf\x11\xe0old", "old_format"),
        ("macro.xlsm", b"PK anything", "macro_workbook"),
    ],
)
def test_files_that_are_not_importable_spreadsheets_are_refused(tmp_path, name, content, reason) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    (item,) = stage(settings, {name: content}).files
    assert (item.status, item.reason) == ("refused", reason)
    assert name in item.message_zh and name in item.message_en


def test_macro_workbook_named_xlsx_is_refused_by_content(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    upload = stage(
        settings, {"建议.xlsx": _xlsx([["建议编号"], ["S1"]], macro=True), "ok.xlsx": _xlsx([["a"]])}
    )
    assert [(f.status, f.reason) for f in upload.files] == [("refused", "macro_workbook"), ("staged", None)]
    assert "宏" in upload.files[0].message_zh and "macro" in upload.files[0].message_en


def test_file_over_the_size_limit_is_refused_and_nothing_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", upload_max_bytes=1000)
    upload = stage(settings, {"big.csv": "a,b\n" + "1,2\n" * 400})
    (item,) = upload.files
    assert (item.status, item.reason) == ("refused", "too_large")
    assert "1000 B" in item.message_zh
    assert not any(p.is_file() for p in intake.files_dir(settings, upload.upload_id).iterdir())


def test_same_file_twice_is_kept_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    upload = stage(settings, {"a.csv": SUGGESTIONS, "b.csv": SUGGESTIONS})
    assert [f.status for f in upload.files] == ["staged", "refused"]
    assert upload.files[1].reason == "duplicate" and "a.csv" in upload.files[1].message_zh


def test_two_different_files_of_one_name_are_both_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    other = SUGGESTIONS.replace("S01", "S11")
    upload = stage(
        settings, {"a.zip": _zip({"jan/05.csv": SUGGESTIONS.encode(), "feb/05.csv": other.encode()})}
    )
    names = [f.name for f in upload.files]
    assert names[0] == "05.csv" and names[1].startswith("05-") and names[1].endswith(".csv")
    assert all(f.status == "staged" for f in upload.files)


def test_zip_members_are_staged_one_by_one(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    data = _zip(
        {
            "exports/05_建议.csv": SUGGESTIONS.encode(),
            "__MACOSX/._x": b"junk",
            "copy/05.csv": SUGGESTIONS.encode(),
        }
    )
    upload = stage(settings, {"exports.zip": data})
    assert [(f.name, f.status) for f in upload.files] == [("05_建议.csv", "staged"), ("05.csv", "refused")]


@pytest.mark.parametrize(
    ("members", "links", "reason"),
    [
        ({"../../etc/cron.d/x.csv": b"a\n"}, (), "zip_path"),
        ({"/abs/x.csv": b"a\n"}, (), "zip_path"),
        ({"ok.csv": b"a\n"}, ("link.csv",), "zip_link"),
    ],
)
def test_zip_with_unsafe_paths_or_links_is_refused_whole(tmp_path, members, links, reason) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    upload = stage(settings, {"bad.zip": _zip(members, links)})
    assert [(f.name, f.status, f.reason) for f in upload.files] == [("bad.zip", "refused", reason)]
    assert not list((tmp_path / "data").rglob("x.csv")) and not list(tmp_path.parent.rglob("cron.d"))


def test_zip_bomb_is_refused_by_ratio_and_by_total(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    bomb = _zip({"zeros.csv": b"0" * (20 * 1024 * 1024)})  # 20 MB of zeros: ratio ~1000
    assert len(bomb) < 100_000
    (item,) = stage(settings, {"bomb.zip": bomb}).files
    assert (item.status, item.reason) == ("refused", "zip_bomb")
    small = Settings(data_dir=tmp_path / "data", upload_zip_max_total_bytes=1000)
    (item,) = stage(small, {"many.zip": _zip({f"{i}.csv": b"a,b\n1,2\n" * 100 for i in range(3)})}).files
    assert (item.status, item.reason) == ("refused", "zip_bomb")
    assert not [p for p in (tmp_path / "data" / "staging" / "files").rglob("*") if p.is_file()]


# ---------------------------------------------------------------- check, confirm, run


def test_check_reports_what_the_run_will_do_and_changes_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    raw_before = settings.raw_db.read_bytes()
    published_before = settings.published_db.stat().st_mtime_ns
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    report = intake.check_upload(settings, upload)
    (f,) = report["files"]
    assert (f["entity"], f["status"], f["rows_read"], f["rows_new"], f["rows_rejected"]) == (
        "suggestions", "loaded", 4, 2, 2,
    )  # fmt: skip
    assert [r["source_row"] for r in f["first_rejects"]] == [3, 4]
    assert {r["reason_code"] for r in f["first_rejects"]} == {"missing_value", "bad_enum"}
    assert {c["source"]: c["field"] for c in f["report"]["columns"]}["建议编号"] == "suggestion_id"
    assert report["kpis_before"]["suggestions_collected"] == 0
    assert report["kpis_after"]["suggestions_collected"] == 2
    assert settings.raw_db.read_bytes() == raw_before
    assert settings.published_db.stat().st_mtime_ns == published_before
    assert intake.load_upload(settings, upload.upload_id).state == "checked"


def test_check_while_a_run_holds_the_lock_says_please_wait(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    with etl_lock(settings), pytest.raises(IntakeError) as caught:
        intake.check_upload(settings, upload)
    assert caught.value.zh == "正在导入，请稍候" and caught.value.status == 409


def test_confirm_requires_a_check_and_files_that_survived(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    with pytest.raises(IntakeError, match="请先检查"):
        intake.confirm_upload(settings, upload, start=False)
    intake.check_upload(settings, upload)
    # A restart between check and confirm: the manifest and the staged files are on disk.
    reloaded = intake.load_upload(settings, upload.upload_id)
    assert intake.confirm_upload(settings, reloaded, start=False).state == "queued"
    other = stage(settings, {"x.csv": SUGGESTIONS.replace("S01", "S11")})
    intake.check_upload(settings, other)
    intake.staged_path(settings, other, other.files[0]).unlink()
    with pytest.raises(IntakeError, match="重新上传"):
        intake.confirm_upload(settings, other, start=False)


def test_cancel_discards_the_staged_files_and_keeps_the_history(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    intake.cancel_upload(settings, upload)
    assert not intake.files_dir(settings, upload.upload_id).exists()
    assert [u.state for u in intake.upload_history(settings)] == ["cancelled"]
    with pytest.raises(IntakeError):
        intake.add_file(settings, upload, "again.csv", io.BytesIO(b"a\n"))


def _wait(settings: Settings, upload_id: str, seconds: float = 120) -> intake.Upload:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        upload = intake.refresh_upload(settings, upload_id)
        if upload.state not in intake.ACTIVE_STATES:
            return upload
        time.sleep(0.3)
    raise AssertionError(f"run of {upload_id} still {upload.state}")


def test_confirmed_run_happens_in_its_own_process_waits_for_the_lock_and_publishes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    intake.check_upload(settings, upload)
    with etl_lock(settings):
        intake.confirm_upload(settings, upload)
        deadline = time.monotonic() + 60
        while intake.load_upload(settings, upload.upload_id).state != "waiting":
            assert time.monotonic() < deadline, "the run did not wait for the lock"
            time.sleep(0.2)
    done = _wait(settings, upload.upload_id)
    assert done.state == "succeeded" and done.pid not in (None, os.getpid())
    assert done.run_id and done.snapshot_version
    assert (settings.inbox / "05_建议.csv").read_text(encoding="utf-8") == SUGGESTIONS
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        assert con.execute("select count(*) from fct_suggestion").fetchone()[0] == 2


def test_rejects_workbook_has_original_columns_row_and_reason_and_loads_once_fixed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    intake.check_upload(settings, upload)
    body = intake.rejects_workbook(settings, upload, upload.files[0].sha256)
    sheet = load_workbook(io.BytesIO(body)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [*SUGGESTION_HEAD.strip().split(","), "源行号", "原因"]
    assert [r[0] for r in rows[1:]] == ["S02", "S03"] and [r[-2] for r in rows[1:]] == [3, 4]
    assert "标题" in rows[1][-1] and rows[2][-1]
    # The clerk fixes the title and the channel in Excel, and uploads the workbook again.
    rows[1][4] = "补上标题"
    rows[2][1] = "代表之家"
    fixed = Workbook()
    for row in rows:
        fixed.active.append(row)
    out = io.BytesIO()
    fixed.save(out)
    again = stage(settings, {"拒收行_改.xlsx": out.getvalue()})
    report = intake.check_upload(settings, again)
    (f,) = report["files"]
    assert (f["status"], f["rows_read"], f["rows_new"], f["rows_rejected"]) == ("loaded", 2, 2, 0)
    assert "源行号" in f["report"]["unrecognised"] and "原因" in f["report"]["unrecognised"]


# ---------------------------------------------------------------- templates


def test_every_template_header_maps_to_its_column(tmp_path: Path) -> None:
    from etl import templates
    from etl.mapping import load_mapping

    settings = Settings(data_dir=tmp_path / "data")
    mapping = load_mapping(None)
    for name in templates.template_entities(settings):
        sheet = load_workbook(io.BytesIO(templates.build_template(settings, name)))["数据"]
        headers = [c.value for c in sheet[1]]
        entity = mapping.entities[name]
        assert mapping.entity_for(headers, "template.xlsx") is entity, name
        found = entity.match_headers(headers)
        assert set(found) == {c.name for c in templates.template_columns(entity)}, name
        assert not entity.missing_required(found), name


def test_suggestions_template_has_dropdowns_dates_help_and_loads_without_rejects(tmp_path: Path) -> None:
    from datetime import datetime

    from etl import templates
    from etl.mapping import load_mapping

    settings = make_settings(tmp_path)
    workbook = load_workbook(io.BytesIO(templates.build_template(settings, "suggestions")))
    assert workbook.sheetnames == ["数据", "填写说明", "选项"]
    sheet, lists = workbook["数据"], workbook["选项"]
    headers = [c.value for c in sheet[1]]
    column = load_mapping(None).entities["suggestions"].match_headers(headers)
    assert headers[column["suggestion_id"]] == "*建议编号" and headers[column["status"]].startswith("*")

    def dropdown(header: str) -> list[str]:
        letter = sheet.cell(row=1, column=column[header] + 1).column_letter
        (rule,) = [dv for dv in sheet.data_validations.dataValidation if f"{letter}2:" in str(dv.sqref)]
        cells = rule.formula1.split("!")[1].replace("$", "")
        return [c.value for row in lists[cells] for c in row]

    assert dropdown("status") == ["已提交", "已交办", "办理中", "已答复", "已办结", "不予立案"]
    assert dropdown("township_name") == ["石拐街道", "五当召镇"]
    assert dropdown("adopted") == ["是", "否"]
    assert sheet.cell(row=2, column=column["submitted_on"] + 1).number_format == "yyyy-mm-dd"
    help_text = " ".join(str(c.value) for row in workbook["填写说明"].iter_rows() for c in row if c.value)
    assert "必填" in help_text and "已办结" in help_text and "示例" in help_text
    # Filled in as the instructions say: two suggestions.
    values = {
        "suggestion_id": ["T1", "T2"],
        "channel": ["代表之家", "平台"],
        "deputy_id": ["D1", "D1"],
        "township_name": ["石拐街道", "五当召镇"],
        "title": ["修路", "路灯"],
        "submitted_on": [datetime(2023, 5, 6), datetime(2023, 6, 1)],
        "closed_on": [datetime(2023, 7, 1), None],
        "status": ["已办结", "办理中"],
        "satisfaction": ["满意", None],
        "adopted": ["是", "否"],
    }
    for header, cells in values.items():
        for i, value in enumerate(cells):
            sheet.cell(row=2 + i, column=column[header] + 1, value=value)
    out = io.BytesIO()
    workbook.save(out)
    report = intake.check_upload(settings, stage(settings, {"模板_建议.xlsx": out.getvalue()}))
    (f,) = report["files"]
    assert (f["entity"], f["sheet"], f["rows_read"], f["rows_new"], f["rows_rejected"]) == (
        "suggestions", "数据", 2, 2, 0,
    )  # fmt: skip


def test_a_run_process_that_died_is_reported_failed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    intake.check_upload(settings, upload)
    intake.confirm_upload(settings, upload, start=False)
    dead = subprocess.Popen(["true"])
    dead.wait()
    intake._pid_file(settings, upload.upload_id).write_text(str(dead.pid), encoding="ascii")
    refreshed = intake.refresh_upload(settings, upload.upload_id)
    assert refreshed.state == "failed" and "意外中止" in refreshed.message
    assert not (settings.inbox / "05_建议.csv").exists()


# ---------------------------------------------------------------- unknown headers


RENAMED = SUGGESTIONS.replace(",标题,", ",建议标题,", 1)


def test_unknown_header_gets_the_closest_field_proposed_and_accepting_it_loads_the_file(
    tmp_path: Path,
) -> None:
    from etl import header_proposals

    (tmp_path / "mapping.toml").write_text("# the installation's own header names\n", encoding="utf-8")
    settings = make_settings(tmp_path, mapping_file=tmp_path / "mapping.toml")
    upload = stage(settings, {"05_建议.csv": RENAMED})
    (f,) = intake.check_upload(settings, upload)["files"]
    assert (f["status"], f["reason_code"], f["entity"]) == ("rejected", "missing_columns", "suggestions")
    assert f["proposals"]["建议标题"][0]["column"] == "title"
    header_proposals.accept(settings, [("suggestions", "title", "建议标题")])
    assert "建议标题" in (tmp_path / "mapping.toml").read_text(encoding="utf-8")
    (f,) = intake.check_upload(settings, upload)["files"]
    assert (f["status"], f["rows_new"], f["rows_rejected"]) == ("loaded", 2, 2)


def test_accepting_needs_a_mapping_file_and_a_known_column(tmp_path: Path) -> None:
    from etl import header_proposals

    with pytest.raises(header_proposals.MappingError, match="no_mapping_file"):
        header_proposals.accept(Settings(data_dir=tmp_path), [("suggestions", "title", "x")])
    settings = Settings(data_dir=tmp_path, mapping_file=tmp_path / "m.toml")
    with pytest.raises(header_proposals.MappingError, match="bad_mapping"):
        header_proposals.accept(settings, [("suggestions", "no_such_column", "x")])
    assert not (tmp_path / "m.toml").exists()


def test_mapping_file_rewrite_keeps_every_setting(tmp_path: Path) -> None:
    import tomllib

    from etl import header_proposals

    path = tmp_path / "m.toml"
    path.write_text(
        '[entities.suggestions]\nfile_keywords = ["意见\\"书"]\n'
        '[entities.suggestions.columns.status]\nheaders = ["进度"]\nsynonyms = { "完成" = "已办结", "a b" = "已交办" }\n',
        encoding="utf-8",
    )
    before = tomllib.loads(path.read_text(encoding="utf-8"))
    header_proposals.accept(
        Settings(data_dir=tmp_path, mapping_file=path), [("suggestions", "title", "题目")]
    )
    after = tomllib.loads(path.read_text(encoding="utf-8"))
    before["entities"]["suggestions"]["columns"]["title"] = {"headers": ["题目"]}
    assert after == before
    assert len(list(tmp_path.glob("m.toml.bak-*"))) == 1


def test_check_shows_a_sample_of_updates_before_and_after(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    (settings.inbox / "05_建议.csv").write_text(SUGGESTIONS, encoding="utf-8")
    run_etl(settings, trigger="test")
    later = SUGGESTION_HEAD + "S01,代表之家,D1,石拐街道,好建议,2023-05-06,2023-08-01,已办结,满意,是\n"
    (f,) = intake.check_upload(settings, stage(settings, {"05_建议_后.csv": later}))["files"]
    assert (f["rows_updated"], f["rows_new"]) == (1, 0)
    (sample,) = f["update_sample"]
    changes = {c["field"]: (c["label"], c["before"], c["after"]) for c in sample["changes"]}
    assert sample["id"] == "S01"
    assert changes["status"] == ("状态", "办理中", "已办结")
    assert changes["closed_on"][1:] == ("", "2023-08-01")
    assert "title" not in changes
