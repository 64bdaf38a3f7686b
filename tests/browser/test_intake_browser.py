"""The clerk's whole import path in real Chromium, on a copy of the demo data with its own server:
upload a file with rejects -> the check shows the counts -> confirm -> progress -> the wall's figure
changes; download the rejects, fix them with openpyxl, upload -> 0 rejects."""

from __future__ import annotations

import shutil
import time

import duckdb
import pytest
from openpyxl import load_workbook

from tests.support.live import ARTIFACTS, LiveServer, open_page
from tests.support.security_helpers import create_user, login

pytestmark = pytest.mark.browser

PASSWORD = "clerk-browser-password"
HEAD = "建议编号,来源,提出代表编号,所属乡镇,标题,提出日期,办结日期,状态,评价,是否采纳\n"


def _wall_value(browser, url: str) -> int:
    wall = open_page(browser, f"{url}/wall", 1920, 1080)
    try:
        selector = '[data-kpi="suggestions_collected"]'
        wall.page.wait_for_selector(selector, timeout=60_000)
        return int(float(wall.page.get_attribute(selector, "data-value")))
    finally:
        wall.close()


def _counts(page) -> dict[str, int]:
    return {
        key: int(page.inner_text(f'#intake-totals [data-count="{key}"]'))
        for key in ("rows_read", "rows_new", "rows_rejected")
    }


def test_clerk_uploads_checks_confirms_and_fixes_the_rejects(browser, demo_data_dir, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(demo_data_dir, data_dir, ignore=shutil.ignore_patterns("*.log", "*.lock"))
    create_user(data_dir, "clerk-web", "clerk", PASSWORD)
    with duckdb.connect(str(data_dir / "published.duckdb"), read_only=True) as con:
        deputy = con.execute("select deputy_id from dim_deputy order by deputy_id limit 1").fetchone()[0]
        township = con.execute(
            "select township_name from dim_township order by township_code limit 1"
        ).fetchone()[0]
    rows = [
        f"WEB-{n},代表之家,{deputy},{township},网页导入测试{n},2023-06-0{n},,办理中,,否" for n in (1, 2, 3)
    ] + [f"WEB-4,微信,{deputy},{township},来源写错,2023-06-04,,办理中,,否"]  # row 5: bad channel
    export = (HEAD + "\n".join(rows) + "\n").encode("utf-8")
    server = LiveServer(data_dir).start()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        before = _wall_value(browser, server.url)
        page = context.new_page()
        login(page, server.url, "clerk-web", PASSWORD)
        assert page.url.endswith("/import")
        page.set_input_files(
            "#intake-files", files=[{"name": "网页建议.csv", "mimeType": "text/csv", "buffer": export}]
        )
        page.click("#intake-submit")
        page.wait_for_selector("#intake-confirm", timeout=60_000)
        assert _counts(page) == {"rows_read": 4, "rows_new": 3, "rows_rejected": 1}
        after_cell = page.inner_text('#intake-kpis [data-kpi="suggestions_collected"] .kpi-after')
        assert int(after_cell.replace(",", "")) == before + 3
        assert "来源" in page.inner_text(".intake-rejects")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "import-check.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click(".intake-rejects-download")
        rejects_path = tmp_path / "rejects.xlsx"
        download_info.value.save_as(rejects_path)

        page.click("#intake-confirm")
        page.wait_for_selector("#intake-outcome", timeout=180_000)
        assert "导入完成" in page.inner_text("#intake-outcome")
        deadline = time.monotonic() + 60
        while _wall_value(browser, server.url) != before + 3:
            assert time.monotonic() < deadline, "the wall never showed the imported suggestions"
            time.sleep(2)

        workbook = load_workbook(rejects_path)
        sheet = workbook.active
        header = [c.value for c in sheet[1]]
        assert header[-2:] == ["源行号", "原因"] and sheet.cell(row=2, column=len(header) - 1).value == 5
        sheet.cell(row=2, column=header.index("来源") + 1, value="代表之家")
        fixed = tmp_path / "拒收行_已改.xlsx"
        workbook.save(fixed)
        page.goto(f"{server.url}/import")
        page.set_input_files("#intake-files", str(fixed))
        page.click("#intake-submit")
        page.wait_for_selector("#intake-confirm", timeout=60_000)
        assert _counts(page) == {"rows_read": 1, "rows_new": 1, "rows_rejected": 0}
    finally:
        context.close()
        server.stop()
