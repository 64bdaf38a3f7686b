"""The leadership view's clickable district map, built on the shared :mod:`dashboard.components.map`.

The shared builder draws township polygons first (one trace per feature, in file order), so a click on
a polygon's fill (``hoveron="fills"``) identifies its township by ``curveNumber``; the label markers
carry the code in ``customdata``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from dashboard.components import map as district_map
from dashboard.components.lead_figures import FONT, pick
from warehouse.i18n import t

MAP_HEIGHT = 420


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> dict | None:
    return district_map.load_geojson(path)


def load_geojson_cached(path: Path | None) -> dict | None:
    """Read a GeoJSON file once per modification time (``None`` when missing)."""
    if path is None or not Path(path).is_file():
        return None
    return _load(str(path), Path(path).stat().st_mtime)


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
) -> go.Figure:
    """Townships shaded by activities at homes, homes as markers; clickable townships.

    Args:
        district: the district outline GeoJSON.
        townships: township polygons keyed by 12-digit code.
        homes: ``home_map`` rows (lon, lat, home_name, home_level, activities).
        summary: ``township_summary`` rows (township_code, township_name, activities).
        lang: display language.
        selected: township codes currently filtered (the first one is outlined).
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
    fig = district_map.map_figure(
        district,
        townships,
        home_rows,
        values,
        township_labels=labels or None,
        highlight=selected[0] if len(selected) == 1 else None,
        height=MAP_HEIGHT,
        note=t("leadership.map_note", lang),
        legend_names=(t("leadership.map_homes", lang), t("leadership.map_stations", lang)),
        theme=district_map.LIGHT,
        label_size=12,
        static=False,
    )
    codes = township_codes(townships)
    names = {c: labels.get(c, c or "").split("\n")[0] for c in codes if c}
    for index, code in enumerate(codes):
        if code is None:
            continue
        fig.data[index].update(
            hoveron="fills",
            hoverinfo="text",
            text=names.get(code, code),
            name=names.get(code, code),
        )
    _tag_points_with_codes(fig, townships, home_rows)
    fig.update_layout(
        font={"family": FONT, "size": 12},
        legend={"font": {"size": 12}},
        annotations=[{**a.to_plotly_json(), "font": {"size": 11}} for a in fig.layout.annotations],
        clickmode="event",
    )
    return fig


def _tag_points_with_codes(fig: go.Figure, townships: Mapping | None, homes: list[dict]) -> None:
    """Give the label and home-marker points their township code (``customdata``) and make them clickable.

    With ``hovermode="closest"`` a click near a label or a home lands on that point rather than on the
    polygon's fill, so those points must say which township they belong to.
    """
    features = (townships or {}).get("features", [])
    label_codes = [
        district_map.feature_code(f)
        for f in features
        if district_map.label_point(f.get("geometry") or {}) is not None
    ]
    located = [h for h in homes if h.get("lon") is not None and h.get("lat") is not None]
    groups = [
        [str(h.get("township_code") or "") for h in located if district_map._is_home(h) == is_home]
        for is_home in (True, False)
    ]
    groups = [g for g in groups if g]
    for trace in fig.data:
        if trace.mode == "text" and len(trace.x or ()) == len(label_codes):
            trace.update(customdata=label_codes, hoverinfo="none")
        elif trace.mode == "markers" and groups:
            trace.update(customdata=groups.pop(0))
