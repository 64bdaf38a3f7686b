"""The leadership view's panels: what each one queries, draws and exports.

A :class:`Panel` ties a query-layer function to a figure builder and a title/口径 in the catalog
(``leadership.panel.<key>.title`` / ``.def``). The page, the download routes and the report ZIP all
iterate this one registry, so a panel's chart on screen, its PNG and its XLSX come from the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard.components import lead_figures as figs
from warehouse import query
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


def idle_homes(homes: pd.DataFrame) -> pd.DataFrame:
    if homes.empty:
        return homes
    count = figs.pick(homes, "activities", "activities_total")
    rows = homes[homes[count].fillna(0) == 0]
    if "is_home" in rows.columns:
        rows = rows[rows["is_home"].fillna(False).astype(bool)]
    return rows.reset_index(drop=True)


@dataclass(frozen=True)
class Panel:
    """One panel: ``fetch(con, filters)`` rows, ``figure(rows, lang, filters)`` chart (or a table only)."""

    key: str
    fetch: Callable[..., pd.DataFrame]
    figure: Callable[[pd.DataFrame, str | None, Filters], go.Figure] | None = None
    # Bootstrap grid columns the card spans on wide screens (12 = full width).
    width: int = 6

    @property
    def title_key(self) -> str:
        return f"leadership.panel.{self.key}.title"

    @property
    def def_key(self) -> str:
        return f"leadership.panel.{self.key}.def"

    @property
    def is_chart(self) -> bool:
        return self.figure is not None


def _trend(df, lang, filters):
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
    return figs.grouped_bar_figure(
        df, figs.pick(df, "case_type"), figs.pick(df, "outcome"), figs.pick(df, "cases", "count", "n"), lang
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
    return figs.grouped_bar_figure(
        df,
        figs.pick(df, "township_name", "township_code"),
        figs.pick(df, "status"),
        figs.pick(df, "projects", "count", "n"),
        lang,
    )


def _points(df, lang, filters):
    if df.empty:
        return figs.empty_figure(lang)
    return figs.histogram_figure(df, figs.pick(df, "points", "total_points"), lang)


def _rules(df, lang, filters):
    if df.empty:
        return figs.empty_figure(lang)
    return figs.bar_figure(
        df,
        figs.pick(df, "rule_name", "rule_id"),
        figs.pick(df, "points", "total_points"),
        lang,
        horizontal=True,
        color=figs.PALETTE[4],
    )


PANELS: tuple[Panel, ...] = (
    Panel("trend", _call("monthly_trend"), _trend, width=12),
    Panel("townships", _call("township_summary"), _townships),
    Panel("idle_homes", _idle_homes),
    Panel("suggestion_status", _call("suggestions_by_status"), _funnel),
    Panel("suggestion_category", _call("suggestions_by_category"), _category),
    Panel("handling_units", _call("handling_units"), _units),
    Panel("cases", _call("case_outcomes"), _cases),
    Panel("legislative", _call("legislative_by_regulation"), _legislative),
    Panel("projects", _call("projects_by_township"), _projects),
    Panel("points", _call("points_ranking"), _points),
    Panel("points_rules", _call("points_by_rule"), _rules),
    Panel("ranking", _call("points_ranking")),
    Panel("watchlist", _call("low_points_watchlist")),
    Panel("activities", _call("latest_activities"), width=12),
)
PANELS_BY_KEY: dict[str, Panel] = {p.key: p for p in PANELS}


def panel(key: str) -> Panel:
    """The panel called ``key``; ``KeyError`` for an unknown one."""
    return PANELS_BY_KEY[key]


def fetch_all(con, filters) -> dict[str, pd.DataFrame]:
    """Every panel's rows for ``filters``; a query shared by two panels runs once."""
    frames: dict[str, pd.DataFrame] = {}
    by_fetch: dict = {}
    for panel in PANELS:
        if panel.fetch not in by_fetch:
            try:
                by_fetch[panel.fetch] = panel.fetch(con, filters)
            except Exception:  # one broken panel must not blank the whole view
                log.exception("panel %s failed", panel.key)
                by_fetch[panel.fetch] = None
        frames[panel.key] = by_fetch[panel.fetch]
    return frames


def township_names(townships: pd.DataFrame) -> dict[str, str]:
    if townships.empty:
        return {}
    return dict(
        zip(townships["township_code"].astype(str), townships["township_name"].astype(str), strict=True)
    )


def as_of_text(info) -> str | None:
    """The newest data-as-of time of a :class:`warehouse.query.SnapshotInfo` (minutes), if any."""
    if info is None:
        return None
    stamps = [v for v in (getattr(info, "as_of", None) or {}).values() if v is not None]
    newest = max(stamps) if stamps else getattr(info, "built_at", None)
    if newest is None:
        return None
    return newest.strftime("%Y-%m-%d %H:%M") if hasattr(newest, "strftime") else str(newest)
