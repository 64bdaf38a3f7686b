"""The region-level maps through kaleido (the system Chromium): the province and Baotou as PNG.

The PNGs are written to ``test-artifacts/region_maps/`` for a person to look at (labels readable, the
schematic note visible); the test checks they are real, non-blank images of the wall's map size.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import plotly.io as pio
import pytest

from dashboard.components.map import DARK, LIGHT, map_figure
from dashboard.components.region_geometry import level_geometry, schematic_note

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "region_maps"
WIDTH, HEIGHT = 1100, 896  # the wall's large map panel


def png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decoded rows): a blank image has very few."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, offset = b"", 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.mark.parametrize(
    ("code", "theme", "name"),
    [("15", DARK, "province-15"), ("1502", DARK, "city-1502"), ("150202", LIGHT, "county-150202-schematic")],
)
def test_level_map_renders_as_png(code, theme, name):
    level = level_geometry(code)
    features = level.units["features"]
    values = {f["properties"]["code"]: i + 1 for i, f in enumerate(features)}
    figure = map_figure(
        level.outline,
        level.units,
        [],
        values,
        width=WIDTH,
        height=HEIGHT,
        note=schematic_note(level, "zh"),
        theme=theme,
        label_size=20,
    )
    if theme is DARK:
        figure.update_layout(paper_bgcolor="#06122b")  # the wall's page colour behind the panel
    data = pio.to_image(figure, format="png", width=WIDTH, height=HEIGHT)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(data)
    width, height, colours = png_size_and_colours(data)
    assert (width, height) == (WIDTH, HEIGHT)
    assert colours > 64, "the image is (nearly) blank"
