"""What the committee sees, in real Chromium (issue 14): true times, never an empty screen.

A fresh demo data dir served by ``cockpit serve`` with no configured period and a time zone other than
the default: the wall and the leadership view open on 2023 (this year has no records) with a note,
their "数据截至" strings are the snapshot meta rendered in the settings' zone, and an empty period
says "本期暂无数据" instead of a ranking of zeros.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.support import live
from tests.support.live import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser

ZONE = "America/New_York"  # not the default: a time shown in UTC or Asia/Shanghai fails the test
EMPTY_PERIOD = "?from=2026-01-01&to=2026-12-31"


@pytest.fixture(scope="module")
def fresh_server(demo_data_dir, tmp_path_factory):
    """``cockpit serve`` on a copy of the demo data dir, without the browser tests' 2023 period."""
    data_dir = tmp_path_factory.mktemp("truthful") / "data"
    shutil.copytree(demo_data_dir, data_dir, ignore=shutil.ignore_patterns("*.log", "*.lock"))
    saved = live.DEMO_ENV
    live.DEMO_ENV = {}  # as a user runs it: no COCKPIT_DEFAULT_START/END
    try:
        server = LiveServer(data_dir, env={"COCKPIT_TIMEZONE": ZONE}).start()
    finally:
        live.DEMO_ENV = saved
    yield server
    server.stop()


def expected_as_of(data_dir) -> str:
    """The snapshot meta rendered by hand: newest export date, then the newest load time in ZONE."""
    con = duckdb.connect(str(data_dir / "published.duckdb"), read_only=True)
    try:
        meta = dict(con.execute("select key, value from snapshot_meta").fetchall())
        loaded = con.execute("select max(as_of) from snapshot_as_of").fetchall()[0][0]
    finally:
        con.close()
    export = max(date.fromisoformat(v) for k, v in meta.items() if k.startswith("export_date."))
    local = loaded.astimezone().astimezone(ZoneInfo(ZONE))  # naive = the machine's local time
    today = datetime.now(ZoneInfo(ZONE)).date()
    clock = local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")
    return f"{export.isoformat()} · 更新于 {clock}"


def test_wall_opens_on_2023_with_the_note_and_the_true_as_of(fresh_server, page_opener):
    page = page_opener(fresh_server.url + "/wall").page
    page.wait_for_selector(".wall-period")
    period = page.inner_text(".wall-period")
    assert "2023-01-01 至 2023-12-31" in period and "本年暂无数据，显示2023年" in period
    as_of = page.inner_text(".wall-asof-text")
    assert as_of == f"数据截至 {expected_as_of(fresh_server.data_dir)}"
    assert as_of.startswith("数据截至 2024-01-20")  # the demo's newest export (乡镇区划_20240120.csv)
    # 2023's figure, not 2026's zero; read once the KPI's count-up animation has settled.
    page.wait_for_function(
        "() => document.querySelector('#kpi-activities_total')?.innerText.trim() === '146'", timeout=15000
    )


def test_leadership_opens_on_2023_with_the_note_and_the_true_as_of(fresh_server, page_opener):
    recorded = page_opener(fresh_server.url + "/", 1440, 900)
    page = recorded.page
    page.wait_for_function(
        "() => (document.getElementById('lead-scope') || {}).innerText?.includes('数据截至')", timeout=45000
    )
    scope = page.inner_text("#lead-scope")
    assert scope.startswith("2023-01-01")
    assert "本年暂无数据，显示2023年" in scope
    assert scope.endswith(f"数据截至 {expected_as_of(fresh_server.data_dir)}")
    page.wait_for_function(
        "() => (document.getElementById('lead-kpi-value-activities_total') || {}).innerText === '146'",
        timeout=45000,
    )
    # The page works without the wall's script and stylesheets, which it no longer loads.
    assert recorded.console_errors == []
    assert not [u for u in recorded.requests if "/assets/wall." in u or "dash_table" in u]


def test_an_empty_period_says_so(fresh_server, page_opener):
    wall = page_opener(fresh_server.url + "/wall" + EMPTY_PERIOD).page
    wall.wait_for_selector("#wall-ranking")
    assert wall.inner_text("#wall-ranking").strip() == "本期暂无数据"
    lead = page_opener(fresh_server.url + "/" + EMPTY_PERIOD, 1440, 900).page
    try:
        lead.wait_for_function(
            "() => document.body.innerText.split('本期暂无数据').length > 3", timeout=45000
        )
    except Exception:
        lead.screenshot(path=str(ARTIFACTS / "truthful-empty-period.png"), full_page=True)
        raise
    assert "本年暂无数据" not in lead.inner_text("#lead-scope")  # the period asked for, no fallback note
