"""The wall in real Chromium: sizes, numbers, offline-ness, polling cost, surviving a server restart.

What a person in the committee hall would check: at every screen size the wall fills the screen without
scrollbars, every panel is on screen and shows something, the KPI figures are the ones ``cockpit kpis``
prints, nothing is fetched from another origin, and when the server goes away the figures stay up with a
"connection lost" badge until it comes back.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard import plotly_bundle
from tests.support.live import ARTIFACTS, LiveServer, run_cockpit
from warehouse.settings import Settings

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (3840, 2160), (1366, 768), (5760, 1080)]
PERIOD = ("2023-01-01", "2023-12-31")
FAST_POLL = {"COCKPIT_WALL_POLL_SECONDS": "2"}

PANELS_JS = """
() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const items = document.querySelectorAll(
    '.wall-screen.is-active .wall-panel, .wall-root .wall-header, .wall-root .wall-ticker');
  return Array.from(items).map((el) => {
    const r = el.getBoundingClientRect();
    const graph = el.querySelector('.js-plotly-plot');
    const body = el.querySelector('.wall-panel-content');
    let filled;
    if (graph) {
      filled = graph.querySelectorAll('.scatterlayer .trace, .barlayer .trace, .annotation-text').length > 0;
    } else {
      filled = ((body || el).innerText || '').trim().length > 0;
    }
    return {name: el.dataset.panel || el.className, left: r.left, top: r.top, right: r.right,
            bottom: r.bottom, filled, vw, vh};
  });
}
"""

KPI_JS = """
() => Object.fromEntries(Array.from(
  document.querySelectorAll('#wall-screen-overview [data-kpi]')).map((el) => [el.dataset.kpi, el.textContent]))
"""


def expected_text(kpi_id: str, value) -> str:
    """The data contract's display rule, written out independently of the app's formatter."""
    if value is None:
        return "—"
    if kpi_id.endswith("_rate"):
        return f"{value * 100:.1f}%"
    return f"{value:,}"


@pytest.fixture(scope="module")
def cli_kpis(demo_data_dir) -> dict:
    out = run_cockpit(demo_data_dir, "kpis", "--from", PERIOD[0], "--to", PERIOD[1], "--json")
    return json.loads(out)["kpis"]


def wait_for_kpis(page, expected: dict, timeout: float = 20_000) -> dict:
    """Wait until the count-up animations have landed on the expected texts; return what is shown."""
    script = """(exp) => Object.entries(exp).every(([k, v]) => {
        const el = document.querySelector('#wall-screen-overview [data-kpi="' + k + '"]');
        return el && el.textContent === v; })"""
    try:
        page.wait_for_function(script, arg=expected, timeout=timeout)
    except Exception:  # fall through to the assertion, which names the difference
        pass
    return page.evaluate(KPI_JS)


def shown_expected(page, cli_kpis: dict) -> dict:
    ids = page.evaluate(KPI_JS).keys()
    return {k: expected_text(k, cli_kpis[k]) for k in ids}


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_wall_fills_the_screen_with_correct_figures(page_opener, live_server, cli_kpis, width, height):
    recorded = page_opener(f"{live_server}/wall", width, height)
    page = recorded.page
    page.wait_for_selector(".wall-root.is-scaled")
    page.wait_for_selector("#wall-map .scatterlayer .trace")

    expected = shown_expected(page, cli_kpis)
    assert set(expected) >= {"deputies_total", "homes_total", "visitors_total", "mediation_success_rate"}
    assert wait_for_kpis(page, expected) == expected
    page.wait_for_timeout(1500)  # let the ring transitions and the screen fade finish for the screenshot
    recorded.screenshot(f"wall-{width}x{height}.png")

    scroll = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " window.innerWidth, window.innerHeight]"
    )
    assert scroll[0] <= scroll[2] and scroll[1] <= scroll[3], f"scrollbars: {scroll}"

    panels = page.evaluate(PANELS_JS)
    active = page.evaluate("() => document.querySelectorAll('.wall-screen.is-active').length")
    assert active == (3 if width / height > 4 else 1)
    assert len(panels) >= 9
    for p in panels:
        assert p["left"] >= -1 and p["top"] >= -1, p
        assert p["right"] <= p["vw"] + 1 and p["bottom"] <= p["vh"] + 1, p
        assert p["filled"], f"empty panel {p['name']}"
    # The canvas uses the screen: letterboxed, never shrunk to a corner.
    canvas = page.evaluate("() => document.querySelector('.wall-canvas').getBoundingClientRect().toJSON()")
    assert max(canvas["width"] / width, canvas["height"] / height) > 0.99

    assert recorded.outside_requests == []
    assert recorded.console_errors == []


def test_wall_in_english_with_a_chosen_period_and_playlist(page_opener, live_server):
    recorded = page_opener(f"{live_server}/wall?lang=en&screens=cases&from=2023-07-01&to=2023-12-31")
    page = recorded.page
    page.wait_for_selector(".wall-root.is-scaled")
    assert "Deputy Work Data Cockpit" in page.inner_text(".wall-title")
    assert "2023-07-01" in page.inner_text(".wall-period")
    assert page.evaluate("() => document.querySelector('.wall-screen.is-active').dataset.screen") == "cases"
    assert "Mediation success rate" in page.inner_text("#wall-screen-cases")
    # The clock ticks in the browser in the district's time zone (settings.timezone), not the PC's.
    page.wait_for_function(
        "() => /^\\d\\d:\\d\\d:\\d\\d$/.test(document.querySelector('.wall-clock-time').textContent)"
    )
    shown = page.inner_text(".wall-clock-time")
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    candidates = {(now + timedelta(minutes=delta)).strftime("%H:%M") for delta in (-1, 0, 1)}
    assert shown[:5] in candidates, (shown, candidates)
    assert page.inner_text(".wall-clock-weekday") == now.strftime("%A")
    assert recorded.outside_requests == []
    assert recorded.console_errors == []


def test_playlist_rotates_whole_screens_and_the_focus_township(page_opener, live_server):
    recorded = page_opener(f"{live_server}/wall?screens=townships,cases&dwell=5")
    page = recorded.page
    page.wait_for_selector(".wall-root.is-scaled")
    active = (
        "() => Array.from(document.querySelectorAll('.wall-screen.is-active')).map((e) => e.dataset.screen)"
    )
    # Exactly one screen of the playlist is up; under load the first dwell may already have passed,
    # so wait for each screen in turn rather than assert which one is up at first paint.
    assert page.evaluate(active) in (["townships"], ["cases"])
    page.wait_for_function(f"() => ({active})().join() === 'townships'", timeout=20_000)
    first_focus = page.inner_text("#wall-focus-big .wall-focus-name")
    page.wait_for_function(f"() => ({active})().join() === 'cases'", timeout=20_000)
    assert "2/2" in page.inner_text(".wall-screen-tag")
    page.wait_for_function(f"() => ({active})().join() === 'townships'", timeout=20_000)
    # The township in focus moves on every 8 s, in the browser.
    page.wait_for_function(
        "(first) => document.querySelector('#wall-focus-big .wall-focus-name').textContent !== first",
        arg=first_focus,
        timeout=20_000,
    )
    assert recorded.outside_requests == []
    assert recorded.console_errors == []


LAZY_JS = """
() => Array.from(document.querySelectorAll('.wall-root .js-plotly-plot')).map((gd) => ({
  id: gd.parentElement.id, lazy: !!(gd.layout && gd.layout.meta === 'wall-lazy'),
  traces: gd.querySelectorAll('.scatterlayer .trace, .barlayer .trace, .annotation-text').length}))
"""


def test_first_screen_draws_first_then_every_screen_and_the_top_of_the_ranking(page_opener, live_server):
    recorded = page_opener(f"{live_server}/wall?screens=overview,townships,cases")
    page = recorded.page
    page.wait_for_selector("#wall-map .scatterlayer .trace")
    # The hidden screens' graphs get their figures once the first screen has drawn (wall.js, wall.fill).
    page.wait_for_function(f"() => ({LAZY_JS})().every((g) => !g.lazy && g.traces > 0)", timeout=30_000)
    graphs = page.evaluate(LAZY_JS)
    assert len(graphs) == 9 and {g["id"] for g in graphs} >= {"wall-map-big", "wall-projects"}
    # The ranking beyond the top 10 is built by wall.js from data: same markup, text only. Only the top
    # wall_ranking_top (default 20) of the demo's 243 deputies reaches the wall.
    rest = page.evaluate(
        """() => Array.from(document.querySelectorAll('#wall-ranking .wall-rank-rest .wall-rank-row'))
                 .map((row) => Array.from(row.children).map((c) => c.className))"""
    )
    assert len(rest) == Settings().wall_ranking_top - 10
    assert rest[0] == ["wall-rank-no", "wall-rank-name", "wall-rank-town", "wall-rank-points"]
    first = page.inner_text("#wall-ranking .wall-rank-rest .wall-rank-row .wall-rank-no")
    assert first == "11"
    # plotly.js (the cartesian partial bundle) is preloaded with the page and run by wall.js once the first
    # screen is on show; bundles of libraries the wall never renders are left out.
    scripts = page.evaluate("() => Array.from(document.scripts).map((s) => s.src).filter(Boolean)")
    assert any("dash_renderer" in src for src in scripts)
    assert not [src for src in scripts if "dash_ag_grid" in src or "dash_bootstrap_components" in src]
    preloads = page.evaluate(
        "() => Array.from(document.querySelectorAll('link[rel=preload]')).map((l) => l.href)"
    )
    cartesian = f"{live_server}/vendor/plotly-cartesian.min.js?v={plotly_bundle.full_version()}"
    assert cartesian in scripts and cartesian in preloads
    assert not [href for href in preloads if href.endswith("/plotly/package_data/plotly.min.js")]
    assert recorded.outside_requests == []
    assert recorded.console_errors == []


PLOTLY_JS = """
() => ({
  version: window.Plotly && window.Plotly.version,
  traces: Object.keys(window.Plotly.PlotSchema.get().traces),
  graphs: Array.from(document.querySelectorAll('.wall-root .js-plotly-plot')).map((gd) => ({
    id: gd.parentElement.id,
    types: (gd._fullData || []).map((t) => t.type),
    // A trace whose type plotly.js does not know gets no module and is not drawn (no error thrown).
    unknown: (gd._fullData || []).filter((t) => !t._module).map((t) => t.type),
    drawn: gd.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length})),
})
"""


def test_every_screen_draws_with_the_cartesian_plotly_bundle(page_opener, live_server):
    """The wall's plotly.js is the cartesian partial bundle (no funnel), at the full bundle's version, and
    every graph of every screen is drawn with it; the full bundle is never fetched."""
    recorded = page_opener(f"{live_server}/wall?screens=overview,townships,cases")
    page = recorded.page
    page.wait_for_function(
        f"() => {{ const g = ({LAZY_JS})(); return g.length === 9 && g.every((g) => !g.lazy && g.traces > 0); }}",
        timeout=30_000,
    )
    found = page.evaluate(PLOTLY_JS)
    assert found["version"] == plotly_bundle.full_version()
    assert {"scatter", "bar"} <= set(found["traces"])
    assert "funnel" not in found["traces"]  # the full bundle has it: this is the partial one
    assert len(found["graphs"]) == 9
    for graph in found["graphs"]:
        assert graph["types"] and set(graph["types"]) <= {"scatter", "bar"}, graph
        assert graph["unknown"] == [] and graph["drawn"] > 0, graph
    assert not [url for url in recorded.requests if "/plotly/package_data/plotly.min.js" in url]
    assert [url for url in recorded.requests if "/vendor/plotly-cartesian.min.js" in url]
    recorded.screenshot("wall-cartesian-plotly.png")
    assert recorded.outside_requests == []
    assert recorded.console_errors == []


@pytest.fixture
def own_server(demo_data_dir, tmp_path):
    """A server on a private copy of the demo data (this test may stop it or publish a new snapshot)."""
    data_dir = tmp_path / "data"
    shutil.copytree(demo_data_dir, data_dir, ignore=shutil.ignore_patterns("*.log", "*.lock"))
    server = LiveServer(data_dir, env=FAST_POLL)
    server.start()
    yield server
    server.stop()


def test_unchanged_poll_is_tiny_and_a_new_snapshot_refreshes_the_panels(page_opener, own_server, cli_kpis):
    recorded = page_opener(f"{own_server.url}/wall?screens=overview")
    page = recorded.page
    page.wait_for_selector(".wall-root.is-scaled")  # Dash's page router has rendered the wall
    expected = shown_expected(page, cli_kpis)
    wait_for_kpis(page, expected)
    polls: list[int] = []
    callbacks: list[str] = []

    def on_response(response):
        if response.url.endswith("/wall/version"):
            polls.append(len(response.body()))
        elif "/_dash-update-component" in response.url:
            callbacks.append(response.request.post_data or "")

    page.on("response", on_response)
    page.wait_for_timeout(7000)  # three or four polls at 2 s
    assert len(polls) >= 2
    assert max(polls) < 1024
    assert callbacks == [], "an unchanged version must not re-run any panel callback"

    run_cockpit(own_server.data_dir, "snapshots", "build")
    page.wait_for_timeout(7000)
    assert callbacks, "a new snapshot version must refresh the panels"
    assert wait_for_kpis(page, expected) == expected
    assert recorded.outside_requests == []
    assert recorded.console_errors == []


def test_wall_keeps_its_figures_while_the_server_is_down_and_recovers(page_opener, own_server, cli_kpis):
    recorded = page_opener(f"{own_server.url}/wall")
    page = recorded.page
    page.wait_for_selector(".wall-root.is-scaled")
    expected = shown_expected(page, cli_kpis)
    assert wait_for_kpis(page, expected) == expected
    assert not page.is_visible(".wall-badge")

    own_server.stop()
    page.wait_for_selector(".wall-badge.is-visible", timeout=15_000)
    badge = page.inner_text(".wall-badge")
    assert badge.startswith("连接中断 · 显示 ") and badge.endswith(" 数据"), badge
    page.wait_for_timeout(3000)
    assert page.get_attribute(".wall-root", "data-status") == "offline"
    assert page.evaluate(KPI_JS) == expected  # the last figures stay on screen
    assert all(p["filled"] for p in page.evaluate(PANELS_JS))
    page.screenshot(path=str(ARTIFACTS / "wall-offline.png"))

    own_server.start()
    page.wait_for_selector(".wall-badge.is-visible", state="detached", timeout=20_000)
    assert not page.is_visible(".wall-badge")
    assert page.evaluate(KPI_JS) == expected
    # Only the failed polls while the server was down may log errors; nothing threw in the page.
    assert not [e for e in recorded.console_errors if e.startswith("pageerror")]
    assert all("wall/version" in e or "Failed to load resource" in e for e in recorded.console_errors)
    assert recorded.outside_requests == []


def test_the_wall_draws_with_the_full_bundle_when_its_own_fails_to_load(page_opener, live_server):
    """The deferred cartesian bundle failing (a proxy dropping it, a truncated install) leaves no blank
    wall: wall.js loads the full plotly.js in its place and the first screen's graphs draw."""

    def drop_cartesian(context):
        context.route("**/vendor/plotly-cartesian.min.js*", lambda route: route.abort())

    recorded = page_opener(f"{live_server}/wall", setup=drop_cartesian)
    page = recorded.page
    page.wait_for_function(
        """() => {
          const graphs = [...document.querySelectorAll('.wall-screen.is-active .dash-graph')];
          return graphs.length > 0 && graphs.every((g) => g.querySelector('.main-svg .trace'));
        }""",
        timeout=60_000,
    )
    assert page.evaluate("() => 'funnel' in window.Plotly.PlotSchema.get().traces")  # the full bundle
    assert [url for url in recorded.requests if "/plotly/package_data/plotly.min.js" in url]
    assert recorded.outside_requests == []


# What the page did, in order: each first-screen image added (loaded or not yet) and the moment wall.js
# added plotly.js's script, with the images then on the page and whether each had loaded.
IMAGES_LOG_JS = """
window.__wallLog = [];
new MutationObserver((mutations) => {
  for (const m of mutations) for (const node of m.addedNodes) {
    if (node.tagName === 'SCRIPT' && /plotly/.test(node.src || '')) {
      const images = [...document.querySelectorAll('img.wall-preview')];
      window.__wallLog.push({plotly: node.src, images: images.map((i) => i.getAttribute('data-graph')),
                             loaded: images.map((i) => i.complete && i.naturalWidth > 0),
                             src: Object.fromEntries(images.map((i) => [i.getAttribute('data-graph'), i.src]))});
    }
  }
}).observe(document, {subtree: true, childList: true});
"""

TEXTS_JS = """
async (ids) => {
  const texts = (root) => [...root.querySelectorAll('text')].map((t) => t.textContent.trim()).filter(Boolean).sort();
  const out = {};
  for (const id of ids) {
    const src = window.__wallLog[0].src[id];
    const svg = new DOMParser().parseFromString(await (await fetch(src)).text(), 'text/html');
    out[id] = {image: texts(svg), live: texts(document.getElementById(id))};
  }
  return out;
}
"""


def test_the_first_screen_shows_the_servers_images_until_plotly_has_drawn_the_same_figures(
    page_opener, live_server
):
    """The first screen's graphs come first as images the server drew (dashboard/wall_preview.py):
    plotly.js runs only once they are on show, and each image goes when its graph has drawn the same
    figure (the same texts: names, numbers, months)."""
    first_screen = ["wall-towns-bars", "wall-map", "wall-trend"]
    # A wall's visit has the server draw the images it lacks (the warm-up may have already).
    deadline = datetime.now() + timedelta(seconds=90)
    while True:
        recorded = page_opener(
            f"{live_server}/wall", setup=lambda context: context.add_init_script(IMAGES_LOG_JS)
        )
        page = recorded.page
        page.wait_for_function("() => window.__wallLog.length > 0", timeout=30_000)
        log = page.evaluate("() => window.__wallLog")
        if sorted(log[0]["images"]) == sorted(first_screen) or datetime.now() > deadline:
            break
        recorded.close()
    assert sorted(log[0]["images"]) == sorted(first_screen), f"no images drawn in 90 s: {log}"
    # plotly.js was added once every image had loaded, and only once.
    assert len(log) == 1 and all(log[0]["loaded"]), log
    assert "/vendor/plotly-cartesian.min.js" in log[0]["plotly"]
    # Each image leaves once its graph has drawn.
    page.wait_for_function(
        """(ids) => ids.every((id) => document.getElementById(id).querySelector('.main-svg .trace'))
                 && !document.querySelector('img.wall-preview')""",
        arg=first_screen,
        timeout=60_000,
    )
    for graph_id, texts in page.evaluate(TEXTS_JS, first_screen).items():
        assert texts["image"] and texts["image"] == texts["live"], graph_id
    assert recorded.outside_requests == []
    assert recorded.console_errors == []
