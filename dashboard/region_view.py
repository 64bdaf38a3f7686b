"""Region levels in the views: the level a view aggregates at, its breadcrumb path and its drill-down.

A deployment's root (``Settings.root_region``) is a province, a city or a county; a view's state names
the region drilled into (``ViewState.region``, "" = the root). The view compares the units one level
below it (province -> cities -> counties -> townships), and a click on a unit drills into it: into its
region above the township level, into the township filter at the township level (then home, deputy).
"""

from __future__ import annotations

import pandas as pd

from dashboard import context
from dashboard.components import region_geometry
from dashboard.components.region_geometry import LevelGeometry
from dashboard.filters import ViewState, to_search
from warehouse import query
from warehouse.errors import UserError
from warehouse.i18n import t
from warehouse.query import Filters
from warehouse.regions import (
    LEVEL_DIGITS,
    RegionTable,
    child_level,
    full_code,
    level_of,
    prefix_of,
    region_table,
    unit_kind,
)


def root_prefix() -> str:
    """The significant digits of the deployment's root."""
    return prefix_of(context.settings().root_region)


def view_parent(region: str) -> str:
    """The unit a view with ``region`` shows (its significant digits): the region, else the root."""
    return region or root_prefix()


def unit_level(filters: Filters) -> str:
    """The level of the units a view compares: one below its region; townships once a township is chosen."""
    if filters.townships:
        return "township"
    return child_level(level_of(view_parent(filters.region)))


def level_geometry(parent: str) -> LevelGeometry | None:
    """The map geometry of the units below ``parent`` with the deployment's region table and township
    polygons; None when there is none (the view then shows its units as bars and a table)."""
    settings = context.settings()
    try:
        return region_geometry.level_geometry(
            parent,
            region_table_path=settings.region_table,
            townships_geojson=settings.townships_geojson_path,
        )
    except UserError:
        return None


def regions() -> RegionTable | None:
    """The deployment's region table, None when it cannot be read (names then fall back to codes)."""
    try:
        return region_table(context.settings().region_table)
    except UserError:
        return None


def region_name(code: str, table: RegionTable | None = None) -> str:
    table = table if table is not None else regions()
    if table is not None and code in table:
        return table.get(code).name
    return code


def whole_words(lang: str | None) -> dict[str, str]:
    """The placeholders of the deployment's "whole" wording: its name and what the whole of it is called
    (石拐区 → 全区, 包头市 → 全市, 锡林郭勒盟 → 全盟), for the breadcrumb, the reset button, the back
    links and the township filter's "all"."""
    name = context.settings().district_name
    return {"district": name, "whole": t(f"region_view.whole.{unit_kind(name)}", lang)}


def county_names(townships: pd.DataFrame) -> dict[str, str] | None:
    """County code → name for the townships' counties when the root lies above a county (a city's or a
    province's lists name each township's district); None at a county root."""
    root = context.settings().root_region
    if townships is None or townships.empty or not root or level_of(root) == "county":
        return None
    table = regions()
    counties = {str(code)[:6] for code in townships["township_code"]}
    return {code: region_name(code, table) for code in counties}


def with_district_names(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (with ``township_code``, ``township_name``) with each township named after its district
    ("东河区 · 河东镇") above a county root, where township names repeat across districts; unchanged at a
    county root."""
    if rows is None or rows.empty or "township_code" not in rows or "township_name" not in rows:
        return rows
    counties = county_names(rows.dropna(subset=["township_code"]))
    if not counties:
        return rows
    out = rows.copy()
    codes = out["township_code"].astype("string")
    labelled = codes.notna() & out["township_name"].notna()
    out.loc[labelled, "township_name"] = [
        f"{counties.get(code[:6], code[:6])} · {name}"
        for code, name in zip(codes[labelled], out.loc[labelled, "township_name"], strict=True)
    ]
    return out


def unit_rows(con, filters: Filters) -> pd.DataFrame:
    """The units the view compares at :func:`unit_level`: ``query.township_summary`` at the township
    level (as a county's view always showed), else ``query.unit_summary``."""
    level = unit_level(filters)
    if level == "township":
        return query.township_summary(con, filters)
    return query.unit_summary(con, filters, level, regions())


def drill(state: ViewState, code: str | None) -> ViewState:
    """``state`` after a click on unit ``code``: a township becomes the township filter, a province, city
    or county the region (its townships filter cleared); anything else changes nothing."""
    try:
        level = level_of(code or "")
    except UserError:
        return state
    if level == "township":
        return state.with_(townships=(full_code(code),))
    return state.with_(region=prefix_of(code), townships=())


def path_items(
    state: ViewState, township_names: dict[str, str], lang: str | None
) -> list[tuple[str, str | None]]:
    """The breadcrumb: the root, each level down to the region, then the chosen townships; every crumb
    but the last links to its own view (the other filters kept)."""
    root = root_prefix()
    table = regions()
    items: list[tuple[str, str]] = [(t("leadership.crumb_district", lang, **whole_words(lang)), "")]
    if state.region:
        for level in ("province", "city", "county"):
            digits = LEVEL_DIGITS[level]
            if len(root) < digits <= len(state.region):
                code = state.region[:digits]
                items.append((region_name(code, table), code))
    crumbs: list[tuple[str, str | None]] = [
        (label, "/" + to_search(state.with_(region=code, townships=()))) for label, code in items
    ]
    if state.townships:
        crumbs.append(("、".join(township_names.get(c, c) for c in state.townships), None))
    else:
        crumbs[-1] = (crumbs[-1][0], None)
    return crumbs


def unit_summary_from_homes(homes: pd.DataFrame, level: str, table: RegionTable | None) -> pd.DataFrame:
    """``township_code, township_name, activities`` per unit of ``level`` from ``home_map`` rows: what the
    map of a level above the township shades (its features are keyed by the units' 12-digit codes)."""
    columns = ["township_code", "township_name", "activities"]
    if homes.empty or "township_code" not in homes.columns:
        return pd.DataFrame(columns=columns)
    rows = homes[homes["is_home"].fillna(False).astype(bool)] if "is_home" in homes.columns else homes
    codes = rows["township_code"].astype(str).str[: LEVEL_DIGITS[level]].str.ljust(12, "0")
    totals = rows.groupby(codes)["activities"].sum()
    return pd.DataFrame(
        {
            "township_code": totals.index.astype(str),
            "township_name": [region_name(code, table) for code in totals.index],
            "activities": totals.astype(int).to_numpy(),
        },
        columns=columns,
    )
