"""The leadership view's panels: what each one queries, draws and exports.

A :class:`Panel` ties a query-layer function to a figure builder and a title/口径 in the catalog
(``leadership.panel.<key>.title`` / ``.def``). The page, the download routes and the report ZIP all
iterate this one registry, so a panel's chart on screen, its PNG and its XLSX come from the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import context, region_view
from dashboard.components import lead_figures as figs
from dashboard.components.lead_format import kpi_dict
from dashboard.components.lead_map import MAP_HEIGHT, lead_map_figure, township_summary_from_homes
from dashboard.components.map import load_geojson
from dashboard.components.region_geometry import LevelGeometry, schematic_note
from dashboard.filters import previous_filters, yoy_filters
from dashboard.view_cache import VersionedCache
from warehouse import query, timefmt
from warehouse.i18n import t
from warehouse.query import Filters

log = logging.getLogger(__name__)


def as_frame(result) -> pd.DataFrame:
    """A query result as a DataFrame (DataFrame, Arrow table, list of dicts/dataclasses)."""
    if result is None:
        return pd.DataFrame()
    if isinstance(result, pd.DataFrame):
        return result.reset_index(drop=True)
    if hasattr(result, "to_pandas"):
        return result.to_pandas()
    rows = list(result)
    if rows and hasattr(rows[0], "__dataclass_fields__"):
        from dataclasses import asdict

        rows = [asdict(r) for r in rows]
    return pd.DataFrame(rows)


_FETCHERS: dict[str, Callable] = {}


def _call(name: str) -> Callable:
    """A fetcher calling ``query.<name>(con, filters)``; one object per name, so renders can memoise."""
    if name in _FETCHERS:
        return _FETCHERS[name]

    def fetch(con, filters: Filters) -> pd.DataFrame:
        return as_frame(getattr(query, name)(con, filters))

    fetch.__name__ = f"fetch_{name}"
    _FETCHERS[name] = fetch
    return fetch


def _idle_homes(con, filters: Filters) -> pd.DataFrame:
    """Homes (the four home levels) with no activity in the period: the 'idle homes' list."""
    return idle_homes(as_frame(query.home_map(con, filters)))


TREND_MEASURES = query.PANEL_TREND_MEASURES


def _trend(con, filters: Filters) -> pd.DataFrame:
    """The monthly trend of several measures side by side: ``month, activities, visitors, …``."""
    return as_frame(query.monthly_trends(con, filters, TREND_MEASURES))


def _statuses(con, filters: Filters) -> pd.DataFrame:
    return figs.with_reached(as_frame(query.suggestions_by_status(con, filters)))


def _latest(con, filters: Filters) -> pd.DataFrame:
    return region_view.with_district_names(
        as_frame(query.latest_activities(con, filters, query.LATEST_ACTIVITIES_SHOWN))
    )


def idle_homes(homes: pd.DataFrame) -> pd.DataFrame:
    if homes.empty:
        return homes
    count = figs.pick(homes, "activities", "activities_total")
    rows = homes[homes[count].fillna(0) == 0]
    if "is_home" in rows.columns:
        rows = rows[rows["is_home"].fillna(False).astype(bool)]
    return rows.sort_values(["township_code", "home_id"]).reset_index(drop=True)


TOWNSHIP_MEASURES = ("activities", "visitors", "suggestions", "petition_cases", "mediation_cases", "points")


def all_zero(frame: pd.DataFrame, measures: tuple[str, ...]) -> bool:
    """True when ``frame`` has rows, some of ``measures``, and every such value is zero or missing."""
    present = [c for c in measures if c in frame.columns]
    if frame.empty or not present:
        return False
    # Column by column: the first with a value other than zero answers (usually the first one). On the
    # column's array: pandas' per-call overhead was most of a panel's selection.
    for column in present:
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series.dtype):
            series = pd.to_numeric(series, errors="coerce")
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        if np.any((values != 0) & ~np.isnan(values)):
            return False
    return True


@dataclass(frozen=True)
class Panel:
    """One panel: ``fetch(con, filters)`` rows, ``figure(rows, lang, filters)`` chart (or a table only)."""

    key: str
    fetch: Callable[..., pd.DataFrame]
    figure: Callable[[pd.DataFrame, str | None, Filters], go.Figure] | None = None
    # Bootstrap grid columns the card spans on wide screens (12 = full width).
    width: int = 6
    # The columns shown and exported (in this order); None keeps every column the query returns.
    columns: tuple[str, ...] | None = None
    # Drawn in a graph of its own (the map: ``lead-map``) rather than a pattern-matched panel graph.
    own_graph: bool = False
    # When every one of these columns is zero the panel has nothing to say ("本期暂无数据"): a ranking
    # of zeros sorted by id, or a flat line at zero, would only look like data.
    measures: tuple[str, ...] = ()

    def rows(self, con, filters: Filters) -> pd.DataFrame:
        """The panel's rows: the query's result restricted to :attr:`columns`."""
        return self.select(self.fetch(con, filters))

    def select(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.columns is not None and not (frame.empty and not len(frame.columns)):
            shown = [c for c in self.columns if c in frame.columns]
            if shown != list(frame.columns):
                # take() by position: a quarter of what frame[shown] costs (its checks), same frame.
                frame = frame.take(frame.columns.get_indexer(shown), axis=1)
        if all_zero(frame, self.measures):
            return frame.iloc[0:0]
        return frame

    @property
    def title_key(self) -> str:
        return f"leadership.panel.{self.key}.title"

    @property
    def def_key(self) -> str:
        return f"leadership.panel.{self.key}.def"

    @property
    def is_chart(self) -> bool:
        return self.figure is not None


def _map_figure(df, lang, filters):
    """The clickable map of the view's units (region_geometry), shaded by the activities at their homes
    (rows of ``df``): townships with the homes as markers, or the units of a higher level; a level
    without geometry says so (its units are in the bars and the table)."""
    settings = context.settings()
    parent = region_view.view_parent(filters.region)
    level = region_view.unit_level(filters)
    geometry = region_view.level_geometry(parent)
    if level == "township":
        if geometry is None and parent == region_view.root_prefix():
            # The root county draws what it always drew, even without township polygons (homes only).
            geometry = LevelGeometry(
                outline=load_geojson(settings.district_geojson),
                units=load_geojson(settings.townships_geojson_path),
                schematic=True,
            )
        if geometry is not None:
            return lead_map_figure(
                geometry.outline, geometry.units, df, township_summary_from_homes(df), lang, filters.townships
            )
    elif geometry is not None:
        units = region_view.unit_summary_from_homes(df, level, region_view.regions())
        note = schematic_note(geometry, lang)  # real outlines carry no "schematic" note
        return lead_map_figure(geometry.outline, geometry.units, df.iloc[0:0], units, lang, note=note)
    return figs.empty_figure(lang, height=MAP_HEIGHT, message="region_view.no_geometry")


def _trend_figure(df, lang, filters):
    return figs.trend_figure(df, lang)


def _townships(df, lang, filters):
    return figs.township_figure(df, lang, filters.townships)


def _funnel(df, lang, filters):
    return figs.funnel_figure(df, lang)


def _category(df, lang, filters):
    if df.empty:
        return figs.empty_figure(lang)
    return figs.bar_figure(
        df, figs.pick(df, "category"), figs.pick(df, "suggestions", "count", "n"), lang, horizontal=True
    )


def _units(df, lang, filters):
    return figs.handling_units_figure(df, lang)


def _cases(df, lang, filters):
    if df.empty:
        return figs.empty_figure(lang)
    outcome = figs.pick(df, "outcome")
    df = df.assign(**{outcome: df[outcome].fillna(t("leadership.outcome_open", lang))})
    return figs.grouped_bar_figure(
        df, figs.pick(df, "case_type"), outcome, figs.pick(df, "cases", "count", "n"), lang
    )


def _legislative(df, lang, filters):
    if df.empty:
        return figs.empty_figure(lang)
    return figs.bar_figure(
        df,
        figs.pick(df, "regulation"),
        figs.pick(df, "suggestions", "count", "n"),
        lang,
        horizontal=True,
        color=figs.PALETTE[2],
    )


def _projects(df, lang, filters):
    if df.empty:
        return figs.empty_figure(lang)
    measures = [m for m in ("projects", "elected", "completed") if m in df.columns]
    return figs.multi_bar_figure(df, figs.pick(df, "township_name", "township_code"), measures, lang)


def _points(df, lang, filters):
    if df.empty:
        return figs.empty_figure(lang)
    return figs.histogram_figure(df, figs.pick(df, "points", "total_points"), lang)


def _rules(df, lang, filters):
    if "events" in df.columns:
        df = df[df["events"].fillna(0) > 0]
    if df.empty:
        return figs.empty_figure(lang)
    name = (
        "rule_name_en"
        if lang == "en" and "rule_name_en" in df.columns
        else figs.pick(df, "rule_name", "rule_id")
    )
    return figs.bar_figure(
        df,
        name,
        figs.pick(df, "points", "total_points"),
        lang,
        horizontal=True,
        color=figs.PALETTE[4],
    )


HOME_COLUMNS = (
    "home_id",
    "home_name",
    "home_level",
    "township_code",
    "township_name",
    "deputies",
    "activities",
)
ACTIVITY_COLUMNS = (
    "activity_date",
    "activity_type",
    "title",
    "home_id",
    "home_name",
    "township_name",
    "visitors",
    "deputy_count",
)
RANK_COLUMNS = ("rank", "deputy_id", "deputy_name", "township_name", "levels", "points", "absences")

MAP_COLUMNS = (
    "home_id",
    "home_name",
    "home_level",
    "is_home",
    "township_code",
    "township_name",
    "lon",
    "lat",
    "deputies",
    "activities",
    "visitors",
)

PANELS: tuple[Panel, ...] = (
    Panel("trend", _trend, _trend_figure, width=12, measures=TREND_MEASURES),
    Panel("map", _call("home_map"), _map_figure, columns=MAP_COLUMNS, own_graph=True),
    Panel("townships", region_view.unit_rows, _townships, measures=TOWNSHIP_MEASURES),
    Panel("idle_homes", _idle_homes, columns=HOME_COLUMNS),
    Panel("activities", _latest, columns=ACTIVITY_COLUMNS),
    Panel("suggestion_status", _statuses, _funnel),
    Panel("suggestion_category", _call("suggestions_by_category"), _category),
    Panel("handling_units", _call("handling_units"), _units),
    Panel("legislative", _call("legislative_by_regulation"), _legislative),
    Panel("cases", _call("case_outcomes"), _cases),
    Panel("projects", _call("projects_by_township"), _projects, measures=("projects",)),
    Panel("points", _call("points_ranking"), _points, columns=RANK_COLUMNS, measures=("points",)),
    Panel(
        "points_rules",
        _call("points_by_rule"),
        _rules,
        columns=("rule_id", "rule_name", "events", "points"),
        measures=("events", "points"),
    ),
    Panel("ranking", _call("points_ranking"), columns=RANK_COLUMNS, measures=("points",)),
    Panel("watchlist", _call("low_points_watchlist"), columns=RANK_COLUMNS, measures=("points",)),
)
PANELS_BY_KEY: dict[str, Panel] = {p.key: p for p in PANELS}


def panel(key: str) -> Panel:
    """The panel called ``key``; ``KeyError`` for an unknown one."""
    return PANELS_BY_KEY[key]


def fetch_all(con, filters) -> dict[str, pd.DataFrame]:
    """Every panel's rows for ``filters`` (None: the query failed); a query shared by panels runs once."""
    frames: dict[str, pd.DataFrame] = {}
    by_fetch: dict = {}
    for panel in PANELS:
        if panel.fetch not in by_fetch:
            try:
                by_fetch[panel.fetch] = panel.fetch(con, filters)
            except Exception:  # one broken panel must not blank the whole view
                log.exception("panel %s failed", panel.key)
                by_fetch[panel.fetch] = None
        raw = by_fetch[panel.fetch]
        frames[panel.key] = None if raw is None else panel.select(raw)
    return frames


def township_names(townships: pd.DataFrame) -> dict[str, str]:
    if townships.empty:
        return {}
    return dict(
        zip(townships["township_code"].astype(str), townships["township_name"].astype(str), strict=True)
    )


def as_of_text(info, zone, lang: str | None = None) -> str | None:
    """ "2024-01-20 · 更新于 21:27" for a :class:`warehouse.query.SnapshotInfo` (times in ``zone``), if any."""
    if info is None:
        return None
    return timefmt.as_of_text(info.export_date, info.updated_at, zone, lang)


def kpi_triple(con, filters: Filters) -> tuple[dict, dict, dict | None]:
    """KPI values for ``filters``, the same period last year (同比) and the previous period (环比).

    The previous period is None when it is last year's same period (a whole year): one comparison is
    shown, not the same figure twice.
    """
    last_year, previous = yoy_filters(filters), previous_filters(filters)
    return (
        kpi_dict(query.kpis(con, filters)),
        kpi_dict(query.kpis(con, last_year)),
        None if previous == last_year else kpi_dict(query.kpis(con, previous)),
    )


@dataclass(frozen=True)
class SummaryData:
    """What the top of the leadership view shows: KPIs (with 同比/环比), their as-of times, names."""

    kpis: tuple[dict, dict, dict]
    kpi_as_of: dict
    townships: pd.DataFrame
    info: object


# Each view state keeps its KPIs, its rendered summary and its rendered panels (about 10-20 MB at
# district scale, mostly the map's markers): a few dozen entries, not hundreds, to keep a worker small.
# The rows behind them are memoised by the query layer (warehouse.query), within its own byte budget.
_VIEWS = VersionedCache(size=24)
memoised = _VIEWS.memoised
clear_cache = _VIEWS.clear


def summary_data(reader, filters: Filters) -> SummaryData:
    """KPIs for ``filters``, last year and the previous period, plus names and as-of times (memoised)."""

    def compute() -> SummaryData:
        with reader.cursor() as con:
            return SummaryData(
                kpis=kpi_triple(con, filters),
                kpi_as_of=query.kpi_as_of(con),
                townships=as_frame(query.township_options(con)),
                info=query.snapshot_info(con),
            )

    return memoised("summary", getattr(reader, "version", None), filters, compute)


def panel_frames(reader, filters: Filters) -> dict[str, pd.DataFrame | None]:
    """Every panel's rows for ``filters`` (memoised unless a query failed)."""

    # Not memoised here: the rendered panels are (lead_view.render_panels), and the queries behind
    # them are (warehouse.query), so a second copy of the rows would only cost memory.
    with reader.cursor() as con:
        return fetch_all(con, filters)
