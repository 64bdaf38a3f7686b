"""Map geometry for every region level: the units one level below a province, city or county.

``level_geometry("15")`` gives the 12 city/league outlines of Inner Mongolia, ``level_geometry("1502")``
Baotou's county outlines, ``level_geometry("150205")`` the township polygons the product draws today
(a deployment's own township file, else the demo's schematic partition from :mod:`etl.geo`). The real
outlines are the packaged ``warehouse/geo`` files (provenance in ``warehouse/geo/PROVENANCE.md``).

Every other level -- another city's counties, another county's townships, a deployment with its own
region table -- gets a deterministic *schematic*: Voronoi cells around the units' points clipped to the
parent's real outline when every unit has a point, else the parent's outline cut into one piece per unit,
else a compact grid of tiles. A level whose outlines do not match the region table one to one (a unit
without an outline, an outline without a unit) is drawn wholly schematic rather than with a hole, and
says why (``units["properties"]["reason"]``). The figure must then say so: :func:`schematic_note`.

Statistical zones (code table "7x" county-level units such as 150271 包头稀土高新技术产业开发区) have no
land of their own -- it lies in the administrative counties -- so they are drawn as small labelled tiles
below the map (``properties.inset``) instead of forcing the whole level schematic. Township-level zone
units (``Region.is_zone_unit``) are left out, as the ETL rejects records for them.

Everything here is pure and cached per process: the packaged files do not change while running, and a
township file is re-read when its modification time changes. Callers must not mutate the results.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from dashboard.components.map import feature_code, load_geojson
from etl.geo import township_feature_collection
from warehouse.i18n import t
from warehouse.regions import Region, RegionTable, full_code, region_table
from warehouse.settings import GEO_DIR

DEFAULT_REGION_TABLE = GEO_DIR / "regions_150000.csv"
# Real outlines, each file one level: the cities of Inner Mongolia, the counties of Baotou.
OUTLINE_FILES = (GEO_DIR / "inner_mongolia_cities.geojson", GEO_DIR / "baotou_counties.geojson")
# The county outline the demo's township partition is cut from (finer than its copy in the county file).
DISTRICT_OUTLINE_FILE = GEO_DIR / "shiguai_district.geojson"
SEAT_FILES = (GEO_DIR / "county_seats_150000.csv", GEO_DIR / "township_seats.csv")

# Real units are simplified for display to this fraction of the level's extent: at most about a third of
# a pixel on the wall's 1 100-pixel map (the province's 20 000 vertices become about 6 000).
DISPLAY_TOLERANCE = 2e-4
# Grid tiles (no outline, no points) are this many degrees of latitude high; only the proportions show.
GRID_TILE = 0.1
# The gap around each grid or inset tile, as a share of the tile: the gaps make a grid read as a diagram.
TILE_GAP = 0.08
# Inset tiles (statistical zones) are this share of the map's larger extent.
INSET_TILE = 0.07
# Bisection steps when cutting an outline into pieces of given area (2^-30 of the extent: exact enough).
BISECT_STEPS = 30
DECIMALS = 6

# Why a level is schematic (``units["properties"]["reason"]``); each has a note in region_maps.toml.
REASON_SOURCE = "schematic_source"  # the only polygons there are, are themselves schematic (the demo)
REASON_NO_OUTLINES = "no_outlines"  # no unit of the level has a real outline
REASON_MISMATCH = "outlines_mismatch"  # some units lack an outline, or an outline has no unit
# Significant digits of the units one level below a parent of this level.
CHILD_DIGITS = {"province": 4, "city": 6, "county": 9}


@dataclass(frozen=True)
class LevelGeometry:
    """What the map of one level draws.

    Attributes:
        outline: GeoJSON FeatureCollection of the parent's outline (one feature), None when unknown.
        units: GeoJSON FeatureCollection, one feature per child unit, properties ``code`` (12 digits) and
            ``name``; schematic features carry ``schematic: true``, zone tiles ``inset: true``.
        schematic: True when the unit shapes are not real outlines.
    """

    outline: dict | None
    units: dict
    schematic: bool


def level_geometry(
    parent_code: str,
    *,
    region_table_path: Path = DEFAULT_REGION_TABLE,
    townships_geojson: Path | None = None,
) -> LevelGeometry | None:
    """The map geometry of the units one level below ``parent_code``.

    Args:
        parent_code: A province, city or county code (2/4/6 digits or padded to 12: "15", "1502",
            "150205", "150200000000").
        region_table_path: The deployment's region table (``Settings.region_table``).
        townships_geojson: The deployment's township polygons (``Settings.townships_geojson_path``);
            its features under ``parent_code`` take precedence over the packaged shapes.

    Returns:
        The level's geometry; None when the code is not in the region table, is a township, or has no
        unit below it.

    Raises:
        UserError: ``parent_code`` is not a division code.
    """
    code = full_code(parent_code)
    path = Path(townships_geojson) if townships_geojson is not None else None
    mtime = path.stat().st_mtime_ns if path is not None and path.is_file() else None
    return _level_geometry(code, Path(region_table_path), path, mtime)


def schematic_note(geometry: LevelGeometry | None, lang: str | None) -> str | None:
    """The text a map drawn from ``geometry`` must show (None when every shape is real and plain).

    Pass it as ``map_figure(..., note=...)``: "示意图，非实际边界" for a schematic level (with the reason
    when real outlines exist but do not match the units), or the key to the zone tiles.
    """
    if geometry is None:
        return None
    if geometry.schematic:
        reason = (geometry.units.get("properties") or {}).get("reason")
        return t("region_maps.mismatch" if reason == REASON_MISMATCH else "region_maps.schematic", lang)
    if any((f.get("properties") or {}).get("inset") for f in geometry.units.get("features", [])):
        return t("region_maps.zone_tiles", lang)
    return None


def is_statistical_zone(region: Region) -> bool:
    """A county-level "7x" unit (development zone, management area): counted, but with no land of its own."""
    return region.level == "county" and "71" <= region.code[4:6] <= "80"


@functools.lru_cache(maxsize=64)
def _level_geometry(
    code: str, table_path: Path, townships_path: Path | None, mtime: int | None
) -> LevelGeometry | None:
    table = region_table(table_path)
    if code not in table:
        return None
    parent = table.get(code)
    if parent.level == "township":
        return None
    children = [r for r in table.children(code) if not r.is_zone_unit]
    if not children:
        return None
    zones = [r for r in children if is_statistical_zone(r)]
    units = [r for r in children if not is_statistical_zone(r)]
    known = _known_shapes(townships_path, mtime, parent.prefix, CHILD_DIGITS[parent.level])
    real = {c: g for c, (g, _) in known.items()}
    if units and set(real) == {u.code for u in units}:
        schematic = any(flag for _, flag in known.values())
        if schematic:
            # The demo's partition: already cut from the parent's outline, drawn as it is.
            shapes, outline, reason = real, _parent_outline(parent.code), REASON_SOURCE
        else:
            shapes, outline = _display_simplify(real)
            reason = None
    else:
        outline = _parent_outline(parent.code)
        shapes = _schematic_shapes(units, outline, _anchor(table, parent))
        reason = REASON_MISMATCH if real else REASON_NO_OUTLINES
        schematic = True
    if zones:
        shapes = {**shapes, **_inset_tiles([z.code for z in zones], shapes, _anchor(table, parent))}
    inset = {z.code for z in zones}
    features = [
        _feature(r, shapes[r.code], schematic=schematic or r.code in inset, inset=r.code in inset)
        for r in _drawing_order(children, shapes)
    ]
    props = {"parent_code": parent.code, "schematic": schematic}
    if reason:
        props["reason"] = reason
    units_fc = {"type": "FeatureCollection", "properties": props, "features": features}
    outline_fc = None
    if outline is not None and not outline.is_empty:
        outline_fc = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": parent.code,
                    "properties": {"code": parent.code, "name": parent.name},
                    "geometry": mapping(_finish(outline)),
                }
            ],
        }
    return LevelGeometry(outline=outline_fc, units=units_fc, schematic=schematic)


def _drawing_order(regions: list[Region], shapes: Mapping[str, BaseGeometry]) -> list[Region]:
    """Code order, except that an enclave comes after the unit around it.

    The map fills each exterior ring and draws no holes, so a unit inside another's hole (白云鄂博矿区 in
    达尔罕茂明安联合旗) must be drawn later to be seen.
    """
    filled = {
        code: shapely.union_all([shapely.Polygon(p.exterior) for p in shapely.get_parts(g)])
        for code, g in shapes.items()
    }

    def enclave(region: Region) -> bool:
        geom = shapes[region.code]
        return any(
            code != region.code and outer.contains(geom.representative_point())
            for code, outer in filled.items()
        )

    return sorted(regions, key=enclave)


def _feature(region: Region, geom: BaseGeometry, *, schematic: bool, inset: bool) -> dict:
    props: dict = {"code": region.code, "name": region.name}
    if schematic:
        props["schematic"] = True
    if inset:
        props["inset"] = True
    return {"type": "Feature", "id": region.code, "properties": props, "geometry": mapping(_finish(geom))}


def _finish(geom: BaseGeometry) -> BaseGeometry:
    """Rounded to 6 decimals, exterior rings clockwise (the packaged files' d3-geo convention)."""
    geom = shapely.transform(geom, lambda xy: np.round(xy, DECIMALS))
    parts = [orient(p, sign=-1.0) for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


# --- the real shapes ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _packaged_shapes() -> dict[str, BaseGeometry]:
    """Every packaged real outline by 12-digit code (cities and Baotou's counties)."""
    shapes: dict[str, BaseGeometry] = {}
    for path in OUTLINE_FILES:
        shapes.update(_collection_shapes(load_geojson(path)))
    return shapes


def _collection_shapes(collection: Mapping | None) -> dict[str, BaseGeometry]:
    shapes = {}
    for feature in (collection or {}).get("features", []):
        code = feature_code(feature)
        if code is None or not feature.get("geometry"):
            continue
        geom = shape(feature["geometry"])
        if geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid and not geom.is_empty:
            shapes[code] = geom
    return shapes


@functools.lru_cache(maxsize=8)
def _known_shapes(
    townships_path: Path | None, mtime: int | None, prefix: str, digits: int
) -> dict[str, tuple[BaseGeometry, bool]]:
    """The shapes there are for the units directly under ``prefix``: {code: (geometry, schematic?)}.

    A deployment's township file first; the packaged outlines; for the demo's district, the schematic
    partition the product draws when there is no township file. ``digits``: the units' significant
    digits (the parent's prefix and one level more).
    """

    def under(code: str) -> bool:
        return (
            len(code) == 12
            and code.startswith(prefix)
            and code[len(prefix) : digits].strip("0") != ""
            and code[digits:].strip("0") == ""
        )

    def pick(collection: Mapping | None) -> dict[str, tuple[BaseGeometry, bool]]:
        flags = {
            feature_code(f): bool((f.get("properties") or {}).get("schematic")) for f in _features(collection)
        }
        return {c: (g, flags.get(c, False)) for c, g in _collection_shapes(collection).items() if under(c)}

    own = pick(load_geojson(townships_path)) if mtime is not None else {}
    if own:
        return own
    packaged = {c: (g, False) for c, g in _packaged_shapes().items() if under(c)}
    if packaged:
        return packaged
    return pick(township_feature_collection())


def _features(collection: Mapping | None) -> Iterable[Mapping]:
    return (collection or {}).get("features", [])


def _parent_outline(code: str) -> BaseGeometry | None:
    """The parent's real outline when one is packaged (the demo's district at full resolution)."""
    if code == feature_code(next(iter(_features(load_geojson(DISTRICT_OUTLINE_FILE))), {})):
        return _collection_shapes(load_geojson(DISTRICT_OUTLINE_FILE)).get(code)
    return _packaged_shapes().get(code)


def _display_simplify(shapes: Mapping[str, BaseGeometry]) -> tuple[dict[str, BaseGeometry], BaseGeometry]:
    """The units simplified together to the level's scale (shared borders stay shared), and their union.

    Shapes that are not a clean coverage (a deployment's own file with slivers) are kept as they are:
    simplifying them one by one would open gaps between neighbours.
    """
    codes = list(shapes)
    geoms = [shapes[c] for c in codes]
    if not shapely.coverage_is_valid(geoms):
        return dict(shapes), shapely.union_all(geoms)
    min_x, min_y, max_x, max_y = shapely.total_bounds(geoms)
    tolerance = DISPLAY_TOLERANCE * max(max_x - min_x, max_y - min_y)
    simplified = list(shapely.coverage_simplify(geoms, tolerance))
    return dict(zip(codes, simplified, strict=True)), shapely.coverage_union_all(simplified)


# --- schematic shapes ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _seats() -> dict[str, tuple[float, float]]:
    """Packaged unit points (county centres, the two known township seats) by 12-digit code."""
    seats = {}
    for path in SEAT_FILES:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if (row.get("lon") or "").strip() and (row.get("lat") or "").strip():
                    seats[row["code"].strip()] = (float(row["lon"]), float(row["lat"]))
    return seats


def _anchor(table: RegionTable, parent: Region) -> tuple[float, float]:
    """Where a schematic without outline is drawn: the parent's point or its nearest known ancestor's."""
    for region in reversed(table.path(parent.code)):
        if region.code in _seats():
            return _seats()[region.code]
        outline = _parent_outline(region.code)
        if outline is not None:
            point = outline.representative_point()
            return point.x, point.y
    return 0.0, 0.0


def _lon_factor(lat: float) -> float:
    """Longitude shrinks by cos(latitude): layouts are computed on a plane that is locally isotropic."""
    return math.cos(math.radians(lat))


def _to_plane(geom: BaseGeometry, factor: float) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: xy * np.array([factor, 1.0]))


def _from_plane(geom: BaseGeometry, factor: float) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: xy / np.array([factor, 1.0]))


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygon parts of an overlay result (a cut can leave stray lines and points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _schematic_shapes(
    units: list[Region], outline: BaseGeometry | None, anchor: tuple[float, float]
) -> dict[str, BaseGeometry]:
    """One schematic polygon per unit: Voronoi cells, pieces of the outline, or a grid."""
    if not units:
        return {}
    codes = [u.code for u in units]
    if outline is None:
        return _grid(codes, anchor)
    factor = _lon_factor(outline.centroid.y)
    plane = _to_plane(outline, factor)
    seats = _seats()
    points = [seats.get(c) for c in codes]
    cells = None
    if all(p is not None for p in points) and len(set(points)) == len(points):
        plane_points = [Point(p[0] * factor, p[1]) for p in points]
        if all(plane.contains(p) for p in plane_points):
            cells = _voronoi(plane, plane_points)
    if cells is None:
        cells = _bisect(plane, len(codes))
    cells = _merge_fragments(cells)
    return {c: _from_plane(cell, factor) for c, cell in zip(codes, cells, strict=True)}


def _merge_fragments(pieces: list[BaseGeometry]) -> list[BaseGeometry]:
    """Each piece reduced to its largest part; a stray part goes to the neighbour it shares most border with.

    A cut through a concave outline leaves some pieces in several parts (a sliver behind a bay), and a
    label would land in whichever part; one polygon per unit reads as one unit. A part touching no other
    piece stays where it is.
    """
    pieces = list(pieces)
    for index in range(len(pieces)):
        parts = sorted(shapely.get_parts(pieces[index]), key=lambda part: -part.area)
        if len(parts) < 2:
            continue
        kept = [parts[0]]
        for part in parts[1:]:
            borders = [
                (part.boundary.intersection(other.boundary).length, other_index)
                for other_index, other in enumerate(pieces)
                if other_index != index
            ]
            length, neighbour = max(borders, default=(0.0, -1))
            if length > 0:
                pieces[neighbour] = _polygonal(shapely.union_all([pieces[neighbour], part]))
            else:
                kept.append(part)
        pieces[index] = _polygonal(shapely.union_all(kept))
    return pieces


def _voronoi(plane: BaseGeometry, points: list[Point]) -> list[BaseGeometry] | None:
    """Each point's Voronoi cell clipped to the outline, in the points' order; None if one is empty."""
    if len(points) == 1:
        return [plane]
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=plane.envelope.buffer(1.0))
    ordered = []
    for point in points:
        # voronoi_polygons does not keep the input order: each cell is found by the point inside it.
        cell = next(c for c in cells.geoms if c.covers(point))
        piece = _polygonal(cell.intersection(plane))
        if piece.is_empty:
            return None
        ordered.append(piece)
    return ordered


def _bisect(plane: BaseGeometry, count: int) -> list[BaseGeometry]:
    """The outline cut into ``count`` pieces of equal area by straight cuts (a treemap of the outline).

    Each cut is north-south or east-west, whichever leaves the more compact halves; the first pieces are
    the west or north ones, so units in code order read like text.
    """
    if count == 1:
        return [plane]
    first = count // 2
    cuts = [_cut(plane, first / count, vertical) for vertical in (True, False)]
    a, b = min(cuts, key=lambda halves: sum(_ragged(h) for h in halves))
    return _bisect(a, first) + _bisect(b, count - first)


def _ragged(geom: BaseGeometry) -> float:
    """How far a piece is from compact: perimeter squared over area (a square is 16), parts penalised."""
    if geom.is_empty or geom.area <= 0:
        return math.inf
    return geom.length**2 / geom.area * len(shapely.get_parts(geom))


def _cut(plane: BaseGeometry, share: float, vertical: bool) -> tuple[BaseGeometry, BaseGeometry]:
    """The outline cut by one straight line so that the west (or north) part has ``share`` of the area."""
    target = plane.area * share
    min_x, min_y, max_x, max_y = plane.bounds
    low, high = (min_x, max_x) if vertical else (min_y, max_y)

    def halves(at: float) -> tuple[BaseGeometry, BaseGeometry]:
        if vertical:
            a, b = box(min_x - 1, min_y - 1, at, max_y + 1), box(at, min_y - 1, max_x + 1, max_y + 1)
        else:
            a, b = box(min_x - 1, at, max_x + 1, max_y + 1), box(min_x - 1, min_y - 1, max_x + 1, at)
        return plane.intersection(a), plane.intersection(b)

    for _ in range(BISECT_STEPS):
        middle = (low + high) / 2
        # The first half grows with the cut's coordinate when it is the west half, shrinks when north.
        if (halves(middle)[0].area < target) == vertical:
            low = middle
        else:
            high = middle
    a, b = halves((low + high) / 2)
    return _polygonal(a), _polygonal(b)


def _tile(x: float, y: float, side: float, factor: float) -> BaseGeometry:
    """A square tile (in the plane) with its top-left corner at (x, y) in lon/lat, gap included."""
    gap = side * TILE_GAP
    lon_side = side / factor
    lon_gap = gap / factor
    return box(x + lon_gap, y - side + gap, x + lon_side - lon_gap, y - gap)


def _grid(codes: list[str], anchor: tuple[float, float]) -> dict[str, BaseGeometry]:
    """A compact grid of tiles centred on ``anchor``, in code order row by row."""
    columns = math.ceil(math.sqrt(len(codes)))
    rows = math.ceil(len(codes) / columns)
    factor = _lon_factor(anchor[1])
    left = anchor[0] - columns * GRID_TILE / factor / 2
    top = anchor[1] + rows * GRID_TILE / 2
    return {
        code: _tile(
            left + (i % columns) * GRID_TILE / factor, top - (i // columns) * GRID_TILE, GRID_TILE, factor
        )
        for i, code in enumerate(codes)
    }


def _inset_tiles(
    codes: list[str], shapes: Mapping[str, BaseGeometry], anchor: tuple[float, float]
) -> dict[str, BaseGeometry]:
    """Tiles in a row under the map's other shapes (a grid when there are none)."""
    if not shapes:
        return _grid(codes, anchor)
    min_x, min_y, max_x, max_y = shapely.total_bounds(list(shapes.values()))
    factor = _lon_factor((min_y + max_y) / 2)
    side = INSET_TILE * max((max_x - min_x) * factor, max_y - min_y)
    top = min_y - side * TILE_GAP
    return {code: _tile(min_x + i * side / factor, top, side, factor) for i, code in enumerate(codes)}
