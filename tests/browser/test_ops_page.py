"""The operators' page in real Chromium, signed in as admin on the demo data."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.support.live import ARTIFACTS

pytestmark = pytest.mark.browser


def test_ops_page_shows_runs_files_rejects_and_downloads_xlsx(page_opener, live_server, tmp_path):
    recorded = page_opener(f"{live_server}/ops", 1600, 1000)
    page = recorded.page
    page.wait_for_selector("#ops-rejects-grid .ag-row", timeout=30_000)
    assert page.inner_text("h1") == "运维：数据加载与快照"
    assert page.locator("#ops-runs-grid .ag-row").count() >= 1
    files = page.inner_text("#ops-files-grid")
    assert "代表名册_20240120.xlsx" in files and "已加载" in files and "履职活动" in files
    reasons = page.inner_text("#ops-reasons-grid")
    assert "summary_row" in reasons
    rejects = page.inner_text("#ops-rejects-grid")
    assert "合计/总计行" in rejects  # each rejected row says why, in the page's language
    assert page.locator("#ops-snapshots button").count() + page.locator("#ops-snapshots .badge").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "ops-page.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("#ops-download-button")
    path = tmp_path / "rejects.xlsx"
    download_info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("文件名", "行号", "列")
    assert len(rows) > 1
    assert recorded.outside_requests == []
    assert recorded.console_errors == []


def test_ops_page_is_refused_to_a_wall_device(page_opener, live_server):
    recorded = page_opener(f"{live_server}/wall", auth="kiosk")  # a signed-in wall device
    response = recorded.page.goto(f"{live_server}/ops")
    assert response.status == 403
    assert recorded.page.locator("#ops-runs-grid").count() == 0
