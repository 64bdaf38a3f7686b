"""The shared map builder: geometry helpers and the figure (pure, no browser)."""

from __future__ import annotations

import math

import pytest

from dashboard.components import map as wall_map
from warehouse.settings import Settings


def square(code: str, name: str, x0: float, y0: float, size: float) -> dict:
    ring = [[x0, y0], [x0, y0 + size], [x0 + size, y0 + size], [x0 + size, y0], [x0, y0]]
    return {
        "type": "Feature",
        "id": code,
        "properties": {"code": code, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@pytest.fixture
def townships() -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            square("A", "甲镇", 110.0, 40.6, 0.2),
            square("B", "乙街道", 110.2, 40.6, 0.02),
        ],
    }


@pytest.fixture
def district() -> dict:
    return {"type": "FeatureCollection", "features": [square("D", "区", 110.0, 40.6, 0.22)]}


def test_aspect_scaleratio_is_inverse_cosine_of_latitude():
    assert wall_map.aspect_scaleratio(0) == pytest.approx(1.0)
    assert wall_map.aspect_scaleratio(40.7) == pytest.approx(1 / math.cos(math.radians(40.7)))


def test_exterior_rings_of_polygon_multipolygon_and_other():
    poly = square("A", "a", 0, 0, 1)["geometry"]
    assert len(wall_map.exterior_rings(poly)) == 1
    multi = {"type": "MultiPolygon", "coordinates": [poly["coordinates"], poly["coordinates"]]}
    assert len(wall_map.exterior_rings(multi)) == 2
    assert wall_map.exterior_rings({"type": "Point", "coordinates": [0, 0]}) == []


def test_rings_to_xy_separates_parts_with_none():
    xs, ys = wall_map.rings_to_xy([[(0, 0), (1, 1)], [(2, 2), (3, 3)]])
    assert xs == [0, 1, None, 2, 3]
    assert ys == [0, 1, None, 2, 3]


def test_feature_code_prefers_township_code_then_code_then_id():
    assert wall_map.feature_code({"properties": {"township_code": "1", "code": "2"}, "id": "3"}) == "1"
    assert wall_map.feature_code({"properties": {"code": "2"}, "id": "3"}) == "2"
    assert wall_map.feature_code({"properties": {}, "id": 3}) == "3"
    assert wall_map.feature_code({"properties": {}}) is None


def test_shade_colors_scale_to_the_largest_value_and_null_gets_empty():
    scale = ((0.0, "rgb(0, 0, 0)"), (1.0, "rgb(255, 255, 255)"))
    colors = wall_map.shade_colors({"a": 10, "b": 0, "c": None}, scale, "EMPTY")
    assert colors["a"] == "rgb(255, 255, 255)"
    assert colors["b"] == "rgb(0, 0, 0)"
    assert colors["c"] == "EMPTY"
    # all zero: no division by zero, every township at the bottom of the scale
    assert wall_map.shade_colors({"a": 0}, scale, "EMPTY") == {"a": "rgb(0, 0, 0)"}


def test_marker_area_is_proportional_to_the_count():
    sizes = wall_map.marker_sizes([0, 25, 100], smallest=0, largest=20)
    assert sizes == pytest.approx([0, 10, 20])
    assert wall_map.marker_sizes([None, 0], smallest=8) == [8, 8]


def test_map_figure_uses_only_cartesian_scatter_traces(district, townships):
    homes = [
        {"home_name": "一号之家", "home_level": "区级", "lon": 110.05, "lat": 40.65, "activities": 4},
        {"home_name": "联络站", "home_level": "立法联络站", "lon": 110.1, "lat": 40.7, "activities": 1},
        {"home_name": "无坐标", "home_level": "企业", "lon": None, "lat": None, "activities": 9},
    ]
    fig = wall_map.map_figure(district, townships, homes, {"A": 5, "B": 1}, width=800, height=600)
    # No geo / map traces: nothing that could fetch a topojson file, tiles or glyphs.
    assert {trace.type for trace in fig.data} == {"scatter"}
    marker_traces = [tr for tr in fig.data if tr.mode == "markers"]
    assert sum(len(tr.x) for tr in marker_traces) == 2  # the home without coordinates is skipped
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.yaxis.scaleratio == pytest.approx(1 / math.cos(math.radians(40.71)), rel=1e-3)
    assert (fig.layout.width, fig.layout.height) == (800, 600)


def highlight_of(fig):
    (trace,) = [tr for tr in fig.data if tr.uid == wall_map.HIGHLIGHT_UID]
    return trace


def test_map_figure_shades_townships_and_outlines_the_highlight_above_them(district, townships):
    fig = wall_map.map_figure(district, townships, [], {"A": 10, "B": 0}, highlight="B")
    fills = {tr.name: tr.fillcolor for tr in fig.data if tr.name in ("A", "B")}
    assert fills["A"] != fills["B"]
    outline = highlight_of(fig)
    assert max(outline.x) == pytest.approx(110.22)  # township B's outline
    townships_drawn = [i for i, tr in enumerate(fig.data) if tr.name in ("A", "B")]
    assert list(fig.data).index(outline) > max(townships_drawn)
    assert highlight_of(wall_map.map_figure(district, townships, [])).x in ((), None)


def test_map_figure_labels_note_and_small_township_threshold(district, townships):
    fig = wall_map.map_figure(
        district, townships, [], {"A": 1}, township_labels={"A": "甲镇\n1"}, note="示意分区，非法定界线"
    )
    labels = [tr for tr in fig.data if tr.mode == "text"][0]
    assert "甲镇<br>1" in labels.text
    assert "乙街道" in labels.text  # default label is the feature's name
    assert fig.layout.annotations[0].text == "示意分区，非法定界线"
    small_hidden = wall_map.map_figure(district, townships, [], label_min_share=0.1)
    labels = [tr for tr in small_hidden.data if tr.mode == "text"][0]
    assert list(labels.text) == ["甲镇"]


def test_small_townships_get_callouts_instead_of_inner_labels(district, townships):
    fig = wall_map.map_figure(
        district,
        townships,
        [],
        township_labels={"B": "乙街道\n7"},
        label_min_share=0.1,
        callouts=True,
        height=400,
    )
    callouts = [a for a in fig.layout.annotations if a.showarrow]
    assert [a.text for a in callouts] == ["乙街道 7"]
    assert callouts[0].x == pytest.approx(110.21)  # the leader line ends inside township B
    assert callouts[0].ax > callouts[0].x  # the text sits to the right, in the corner


def test_township_outlines_keyed_by_code(townships):
    outlines = wall_map.township_outlines(townships)
    assert set(outlines) == {"A", "B"}
    assert len(outlines["A"]["x"]) == 5


def test_real_district_outline_draws_within_shiguai_bounds():
    district = wall_map.load_geojson(Settings().district_geojson)
    bounds = wall_map.collection_bounds(district)
    assert bounds is not None
    min_lon, min_lat, max_lon, max_lat = bounds
    assert 109.9 < min_lon < max_lon < 110.7
    assert 40.5 < min_lat < max_lat < 41.0
    fig = wall_map.map_figure(district, None, [])
    assert fig.data[0].fill == "toself"  # without townships the district itself is filled


def test_load_geojson_missing_file_is_none(tmp_path):
    assert wall_map.load_geojson(tmp_path / "nope.geojson") is None
    assert wall_map.load_geojson(None) is None


def test_outline_shapes_are_built_once_per_geojson_dict():
    geometry_shape = wall_map.geometry_shape
    square = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}
    first = geometry_shape(square)
    assert geometry_shape(square) is first  # renders reuse the polygon
    same_text = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    assert geometry_shape(same_text).area == 1.0  # another dict is another shape, never a stale one
    with pytest.raises((ValueError, TypeError, AttributeError, KeyError)):
        geometry_shape({})
