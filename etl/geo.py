"""A schematic township partition of Shiguai District, drawn deterministically from the real outline.

No public township (苏木镇街道) boundaries exist for 150205 (see ``warehouse/geo/PROVENANCE.md``), so the demo
splits the real district outline into the 8 township-level units with Voronoi cells around fixed
generator points. Each township owns one or more generator points; its polygon is the union of their
cells, clipped to the outline. 五当召镇 and 吉忽伦图苏木 own their real seat points, so each seat lies
inside its own polygon; the six subdistricts are small cells clustered around the district centre
(the urban area in the south-west/centre). Everything is fixed, so the output never changes.

The map says "示意分区，非法定界线" next to these polygons; that label belongs to the dashboard.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from shapely import MultiPoint, Point, voronoi_polygons
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from warehouse.settings import GEO_DIR

DISTRICT_GEOJSON = GEO_DIR / "shiguai_district.geojson"
# The district centre (DataV centre point, WGS84), see township_seats.csv.
DISTRICT_CENTRE = (110.266679, 40.670805)

# The 8 township-level units (统计用区划代码 2023), in code order.
TOWNSHIPS: dict[str, tuple[str, str]] = {
    "150205001000": ("石拐街道", "街道"),
    "150205002000": ("大发街道", "街道"),
    "150205003000": ("大磁街道", "街道"),
    "150205004000": ("五当沟街道", "街道"),
    "150205005000": ("白狐沟街道", "街道"),
    "150205006000": ("大德恒街道", "街道"),
    "150205101000": ("五当召镇", "镇"),
    "150205202000": ("吉忽伦图苏木", "苏木"),
}
TOWNSHIP_CODES: tuple[str, ...] = tuple(TOWNSHIPS)

# Generator points (lon, lat). The first point of 五当召镇 and 吉忽伦图苏木 is the real seat point;
# the rest spread the rural units over the west/north (五当召镇) and the north-east (吉忽伦图苏木).
_GENERATORS: dict[str, tuple[tuple[float, float], ...]] = {
    "150205001000": ((110.262, 40.640),),
    "150205002000": ((110.228, 40.648),),
    "150205003000": ((110.302, 40.645),),
    "150205004000": ((110.212, 40.676),),
    "150205005000": ((110.322, 40.678),),
    "150205006000": ((110.290, 40.668),),
    "150205101000": (
        (110.247944, 40.681145),
        (110.235, 40.712),
        (110.180, 40.735),
        (110.120, 40.700),
        (110.070, 40.640),
        (110.150, 40.640),
        (110.110, 40.780),
        (110.200, 40.800),
        (110.270, 40.850),
        (110.275, 40.745),
    ),
    "150205202000": (
        (110.315725, 40.783107),
        (110.345, 40.730),
        (110.400, 40.790),
        (110.470, 40.830),
        (110.360, 40.860),
        (110.300, 40.880),
        (110.380, 40.690),
        (110.520, 40.870),
    ),
}
# Voronoi cells are computed on a locally isotropic plane (longitude shrunk by cos(latitude)), so
# that a cell boundary sits halfway between two generators in kilometres, not in degrees.
_LON_FACTOR = math.cos(math.radians(40.72))


def district_outline() -> BaseGeometry:
    """The real district outline (WGS84) as a shapely polygon."""
    with DISTRICT_GEOJSON.open(encoding="utf-8") as fh:
        collection = json.load(fh)
    return shape(collection["features"][0]["geometry"])


def _to_plane(geom: BaseGeometry) -> BaseGeometry:
    from shapely import transform

    return transform(geom, lambda xy: xy * np.array([_LON_FACTOR, 1.0]))


def _from_plane(geom: BaseGeometry) -> BaseGeometry:
    from shapely import transform

    return transform(geom, lambda xy: xy / np.array([_LON_FACTOR, 1.0]))


def _round(geom: BaseGeometry, digits: int = 6) -> BaseGeometry:
    from shapely import transform

    return transform(geom, lambda xy: np.round(xy, digits))


@lru_cache(maxsize=1)
def _partition() -> dict[str, BaseGeometry]:
    outline = district_outline()
    owners: list[str] = []
    points: list[tuple[float, float]] = []
    for code, generators in _GENERATORS.items():
        for lon, lat in generators:
            owners.append(code)
            points.append((lon * _LON_FACTOR, lat))
    plane_outline = _to_plane(outline)
    cells = voronoi_polygons(MultiPoint(points), extend_to=plane_outline.buffer(1.0))
    by_code: dict[str, list[BaseGeometry]] = {code: [] for code in TOWNSHIPS}
    for cell in cells.geoms:
        # voronoi_polygons does not keep the input order: match each cell to the generator inside it.
        owner = next(owners[i] for i, p in enumerate(points) if cell.contains(Point(p)))
        by_code[owner].append(cell)
    result: dict[str, BaseGeometry] = {}
    for code, parts in by_code.items():
        clipped = _from_plane(unary_union(parts).intersection(plane_outline))
        result[code] = orient(clipped, sign=-1.0) if clipped.geom_type == "Polygon" else clipped
    return result


def township_polygons() -> dict[str, BaseGeometry]:
    """The schematic polygon of each of the 8 township-level units, keyed by 12-digit code (WGS84).

    Returns:
        A new dict ``{code: shapely geometry}``; the geometries are shared and must not be mutated.
    """
    return dict(_partition())


def base_township(code: str) -> str:
    """The real township a (possibly synthetic, scaled) township code is drawn inside.

    Synthetic codes from ``--scale`` end in the index of the real township they copy.
    """
    if code in TOWNSHIPS:
        return code
    return TOWNSHIP_CODES[int(code[-1]) % len(TOWNSHIP_CODES)]


def random_point_in(code: str, rng: np.random.Generator) -> tuple[float, float]:
    """A uniformly random point (lon, lat) inside the township's polygon, rounded to 6 decimals.

    Args:
        code: A 12-digit township code (real, or synthetic from ``--scale``).
        rng: The random generator to draw from (rejection sampling in the bounding box).

    Returns:
        ``(lon, lat)`` strictly inside the polygon.
    """
    polygon = _partition()[base_township(code)]
    # A slightly shrunk polygon keeps rounded points off the boundary.
    inner = polygon.buffer(-0.002) if not polygon.buffer(-0.002).is_empty else polygon
    x0, y0, x1, y1 = inner.bounds
    while True:
        lon, lat = round(float(rng.uniform(x0, x1)), 6), round(float(rng.uniform(y0, y1)), 6)
        if inner.contains(Point(lon, lat)):
            return lon, lat


def township_feature_collection() -> dict:
    """The schematic partition as a GeoJSON FeatureCollection keyed by ``properties.code``.

    Exterior rings are clockwise (plotly ``go.Choropleth`` / d3-geo convention) and coordinates are
    rounded to 6 decimals; every feature carries ``schematic: true``.
    """
    features = []
    for code, geom in _partition().items():
        name, kind = TOWNSHIPS[code]
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code, "name": name, "kind": kind, "schematic": True},
                "geometry": mapping(_round(geom)),
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "shiguai_townships_schematic",
        "properties": {
            "schematic": True,
            "note": "Schematic partition of the real district outline; not legal boundaries.",
            "winding": "exterior ring clockwise (d3-geo/plotly convention)",
        },
        "features": features,
    }


def write_township_geojson(path: Path) -> Path:
    """Write the schematic township partition to ``path`` (parents created), byte-stable.

    Args:
        path: Target file, e.g. ``settings.townships_geojson_path``.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(township_feature_collection(), ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    return path
