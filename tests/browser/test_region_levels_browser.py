"""Region levels in real Chromium: a city cockpit (包头市, a roll-up of three districts) compares its
districts, a click on a district's bar drills into it (breadcrumb and URL), then into a township."""

from __future__ import annotations

import pytest

from tests.support.city import CITY_DISTRICTS, build_city
from tests.support.live import ARTIFACTS, LiveServer, ensure_browser_credentials

pytestmark = pytest.mark.browser

CITY_ENV = {"COCKPIT_ROOT_REGION": "1502", "COCKPIT_DISTRICT_CODE": "1502", "COCKPIT_DISTRICT_NAME": "包头市"}
# The units panel (its title follows the level: districts at the city, townships in a district).
UNITS_PANEL = ".lead-panel:has(#lead-panel-title-townships)"
DISTRICT_NAMES = [name for _code, name, _seed in CITY_DISTRICTS]


@pytest.fixture(scope="module")
def city_server(tmp_path_factory):
    city = build_city(tmp_path_factory.mktemp("city-browser"))
    ensure_browser_credentials(city.settings.data_dir)
    server = LiveServer(city.settings.data_dir, env=CITY_ENV).start()
    yield server
    server.stop()


def bar_names(page) -> list[str]:
    return page.locator(f"{UNITS_PANEL} .xtick text").evaluate_all("(els) => els.map((el) => el.textContent)")


def wait_for_bars(page, names: list[str] | None = None, prefix: str | None = None) -> list[str]:
    """Wait until the units' bar chart names ``names`` (or, with ``prefix``, anything but the districts)."""
    page.wait_for_function(
        """([title, names]) => {
               const head = document.getElementById(title);
               const panel = head ? head.closest('.lead-panel') : null;
               const shown = panel ? Array.from(panel.querySelectorAll('.xtick text')).map((el) => el.textContent) : [];
               return names === null
                   ? shown.length > 0 && !shown.includes('东河区')
                   : JSON.stringify(shown) === JSON.stringify(names);
           }""",
        arg=["lead-panel-title-townships", names],
        timeout=60000,
    )
    return bar_names(page)


def click_bar(page, name: str) -> None:
    bars = page.locator(f"{UNITS_PANEL} .bars path")
    bars.first.scroll_into_view_if_needed()
    bar = bars.nth(bar_names(page).index(name)).bounding_box()
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)


def test_the_city_view_drills_from_districts_to_a_township(city_server, page_opener):
    recorded = page_opener(city_server.url + "/")
    page = recorded.page
    try:
        assert wait_for_bars(page, DISTRICT_NAMES) == DISTRICT_NAMES
        assert page.inner_text("#lead-breadcrumb").strip() == "包头市全市"
        assert page.inner_text("#lead-panel-title-townships") == "各区县进家活动"
        click_bar(page, "东河区")
        page.wait_for_function("() => location.search.includes('region=150202')")
        page.wait_for_function(
            "() => document.querySelector('#lead-breadcrumb').innerText.includes('东河区')"
        )
        townships = wait_for_bars(page, None)
        page.wait_for_function(
            "() => (document.getElementById('lead-panel-title-townships') || {}).innerText === '各苏木镇街道进家活动'"
        )
        assert townships and "昆都仑区" not in townships
        crumb = page.locator("#lead-breadcrumb a", has_text="包头市全市")
        assert crumb.count() == 1  # the root crumb leads back

        click_bar(page, townships[0])
        page.wait_for_function("() => location.search.includes('township=150202')")
        assert "region=150202" in page.url
        page.wait_for_function(
            "(name) => document.querySelector('#lead-breadcrumb').innerText.includes(name)", arg=townships[0]
        )
        # Every crumb above the township links to its level: back to the district.
        page.locator("#lead-breadcrumb a", has_text="东河区").click()
        page.wait_for_function("() => !location.search.includes('township=')")
        assert "region=150202" in page.url
        assert wait_for_bars(page, townships) == townships
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "region-levels-drill.png"), full_page=True)
        raise
    assert recorded.console_errors == []
    assert recorded.outside_requests == []


def test_the_city_wall_compares_its_districts(city_server, page_opener):
    recorded = page_opener(f"{city_server.url}/wall?screens=townships")
    page = recorded.page
    try:
        page.wait_for_selector(".wall-root.is-scaled")
        page.wait_for_function(
            "() => document.querySelector('#wall-screen-townships').classList.contains('is-active')"
        )
        screen = page.inner_text("#wall-screen-townships")
        assert "各区县对比" in screen and "各区县一览" in screen
        table = page.inner_text("#wall-towns-table")
        assert all(name in table for name in DISTRICT_NAMES)
        assert page.inner_text("#wall-focus-big .wall-focus-name").strip() in DISTRICT_NAMES
        bars = page.locator("#wall-towns-bars-big .ytick text, #wall-towns-bars-big .xtick text")
        ticks = bars.evaluate_all("(els) => els.map((el) => el.textContent)")
        assert set(DISTRICT_NAMES) <= set(ticks)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "region-levels-wall.png"))
        raise
    assert recorded.console_errors == []
    assert recorded.outside_requests == []
