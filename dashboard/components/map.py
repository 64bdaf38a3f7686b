"""The district map: township polygons shaded by a measure, deputy homes as markers, an optional highlight.

Why plain cartesian traces and not ``go.Choropleth`` or MapLibre (see STACK_NOTES.md): the wall and the
leadership view run on intranets with no internet at all. ``geo`` traces fetch a world topojson even for
custom GeoJSON (it can be served locally, but one missing file blanks the map), and MapLibre traces fetch
glyphs for every text label unless the style is hand-built. A filled ``go.Scatter`` polygon per township
with ``scaleanchor`` and a cos(latitude) aspect correction needs nothing but plotly.js itself: labels use the
machine's own fonts, nothing is requested, and the figure renders the same in kaleido for downloads. At a
district's scale (~30 km) the equirectangular projection with a cos(lat) correction is visually exact.

Every function here is pure: GeoJSON dicts and records in, figure (or plain data) out. Reading the files
is the caller's job (:func:`load_geojson` is a helper for that).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from dashboard.components.figure_text import MARKUP_SAFE, escape_markup
from dashboard.components.text_fit import ELLIPSIS, elide, fit_label, text_width
from dashboard.view_cache import IdentityCache
from warehouse.levels import HOME_TIERS

HIGHLIGHT_UID = "highlight"
# Levels counted as homes (docs/DATA_CONTRACT.md); anything else (stations, liaison points) is drawn as a station.


@dataclass(frozen=True)
class MapTheme:
    """Colours and type of one map look; ``DARK`` for the wall, ``LIGHT`` for office screens."""

    font_family: str = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"
    font_color: str = "#d8e8ff"
    label_color: str = "#ffffff"
    outline_color: str = "#5fd4ff"
    township_line: str = "#0b1a33"
    empty_fill: str = "#1a2b4a"
    colorscale: tuple[tuple[float, str], ...] = ((0.0, "#12305a"), (0.5, "#1b5a98"), (1.0, "#2a8fd0"))
    home_color: str = "#ffc34d"
    station_color: str = "#b58cff"
    marker_line: str = "#0b1a33"
    highlight_color: str = "#ffe066"
    highlight_fill: str = "rgba(255,224,102,0.28)"
    note_color: str = "#8aa4c8"
    callout_fill: str = "rgba(4,14,34,0.75)"
    label_shadow: str = "0px 0px 4px #000, 1px 1px 2px #000"


DARK = MapTheme()
LIGHT = MapTheme(
    font_color="#1b2a41",
    label_color="#0b1a33",
    outline_color="#1f6fb2",
    township_line="#ffffff",
    empty_fill="#e8eef7",
    colorscale=((0.0, "#dbe9f8"), (0.5, "#8fbbe6"), (1.0, "#2f7fc9")),
    home_color="#e8590c",
    station_color="#7048e8",
    marker_line="#ffffff",
    highlight_color="#d6336c",
    highlight_fill="rgba(214,51,108,0.18)",
    note_color="#5c6f8a",
    callout_fill="rgba(255,255,255,0.85)",
    label_shadow="0px 0px 3px #fff",
)


def load_geojson(path: Path | str | None) -> dict | None:
    """Read a GeoJSON file; ``None`` when there is no path or no file (the map then skips that layer).

    Parsed once per (path, modification time) per process: the shapes do not change between requests.
    Callers must not mutate the result.
    """
    if path is None or not Path(path).is_file():
        return None
    return _load_geojson(str(path), Path(path).stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_geojson(path: str, mtime_ns: int) -> dict:
    with Path(path).open(encoding="utf-8") as fh:
        return json.load(fh)


def feature_code(feature: Mapping) -> str | None:
    """The township code of a feature: ``properties.township_code``, ``properties.code`` or ``id``."""
    props = feature.get("properties") or {}
    code = props.get("township_code") or props.get("code") or feature.get("id")
    return None if code is None else str(code)


def feature_name(feature: Mapping) -> str | None:
    props = feature.get("properties") or {}
    return props.get("township_name") or props.get("name")


def exterior_rings(geometry: Mapping) -> list[list[tuple[float, float]]]:
    """The exterior ring of every polygon of a Polygon or MultiPolygon geometry (holes are not drawn)."""
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    return [[(float(p[0]), float(p[1])) for p in polygon[0]] for polygon in polygons if polygon]


def rings_to_xy(rings: Sequence[Sequence[tuple[float, float]]]) -> tuple[list, list]:
    """Flatten rings into one x list and one y list, parts separated by ``None`` (plotly's gap marker)."""
    xs: list = []
    ys: list = []
    for ring in rings:
        if xs:
            xs.append(None)
            ys.append(None)
        xs.extend(p[0] for p in ring)
        ys.extend(p[1] for p in ring)
    return xs, ys


def collection_bounds(*collections: Mapping | None) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) over every feature of the given collections."""
    points = [
        p
        for fc in collections
        if fc
        for feature in fc.get("features", [])
        for ring in exterior_rings(feature.get("geometry") or {})
        for p in ring
    ]
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def aspect_scaleratio(mid_lat: float) -> float:
    """How much longer a degree of latitude is drawn than a degree of longitude at ``mid_lat``."""
    return 1.0 / math.cos(math.radians(mid_lat))


# Shapely geometries of outlines, by the identity of their GeoJSON dict: the outlines are loaded once per
# process and every map render asks their areas, widths and label points again (building the polygons
# of thousands of points was a few ms a render).
_SHAPES = IdentityCache(4096)


def geometry_shape(geometry: Mapping) -> BaseGeometry:
    """``shapely.geometry.shape(geometry)``, built once per GeoJSON dict (raises as ``shape`` does)."""
    return _SHAPES.get(geometry, shape)


def label_point(geometry: Mapping) -> tuple[float, float] | None:
    """A point inside the geometry (not the centroid, which can fall outside a concave township)."""
    try:
        point = geometry_shape(geometry).representative_point()
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    return point.x, point.y


def px_per_degree(
    bounds: tuple[float, float, float, float] | None, width: int | None, height: int | None
) -> float | None:
    """Pixels per degree of longitude on a map of this size (None when the size is plotly's to choose).

    Same geometry as :func:`map_figure`'s layout: 4 px margins, 3 % padding around the bounds, latitude
    stretched by :func:`aspect_scaleratio`; with ``scaleanchor`` the tighter of the two axes decides.
    """
    if not bounds or not width or not height:
        return None
    min_lon, min_lat, max_lon, max_lat = bounds
    lon_span = (max_lon - min_lon) * 1.06
    lat_span = (max_lat - min_lat) * 1.06 * aspect_scaleratio((min_lat + max_lat) / 2)
    if lon_span <= 0 or lat_span <= 0:
        return None
    return min((width - 8) / lon_span, (height - 8) / lat_span)


def pixel_frame(
    bounds: tuple[float, float, float, float] | None, width: int | None, height: int | None
) -> PixelFrame | None:
    """The figure-pixel frame of a map of this size, or None when plotly chooses the size."""
    scale = px_per_degree(bounds, width, height)
    if scale is None or bounds is None:
        return None
    min_lon, min_lat, max_lon, max_lat = bounds
    ratio = aspect_scaleratio((min_lat + max_lat) / 2)
    return PixelFrame(width, height, scale, ratio, ((min_lon + max_lon) / 2, (min_lat + max_lat) / 2))


def feature_width(feature: Mapping) -> float:
    """Width of a feature's bounding box in degrees of longitude (0 when it has no usable geometry)."""
    try:
        min_x, _, max_x, _ = geometry_shape(feature.get("geometry") or {}).bounds
    except (ValueError, TypeError, AttributeError, KeyError):
        return 0.0
    return max_x - min_x


Box = tuple[float, float, float, float]  # left, top, right, bottom in figure pixels


@dataclass(frozen=True)
class PixelFrame:
    """Where data coordinates land in a fixed-size map figure (plotly centres the constrained axis)."""

    width: int
    height: int
    scale: float  # pixels per degree of longitude
    ratio: float  # degrees of latitude are drawn this much longer
    centre: tuple[float, float]

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.width / 2 + (lon - self.centre[0]) * self.scale
        y = self.height / 2 - (lat - self.centre[1]) * self.scale * self.ratio
        return x, y


def _boxes_meet(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def label_box(x: float, y: float, text: str, size: float) -> Box:
    """The pixels a centred plotly text label covers (lines of ``size`` px, about 1.2 em apart)."""
    lines = text.split("\n")
    half_w = max(text_width(line, size) for line in lines) / 2
    half_h = len(lines) * size * 1.2 / 2
    return x - half_w, y - half_h, x + half_w, y + half_h


def place_label(
    x: float, y: float, text: str, size: float, min_size: float, taken: Sequence[Box]
) -> tuple[str, float] | None:
    """The largest form of a label that covers none of ``taken``: shrunk, then its name cut; else None.

    The name is the first line; further lines (the count) are kept whole. None when not even the count
    and one character of the name fit: the township is then named by the focus card, table and bars.
    """
    name, *rest = text.split("\n")
    sizes = [size] + [s for s in range(int(size) - 2, int(min_size) - 1, -2)]
    for current in sizes:
        candidate = "\n".join([name, *rest])
        if not any(_boxes_meet(label_box(x, y, candidate, current), box) for box in taken):
            return candidate, float(current)
    for keep in range(len(name) - 1, 0, -1):
        candidate = "\n".join([name[:keep] + ELLIPSIS, *rest])
        if not any(_boxes_meet(label_box(x, y, candidate, min_size), box) for box in taken):
            return candidate, float(min_size)
    return None


def area_shares(features: Sequence[Mapping]) -> list[float]:
    """Each feature's share of the features' total area (0 for a feature without a usable geometry)."""
    areas = []
    for feature in features:
        try:
            areas.append(geometry_shape(feature.get("geometry") or {}).area)
        except (ValueError, TypeError, AttributeError, KeyError):
            areas.append(0.0)
    total = sum(areas)
    return [a / total if total else 0.0 for a in areas]


def township_outlines(townships: Mapping | None) -> dict[str, dict[str, list]]:
    """``{code: {"x": [...], "y": [...]}}``: each township's outline, for a client-side highlight."""
    outlines: dict[str, dict[str, list]] = {}
    for feature in (townships or {}).get("features", []):
        code = feature_code(feature)
        if code is None:
            continue
        xs, ys = rings_to_xy(exterior_rings(feature.get("geometry") or {}))
        outlines[code] = {"x": xs, "y": ys}
    return outlines


def shade_colors(
    values: Mapping[str, float | None], colorscale: Sequence[tuple[float, str]], empty: str
) -> dict[str, str]:
    """A fill colour per code, scaled between 0 and the largest value; missing or null values get ``empty``."""
    present = [v for v in values.values() if v is not None]
    top = max(present, default=0) or 1
    scale = [list(stop) for stop in colorscale]
    colors = {}
    for code, value in values.items():
        if value is None:
            colors[code] = empty
        else:
            colors[code] = sample_colorscale(scale, [max(0.0, min(1.0, float(value) / top))])[0]
    return colors


def marker_sizes(counts: Sequence[float | None], smallest: float = 8.0, largest: float = 34.0) -> list[float]:
    """Marker diameters whose *area* is proportional to the count (a home with no activity stays visible)."""
    top = max((c or 0 for c in counts), default=0)
    if top <= 0:
        return [smallest for _ in counts]
    return [round(smallest + (largest - smallest) * math.sqrt(max(c or 0, 0) / top), 1) for c in counts]


def highlight_trace(outline: Mapping[str, list] | None, theme: MapTheme = DARK) -> dict:
    """The focus outline, always the figure's last trace (empty when nothing is highlighted)."""
    outline = outline or {"x": [], "y": []}
    return _scatter(
        x=outline["x"],
        y=outline["y"],
        mode="lines",
        fill="toself",
        fillcolor=theme.highlight_fill,
        line={"color": theme.highlight_color, "width": 5},
        hoverinfo="skip",
        showlegend=False,
        uid=HIGHLIGHT_UID,
        name=HIGHLIGHT_UID,
    )


def _scatter(**props) -> dict:
    """A scatter trace as a plain dict (every value here is known-good: plotly's per-element validation
    and copies of thousands of coordinates cost about a second per map)."""
    return {"type": "scatter", **props}


def map_parts(
    district: Mapping | None,
    townships: Mapping | None,
    homes: Sequence[Mapping],
    township_values: Mapping[str, float | None] | None = None,
    *,
    township_labels: Mapping[str, str] | None = None,
    highlight: str | None = None,
    width: int | None = None,
    height: int | None = None,
    note: str | None = None,
    legend_names: tuple[str, str] | None = None,
    theme: MapTheme = DARK,
    label_size: int = 20,
    label_min_share: float = 0.0,
    callouts: bool = False,
    static: bool = True,
    reserved: Sequence[Box] = (),
) -> tuple[list[dict], dict]:
    """The district map as plain dicts: its traces and its layout (see :func:`map_figure`).

    Args:
        district: GeoJSON FeatureCollection of the district outline (drawn as a glowing border).
        townships: GeoJSON FeatureCollection of township polygons keyed by 12-digit code (may be None).
        homes: records with ``lon``, ``lat``, ``home_name``, ``home_level`` and ``activities``; rows
            without coordinates are skipped.
        township_values: the measure shading each township (``{code: value}``).
        township_labels: text drawn inside each township (``{code: "大发街道\\n12"}``); default: its name.
        highlight: code of the township outlined in the highlight colour.
        width, height: pixel size (fixed on the wall's design canvas; None lets plotly autosize).
        note: small text in the bottom-right corner (e.g. "示意分区，非法定界线").
        legend_names: (homes, stations) legend labels; None hides the legend.
        theme: colours and font.
        label_size: township label font size in px.
        label_min_share: townships smaller than this share of the total area get no label inside their
            polygon (their labels would collide on a small map).
        callouts: label those small townships from a column in the map's lower-right corner instead, each
            with a leader line to its polygon.
        static: no hover (the wall); False adds hover text on homes (the leadership view).
        reserved: figure-pixel boxes township labels keep off (what the page lays over the map: the
            wall's focus card); only honoured with a fixed ``width`` and ``height``.
    """
    township_values = township_values or {}
    traces: list[dict] = []
    features = (townships or {}).get("features", [])
    codes = [feature_code(f) for f in features]
    fills = shade_colors({c: township_values.get(c) for c in codes if c}, theme.colorscale, theme.empty_fill)

    for feature, code in zip(features, codes, strict=True):
        xs, ys = rings_to_xy(exterior_rings(feature.get("geometry") or {}))
        traces.append(
            _scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=fills.get(code, theme.empty_fill),
                line={"color": theme.township_line, "width": 1.5},
                hoverinfo="skip",
                showlegend=False,
                name=code or "",
            )
        )

    for feature in (district or {}).get("features", []):
        xs, ys = rings_to_xy(exterior_rings(feature.get("geometry") or {}))
        fill = "none" if features else "toself"
        for glow_width, opacity in ((9, 0.18), (3, 1.0)):
            traces.append(
                _scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    fill=fill,
                    fillcolor=theme.empty_fill,
                    line={"color": theme.outline_color, "width": glow_width},
                    opacity=opacity,
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
            fill = "none"

    located = [h for h in homes if h.get("lon") is not None and h.get("lat") is not None]
    sizes = marker_sizes([h.get("activities") for h in located])
    for is_home_group, color, legend_index in ((True, theme.home_color, 0), (False, theme.station_color, 1)):
        group = [(h, s) for h, s in zip(located, sizes, strict=True) if _is_home(h) == is_home_group]
        if not group:
            continue
        traces.append(
            _scatter(
                x=[round(float(h["lon"]), 5) for h, _ in group],
                y=[round(float(h["lat"]), 5) for h, _ in group],
                mode="markers",
                marker={
                    "size": [s for _, s in group],
                    "color": color,
                    "opacity": 0.9,
                    "line": {"color": theme.marker_line, "width": 1.5},
                },
                # Hover text only where there is hover (the wall is static: thousands of unused strings).
                text=None
                if static
                else [f"{h.get('home_name', '')} · {h.get('activities') or 0}" for h, _ in group],
                hoverinfo="skip" if static else "text",
                name=legend_names[legend_index] if legend_names else "",
                showlegend=legend_names is not None,
            )
        )

    outlines = township_outlines(townships)
    traces.append(highlight_trace(outlines.get(highlight) if highlight else None, theme))

    bounds = collection_bounds(district, townships)
    layout: dict = {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 4, "r": 4, "t": 4, "b": 4},
        "font": {"family": theme.font_family, "color": theme.font_color, "size": 16},
        "showlegend": legend_names is not None,
        "legend": {
            "x": 0.01,
            "y": 0.01,
            "xanchor": "left",
            "yanchor": "bottom",
            "bgcolor": "rgba(0,0,0,0)",
            "font": {"size": 18},
        },
        "xaxis": {"visible": False, "fixedrange": True},
        "yaxis": {"visible": False, "fixedrange": True},
        "dragmode": False,
        "hovermode": False if static else "closest",
    }
    if width:
        layout["width"] = width
    if height:
        layout["height"] = height
    if bounds:
        min_lon, min_lat, max_lon, max_lat = bounds
        pad_x = (max_lon - min_lon) * 0.03
        pad_y = (max_lat - min_lat) * 0.03
        layout["xaxis"]["range"] = [min_lon - pad_x, max_lon + pad_x]
        layout["yaxis"]["range"] = [min_lat - pad_y, max_lat + pad_y]
        layout["yaxis"]["scaleanchor"] = "x"
        layout["yaxis"]["scaleratio"] = aspect_scaleratio((min_lat + max_lat) / 2)

    labels: list[tuple[float, tuple[float, float], str, Mapping]] = []
    small: list[tuple[tuple[float, float], str]] = []
    shares = area_shares(features)
    for feature, code, share in zip(features, codes, shares, strict=True):
        point = label_point(feature.get("geometry") or {})
        if point is None:
            continue
        text = (township_labels or {}).get(code) if code else None
        text = text if text is not None else feature_name(feature) or code or ""
        if share < label_min_share:
            small.append((point, text))
        else:
            labels.append((share, point, text, feature))

    annotations = []
    if callouts and small and bounds:
        annotations += callout_annotations(
            small,
            layout["xaxis"]["range"],
            layout["yaxis"]["range"],
            height,
            theme,
            label_size,
            max_width=width * 0.4 if width else None,
        )
    if note:
        annotations += [
            {
                "text": note,
                "xref": "paper",
                "yref": "paper",
                "x": 0.99,
                "y": 0.01,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 16, "color": theme.note_color},
            }
        ]
    layout["annotations"] = annotations

    # Labels last: names stay readable over markers and the focus outline.
    frame = pixel_frame(bounds, width, height)
    taken = list(reserved) + _drawn_boxes(frame, annotations, note, legend_names, label_size) if frame else []
    label_x, label_y, label_text, label_sizes = [], [], [], []
    for _, point, text, feature in sorted(labels, key=lambda item: -item[0]):
        size = float(label_size)
        if frame:
            # A label stays inside its own township and off every text already placed (the biggest
            # townships first): a long name shrinks, then is cut, else left to the focus card and table.
            text, size = fit_label(
                text, feature_width(feature) * frame.scale * 0.9, label_size, label_size * 0.6
            )
            x, y = frame.point(*point)
            placed = place_label(x, y, text, size, label_size * 0.6, taken)
            if placed is None:
                continue
            text, size = placed
            taken.append(label_box(x, y, text, size))
        label_x.append(point[0])
        label_y.append(point[1])
        # Names are escaped here (see figure_text) because the line breaks added after are markup.
        label_text.append(escape_markup(text).replace("\n", "<br>"))
        label_sizes.append(size)
    if label_text:
        traces.append(
            _scatter(
                x=label_x,
                y=label_y,
                mode="text",
                meta=MARKUP_SAFE,
                text=label_text,
                textfont={
                    "size": label_sizes,
                    "color": theme.label_color,
                    "family": theme.font_family,
                    "shadow": theme.label_shadow,
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return traces, layout


def map_figure(*args, **kwargs) -> go.Figure:
    """The district map (arguments of :func:`map_parts`) as one unvalidated figure: built once from the
    whole layout, since ``update_layout`` afterwards walks plotly's property machinery for every key."""
    traces, layout = map_parts(*args, **kwargs)
    return go.Figure(data=traces, layout=layout, _validate=False)


def _drawn_boxes(
    frame: PixelFrame,
    annotations: Sequence[Mapping],
    note: str | None,
    legend_names: tuple[str, str] | None,
    size: int,
) -> list[Box]:
    """Pixels already covered by text: the callouts (right-aligned at their text end), note and legend."""
    boxes: list[Box] = []
    for item in annotations:
        if item.get("showarrow"):
            right, middle = frame.point(item["ax"], item["ay"])
            half = size * 0.75
            boxes.append(
                (right - text_width(item["text"], size) - 6, middle - half, right + 2, middle + half)
            )
    if note:
        boxes.append((frame.width - text_width(note, 16) - 16, frame.height - 30, frame.width, frame.height))
    if legend_names:
        wide = max(text_width(name, 18) for name in legend_names) + 48
        boxes.append((0, frame.height - 70, wide, frame.height))
    return boxes


def callout_annotations(
    small: Sequence[tuple[tuple[float, float], str]],
    x_range: Sequence[float],
    y_range: Sequence[float],
    height: int | None,
    theme: MapTheme,
    size: int,
    max_width: float | None = None,
) -> list[dict]:
    """Labels stacked in the lower-right corner, each with a leader line to its township.

    ``max_width`` (px): longer names are cut to it rather than drawn across the map.

    The highest township gets the highest slot so that the lines do not cross more than they must.
    """
    span = y_range[1] - y_range[0]
    step = span * (size * 1.9 / height if height else 0.06)
    ordered = sorted(small, key=lambda item: -item[0][1])
    top = y_range[0] + span * 0.08 + step * (len(ordered) - 1)
    x_text = x_range[1] - (x_range[1] - x_range[0]) * 0.01
    return [
        {
            "x": point[0],
            "y": point[1],
            "ax": x_text,
            "ay": top - index * step,
            "axref": "x",
            "ayref": "y",
            "xref": "x",
            "yref": "y",
            "text": elide(text.replace("\n", " "), max_width, size) if max_width else text.replace("\n", " "),
            "xanchor": "right",
            "showarrow": True,
            "arrowhead": 0,
            "arrowwidth": 1.5,
            "arrowcolor": theme.note_color,
            "standoff": 2,
            "font": {"size": size, "color": theme.label_color, "family": theme.font_family},
            "bgcolor": theme.callout_fill,
        }
        for index, (point, text) in enumerate(ordered)
    ]


def _is_home(home: Mapping) -> bool:
    if "is_home" in home and home["is_home"] is not None:
        return bool(home["is_home"])
    return home.get("home_level") in HOME_TIERS
