"""The wall's text fits at every size, in both languages, with the longest names of Inner Mongolia.

The data: the demo with every township renamed to one of the longest township names of
``../shared/geo/regions_150000.csv`` (data and map), every deputy to a long Mongolian name written in Chinese
(额尔德尼巴雅尔 …), and the district named after the longest county. In the page the title is then swapped
for the longest county, township and city names in turn. At each of the four sizes of docs/WALL.md, in
zh-CN and en, on each screen: no two visible text boxes intersect (each text's client rects, clipped by
its overflow-hidden ancestors), and a text that is cut has its whole text in a ``title``.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.browser.test_wall import LAZY_JS, SIZES
from tests.support.live import REPO_ROOT, LiveServer

pytestmark = pytest.mark.browser

REGIONS = REPO_ROOT.parent / "shared" / "geo" / "regions_150000.csv"
LONG_DEPUTIES = (
    "额尔德尼巴雅尔",
    "阿拉坦仓其其格",
    "乌力吉巴特尔",
    "那仁满都拉呼",
    "宝音德力格尔",
    "孟和额尔敦",
)
# 人民代表大会 ("people's representatives' assembly") in traditional Mongolian: the line a district would
# put above its Chinese title (its own official wording goes in settings.title_secondary).
MONGOLIAN = "ᠠᠷᠠᠳ ᠤᠨ ᠲᠥᠯᠥᠭᠡᠯᠡᠭᠴᠢ ᠶᠢᠨ ᠬᠤᠷᠠᠯ"


def longest_names() -> dict[str, list[str]]:
    """Region names by level, longest first (distinct)."""
    by_level: dict[str, list[str]] = {}
    with REGIONS.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_level.setdefault(row["level"], []).append(row["name"])
    return {level: sorted(set(names), key=lambda n: (-len(n), n)) for level, names in by_level.items()}


def rename_demo(data_dir: Path, townships: list[str]) -> dict[str, str]:
    """Rename the demo's townships (snapshot and map) and deputies in place; returns old -> new townships."""
    con = duckdb.connect(str(data_dir / "published.duckdb"))
    try:
        old = [
            r[0]
            for r in con.execute("SELECT township_name FROM dim_township ORDER BY township_code").fetchall()
        ]
        mapping = dict(zip(old, townships, strict=False))
        for before, after in mapping.items():
            con.execute("UPDATE dim_township SET township_name = ? WHERE township_name = ?", [after, before])
            con.execute("UPDATE dim_home SET home_name = replace(home_name, ?, ?)", [before, after])
        names = con.execute("SELECT deputy_id FROM dim_deputy ORDER BY deputy_id").fetchall()
        for index, (deputy_id,) in enumerate(names):
            con.execute(
                "UPDATE dim_deputy SET deputy_name = ? WHERE deputy_id = ?",
                [LONG_DEPUTIES[index % len(LONG_DEPUTIES)], deputy_id],
            )
    finally:
        con.close()
    geo = data_dir / "geo" / "townships.geojson"
    shapes = json.loads(geo.read_text(encoding="utf-8"))
    for feature in shapes["features"]:
        name = feature["properties"].get("name")
        feature["properties"]["name"] = mapping.get(name, name)
    geo.write_text(json.dumps(shapes, ensure_ascii=False), encoding="utf-8")
    return mapping


@pytest.fixture(scope="module")
def long_names():
    if not REGIONS.is_file():
        pytest.fail(f"{REGIONS} is missing: the long names come from the shared region list")
    return longest_names()


@pytest.fixture(scope="module")
def long_server(demo_data_dir, long_names, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("long-names") / "data"
    shutil.copytree(demo_data_dir, data_dir, ignore=shutil.ignore_patterns("*.log", "*.lock"))
    rename_demo(data_dir, long_names["township"])
    server = LiveServer(data_dir, env={"COCKPIT_DISTRICT_NAME": long_names["county"][0]})
    server.start()
    yield server
    server.stop()


# Every visible text on the wall as boxes in viewport pixels: each text node's client rects (HTML) or each
# <text> element's box (plotly's SVG), intersected with every overflow-clipping ancestor; invisible ones
# (opacity 0, hidden, zero-sized after clipping) are left out. ``cut``: drawn text wider or taller than what
# is left after clipping, and ``titled``: an element on the way up carries a title.
TEXT_BOXES_JS = """
() => {
  const root = document.querySelector('.wall-root');
  const clipOf = (el) => {
    let box = {left: -1e9, top: -1e9, right: 1e9, bottom: 1e9};
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.display === 'none' || cs.visibility === 'hidden' || cs.opacity === '0') return null;
      if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') {
        const r = a.getBoundingClientRect();
        box = {left: Math.max(box.left, r.left), top: Math.max(box.top, r.top),
               right: Math.min(box.right, r.right), bottom: Math.min(box.bottom, r.bottom)};
      }
    }
    return box;
  };
  const canvas = root.querySelector('.wall-canvas');
  const scale = canvas.getBoundingClientRect().width / canvas.offsetWidth;  // design px -> viewport px
  const out = [];
  let node_id = 0;
  const add = (el, rawRect, text, svg) => {
    if (rawRect.width < 1 || rawRect.height < 1) return;
    // The glyphs' em box, not the line box: a font's ascent and descent reach past its glyphs, and
    // tight line heights (the big figures) make line boxes touch where no glyphs do.
    const size = (parseFloat(getComputedStyle(el).fontSize) || rawRect.height) * scale;
    const middle = (rawRect.top + rawRect.bottom) / 2;
    const half = Math.min(rawRect.height, size) / 2;
    const rect = {left: rawRect.left, right: rawRect.right, top: middle - half, bottom: middle + half,
                  width: rawRect.width, height: 2 * half};
    const clip = clipOf(el);
    if (!clip) return;
    const box = {left: Math.max(rect.left, clip.left), top: Math.max(rect.top, clip.top),
                 right: Math.min(rect.right, clip.right), bottom: Math.min(rect.bottom, clip.bottom)};
    if (box.right - box.left < 1 || box.bottom - box.top < 1) return;
    // Cut: clipped by an ancestor, or by the element itself (ellipsis, line clamp: the text's own box is
    // larger than the element's); in the header also from above or below (the title's second line).
    const header = !!el.closest('.wall-header');
    const cs = getComputedStyle(el);
    const clipsSelf = !svg && cs.overflowX !== 'visible' &&
      (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    const cut = clipsSelf || rect.right - box.right > 2 || box.left - rect.left > 2 ||
      (header && (rect.bottom - box.bottom > 1 || box.top - rect.top > 1));
    const owner = el.closest('[data-panel]') || el.closest('.wall-header, .wall-ticker');
    out.push({text: text.slice(0, 40), svg, node: node_id, ...box, cut, titled: !!el.closest('[title]'),
              panel: owner ? (owner.dataset.panel || owner.className) : '',
              path: el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className});
  };
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || el.closest('svg, style, script')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    node_id += 1;
    for (const rect of range.getClientRects()) add(el, rect, node.textContent, false);
  }
  root.querySelectorAll('.js-plotly-plot svg text').forEach((el) => {
    node_id += 1;
    if (el.textContent.trim()) add(el, el.getBoundingClientRect(), el.textContent, true);
  });
  return out;
}
"""


def overlaps(boxes: list[dict], tolerance: float = 0.5) -> list[tuple[dict, dict]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a["node"] == b["node"]:  # the lines of one wrapped text, or the same text measured twice
                continue
            width = min(a["right"], b["right"]) - max(a["left"], b["left"])
            height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if width > tolerance and height > tolerance:
                found.append((a, b))
    return found


SHOW_SCREEN_JS = """
(name) => {
  document.querySelectorAll('.wall-screen').forEach((s) => {
    s.style.left = '0px';
    s.classList.toggle('is-active', s.dataset.screen === name);
  });
}
"""

SET_TEXT_JS = """
([selector, text]) => {
  document.querySelector(selector).textContent = text;
  return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}
"""
LONG_AS_OF = {
    "zh-CN": "数据截至 2023-12-31 23:59 · 更新于 2024-01-02 02:05",
    "en": "Data as of 2023-12-31 23:59 · updated 2024-01-02 02:05",
}


def check_wall(page, where: str) -> list[str]:
    """Problems on the wall as shown now: text boxes that intersect, cut text without a title."""
    boxes = page.evaluate(TEXT_BOXES_JS)
    assert len(boxes) > 40, f"{where}: only {len(boxes)} texts found"
    problems = [
        f"{where}: {a['panel']} «{a['text']}» overlaps {b['panel']} «{b['text']}»" for a, b in overlaps(boxes)
    ]
    problems += [
        f"{where}: «{b['text']}» in {b['panel']} is cut without a title"
        for b in boxes
        if b["cut"] and not b["svg"] and not b["titled"]
    ]
    return problems


def open_long_wall(page_opener, url: str, width: int, height: int):
    recorded = page_opener(url, width, height)
    page = recorded.page
    page.wait_for_selector(".wall-root.is-scaled")
    page.wait_for_selector("#wall-map .scatterlayer .trace")
    page.wait_for_function(f"() => ({LAZY_JS})().every((g) => !g.lazy && g.traces > 0)", timeout=30_000)
    page.wait_for_selector("#wall-ranking .wall-rank-rest .wall-rank-row")
    page.evaluate("() => document.fonts.ready")
    # Still frames: no fades between screens, no count-up in flight, no rotation (dwell=3600).
    page.add_style_tag(content=".wall-root * { transition: none !important; animation: none !important; }")
    page.wait_for_timeout(1500)
    return recorded


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_text_overlaps_with_the_longest_names(page_opener, long_server, long_names, lang, width, height):
    url = f"{long_server.url}/wall?dwell=3600" + ("&lang=en" if lang == "en" else "")
    recorded = open_long_wall(page_opener, url, width, height)
    page = recorded.page
    where = f"{lang} {width}x{height}"
    recorded.screenshot(f"wall-fit-{lang}-{width}x{height}.png")

    problems: list[str] = []
    slots = int(page.get_attribute(".wall-root", "data-slots"))
    if slots == 1:  # one screen at a time: bring each one up; wider walls already show them side by side
        for name in ("overview", "townships", "cases"):
            page.evaluate(SHOW_SCREEN_JS, name)
            page.wait_for_timeout(100)
            problems += check_wall(page, f"{where} {name}")
    else:
        problems += check_wall(page, where)

    # Issue 14 makes the as-of line longer (data time and update time): it must keep to its column too.
    page.evaluate(SET_TEXT_JS, [".wall-asof-text", LONG_AS_OF[lang]])
    as_of = page.evaluate(
        "() => { const el = document.getElementById('wall-asof');"
        " return [el.scrollWidth, el.clientWidth, parseFloat(getComputedStyle(el).fontSize)]; }"
    )
    assert as_of[0] <= as_of[1] + 1 and as_of[2] < 22, (
        f"{where}: the longer as-of line was not fitted: {as_of}"
    )
    rendered = page.inner_text(".wall-title")
    county = long_names["county"][0]
    for name in (long_names["township"][0], long_names["city"][0], long_names["province"][0]):
        page.evaluate(SET_TEXT_JS, [".wall-title", rendered.replace(county, name)])
        problems += check_wall(page, f"{where} title {name}")
        size = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.wall-title')).fontSize)"
        )
        assert size >= 24, f"{where}: the title shrank to {size}px for {name}"
    assert problems == [], "\n".join(problems[:30])
    assert recorded.outside_requests == []
    assert [e for e in recorded.console_errors if e.startswith("pageerror")] == []


def test_second_script_title_line_in_a_local_font(page_opener, demo_data_dir, long_server, tmp_path):
    """``title_secondary`` adds a traditional Mongolian line over the title, drawn in Noto Sans Mongolian."""
    server = LiveServer(demo_data_dir, env={"COCKPIT_TITLE_SECONDARY": MONGOLIAN})
    server.start()
    try:
        recorded = open_long_wall(page_opener, f"{server.url}/wall?dwell=3600", 1920, 1080)
        page = recorded.page
        assert page.inner_text(".wall-title-secondary") == MONGOLIAN
        used = page.evaluate(
            """() => document.fonts.check('24px "Cockpit Mongolian"', 'ᠠᠷᠠᠳ') &&
                     Array.from(document.fonts).some((f) => f.family.includes('Cockpit Mongolian')
                                                        && f.status === 'loaded')"""
        )
        assert used, "the second-script line is not drawn in the packaged Mongolian font"
        assert check_wall(page, "secondary") == []
        shot = recorded.screenshot("wall-title-secondary-1920x1080.png")
        assert shot.stat().st_size > 10_000
        assert recorded.outside_requests == []
        assert [e for e in recorded.console_errors if e.startswith("pageerror")] == []
    finally:
        server.stop()
    # The same line over the longest county name, on the long-name data.
    long_secondary = LiveServer(
        long_server.data_dir,
        env={"COCKPIT_TITLE_SECONDARY": MONGOLIAN, "COCKPIT_DISTRICT_NAME": "莫力达瓦达斡尔族自治旗"},
    )
    long_secondary.start()
    try:
        recorded = open_long_wall(page_opener, f"{long_secondary.url}/wall?dwell=3600&lang=en", 1366, 768)
        assert check_wall(recorded.page, "secondary en 1366x768") == []
        recorded.screenshot("wall-title-secondary-en-1366x768.png")
    finally:
        long_secondary.stop()
