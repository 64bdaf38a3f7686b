"""Text that fits the wall: label fitting for figures, title attributes, the second-script title and font.

The browser half (no two text boxes overlap at any size and language) is tests/browser/test_wall_fit.py.
"""

from __future__ import annotations

import pytest
from flask import Flask

from dashboard import context, wall_routes
from dashboard.components import map as wall_map
from dashboard.components import wall_charts, wall_layout, wall_lists
from dashboard.components.text_fit import ELLIPSIS, elide, fit_label, text_width
from tests.support.wall_tree import attr, by_class, text
from warehouse import fonts
from warehouse.settings import Settings, load_settings

LONG_TOWNSHIP = "内蒙古赤峰高新技术产业开发区管理委员会红山产业园"
LONG_COUNTY = "莫力达瓦达斡尔族自治旗"
MONGOLIAN = "ᠠᠷᠠᠳ ᠤᠨ ᠲᠥᠯᠥᠭᠡᠯᠡᠭᠴᠢ ᠶᠢᠨ ᠬᠤᠷᠠᠯ"


def test_text_width_counts_cjk_as_one_em_and_latin_narrower():
    assert text_width("石拐区", 20) == 60
    assert 20 < text_width("Shiguai", 10) < 70


def test_elide_cuts_to_the_width_with_an_ellipsis_and_keeps_what_fits():
    assert elide("石拐区", 60, 20) == "石拐区"
    cut = elide(LONG_TOWNSHIP, 120, 20)
    assert cut.endswith(ELLIPSIS) and LONG_TOWNSHIP.startswith(cut[:-1])
    assert text_width(cut, 20) <= 120
    assert elide(LONG_TOWNSHIP, 5, 20) == ""


def test_fit_label_shrinks_before_it_cuts_and_fits_every_line():
    assert fit_label("大发街道\n12", 200, 20, 12) == ("大发街道\n12", 20)
    whole, size = fit_label("莫力达瓦旗", 80, 20, 12)  # 5 em in 80 px: 16 px, nothing cut
    assert (whole, size) == ("莫力达瓦旗", 16)
    cut, size = fit_label(LONG_TOWNSHIP + "\n123", 150, 20, 12)
    assert size == 12
    first, second = cut.split("\n")
    assert first.endswith(ELLIPSIS) and second == "123"
    assert text_width(first, size) <= 150


def square(code: str, name: str, x0: float, width: float) -> dict:
    ring = [[x0, 40.0], [x0 + width, 40.0], [x0 + width, 40.1], [x0, 40.1], [x0, 40.0]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_map_labels_stay_inside_their_township_at_the_drawn_size():
    townships = {
        "type": "FeatureCollection",
        "features": [
            square("150205100000", LONG_TOWNSHIP, 110.0, 0.1),
            square("150205101000", "吉忽伦图", 110.1, 0.1),
        ],
    }
    fig = wall_map.map_figure(None, townships, [], width=600, height=400, label_size=20)
    labels = [t for t in fig.data if t.mode == "text"][0]
    scale = wall_map.px_per_degree(wall_map.collection_bounds(townships), 600, 400)
    for label, size in zip(labels.text, labels.textfont.size, strict=True):
        assert text_width(label, size) <= 0.1 * scale * 0.9 + 0.01
    assert labels.text[0].endswith(ELLIPSIS)
    assert labels.text[1] == "吉忽伦图"  # a short name keeps its size and all of its text
    # Without a size (plotly autosizes) nothing can be measured: the names are drawn as given.
    free = [t for t in wall_map.map_figure(None, townships, []).data if t.mode == "text"][0]
    assert free.text[0] == LONG_TOWNSHIP


def test_township_bars_cut_the_drawn_name_but_keep_full_names_as_categories():
    names = [LONG_TOWNSHIP, LONG_TOWNSHIP[:-1] + "甲", "大发街道"]
    fig = wall_charts.township_bars_figure(names, [("活动场次", [3, 2, 1])], 470, 330)
    assert set(fig.data[0].y) == set(names)  # two names cut alike stay two bars
    drawn = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    assert drawn["大发街道"] == "大发街道"
    assert drawn[LONG_TOWNSHIP].endswith(ELLIPSIS)
    assert text_width(drawn[LONG_TOWNSHIP], 18) <= wall_charts.TOWNSHIP_LABEL_W - 8


def test_cut_names_keep_their_whole_text_in_a_title():
    rows = [{"rank": 1, "deputy_name": "额尔德尼巴雅尔", "township_name": LONG_TOWNSHIP, "points": 12}]
    row = by_class(wall_lists.ranking_list(rows, "zh-CN"), "wall-rank-row")[0]
    assert [attr(c, "title") for c in row.children[1:3]] == ["额尔德尼巴雅尔", LONG_TOWNSHIP]
    items = by_class(
        wall_lists.ticker([{"home_name": LONG_TOWNSHIP, "title": "x" * 80}], "zh-CN"), "wall-ticker-item"
    )
    assert attr(items[0], "title") == text(items[0]) and LONG_TOWNSHIP in attr(items[0], "title")
    cell = by_class(
        wall_lists.township_table([{"township_name": LONG_TOWNSHIP, "homes": 1}], "zh-CN"), "wall-td-name"
    )
    assert attr(cell[0], "title") == LONG_TOWNSHIP
    card = wall_lists.focus_card({"name": LONG_TOWNSHIP, "items": [["代表之家", "3"]]})
    assert attr(card[0], "title") == LONG_TOWNSHIP


def test_header_marks_its_lines_for_fitting_and_adds_the_second_script_only_when_set():
    plain = wall_layout.header(LONG_COUNTY + "人大代表履职数据驾驶舱", "统计期间", "数据截至", "zh-CN")
    assert by_class(plain, "wall-title-secondary") == []
    title = by_class(plain, "wall-title")[0]
    assert attr(title, wall_layout.FIT) and attr(title, "data-wall-fit-lines") == "2"
    assert attr(by_class(plain, "wall-period-text")[0], wall_layout.FIT)
    both = wall_layout.header("石拐区人大代表履职数据驾驶舱", "统计期间", "数据截至", "zh-CN", MONGOLIAN)
    second = by_class(both, "wall-title-secondary")[0]
    assert text(second) == MONGOLIAN and attr(second, "lang") == "mn-Mong"
    box = by_class(both, "wall-title-box")[0]
    assert "has-secondary" in box.className
    assert [c.className for c in box.children] == ["wall-title-secondary", "wall-title"]


def test_title_secondary_is_off_by_default_and_set_from_the_environment(tmp_path):
    assert Settings().title_secondary == ""
    env = {"COCKPIT_CONFIG": str(tmp_path / "none.toml"), "COCKPIT_TITLE_SECONDARY": MONGOLIAN}
    assert load_settings(env=env).title_secondary == MONGOLIAN


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setattr(context, "_state", {})
    app = Flask(__name__)
    wall_routes.register_wall_routes(app)
    return app.test_client()


def test_the_second_script_font_is_served_from_the_app_or_404(client, tmp_path):
    font = tmp_path / "second.ttf"
    font.write_bytes(b"\x00\x01\x00\x00fake-font")
    context.configure(Settings(title_secondary_font=font), None)
    response = client.get("/wall/fonts/secondary")
    assert response.status_code == 200 and response.data == font.read_bytes()
    context.configure(Settings(title_secondary_font=tmp_path / "missing.ttf"), None)
    assert client.get("/wall/fonts/secondary").status_code == 404


def test_find_font_answers_only_an_installed_family():
    assert fonts.find_font("No Such Font Family 0xC0FFEE") is None
    found = fonts.find_font(fonts.SECONDARY_FAMILY)
    # scripts/system-packages installs fonts-noto-core; without it this is the failure to see.
    assert found is not None and found.suffix in (".ttf", ".otf"), "Noto Sans Mongolian is not installed"


def test_place_label_shrinks_then_cuts_then_gives_up_rather_than_cover_a_neighbour():
    taken = [wall_map.label_box(100, 100, "吉忽伦图苏木\n32", 20)]
    # Far away: drawn as given.
    assert wall_map.place_label(400, 100, "大发街道\n12", 20, 12, taken) == ("大发街道\n12", 20.0)
    # Close beside a neighbour: smaller, or cut, but never on it.
    text, size = wall_map.place_label(230, 100, LONG_TOWNSHIP + "\n12", 20, 12, taken)
    assert text.endswith(ELLIPSIS + "\n12") and size == 12
    box = wall_map.label_box(230, 100, text, size)
    assert box[0] >= taken[0][2]
    # On top of it: left out (the focus card and the table name it).
    assert wall_map.place_label(100, 100, "大发街道\n12", 20, 12, taken) is None


def test_focus_card_box_grows_with_the_longest_name_up_to_its_share_of_the_panel():
    from dashboard import wall_data

    short = wall_data.focus_card_box("wall-map", ["大发街道"])
    long = wall_data.focus_card_box("wall-map", [LONG_TOWNSHIP])
    assert short[2] - short[0] == 210  # the card's min-width (wall.css)
    assert long[2] - long[0] == wall_layout.panel_by_id("wall-map").w * wall_data.FOCUS_CARD_MAX_SHARE
    assert long[3] > long[1] + 6 * 19


def test_english_tiles_use_names_written_for_their_room_and_keep_the_full_name_in_the_title():
    from dashboard.components import wall_kpi

    tile = wall_kpi.kpi_tile("mediation_cases", 173, {}, "en")
    name = by_class(tile, "wall-tile-name")[0]
    assert text(name) == "Mediation cases" and attr(name, "title") == "Pre-litigation mediation cases"
    zh = by_class(wall_kpi.kpi_tile("mediation_cases", 173, {}, "zh-CN"), "wall-tile-name")[0]
    assert text(zh) == attr(zh, "title") == "诉前调解案件"
