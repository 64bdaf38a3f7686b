"""The map geometry of one region level: the outline of a unit and the shapes of its child units.

STAND-IN: the real module (county and city outlines of Baotou and Inner Mongolia, a labelled schematic
where no outline exists) is written separately and replaces this file with the same API. This one only
knows the deployment's root county: its outline and the township polygons the leadership map has always
drawn; every other level has no geometry (None), and the views show its units as bars and a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import context
from dashboard.components.map import load_geojson
from warehouse.errors import UserError
from warehouse.regions import level_of, prefix_of


@dataclass(frozen=True)
class LevelGeometry:
    """What a map of ``parent``'s child units draws.

    ``outline``: the parent's outline (FeatureCollection) or None; ``units``: one feature per child unit,
    properties ``code`` (12 digits) and ``name``; ``schematic``: True when the shapes are a labelled
    schematic rather than real outlines.
    """

    outline: dict | None
    units: dict
    schematic: bool


def level_geometry(parent_code: str) -> LevelGeometry | None:
    """The geometry of the units one level below ``parent_code`` (any 2/4/6/9/12-digit spelling), or
    None when there is none (the stand-in: any parent other than the root county)."""
    settings = context.settings()
    try:
        is_root_county = level_of(settings.root_region) == "county" and prefix_of(parent_code) == prefix_of(
            settings.root_region
        )
    except UserError:
        return None
    if not is_root_county:
        return None
    units = load_geojson(settings.townships_geojson_path)
    if units is None:
        return None
    # The demo's township polygons are a schematic partition (etl/geo.py); the map says so in its note.
    return LevelGeometry(outline=load_geojson(settings.district_geojson), units=units, schematic=True)
