"""The leadership view in real Chromium on the demo data (calendar 2023).

What a committee leader does before a meeting: filter to a township (drop-down or map), read the KPIs
(the same numbers as ``cockpit kpis``), download the data, open the page on a phone.
"""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from openpyxl import load_workbook

from dashboard.components.lead_format import fmt_kpi
from tests.support.live import ARTIFACTS, run_cockpit
from warehouse.query import KPI_IDS

pytestmark = pytest.mark.browser

DAFA = ("150205002000", "大发街道")
DACI = ("150205003000", "大磁街道")
KPI_SELECTOR = "#lead-kpi-value-{}"


def cli_kpis(data_dir, township: str | None = None) -> dict[str, str]:
    """``cockpit kpis --json`` for 2023, formatted as the screen shows it."""
    args = ["kpis", "--from", "2023-01-01", "--to", "2023-12-31", "--json"]
    if township:
        args += ["--township", township]
    values = json.loads(run_cockpit(data_dir, *args))["kpis"]
    return {k: fmt_kpi(k, values[k]) for k in KPI_IDS}


def screen_kpis(page) -> dict[str, str]:
    return {k: page.inner_text(KPI_SELECTOR.format(k)).strip() for k in KPI_IDS}


def wait_for_kpis(page, expected: dict[str, str], timeout: float = 45000) -> None:
    """Wait until every KPI card shows ``expected`` (the view re-renders after a filter change)."""
    try:
        _wait_for_kpis(page, expected, timeout)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "leadership-kpi-timeout.png"), full_page=True)
        raise AssertionError(f"KPIs on screen {screen_kpis(page)} never became {expected}") from None


def _wait_for_kpis(page, expected: dict[str, str], timeout: float) -> None:
    page.wait_for_function(
        """(expected) => Object.entries(expected).every(([k, v]) => {
               const el = document.getElementById('lead-kpi-value-' + k);
               return el && el.innerText.trim() === v;
           })""",
        arg=expected,
        timeout=timeout,
    )


def assert_clean(recorded) -> None:
    assert recorded.console_errors == []
    assert recorded.outside_requests == []


@pytest.fixture(scope="module")
def expected_kpis(demo_data_dir):
    return {
        None: cli_kpis(demo_data_dir),
        DAFA[0]: cli_kpis(demo_data_dir, DAFA[0]),
        DACI[0]: cli_kpis(demo_data_dir, DACI[0]),
    }


def test_township_filter_shows_the_clis_numbers(live_server, page_opener, expected_kpis):
    recorded = page_opener(live_server + "/")
    page = recorded.page
    wait_for_kpis(page, expected_kpis[None])
    assert page.inner_text(KPI_SELECTOR.format("activities_total")) == "146"
    page.click("#lead-township")
    # dcc.Dropdown's body is an async chunk: on a loaded machine keys typed before its search box and
    # options are up are lost, so wait for them.
    page.locator(".dash-dropdown-search").first.wait_for(state="visible")
    page.keyboard.type(DAFA[1])
    page.locator('[role="option"]', has_text=DAFA[1]).first.wait_for(state="visible")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('township=150205002000')")
    wait_for_kpis(page, expected_kpis[DAFA[0]])
    assert screen_kpis(page) == expected_kpis[DAFA[0]]
    assert DAFA[1] in page.inner_text("#lead-scope")
    # "返回全区" undoes it; back and forward replay the URL.
    page.click("#lead-reset")
    wait_for_kpis(page, expected_kpis[None])
    assert "township=" not in page.url
    page.go_back()
    wait_for_kpis(page, expected_kpis[DAFA[0]])
    page.go_forward()
    wait_for_kpis(page, expected_kpis[None])
    recorded.screenshot("leadership-desktop.png")
    assert_clean(recorded)


def test_clicking_a_township_on_the_map_filters_everything(live_server, page_opener, expected_kpis):
    recorded = page_opener(live_server + "/")
    page = recorded.page
    wait_for_kpis(page, expected_kpis[None])
    # The panels may redraw the map just after the KPIs: wait for its labels, then scroll with plain
    # DOM calls (an element-handle scroll fails when its node is swapped mid-wait).
    page.wait_for_selector("#lead-map .textpoint text")
    page.evaluate(
        "() => document.querySelector('#lead-map').scrollIntoView({block: 'center', behavior: 'instant'})"
    )
    box = page.evaluate(
        """(name) => {
            const t = Array.from(document.querySelectorAll('#lead-map .textpoint text'))
                .find(el => el.textContent.startsWith(name));
            const r = t.getBoundingClientRect();
            return {x: r.x + r.width / 2, y: r.y + r.height / 2};
        }""",
        DACI[1],
    )
    page.mouse.click(box["x"], box["y"])
    page.wait_for_function("() => location.search.includes('township=150205003000')")
    wait_for_kpis(page, expected_kpis[DACI[0]])
    assert DACI[1] in page.inner_text("#lead-breadcrumb")
    # The township bar chart cross-filters the same way.
    page.click("#lead-reset")
    wait_for_kpis(page, expected_kpis[None])
    bars = page.locator('.lead-panel:has-text("各苏木镇街道进家活动") .bars path')
    bars.first.scroll_into_view_if_needed()
    names = page.locator('.lead-panel:has-text("各苏木镇街道进家活动") .xtick text').evaluate_all(
        "(els) => els.map((el) => el.textContent)"
    )
    bar = bars.nth(names.index(DAFA[1])).bounding_box()
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.wait_for_function("() => location.search.includes('township=150205002000')")
    wait_for_kpis(page, expected_kpis[DAFA[0]])
    assert_clean(recorded)


def test_downloaded_xlsx_equals_the_screen(live_server, page_opener):
    recorded = page_opener(
        live_server + f"/?from=2023-01-01&to=2023-12-31&township={DAFA[0]}", accept_downloads=True
    )
    page = recorded.page
    page.wait_for_selector("#lead-kpi-value-activities_total")
    grid = page.locator(".lead-panel", has_text="履职积分排名").first
    grid.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelectorAll('.lead-panel .ag-row').length > 0", timeout=20000)
    first_rows = grid.locator(".ag-center-cols-container .ag-row")
    screen = []
    for i in range(first_rows.count()):
        row = first_rows.nth(i)
        screen.append(
            (
                row.locator('[col-id="deputy_id"]').inner_text().strip(),
                int(row.locator('[col-id="points"]').inner_text().strip()),
            )
        )
    assert screen
    grid.locator(".lead-dl-toggle").click()
    with page.expect_download() as info:
        grid.locator("a", has_text="数据 Excel").click()
    download = info.value
    assert download.suggested_filename == "履职积分排名_2023-01-01至2023-12-31.xlsx"
    sheet = load_workbook(BytesIO(open(download.path(), "rb").read())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1][0].startswith("口径：") and "大发街道" in rows[2][0]
    header = rows[5]
    body = rows[6:]
    ids, points = header.index("代表编号"), header.index("积分")
    by_id = {r[ids]: r[points] for r in body}
    assert all(by_id[deputy] == value for deputy, value in sorted(screen))
    assert_clean(recorded)


def test_phone_layout_stacks_without_horizontal_scroll(live_server, page_opener, expected_kpis):
    recorded = page_opener(live_server + "/", width=390, height=844)
    page = recorded.page
    wait_for_kpis(page, expected_kpis[None])
    page.wait_for_selector("#lead-map .textpoint text")
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1] == 390
    # Filters are folded away and open as an off-canvas panel.
    assert not page.is_visible("#lead-township")
    page.click("#lead-filter-toggle")
    page.wait_for_selector("#lead-township", state="visible")
    recorded.screenshot("leadership-phone-filters.png")
    page.click("#lead-filter-close")
    page.wait_for_selector("#lead-township", state="hidden")
    recorded.screenshot("leadership-phone.png")
    assert_clean(recorded)


def test_drill_down_and_english(live_server, page_opener):
    recorded = page_opener(live_server + f"/township?code={DAFA[0]}&from=2023-01-01&to=2023-12-31&lang=en")
    page = recorded.page
    page.wait_for_selector(".lead-kpi-value")
    assert "大发街道" in page.inner_text("h1") and "overview" in page.inner_text("h1")
    page.locator(".ag-row a").first.click()
    page.wait_for_url("**/home?id=*")
    page.wait_for_selector(".breadcrumb")
    crumbs = page.inner_text(".breadcrumb")
    assert "大发街道" in crumbs
    page.go_back()
    page.wait_for_selector(".lead-kpi-value")
    recorded_metrics = page_opener(live_server + "/metrics")
    recorded_metrics.page.wait_for_selector("#lead-metrics-kpis")
    assert "调解成功率" in recorded_metrics.page.inner_text("#lead-metrics-kpis")
    assert_clean(recorded)
    assert_clean(recorded_metrics)
