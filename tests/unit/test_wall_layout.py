"""The wall's design canvas: panel geometry, playlist parsing, the assembled layout."""

from __future__ import annotations

import json
from itertools import combinations

import pytest

from dashboard.components import wall_layout
from dashboard.components.wall_layout import BODY_H, PANELS, SCREEN_W, Ids
from tests.support.wall_tree import attr, by_class, by_id, walk


def test_every_panel_fits_its_screen_without_overlapping_another():
    for screen, panels in PANELS.items():
        for p in panels:
            assert p.x >= 0 and p.y >= 0, p.id
            assert p.x + p.w <= SCREEN_W and p.y + p.h <= BODY_H, f"{screen}/{p.id} leaves the screen"
        for a, b in combinations(panels, 2):
            apart = a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
            assert apart, f"{a.id} overlaps {b.id}"


def test_panel_ids_are_unique_and_prefixed_for_the_wall_area():
    ids = [p.id for panels in PANELS.values() for p in panels]
    assert len(ids) == len(set(ids))
    # The security guard classifies callbacks by their output ids: every wall id starts with "wall-".
    assert all(i.startswith("wall-") for i in ids)
    assert all(v.startswith("wall-") for k, v in vars(Ids).items() if not k.startswith("_"))


def test_figure_size_is_the_panel_body():
    panel = wall_layout.panel_by_id("wall-trend")
    assert panel.body_size == (panel.w - 28, panel.h - 44 - 14)
    with pytest.raises(KeyError):
        wall_layout.panel_by_id("nope")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ["overview", "townships", "cases"]),
        ("cases,overview", ["cases", "overview"]),
        ("Overview, bogus ,overview", ["overview"]),
        ("bogus", ["overview", "townships", "cases"]),
    ],
)
def test_parse_screens(value, expected):
    assert wall_layout.parse_screens(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 30), ("12", 12), ("2", 30), ("x", 30), ("3600", 3600)]
)
def test_parse_dwell(value, expected):
    assert wall_layout.parse_dwell(value) == expected


def build(screens=("cases", "overview"), lang="zh-CN", content=None):
    return wall_layout.wall_layout(
        title="石拐区人大代表履职数据驾驶舱",
        period_text="统计期间",
        as_of=wall_layout.as_of_block("2024-01-19 10:00", 1705629600000, 3600000, lang),
        content=content or {"wall-ranking": ["R"]},
        ticker_children=["T"],
        screens=list(screens),
        config={"dwell": 20, "focus_seconds": 8},
        params={"start": "2023-01-01", "end": "2023-12-31", "lang": lang},
        version="v1",
        focus_data=None,
        poll_seconds=30,
        lang=lang,
    )


def test_layout_renders_every_screen_and_records_the_playlist():
    root = build()
    sections = by_class(root, "wall-screen")
    # All screens are in the page (their callbacks need the outputs); the playlist picks what shows.
    assert [attr(s, "data-screen") for s in sections] == ["overview", "townships", "cases"]
    canvas = by_id(root, Ids.CANVAS)
    assert attr(canvas, "data-screens") == "cases,overview"
    assert attr(canvas, "data-dwell") == "20"
    assert json.loads(attr(root, "data-config"))["dwell"] == 20
    assert by_id(root, Ids.VERSION).data == "v1"
    assert by_id(root, Ids.POLL).interval == 30_000
    assert by_id(root, "wall-ranking").children == ["R"]
    ids = [c.id for c in walk(root) if getattr(c, "id", None)]
    assert len(ids) == len(set(ids))


def test_layout_graphs_are_static_and_sized_to_their_panel():
    root = build()
    graph = by_id(root, "wall-map")
    assert graph.config["staticPlot"] is True
    assert graph.config["displayModeBar"] is False
    width, height = wall_layout.panel_by_id("wall-map").body_size
    assert graph.style == {"width": f"{width}px", "height": f"{height}px"}


def test_as_of_block_text_and_unknown():
    block = wall_layout.as_of_block("2024-01-19 10:00", 1, 2, "en")
    assert block.children == "Data as of 2024-01-19 10:00"
    assert attr(block, "data-built") == "1"
    assert wall_layout.as_of_block(None, None, 0, "zh-CN").children == "数据时间未知"


def test_first_paint_draws_the_first_screen_and_keeps_the_others_for_later():
    figures = {p.id: {"data": [{"type": "bar", "y": [1]}]} for ps in PANELS.values() for p in ps if p.graph}
    content, lazy = wall_layout.lazy_split(figures, ["cases", "overview"])
    cases = set(wall_layout.graph_ids("cases"))
    assert set(lazy) == set(figures) - cases
    for graph_id, figure in content.items():
        if graph_id in cases:
            assert figure is figures[graph_id]
        else:  # an empty placeholder at the panel's size; the real figure waits in the lazy store
            assert figure["data"] == [] and figure["layout"]["meta"] == wall_layout.LAZY_META
            assert (figure["layout"]["width"], figure["layout"]["height"]) == (
                wall_layout.panel_by_id(graph_id).body_size
            )
            assert lazy[graph_id] is figures[graph_id]
    assert figures["wall-map"]["data"], "the caller's content is not modified"


def test_layout_carries_the_lazy_figures_and_the_store_wall_js_sets():
    assert by_id(build(), Ids.LAZY).data == {}  # no figures given: nothing waits
    figure = {"data": [{"type": "scatter", "x": [1]}]}
    root = build(content={"wall-map": figure, "wall-projects": figure})
    assert by_id(root, Ids.LAZY).data == {"wall-map": figure}  # the playlist starts with "cases"
    assert getattr(by_id(root, Ids.DRAWN), "data", None) is None
    assert by_id(root, "wall-map").figure["layout"]["meta"] == wall_layout.LAZY_META
    assert by_id(root, "wall-projects").figure is figure
