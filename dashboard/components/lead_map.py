"""The leadership view's clickable district map, built on the shared :mod:`dashboard.components.map`.

The shared builder draws township polygons first (one trace per feature, in file order), so a click on
a polygon's fill (``hoveron="fills"``) identifies its township by ``curveNumber``; the label markers
carry the code in ``customdata``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from dashboard.components import map as district_map
from dashboard.components.figure_text import MARKUP_SAFE, escape_markup
from dashboard.components.lead_figures import FONT, pick
from dashboard.components.text_fit import text_width
from dashboard.components.wall_charts import merged
from warehouse.i18n import t

MAP_HEIGHT = 420
# lead_map_figure's default note: the catalogued one of the schematic township partition.
CATALOG_NOTE = object()
# The figure autosizes its width; labels are placed for this width, about the map panel's at 1440x900.
# Wider panels draw the same scale (the fixed height decides it), so the placement holds there too.
LABEL_WIDTH = 640
LABEL_SIZE = 12
CALLOUT_SIZE = 11
# Townships under this share of the district's area (the dense urban south) are labelled as the wall
# labels them: from a column in the map's corner with a leader line, not inside polygons too small to
# hold their names without overlapping.
SMALL_TOWNSHIP_SHARE = 0.1


def township_codes(townships: Mapping | None) -> list[str | None]:
    """Codes of the township features in drawing order (= the first traces' curve numbers)."""
    return [district_map.feature_code(f) for f in (townships or {}).get("features", [])]


def map_click_code(click: Mapping | None, codes: Sequence[str | None]) -> str | None:
    """The township code a map click points at, or ``None`` (a click on a home marker, or nothing)."""
    if not click or not click.get("points"):
        return None
    point = click["points"][0]
    custom = point.get("customdata")
    if isinstance(custom, list | tuple):
        custom = custom[0] if custom else None
    if isinstance(custom, str) and custom.isdigit():
        return custom
    curve = point.get("curveNumber")
    if isinstance(curve, int) and 0 <= curve < len(codes):
        return codes[curve]
    return None


def bar_click_code(click: Mapping | None) -> str | None:
    """The township code of a clicked township bar (its ``customdata``)."""
    if not click or not click.get("points"):
        return None
    custom = click["points"][0].get("customdata")
    if isinstance(custom, list | tuple):
        custom = custom[0] if custom else None
    return str(custom) if custom not in (None, "") else None


def township_summary_from_homes(homes: pd.DataFrame) -> pd.DataFrame:
    """``township_code, township_name, activities``: activities at the four home levels per township."""
    if homes.empty or "township_code" not in homes.columns:
        return pd.DataFrame(columns=["township_code", "township_name", "activities"])
    rows = homes[homes["is_home"].fillna(False).astype(bool)] if "is_home" in homes.columns else homes
    count = pick(rows, "activities", "activities_total")
    names = homes.groupby("township_code", sort=True)["township_name"].first()
    totals = rows.groupby("township_code", sort=True)[count].sum()
    return pd.DataFrame(
        {
            "township_code": names.index.astype(str),
            "township_name": names.values,
            "activities": [int(totals.get(c, 0)) for c in names.index],
        }
    )


def lead_map_figure(
    district: Mapping | None,
    townships: Mapping | None,
    homes: pd.DataFrame,
    summary: pd.DataFrame,
    lang: str | None,
    selected: tuple[str, ...] = (),
    note: str | None | object = CATALOG_NOTE,
) -> dict:
    """Townships shaded by activities at homes, homes as markers; clickable townships.

    A plain figure dict (``{"data": [...], "layout": {...}}``): kept and sent as it is, without a
    ``go.Figure`` whose JSON export deep-copies thousands of outline coordinates (most of a map's cost).

    Args:
        district: the district outline GeoJSON.
        townships: township polygons keyed by 12-digit code.
        homes: ``home_map`` rows (lon, lat, home_name, home_level, activities).
        summary: ``township_summary`` rows (township_code, township_name, activities).
        lang: display language.
        selected: township codes currently filtered (the first one is outlined).
        note: the map's note; by default the schematic township partition's, None for none.
    """
    values: dict[str, float | None] = {}
    labels: dict[str, str] = {}
    if not summary.empty:
        code_col = pick(summary, "township_code")
        name_col = pick(summary, "township_name")
        value_col = pick(summary, "activities", "activities_total")
        for code, name, value in zip(
            summary[code_col].astype(str).tolist(),
            summary[name_col].tolist(),
            summary[value_col].tolist(),
            strict=True,
        ):
            missing = value is None or pd.isna(value)
            values[code] = None if missing else float(value)
            labels[code] = f"{name}\n{0 if missing else int(value)}"
    home_rows = [] if homes.empty else homes.to_dict("records")
    traces, layout = district_map.map_parts(
        district,
        townships,
        home_rows,
        values,
        township_labels=labels or None,
        highlight=selected[0] if len(selected) == 1 else None,
        height=MAP_HEIGHT,
        note=t("leadership.map_note", lang) if note is CATALOG_NOTE else note,
        legend_names=(t("leadership.map_homes", lang), t("leadership.map_stations", lang)),
        theme=district_map.LIGHT,
        label_size=LABEL_SIZE,
        label_min_share=SMALL_TOWNSHIP_SHARE,
        callouts=True,
        width=LABEL_WIDTH,
        static=False,
    )
    codes = township_codes(townships)
    # A unit without a summary row (no records in scope) is still named: by its feature's name.
    feature_names = {
        district_map.feature_code(f): (f.get("properties") or {}).get("name")
        for f in (townships or {}).get("features", [])
    }
    names = {c: labels[c].split("\n")[0] if c in labels else feature_names.get(c) or c for c in codes if c}
    for index, code in enumerate(codes):
        if code is None:
            continue
        name = names.get(code, code)
        traces[index].update(hoveron="fills", hoverinfo="text", text=name, name=name)
    _tag_points_with_codes(traces, townships, home_rows)
    annotations = layout.get("annotations", [])
    callouts = [a for a in annotations if a.get("showarrow")]
    traces += _callout_traces(callouts, townships, label_frame(district, townships))
    layout["annotations"] = [
        {**a, "font": {**a.get("font", {}), "size": CALLOUT_SIZE}}
        for a in annotations
        if not a.get("showarrow")
    ]
    layout = merged(
        layout, {"font": {"family": FONT, "size": 12}, "legend": {"font": {"size": 12}}, "clickmode": "event"}
    )
    layout.pop("width", None)  # the figure fills its panel (labels are placed for LABEL_WIDTH)
    return {"data": traces, "layout": layout}


def label_frame(district: Mapping | None, townships: Mapping | None) -> district_map.PixelFrame | None:
    """The pixel frame the map's labels are placed in (see ``LABEL_WIDTH``)."""
    bounds = district_map.collection_bounds(district, townships)
    return district_map.pixel_frame(bounds, LABEL_WIDTH, MAP_HEIGHT)


def _callout_traces(
    callouts: Sequence[Mapping], townships: Mapping | None, frame: district_map.PixelFrame | None
) -> list[dict]:
    """The small townships' callouts as traces: leader lines, and clickable labels carrying their codes.

    The shared map draws callouts as annotations, which a click passes through; the click-to-filter
    callback needs a point carrying the township code under the name, so the name is a text point
    centred where the annotation's text was (a click on it is on the point) and the arrow a line.
    """
    if not callouts or frame is None:
        return []
    codes = _codes_by_label_point(townships)
    line_x: list[float | None] = []
    line_y: list[float | None] = []
    text_x, text_y, texts, custom = [], [], [], []
    for callout in callouts:
        x, y, ax, ay = callout["x"], callout["y"], callout["ax"], callout["ay"]
        half = text_width(callout["text"], CALLOUT_SIZE) / 2 / frame.scale
        centre = ax - half
        edge = centre - half if x < centre else ax
        line_x += [edge, x, None]
        line_y += [ay, y, None]
        text_x.append(centre)
        text_y.append(ay)
        texts.append(escape_markup(callout["text"]))
        custom.append(codes.get((x, y)))
    return [
        {
            "type": "scatter",
            "x": line_x,
            "y": line_y,
            "mode": "lines",
            "line": {"color": district_map.LIGHT.note_color, "width": 1.5},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "x": text_x,
            "y": text_y,
            "mode": "text",
            "meta": MARKUP_SAFE,
            "text": texts,
            "customdata": custom,
            "textfont": {
                "size": CALLOUT_SIZE,
                "color": district_map.LIGHT.label_color,
                "family": district_map.LIGHT.font_family,
                "shadow": district_map.LIGHT.label_shadow,
            },
            "hoverinfo": "none",
            "showlegend": False,
        },
    ]


def _codes_by_label_point(townships: Mapping | None) -> dict[tuple[float, float], str | None]:
    """Township codes keyed by the point their label or callout is anchored at."""
    codes = {}
    for feature in (townships or {}).get("features", []):
        point = district_map.label_point(feature.get("geometry") or {})
        if point is not None:
            codes[point] = district_map.feature_code(feature)
    return codes


def _tag_points_with_codes(traces: list[dict], townships: Mapping | None, homes: list[dict]) -> None:
    """Give the label and home-marker points their township code (``customdata``) and make them clickable.

    With ``hovermode="closest"`` a click near a label or a home lands on that point rather than on the
    polygon's fill, so those points must say which township they belong to.
    """
    codes = _codes_by_label_point(townships)
    located = [h for h in homes if h.get("lon") is not None and h.get("lat") is not None]
    groups = [
        [str(h.get("township_code") or "") for h in located if district_map._is_home(h) == is_home]
        for is_home in (True, False)
    ]
    groups = [g for g in groups if g]
    for trace in traces:
        if trace.get("mode") == "text":
            # Keyed by position: labels that do not fit are left out, so order alone cannot say.
            trace["customdata"] = [codes.get((x, y)) for x, y in zip(trace["x"], trace["y"], strict=True)]
            trace["hoverinfo"] = "none"
        elif trace.get("mode") == "markers" and groups:
            trace["customdata"] = groups.pop(0)
