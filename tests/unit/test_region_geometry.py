"""Map geometry per region level: real outlines where packaged, a labelled schematic everywhere else."""

from __future__ import annotations

import csv
import json
import math
from itertools import combinations
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from dashboard.components import region_geometry as rg
from dashboard.components.map import (
    HIGHLIGHT_UID,
    area_shares,
    collection_bounds,
    label_box,
    map_figure,
    pixel_frame,
)
from warehouse.errors import UserError
from warehouse.i18n import t
from warehouse.regions import read_region_table
from warehouse.settings import GEO_DIR

TABLE = read_region_table(GEO_DIR / "regions_150000.csv")
WALL_SIZE = (1100, 896)  # the wall's large map panel (wall_layout "wall-map-big")


def geoms(level: rg.LevelGeometry) -> dict[str, shapely.Geometry]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in level.units["features"]}


def assert_one_valid_polygon_each(level: rg.LevelGeometry, expected: list[str]) -> dict:
    codes = [f["properties"]["code"] for f in level.units["features"]]
    assert sorted(codes) == sorted(expected)  # exactly one unit per expected code
    shapes = geoms(level)
    for code, geom in shapes.items():
        assert len(code) == 12 and code.isdigit(), code
        assert geom.geom_type in ("Polygon", "MultiPolygon"), code
        assert geom.is_valid and geom.area > 0, code
    for (a, ga), (b, gb) in combinations(shapes.items(), 2):
        assert ga.intersection(gb).area <= 1e-9 * min(ga.area, gb.area), (a, b)
    return shapes


def table_children(code: str, *, zones: bool = True) -> list[str]:
    return [
        r.code
        for r in TABLE.children(code)
        if not r.is_zone_unit and (zones or not rg.is_statistical_zone(r))
    ]


def test_every_inner_mongolia_city_is_one_real_outline():
    level = rg.level_geometry("15")
    cities = table_children("15")
    assert len(cities) == 12
    shapes = assert_one_valid_polygon_each(level, cities)
    assert level.schematic is False
    assert not any(f["properties"].get("schematic") for f in level.units["features"])
    names = {f["properties"]["code"]: f["properties"]["name"] for f in level.units["features"]}
    assert names == {c: TABLE.get(c).name for c in cities}
    # The province outline is the cities' union: the glow follows the units exactly.
    outline = shape(level.outline["features"][0]["geometry"])
    assert shapely.union_all(list(shapes.values())).symmetric_difference(outline).area < 1e-6
    assert level.outline["features"][0]["properties"]["code"] == "150000000000"


def test_province_is_simplified_for_display_without_visible_change():
    level = rg.level_geometry("150000000000")
    shapes = geoms(level)
    vertices = sum(shapely.get_num_coordinates(g) for g in shapes.values())
    packaged = json.loads((GEO_DIR / "inner_mongolia_cities.geojson").read_text(encoding="utf-8"))
    source = {f["properties"]["code"]: shape(f["geometry"]) for f in packaged["features"]}
    assert vertices < 0.6 * sum(shapely.get_num_coordinates(g) for g in source.values())
    extent = max(
        b - a
        for a, b in zip(
            shapely.total_bounds(list(source.values()))[:2],
            shapely.total_bounds(list(source.values()))[2:],
            strict=True,
        )
    )
    for code, geom in shapes.items():
        deviation = shapely.hausdorff_distance(geom.boundary, source[code].boundary)
        # At most one pixel of the wall's 1 100-pixel map of the province.
        assert deviation < extent / 1100, code
    assert shapely.coverage_is_valid(list(shapes.values()))


def test_every_baotou_county_gets_one_unit_the_zone_a_labelled_tile():
    level = rg.level_geometry("1502")
    counties = table_children("1502")
    assert len(counties) == 10  # 9 administrative + 150271, a statistical zone
    shapes = assert_one_valid_polygon_each(level, counties)
    assert level.schematic is False
    features = {f["properties"]["code"]: f["properties"] for f in level.units["features"]}
    assert features["150271000000"].get("inset") is True
    assert features["150271000000"].get("schematic") is True
    real = [c for c in counties if c != "150271000000"]
    assert not any(features[c].get("inset") or features[c].get("schematic") for c in real)
    # The zone tile lies outside the city: it claims no county's land.
    outline = shape(level.outline["features"][0]["geometry"])
    assert not shapes["150271000000"].intersects(outline)
    assert shapely.union_all([shapes[c] for c in real]).symmetric_difference(outline).area < 1e-6
    assert rg.schematic_note(level, "zh") == t("region_maps.zone_tiles", "zh")


def test_enclave_is_drawn_after_the_county_around_it():
    codes = [f["properties"]["code"] for f in rg.level_geometry("1502").units["features"]]
    # 白云鄂博矿区 lies in a hole of 达尔罕茂明安联合旗; the map fills exteriors, so it must come later.
    assert codes.index("150206000000") > codes.index("150223000000")


def test_demo_district_keeps_the_products_township_partition():
    from etl.geo import township_feature_collection

    level = rg.level_geometry("150205")
    assert level.schematic is True
    assert level.units["properties"]["reason"] == rg.REASON_SOURCE
    shapes = assert_one_valid_polygon_each(level, table_children("150205"))
    drawn_today = township_feature_collection()["features"]
    assert len(drawn_today) == len(shapes)
    for feature in drawn_today:
        geom = shape(feature["geometry"])
        assert shapes[feature["properties"]["code"]].symmetric_difference(geom).area < 1e-9 * geom.area
    assert rg.schematic_note(level, "en") == t("region_maps.schematic", "en")


@pytest.mark.parametrize(
    ("county", "layout"),
    [("150202", "outline pieces"), ("150223", "outline pieces"), ("150102", "grid"), ("150271", "grid")],
)
def test_county_without_township_outlines_gets_a_schematic(county, layout):
    level = rg.level_geometry(county)
    townships = table_children(county)
    assert townships
    shapes = assert_one_valid_polygon_each(level, townships)
    assert level.schematic is True
    assert level.units["properties"]["reason"] == rg.REASON_NO_OUTLINES
    assert all(f["properties"].get("schematic") for f in level.units["features"])
    if layout == "grid":
        assert level.outline is None
        assert all(g.geom_type == "Polygon" and len(g.exterior.coords) == 5 for g in shapes.values())
    else:
        # Pieces of the county's real outline, covering it.
        outline = shape(level.outline["features"][0]["geometry"])
        assert sum(g.area for g in shapes.values()) == pytest.approx(outline.area, rel=1e-4)
        assert all(g.geom_type == "Polygon" for g in shapes.values())


def test_zone_units_like_townships_are_left_out():
    # 150102400000 新城区鸿盛高科技园区: the ETL rejects records for it (zone_unit), so no map unit either.
    assert TABLE.get("150102400000").is_zone_unit
    codes = [f["properties"]["code"] for f in rg.level_geometry("150102").units["features"]]
    assert "150102400000" not in codes
    assert len(codes) == len(TABLE.children("150102")) - 1


def test_other_city_counties_are_voronoi_cells_around_their_points():
    level = rg.level_geometry("1501")
    shapes = assert_one_valid_polygon_each(level, table_children("1501"))
    assert level.schematic is True
    seats = {}
    with (GEO_DIR / "county_seats_150000.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["lon"]:
                seats[row["code"]] = shapely.Point(float(row["lon"]), float(row["lat"]))
    for code in table_children("1501", zones=False):
        assert shapes[code].contains(seats[code]), code
    # The city's real outline frames the cells; the zone without a point is a tile outside it.
    outline = shape(level.outline["features"][0]["geometry"])
    assert not shapes["150172000000"].intersects(outline)


def test_output_is_deterministic():
    first = json.dumps(rg.level_geometry("150202").units, sort_keys=True)
    for cached in (rg._level_geometry, rg._known_shapes, rg._packaged_shapes, rg._seats):
        cached.cache_clear()
    assert json.dumps(rg.level_geometry("150202").units, sort_keys=True) == first


def test_unknown_township_or_bad_codes():
    assert rg.level_geometry("159900") is None  # not in the table
    assert rg.level_geometry("150205001000") is None  # a township has no level below it
    with pytest.raises(UserError, match="150"):
        rg.level_geometry("150")


def write_table(path: Path, drop: set[str] = frozenset(), extra: list[tuple] = ()) -> Path:
    with (
        (GEO_DIR / "regions_150000.csv").open(encoding="utf-8") as src,
        path.open("w", encoding="utf-8") as out,
    ):
        for line in src:
            if line.split(",")[0] not in drop:
                out.write(line)
        for row in extra:
            out.write(",".join(row) + "\n")
    return path


def test_a_county_without_outline_makes_the_whole_level_schematic(tmp_path):
    extra = [("150299000000", "新设区", "county", "150200000000")]
    level = rg.level_geometry("1502", region_table_path=write_table(tmp_path / "t.csv", extra=extra))
    assert level.schematic is True
    assert level.units["properties"]["reason"] == rg.REASON_MISMATCH
    expected = [r.code for r in read_region_table(tmp_path / "t.csv").children("1502")]
    assert "150299000000" in expected
    assert_one_valid_polygon_each(level, expected)
    assert rg.schematic_note(level, "en") == t("region_maps.mismatch", "en")


def test_an_outline_without_unit_makes_the_whole_level_schematic(tmp_path):
    table = write_table(tmp_path / "t.csv", drop={"150207000000"})
    level = rg.level_geometry("1502", region_table_path=table)
    assert level.schematic is True
    assert level.units["properties"]["reason"] == rg.REASON_MISMATCH
    codes = [f["properties"]["code"] for f in level.units["features"]]
    assert "150207000000" not in codes
    assert_one_valid_polygon_each(level, [c for c in table_children("1502") if c != "150207000000"])


def test_a_deployments_own_real_township_file_is_used(tmp_path):
    from etl.geo import township_feature_collection

    collection = township_feature_collection()
    for feature in collection["features"]:
        feature["properties"].pop("schematic")  # a deployment's surveyed boundaries
    path = tmp_path / "townships.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    level = rg.level_geometry("150205", townships_geojson=path)
    assert level.schematic is False
    assert rg.schematic_note(level, "zh") is None
    assert_one_valid_polygon_each(level, table_children("150205"))


def rendered_labels(figure) -> list[str]:
    texts = [trace.text for trace in figure.data if trace.mode == "text"]
    return [line for text in texts for line in text]


@pytest.mark.parametrize("code", ["15", "1502"])
def test_map_figure_draws_each_unit_and_places_every_label_apart(code):
    level = rg.level_geometry(code)
    features = level.units["features"]
    values = {f["properties"]["code"]: i for i, f in enumerate(features)}
    width, height = WALL_SIZE
    figure = map_figure(
        level.outline,
        level.units,
        [],
        values,
        width=width,
        height=height,
        note=rg.schematic_note(level, "zh"),
        label_size=20,
    )
    polygons = [trace.name for trace in figure.data if trace.mode == "lines" and trace.name][:-1]
    assert figure.data[-2].name == HIGHLIGHT_UID or figure.data[-1].name == HIGHLIGHT_UID
    assert polygons == [f["properties"]["code"] for f in features]
    labels = rendered_labels(figure)
    assert len(labels) == len(features)  # none dropped for want of room
    label_trace = next(trace for trace in figure.data if trace.mode == "text")
    frame = pixel_frame(collection_bounds(level.outline, level.units), width, height)
    assert frame is not None
    boxes = [
        label_box(*frame.point(x, y), text.replace("<br>", "\n"), size)
        for x, y, text, size in zip(
            label_trace.x, label_trace.y, label_trace.text, label_trace.textfont.size, strict=True
        )
    ]
    for a, b in combinations(boxes, 2):
        assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1]), (a, b)
    # Every unit above 2 % of the area shows its whole name; only small ones (呼和浩特市 at 1.5 % of the
    # province, 白云鄂博矿区, the zone tile) may have theirs shrunk and cut to fit.
    for feature, share in zip(features, area_shares(features), strict=True):
        if share >= 0.02:
            assert feature["properties"]["name"] in labels, feature["properties"]["name"]
    assert math.isclose(figure.layout.width, width)


def test_schematic_level_figure_says_so():
    level = rg.level_geometry("150202")
    figure = map_figure(level.outline, level.units, [], note=rg.schematic_note(level, "zh"))
    assert t("region_maps.schematic", "zh") in [a.text for a in figure.layout.annotations]


def test_every_level_of_the_packaged_table_draws_every_unit():
    """All 12 cities' county levels and all 108 counties' township levels: one valid shape per unit."""
    parents = [c for city in TABLE.children("15") for c in (city, *TABLE.children(city.code))]
    drawn = 0
    for parent in parents:
        expected = table_children(parent.code)
        level = rg.level_geometry(parent.code)
        if not expected:  # a zone with no township listed (150172): nothing to draw
            assert level is None, parent.code
            continue
        assert_one_valid_polygon_each(level, expected)
        drawn += 1
    assert drawn >= 115
