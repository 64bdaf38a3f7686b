"""The schematic township partition: a deterministic, plausible split of the real district outline."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from shapely.geometry import Point, shape

from etl.geo import (
    DISTRICT_CENTRE,
    TOWNSHIP_CODES,
    TOWNSHIPS,
    base_township,
    district_outline,
    random_point_in,
    township_polygons,
    write_township_geojson,
)
from warehouse.settings import GEO_DIR

KM2_PER_DEG2 = 111.32 * 111.32 * math.cos(math.radians(40.72))
SEATS = {"150205101000": (110.247944, 40.681145), "150205202000": (110.315725, 40.783107)}


@pytest.fixture(scope="module")
def polygons():
    return township_polygons()


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    path = write_township_geojson(tmp_path_factory.mktemp("geo") / "townships.geojson")
    return json.loads(path.read_text(encoding="utf-8"))


def test_eight_units_each_one_valid_polygon(polygons):
    assert sorted(polygons) == sorted(TOWNSHIP_CODES)
    assert len(polygons) == 8
    for code, geom in polygons.items():
        assert geom.geom_type == "Polygon", code
        assert geom.is_valid, code


def test_partition_covers_the_outline_without_overlap(polygons):
    outline = district_outline()
    total = sum(g.area for g in polygons.values())
    assert total == pytest.approx(outline.area, rel=1e-6)
    codes = list(polygons)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            assert polygons[a].intersection(polygons[b]).area < 1e-9, (a, b)


def test_real_seats_lie_in_their_own_township(polygons):
    for code, (lon, lat) in SEATS.items():
        assert polygons[code].contains(Point(lon, lat)), TOWNSHIPS[code][0]


def test_subdistricts_are_small_and_rural_units_large(polygons):
    areas = {code: geom.area * KM2_PER_DEG2 for code, geom in polygons.items()}
    for code, (_, kind) in TOWNSHIPS.items():
        if kind == "街道":
            assert 3 < areas[code] < 40, (code, areas[code])
        else:
            assert areas[code] > 200, (code, areas[code])
    # The urban subdistricts cluster around the district centre.
    centre = Point(DISTRICT_CENTRE)
    for code, (_, kind) in TOWNSHIPS.items():
        if kind == "街道":
            assert polygons[code].centroid.distance(centre) < 0.1, code


def test_geojson_is_keyed_by_code_schematic_and_clockwise(collection):
    features = collection["features"]
    assert [f["properties"]["code"] for f in features] == list(TOWNSHIP_CODES)
    for feature in features:
        props = feature["properties"]
        assert len(props["code"]) == 12 and props["code"].isdigit()
        assert props["name"] == TOWNSHIPS[props["code"]][0]
        assert props["schematic"] is True
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]
        # Shoelace: negative signed area means clockwise (plotly go.Choropleth convention).
        xy = np.array(ring)
        signed = 0.5 * np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1])
        assert signed < 0, props["name"]
        assert all(len(str(v).split(".")[-1]) <= 6 for point in ring for v in point)
        assert shape(feature["geometry"]).is_valid


def test_geojson_is_byte_stable(tmp_path):
    a = write_township_geojson(tmp_path / "a.geojson").read_bytes()
    b = write_township_geojson(tmp_path / "b" / "b.geojson").read_bytes()
    assert a == b


def test_district_outline_is_the_packaged_one():
    with (GEO_DIR / "shiguai_district.geojson").open(encoding="utf-8") as fh:
        packaged = shape(json.load(fh)["features"][0]["geometry"])
    assert district_outline().equals(packaged)


def test_random_point_in_lies_inside_and_is_seeded(polygons):
    rng = np.random.default_rng(7)
    points = [random_point_in("150205003000", rng) for _ in range(50)]
    assert all(polygons["150205003000"].contains(Point(p)) for p in points)
    again = np.random.default_rng(7)
    assert points == [random_point_in("150205003000", again) for _ in range(50)]
    assert len(set(points)) == 50


def test_synthetic_codes_map_to_a_real_township(polygons):
    assert base_township("150205101000") == "150205101000"
    synthetic = "1592" + "0000012" + "6"
    assert base_township(synthetic) == TOWNSHIP_CODES[6]
    lon, lat = random_point_in(synthetic, np.random.default_rng(1))
    assert polygons[TOWNSHIP_CODES[6]].contains(Point(lon, lat))
