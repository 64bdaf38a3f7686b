"""Operations: freshness, /healthz, the operators' copy, the /ops page, rollback, production headers."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest
from openpyxl import load_workbook

from dashboard import freshness as fr
from dashboard import production
from etl import jobs
from tests.support.security_helpers import create_user, login
from warehouse import ops_query, timefmt
from warehouse.locks import etl_lock
from warehouse.ops_store import export_ops
from warehouse.publish import list_snapshots
from warehouse.query import SnapshotInfo
from warehouse.run_status import RunStatus, read_status, write_status
from warehouse.settings import Settings

PHONE = "13912345678"
PASSWORD = "ops test password 1"
TOWNSHIPS_CSV = (
    "乡镇代码,乡镇,类型\n150205001000,石拐街道,街道\n150205002000,大发街道,街道\n合计,,\n150205003000,,街道\n"
)
DEPUTIES_CSV = (
    "代表编号,姓名,代表层级,所属乡镇代码,联系电话\n"
    f"D001,张三,区,150205001000,{PHONE}\n"
    f"D002,李四,区,150205999000,{PHONE}\n"
    f"D003,王五,省,150205001000,{PHONE}\n"
)


def today_stamp() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")


def write_inbox(settings: Settings, stamp: str | None = None) -> None:
    """The exports carry their date in the name: today's unless ``stamp`` says otherwise."""
    stamp = stamp or today_stamp()
    settings.inbox.mkdir(parents=True, exist_ok=True)
    (settings.inbox / f"乡镇_{stamp}.csv").write_text(TOWNSHIPS_CSV, encoding="utf-8")
    (settings.inbox / f"代表_{stamp}.csv").write_text(DEPUTIES_CSV, encoding="utf-8")
    (settings.inbox / "garbage.csv").write_bytes(bytes(range(256)) * 8)


@pytest.fixture
def loaded(tmp_path) -> Settings:
    """Two real runs over a tiny inbox (the second skips everything already loaded)."""
    settings = Settings(data_dir=tmp_path / "data")
    write_inbox(settings)
    jobs.run_incremental(settings, trigger="cli")
    jobs.run_incremental(settings, trigger="scheduler")
    return settings


def info(built_at: datetime, as_of: dict | None = None) -> SnapshotInfo:
    return SnapshotInfo(version="v1", built_at=built_at, run_id="r", as_of=as_of or {})


# ---- freshness ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SUCCEEDED = RunStatus(
    run_id="r", status="succeeded", trigger="scheduler", started_at="2026-11-27T11:00:00+00:00"
)
FAILED = RunStatus(run_id="r", status="failed", trigger="scheduler", started_at="2026-11-27T11:00:00+00:00")


def test_fresh_snapshot_is_ok_and_as_of_is_the_newest_source(tmp_path):
    settings = Settings(data_dir=tmp_path)
    newest = NOW - timedelta(hours=3)
    result = fr.freshness(
        settings,
        info(NOW - timedelta(hours=1), {"deputies": NOW - timedelta(hours=9), "activities": newest}),
        SUCCEEDED,
        now=NOW,
    )
    assert result.ok and result.reason == "ok"
    assert result.as_of == newest
    assert result.as_of.utcoffset() == timedelta(hours=8)  # shown in Asia/Shanghai
    assert result.age_seconds == 3600
    assert fr.banner_text(result, "zh-CN") == "数据截至 2026-11-27 17:00"


def test_snapshot_older_than_the_limit_is_stale(tmp_path):
    settings = Settings(data_dir=tmp_path, stale_after_hours=26)
    fresh = fr.freshness(settings, info(NOW - timedelta(hours=25)), SUCCEEDED, now=NOW)
    stale = fr.freshness(settings, info(NOW - timedelta(hours=27)), SUCCEEDED, now=NOW)
    assert fresh.ok
    assert (stale.ok, stale.reason) == (False, "stale")
    assert fr.banner_text(stale, "en") == "Data is not up to date; data as of 2026-11-26 17:00"


def test_failed_last_run_is_flagged_even_when_the_snapshot_is_recent(tmp_path):
    result = fr.freshness(Settings(data_dir=tmp_path), info(NOW), FAILED, now=NOW)
    assert (result.ok, result.reason, result.last_run_status) == (False, "last_run_failed", "failed")
    assert "最近一次数据更新失败" in fr.banner_text(result)


def test_no_snapshot_or_snapshot_without_metadata(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert fr.freshness(settings, None, None).reason == "no_snapshot"
    assert fr.freshness(settings, info(datetime.min), None).reason == "no_snapshot"


def test_freshness_reads_the_status_file_by_default(tmp_path):
    settings = Settings(data_dir=tmp_path)
    write_status(settings, FAILED)
    assert fr.freshness(settings, info(NOW), now=NOW).reason == "last_run_failed"


def test_naive_times_are_machine_local(tmp_path):
    naive = datetime(2026, 11, 27, 12, 0)
    assert fr.aware(naive, fr.ZoneInfo("UTC")) == naive.astimezone().astimezone(UTC)


# ---- operators' copy ---------------------------------------------------------------------------


def test_ops_copy_holds_runs_files_and_rejects(loaded):
    with ops_query.ops_connection(loaded) as con:
        runs = ops_query.recent_runs(con)
        files = ops_query.run_files(con, None)
        reasons = {r["reason_code"]: r["count_rows"] for r in ops_query.reject_reasons(con, None)}
        rejects = ops_query.rejects(con, None)
    assert [r["trigger"] for r in runs] == ["scheduler", "cli"]
    first, second = runs[1]["run_id"], runs[0]["run_id"]
    by_run = {(f["run_id"], f["file_name"]): f["status"] for f in files}
    assert by_run[(first, f"乡镇_{today_stamp()}.csv")] == "loaded"
    assert by_run[(second, f"乡镇_{today_stamp()}.csv")] == "already_loaded"
    assert by_run[(first, "garbage.csv")] == by_run[(second, "garbage.csv")] == "rejected"
    assert reasons["summary_row"] == 1
    assert reasons["unknown_township"] == 1
    assert reasons["unreadable"] == 2  # the garbage file, once per run
    row = next(r for r in rejects if r["reason_code"] == "unknown_township")
    assert (row["file_name"], row["source_row"], row["column_name"]) == (
        f"代表_{today_stamp()}.csv",
        3,
        "所属乡镇代码",
    )
    assert row["message_zh"] and row["message_en"]


def test_ops_copy_and_status_never_hold_personal_data(loaded):
    con = duckdb.connect(str(loaded.data_dir / "ops.duckdb"), read_only=True)
    try:
        for (table,) in con.execute("select table_name from duckdb_tables()").fetchall():
            for row in con.execute(f"select * from {table}").fetchall():
                assert PHONE not in json.dumps(row, default=str, ensure_ascii=False)
            columns = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
            assert not {"phone", "party_name", "party_phone"} & set(columns)
    finally:
        con.close()
    assert PHONE not in (loaded.data_dir / "last_run.json").read_text()


def test_ops_copy_is_replaced_whole_while_a_reader_holds_the_old_one(loaded):
    with ops_query.ops_connection(loaded) as con:
        before = len(ops_query.recent_runs(con))
        jobs.run_incremental(loaded, trigger="cli")  # replaces ops.duckdb under the open reader
        assert len(ops_query.recent_runs(con)) == before  # the reader keeps its consistent copy
    with ops_query.ops_connection(loaded) as con:
        assert len(ops_query.recent_runs(con)) == before + 1
    assert sorted(p.name for p in loaded.data_dir.glob(".ops*")) == []


def test_ops_copy_without_raw_store_is_skipped(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert export_ops(settings) is None
    with ops_query.ops_connection(settings) as con:
        assert con is None


# ---- /healthz ----------------------------------------------------------------------------------


def health(settings: Settings):
    from dashboard.app import create_app

    client = create_app(settings).server.test_client()
    response = client.get("/healthz")
    return response.status_code, response.get_json(), response


def test_healthz_is_200_when_fresh_and_reveals_nothing_else(loaded):
    code, body, response = health(loaded)
    assert code == 200
    assert set(body) == {
        "status",
        "snapshot_version",
        "built_at",
        "data_as_of",
        "data_export_date",
        "data_age_seconds",
        "last_run_status",
        "last_run_at",
    }
    assert body["status"] == "ok" and body["last_run_status"] == "succeeded"
    assert body["snapshot_version"] == read_status(loaded).snapshot_version or body["snapshot_version"]
    assert 0 <= body["data_age_seconds"] < 600
    assert str(loaded.data_dir) not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_stale(loaded):
    code, body, _ = health(loaded.with_(stale_after_hours=1e-9))
    assert (code, body["status"]) == (503, "stale")


def test_healthz_times_are_iso_with_the_settings_offset_and_carry_the_export_date(loaded):
    _, body, _ = health(loaded)
    for key in ("built_at", "data_as_of", "last_run_at"):
        assert datetime.fromisoformat(body[key]).utcoffset() == timedelta(hours=8), key
    assert body["data_export_date"] == datetime.strptime(today_stamp(), "%Y%m%d").date().isoformat()
    _, body, _ = health(loaded.with_(timezone="Europe/London"))
    assert datetime.fromisoformat(body["built_at"]).utcoffset() in (timedelta(0), timedelta(hours=1))


def test_data_exported_long_ago_is_stale_even_when_loaded_a_minute_ago(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", stale_after_export_days=35)
    old = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=40)).strftime("%Y%m%d")
    write_inbox(settings, stamp=old)
    jobs.run_incremental(settings, trigger="cli")
    code, body, _ = health(settings)
    assert (code, body["status"]) == (503, "stale")
    assert body["data_age_seconds"] < 600  # loaded just now: the export date made it stale
    assert body["data_export_date"] == datetime.strptime(old, "%Y%m%d").date().isoformat()
    code, body, _ = health(settings.with_(stale_after_export_days=45))
    assert (code, body["status"]) == (200, "ok")


def test_healthz_is_503_after_a_failed_run(loaded):
    with pytest.raises(RuntimeError):
        jobs.run_incremental(loaded, work=lambda s: (_ for _ in ()).throw(RuntimeError("boom")))
    code, body, response = health(loaded)
    assert (code, body["status"], body["last_run_status"]) == (503, "last_run_failed", "failed")
    assert "boom" not in response.get_data(as_text=True)


def test_healthz_is_503_without_snapshot(tmp_path):
    code, body, _ = health(Settings(data_dir=tmp_path / "empty"))
    assert (code, body["status"], body["snapshot_version"]) == (503, "no_snapshot", None)


# ---- /ops page ---------------------------------------------------------------------------------


def ops_page():
    return sys.modules["pages.ops"]


def admin_client(settings: Settings, role: str = "admin"):
    from dashboard.app import create_app

    create_user(
        settings.data_dir,
        f"u-{role}",
        role,
        PASSWORD,
        township="150205001000" if role == "township" else None,
    )
    client = create_app(settings).server.test_client()
    login(client, "http://localhost", f"u-{role}", PASSWORD)
    return client


def download_payload(run_id: str) -> dict:
    page = ops_page()
    return {
        "output": f"{page.DOWNLOAD}.data",
        "outputs": {"id": page.DOWNLOAD, "property": "data"},
        "inputs": [{"id": page.DOWNLOAD_BUTTON, "property": "n_clicks", "value": 1}],
        "state": [
            {"id": page.RUN, "property": "value", "value": run_id},
            {"id": page.LANG, "property": "data", "value": "en"},
        ],
        "changedPropIds": [f"{page.DOWNLOAD_BUTTON}.n_clicks"],
    }


def test_ops_layout_lists_runs_files_rejects_and_snapshots(loaded):
    admin_client(loaded)  # configures the app (and its pages) on this data dir
    text = str(ops_page().layout(lang="en"))
    assert "Recent runs" in text
    # The run shown first is the newest that read rows (the second run skipped everything).
    assert "already loaded (skipped)" not in text
    assert f"乡镇_{today_stamp()}.csv" in text
    assert "unknown township" in text  # reasons, by their catalog name
    assert "150205999000" in text  # the offending value, so the source can be fixed
    assert PHONE not in text


def test_ops_page_shows_every_time_in_the_settings_zone_in_the_one_format(loaded):
    # A zone far from the machine's and from the default, so a time left unconverted shows up.
    settings = Settings(data_dir=loaded.data_dir, timezone="America/Sao_Paulo")
    admin_client(settings)
    text = str(ops_page().layout(lang="en"))
    status = read_status(settings)
    snapshots = list_snapshots(settings)
    assert status is not None and snapshots
    # The last-run card, the run picker and the runs grid: minutes, in the zone, via warehouse.timefmt.
    assert (
        f"{timefmt.show(status.started_at, settings)} → {timefmt.show(status.finished_at, settings)}" in text
    )
    for entry in snapshots:
        assert timefmt.show(entry.built_at, settings) in text
    # No time anywhere on the page keeps its seconds or its raw ISO form.
    assert not re.search(r"\d{2}:\d{2}:\d{2}", text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)


def test_ops_local_text_keeps_text_that_is_not_a_time():
    zone = ZoneInfo("Asia/Shanghai")
    assert ops_page().local_text("not a time", zone) == "not a time"
    assert ops_page().local_text(datetime(2026, 11, 27, 11, 0, 59, tzinfo=UTC), zone) == "2026-11-27 19:00"
    assert ops_page().local_text(None, zone) == timefmt.EMPTY


def test_rejects_download_is_xlsx_with_every_rejected_row(loaded):
    client = admin_client(loaded)
    response = client.post("/_dash-update-component", json=download_payload(ops_page().ALL_RUNS))
    assert response.status_code == 200
    data = response.get_json()["response"][ops_page().DOWNLOAD]["data"]
    assert data["filename"] == "rejects-all.xlsx"
    sheet = load_workbook(io.BytesIO(base64.b64decode(data["content"]))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("File", "Row", "Column")
    with ops_query.ops_connection(loaded) as con:
        assert len(rows) - 1 == len(ops_query.rejects(con, None))
    assert (f"代表_{today_stamp()}.csv", 3, "所属乡镇代码") in [r[:3] for r in rows]
    assert PHONE not in json.dumps(rows, default=str, ensure_ascii=False)


def test_rejects_download_is_refused_to_a_leader(loaded):
    client = admin_client(loaded, role="leader")
    response = client.post("/_dash-update-component", json=download_payload(ops_page().ALL_RUNS))
    assert response.status_code == 403


def test_xlsx_cells_never_become_formulas(tmp_path):
    from dashboard.app import create_app

    create_app(Settings(data_dir=tmp_path))  # registers the pages
    xlsx = ops_page().rejects_xlsx([{"file_name": "a.csv", "raw_value": "=HYPERLINK(1)"}], "en")
    assert load_workbook(io.BytesIO(xlsx)).active.cell(2, 7).value == "'=HYPERLINK(1)"


@pytest.fixture
def two_snapshots(loaded) -> Settings:
    """``loaded`` with a second snapshot published after the first."""
    from warehouse.publish import publish_snapshot

    publish_snapshot(loaded.raw_db, loaded, "second-run")
    return loaded


def rollback_payload(version: str) -> dict:
    """What the browser posts when the operator confirms a rollback."""
    page = ops_page()
    return {
        "output": f"..{page.MESSAGE}.children...{page.SNAPSHOTS}.children..",
        "outputs": [
            {"id": page.MESSAGE, "property": "children"},
            {"id": page.SNAPSHOTS, "property": "children"},
        ],
        "inputs": [{"id": page.CONFIRM, "property": "submit_n_clicks", "value": 1}],
        "state": [
            {"id": page.PENDING, "property": "data", "value": version},
            {"id": page.LANG, "property": "data", "value": "en"},
        ],
        "changedPropIds": [f"{page.CONFIRM}.submit_n_clicks"],
    }


def test_rollback_from_ops_publishes_the_older_snapshot_under_the_run_lock(two_snapshots):
    from warehouse.publish import list_snapshots, published_version

    settings = two_snapshots
    client = admin_client(settings)
    older, newer = [s.version for s in list_snapshots(settings)][-2:]
    assert published_version(settings) == newer
    with etl_lock(settings):  # an ETL run in progress: the rollback is refused, nothing changes
        response = client.post("/_dash-update-component", json=rollback_payload(older))
    assert response.status_code == 200
    message = response.get_json()["response"][ops_page().MESSAGE]["children"]["props"]["children"]
    assert message == "Rollback failed: another ETL run is in progress; try again later"
    assert published_version(settings) == newer
    response = client.post("/_dash-update-component", json=rollback_payload(older))
    message = response.get_json()["response"][ops_page().MESSAGE]["children"]["props"]["children"]
    assert message == f"Rolled back to snapshot {older}"
    assert published_version(settings) == older
    leader = admin_client(settings, role="leader")
    assert leader.post("/_dash-update-component", json=rollback_payload(newer)).status_code == 403
    assert published_version(settings) == older


# ---- production serving ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        (
            "/_dash-component-suites/dash/dcc/dash_core_components.v3_2_0m1712345678.js",
            "",
            production.IMMUTABLE,
        ),
        ("/_dash-component-suites/dash/dcc/async-graph.js", "", "public, max-age=3600"),
        ("/assets/wall.css", "m=1712345678.0", production.IMMUTABLE),
        ("/assets/wall.css", "", "public, max-age=86400"),
        ("/vendor/bootstrap.min.css", "", "public, max-age=604800"),
        ("/_dash-update-component", "", None),
        ("/wall", "", None),
        ("/healthz", "", None),
    ],
)
def test_cache_rules(path, query, expected):
    assert production.cache_control_for(path, query) == expected


def test_gunicorn_options_build_each_worker_its_own_app():
    options = production.gunicorn_options(Settings(host="0.0.0.0", port=9000), 3)
    assert options["bind"] == "0.0.0.0:9000"
    assert options["workers"] == 3
    assert options["preload_app"] is False  # DuckDB connections must not cross a fork
    assert options["worker_class"] == "gthread"


# ---- banners on the wall and the leadership view -----------------------------------------------


def stale_fresh() -> fr.Freshness:
    return fr.Freshness(
        False, "stale", datetime(2026, 11, 26, 9, 30, tzinfo=fr.ZoneInfo("Asia/Shanghai")), "succeeded"
    )


def test_builders_show_the_reason_and_the_as_of_time_only_when_needed():
    alert = fr.freshness_alert("zh-CN", stale_fresh())
    assert "数据未及时更新，数据截至 2026-11-26 09:30" in str(alert)
    assert "warning" in str(alert)
    banner = fr.wall_banner("en", stale_fresh())
    assert banner.children == "Data is not up to date; data as of 2026-11-26 09:30"
    assert "is-visible" in banner.className
    ok = fr.Freshness(True, "ok", None, "succeeded")
    assert getattr(fr.wall_banner("en", ok), "children", None) is None
    assert getattr(fr.freshness_alert("en", ok), "children", None) is None


def test_wall_and_leadership_pages_carry_the_banner_after_a_failed_run(loaded):
    from dashboard.app import create_app

    create_app(loaded)
    wall, leadership = sys.modules["pages.wall"], sys.modules["pages.leadership"]
    assert "cockpit-wall-banner is-visible" not in str(wall.layout())
    assert "cockpit-fresh-alert" not in str(leadership.layout())
    with pytest.raises(RuntimeError):
        jobs.run_incremental(loaded, work=lambda s: (_ for _ in ()).throw(RuntimeError("boom")))
    assert "最近一次数据更新失败" in str(wall.layout())
    assert "The last data update failed" in str(leadership.layout(lang="en"))


def test_run_logs_one_line_per_file_and_per_run_without_personal_data(tmp_path, caplog):
    settings = Settings(data_dir=tmp_path / "data")
    write_inbox(settings)
    with caplog.at_level("DEBUG", logger="cockpit"):
        jobs.run_incremental(settings, trigger="scheduler")
    lines = [r.getMessage() for r in caplog.records if r.name == "cockpit.jobs"]
    file_lines = [line for line in lines if line.startswith("file ")]
    assert len(file_lines) == 3
    assert any(
        f"代表_{today_stamp()}.csv status=loaded entity=deputies rows_read=3" in line for line in file_lines
    )
    assert any("garbage.csv status=rejected" in line and "reason=unreadable" in line for line in file_lines)
    run_lines = [line for line in lines if line.startswith("run succeeded")]
    assert len(run_lines) == 1 and "rows_rejected=" in run_lines[0]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for personal in (PHONE, "张三", "李四", "王五"):
        assert personal not in everything
