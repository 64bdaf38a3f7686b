"""The wall's data side: URL parsing, panel loaders (query layer -> builders), the layout, panel refresh.

Kept apart from ``pages/wall.py`` (which only registers the page and its callbacks) so that all of it can
be tested without a Dash app. A loader takes a cursor on the snapshot, the wall's params and the settings
and returns ``{component id: content}``; the layout calls every loader for the first paint, and each panel
callback calls one of them when the snapshot version changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date

from dash import no_update
from dash.development.base_component import Component

from dashboard import region_view, wall_preview
from dashboard.components import map as wall_map
from dashboard.components import wall_charts, wall_kpi, wall_lists
from dashboard.components.region_geometry import schematic_note
from dashboard.components.text_fit import text_width
from dashboard.components.wall_layout import (
    PANELS,
    Ids,
    as_of_block,
    graph_ids,
    panel_by_id,
    parse_dwell,
    parse_screens,
    wall_layout,
)
from dashboard.filters import yoy_filters
from dashboard.freshness import banner_templates
from dashboard.period_default import current_default_period
from dashboard.view_cache import VersionedCache, plain_figure
from warehouse import query, timefmt
from warehouse.bounds import bounded_period, parse_day
from warehouse.errors import UserError
from warehouse.i18n import normalize_lang, t
from warehouse.regions import child_level, level_of, region_table
from warehouse.settings import Settings

log = logging.getLogger(__name__)

FOCUS_SECONDS = 8
TICKER_ROWS = 20
SMALL_TOWNSHIP_SHARE = 0.1
# The township bars, table and rotating focus card show at most this many townships (most activities
# first when there are more): a wall panel has room for a couple of dozen rows, not thousands.
WALL_TOWNSHIPS = 24
# Case outcomes keep one meaning per colour on every screen: resolved green, failed red, withdrawn grey.
OUTCOME_COLORS = {
    "化解成功": "#4cd98a",
    "调解成功": "#4cd98a",
    "已答复": "#35c3e8",
    "调解不成": "#ff7b7b",
    "转立案": "#ff9f43",
    "撤回": "#8a9bb5",
}


# ---------------------------------------------------------------- parsing and plain-data helpers


def parse_period(start: str | None, end: str | None, default: tuple[date, date]) -> tuple[date, date]:
    """The period from ``?from=&to=`` (ISO dates), each falling back to the default; swapped if reversed.

    Bounded like the leadership view's (``warehouse.bounds``): dates outside the supported years
    fall back to the default and the span is capped, so no URL can make a poll scan centuries.
    """
    first, last = parse_day(start, default[0]), parse_day(end, default[1])
    return bounded_period(first, last)


def _clean(value):
    """None for every flavour of missing (NaN, NaT, pd.NA) that a DataFrame row may carry."""
    try:
        return None if value is None or value != value else value
    except (TypeError, ValueError):  # pd.NA refuses comparison
        return None


def rows(result) -> list[dict]:
    """Query results (a DataFrame or records) as a list of dicts, missing values as None."""
    if result is None:
        return []
    records = result.to_dict("records") if hasattr(result, "to_dict") else list(result)
    return [{k: _clean(v) for k, v in (asdict(r) if is_dataclass(r) else dict(r)).items()} for r in records]


def as_mapping(result) -> dict:
    if result is None:
        return {}
    if isinstance(result, dict):
        return result
    if is_dataclass(result):
        return asdict(result)
    return dict(result)


def _params(start: date, end: date, lang: str) -> dict:
    return {"start": start.isoformat(), "end": end.isoformat(), "lang": lang}


def _filters(params: dict) -> query.Filters:
    return query.Filters(start=date.fromisoformat(params["start"]), end=date.fromisoformat(params["end"]))


# ---------------------------------------------------------------- panel loaders (query -> builders)
# Each loader takes a cursor and the params, and returns {component id: content}. The layout calls all of
# them for the first paint; each panel callback calls one of them when the snapshot version changes.
# With ``con=None`` a loader draws its panels empty ("—", "暂无数据"): the placeholders of a first paint
# whose query failed, so that even then no panel is blank.


def _fetch(con, function, *args, **kwargs):
    """A query-layer call, or None when drawing placeholders (no cursor)."""
    return None if con is None else function(con, *args, **kwargs)


# The focus card over each map (wall.css .wall-focus): offset inside the map figure, name size, item rows
# (font size × line height), and the share of the panel's width it may take.
FOCUS_CARD = {"wall-map": (14, 12, 26, 19 * 1.45), "wall-map-big": (14, 20, 34, 24 * 1.45)}
FOCUS_CARD_MAX_SHARE = 0.48


def focus_card_box(panel_id: str, names) -> tuple[float, float, float, float]:
    """Figure pixels the rotating focus card may cover on this map: township labels keep off them.

    As wide as the longest township name makes it (between its minimum and maximum width), as tall as
    its name and six measures.
    """
    left, top, name_size, row = FOCUS_CARD[panel_id]
    panel_w = panel_by_id(panel_id).w
    widest = max((text_width(name, name_size) * 1.05 for name in names), default=0) + 32
    width = min(max(widest, 280 if panel_id == "wall-map-big" else 210), panel_w * FOCUS_CARD_MAX_SHARE)
    height = 20 + name_size * 1.5 + 4 + len(wall_lists.FOCUS_MEASURES) * row
    return left, top, left + width, top + height


def load_header(con, params: dict, settings: Settings) -> dict:
    if con is None:
        return {Ids.AS_OF: as_of_block(None, None, 0, params["lang"])}
    info = query.snapshot_info(con)
    newest = info.updated_at
    built_ms = int(newest.timestamp() * 1000) if newest else None
    text = timefmt.as_of_text(info.export_date, newest, settings.timezone, params["lang"])
    stale_ms = int(settings.stale_after_hours * 3600 * 1000)
    return {Ids.AS_OF: as_of_block(text, built_ms, stale_ms, params["lang"]), Ids.VERSION: info.version}


def load_kpis(con, params: dict, settings: Settings) -> dict:
    lang = params["lang"]
    values = as_mapping(_fetch(con, query.kpis, _filters(params)))
    # Rendered here, in the installation's zone, so that the tiles only place the text.
    as_of = {
        k: timefmt.show(v, settings.timezone)
        for k, v in as_mapping(_fetch(con, query.kpi_as_of)).items()
        if v
    }
    level_counts = wall_kpi.homes_by_level(rows(_fetch(con, query.home_map, _filters(params))))
    return {
        "wall-kpi-tiles": wall_kpi.kpi_tiles(values, as_of, level_counts, lang),
        "wall-rings": wall_kpi.rate_rings(values, as_of, lang),
        "wall-counters": wall_kpi.counter_tiles(values, as_of, lang),
        "wall-rings-big": wall_kpi.rate_rings(values, as_of, lang, prefix="c-"),
        "wall-case-counts": wall_kpi.counter_tiles(values, as_of, lang, wall_kpi.CASE_COUNTS, prefix="c-"),
    }


def _map_inputs(settings: Settings):
    district = wall_map.load_geojson(settings.district_geojson)
    townships = wall_map.load_geojson(settings.townships_geojson_path)
    schematic = settings.townships_geojson is None or any(
        (f.get("properties") or {}).get("schematic") for f in (townships or {}).get("features", [])
    )
    return district, townships, schematic


def _root_units(
    con, filters: query.Filters, settings: Settings, lang: str | None
) -> tuple[list[dict], tuple]:
    """A city's or province's wall compares the root's child units: their ``unit_summary`` rows (keyed
    as the township panels read them) and their map inputs (region_geometry, with the note a schematic
    level must carry; no homes at this scale)."""
    try:
        table = region_table(settings.region_table)
    except UserError:
        table = None
    level = child_level(level_of(settings.root_region))
    units = [
        {**r, "township_code": r["unit_code"], "township_name": r["unit_name"]}
        for r in rows(_fetch(con, query.unit_summary, filters, level, table))
    ]
    geometry = region_view.level_geometry(settings.root_region)
    if geometry is None:
        return units, (None, None, None)
    return units, (geometry.outline, geometry.units, schematic_note(geometry, lang))


def unit_titles(settings: Settings) -> dict[str, str]:
    """At a city or province root the township panels compare the root's child units: their titles."""
    level = level_of(settings.root_region)
    if level == "county":
        return {}
    unit = child_level(level)
    return {
        "screen.townships": f"region_view.wall.{unit}.screen",
        "panel.townships": f"region_view.wall.{unit}.compared",
        "panel.township_table": f"region_view.wall.{unit}.table",
        "township.name": f"region_view.wall.{unit}.name",
    }


def load_townships(con, params: dict, settings: Settings) -> dict:
    lang = params["lang"]
    filters = _filters(params)
    by_unit = level_of(settings.root_region) != "county"
    if by_unit:
        towns, (district, townships, note) = _root_units(con, filters, settings, lang)
        homes = []
    else:
        towns = rows(_fetch(con, query.township_summary, filters))
        homes = rows(_fetch(con, query.home_map, filters))
        district, townships, schematic = _map_inputs(settings)
        note = t("wall.map.note", lang) if schematic and townships else None
    towns = [{**r, "cases": (r.get("petition_cases") or 0) + (r.get("mediation_cases") or 0)} for r in towns]
    shown = towns
    if len(towns) > WALL_TOWNSHIPS:
        shown = sorted(towns, key=lambda r: -(r.get("activities") or 0))[:WALL_TOWNSHIPS]
    values = {r["township_code"]: r.get("activities") for r in towns}
    names = {r["township_code"]: r.get("township_name") or "" for r in towns}
    labels = {code: f"{names[code]}\n{wall_kpi.format_count(values.get(code))}" for code in names}
    first = shown[0]["township_code"] if shown else None
    legend = (t("wall.map.homes_legend", lang), t("wall.map.stations_legend", lang))
    content = {}
    # Townships under SMALL_TOWNSHIP_SHARE of the area (the urban subdistricts) are labelled by callouts
    # from the map's empty corner rather than inside their polygons, where the labels would collide.
    for panel_id, label_size in (("wall-map", 18), ("wall-map-big", 20)):
        width, height = panel_by_id(panel_id).body_size
        if by_unit and townships is None:  # a level without geometry: its units are in the bars and table
            content[panel_id] = wall_charts.empty_figure(width, height, t("region_view.no_geometry", lang))
            continue
        content[panel_id] = wall_map.map_figure(
            district,
            townships,
            homes,
            values,
            township_labels=labels,
            highlight=first,
            width=width,
            height=height,
            note=note,
            legend_names=legend,
            label_size=label_size,
            label_min_share=SMALL_TOWNSHIP_SHARE,
            callouts=True,
            reserved=[focus_card_box(panel_id, names.values())],
        )
    order = [r.get("township_name") or "" for r in shown]
    series = [
        (t("wall.township.activities", lang), [r.get("activities") for r in shown]),
        (t("wall.township.visitors", lang), [r.get("visitors") for r in shown]),
    ]
    for panel_id in ("wall-towns-bars", "wall-towns-bars-big"):
        width, height = panel_by_id(panel_id).body_size
        content[panel_id] = wall_charts.township_bars_figure(order, series, width, height)
    content["wall-towns-table"] = wall_lists.township_table(
        shown, lang, unit_titles(settings).get("township.name", "wall.township.name")
    )
    outlines = wall_map.township_outlines(townships)
    if shown is not towns:
        codes = {r.get("township_code") for r in shown}
        outlines = {code: outline for code, outline in outlines.items() if code in codes}
    content[Ids.FOCUS_DATA] = {"entries": wall_lists.focus_entries(shown, lang), "outlines": outlines}
    entry = content[Ids.FOCUS_DATA]["entries"][0] if towns else None
    content["wall-focus"] = wall_lists.focus_card(entry)
    content["wall-focus-big"] = wall_lists.focus_card(entry)
    return content


def load_ranking(con, params: dict, settings: Settings) -> dict:
    # Only the top N ever leaves the server: the bottom of the ranking (the watchlist) never reaches a kiosk.
    top = max(0, int(settings.wall_ranking_top))
    ranking = rows(_fetch(con, query.points_ranking, _filters(params), limit=top))
    if not any(r.get("points") for r in ranking):
        ranking = []  # a list of zeros sorted by id is no ranking: "本期暂无数据"
    return {"wall-ranking": wall_lists.ranking_list(ranking, params["lang"])}


def load_trends(con, params: dict, settings: Settings) -> dict:
    lang = params["lang"]
    filters = _filters(params)
    last_filters = yoy_filters(filters)
    months = [str(m) for m in range(1, 13)]
    names = (
        t("wall.trend.this_year", lang, year=filters.start.year),
        t("wall.trend.this_year", lang, year=last_filters.start.year),
    )
    content = {}
    for panel_id, measure in (("wall-trend", "activities"), ("wall-sugg-trend", "suggestions")):
        width, height = panel_by_id(panel_id).body_size
        this_rows = rows(_fetch(con, query.monthly_trend, filters, measure))
        last_rows = rows(_fetch(con, query.monthly_trend, last_filters, measure))
        this_year = wall_charts.monthly_series(this_rows, "value")
        last_year = wall_charts.monthly_series(last_rows, "value")
        if not any(this_year) and not any(last_year):
            content[panel_id] = wall_charts.empty_figure(width, height, t("period.empty", lang))
            continue
        content[panel_id] = wall_charts.trend_figure(
            this_year,
            last_year,
            months,
            names,
            width,
            height,
            x_title=t("wall.trend.month_axis", lang),
        )
    return content


def load_ticker(con, params: dict, settings: Settings) -> dict:
    latest = rows(_fetch(con, query.latest_activities, _filters(params), limit=TICKER_ROWS))
    return {Ids.TICKER: wall_lists.ticker(latest, params["lang"])}


def load_cases(con, params: dict, settings: Settings) -> dict:
    lang = params["lang"]
    filters = _filters(params)
    no_data = t("wall.no_data", lang)
    outcomes = rows(_fetch(con, query.case_outcomes, filters))
    # Case types are a fixed enum (docs/DATA_CONTRACT.md): shown in the wall's language; unknown values as they are.
    type_labels = {"信访代办": t("wall.cases.petition", lang), "诉前调解": t("wall.cases.mediation", lang)}
    outcomes = [{**r, "case_type": type_labels.get(r.get("case_type"), r.get("case_type"))} for r in outcomes]
    groups = list(dict.fromkeys(r.get("case_type") for r in outcomes if r.get("case_type")))
    open_label = t("wall.cases.open", lang)
    kinds = list(dict.fromkeys(r.get("outcome") or open_label for r in outcomes))
    counts: dict[tuple[str, str], float] = {}
    for r in outcomes:
        key = (r.get("case_type"), r.get("outcome") or open_label)
        counts[key] = counts.get(key, 0) + (r.get("cases") or 0)
    content = {}
    width, height = panel_by_id("wall-case-outcomes").body_size
    content["wall-case-outcomes"] = wall_charts.stacked_outcomes_figure(
        groups, kinds, counts, width, height, no_data, colors={**OUTCOME_COLORS, open_label: "#ffc34d"}
    )
    regulations = rows(_fetch(con, query.legislative_by_regulation, filters))
    width, height = panel_by_id("wall-regulations").body_size
    content["wall-regulations"] = wall_charts.hbar_figure(
        [str(r.get("regulation") or "") for r in regulations],
        [r.get("suggestions") for r in regulations],
        width,
        height,
        empty_message=no_data,
    )
    projects = rows(_fetch(con, query.projects_by_township, filters))
    if len(projects) > WALL_TOWNSHIPS:
        projects = sorted(projects, key=lambda r: -(r.get("elected") or 0))[:WALL_TOWNSHIPS]
    width, height = panel_by_id("wall-projects").body_size
    content["wall-projects"] = wall_charts.hbar_figure(
        [str(r.get("township_name") or "") for r in projects],
        [r.get("elected") for r in projects],
        width,
        height,
        color=wall_charts.ACCENT_2,
        label_width=130,
        empty_message=no_data,
    )
    return content


# ---------------------------------------------------------------- memo per snapshot version
# Every wall shows the same few URLs, and the data only changes with a new snapshot: a loader's content
# is kept per (loader, snapshot version, params, settings).
_CONTENT = VersionedCache(size=64)


def plain(content: dict) -> dict:
    """``content`` with every plotly figure as its plain JSON-ready dict.

    Serialising a ``go.Figure`` deep-copies it and walks every array on each request (three quarters of
    a memoised first paint's cost); its dict is serialised as plain JSON.
    """
    return {k: plain_figure(v) for k, v in content.items()}


def json_tree(value):
    """A component tree as the plain dicts Dash sends (``{"props", "type", "namespace"}``).

    Dash serialises callback output with orjson when it can; a tree holding ``Component`` objects makes
    it fall back to a pure-Python walk of every value, figure arrays included (~40 ms for the wall's first
    paint). The same tree as plain data is serialised in ~2 ms; building it costs ~7 ms.
    """
    if isinstance(value, Component):
        out = value.to_plotly_json()
        out["props"] = {
            k: json_tree(v) if isinstance(v, Component | list | tuple) else v for k, v in out["props"].items()
        }
        return out
    if isinstance(value, list | tuple):
        return [json_tree(v) for v in value]
    return value


def memoised_load(loader: Callable[..., dict], reader, params: dict, settings: Settings) -> dict:
    """``loader(cursor, params, settings)``, memoised per snapshot version (never when it is unknown)."""

    def compute() -> dict:
        with reader.cursor() as con:
            return plain(loader(con, params, settings))

    key = (loader.__qualname__, tuple(sorted(params.items())), repr(settings))
    return _CONTENT.memoised(loader.__module__, getattr(reader, "version", None), key, compute)


clear_cache = _CONTENT.clear


LOADERS: dict[str, Callable[..., dict]] = {
    "header": load_header,
    "kpis": load_kpis,
    "townships": load_townships,
    "ranking": load_ranking,
    "trends": load_trends,
    "ticker": load_ticker,
    "cases": load_cases,
}


def load_all(reader, settings: Settings, params: dict) -> dict:
    """Every loader's content for the first paint.

    A loader that fails is logged and its panels get placeholders; the version is then left out, so the
    wall's first poll finds a "new" version and retries every panel.
    """
    content: dict = {}
    failed = False
    for name, loader in LOADERS.items():
        try:
            content.update(memoised_load(loader, reader, params, settings))
        except Exception:  # a broken panel must not take the wall down
            log.exception("wall: loading %s failed", name)
            failed = True
            try:
                content.update(plain(loader(None, params, settings)))
            except Exception:
                log.exception("wall: placeholders for %s failed", name)
    if failed:
        content.pop(Ids.VERSION, None)
    return content


# ---------------------------------------------------------------- layout


def client_config(settings, lang: str, screens: list[str], dwell: int) -> dict:
    """What wall.js needs: timings and the strings it writes (all from the catalog)."""
    return {
        # The poll answers the freshness line in the wall's language.
        "version_url": "/wall/version" + ("?lang=en" if lang == "en" else ""),
        "poll_seconds": settings.wall_poll_seconds,
        "reload_hour": settings.wall_reload_hour,
        "timezone": settings.timezone,
        "dwell": dwell,
        "screens": screens,
        "focus_seconds": FOCUS_SECONDS,
        "lang": lang,
        "offline": t("wall.offline", lang, time="{time}"),
        "fresh_texts": banner_templates(lang),
        "weekdays": t("wall.weekdays", lang).split(","),
        "date_format": t("wall.date_format", lang, y="{y}", m="{m}", d="{d}"),
    }


def build_layout(
    settings: Settings,
    reader,
    *,
    lang: str | None = None,
    screens: str | None = None,
    dwell: str | None = None,
    start: str | None = None,
    end: str | None = None,
    draw_missing_images: bool = False,
):
    """The whole wall for the URL's parameters, every panel filled from the snapshot.

    The first screen's graphs carry the server-drawn images the server has (``dashboard.wall_preview``);
    ``draw_missing_images`` (a wall's request, the warm-up) has the others drawn in the background, for
    walls of the default period: the period a wall shows day after day (a period in the address is more
    often a one-off look, and each would be a drawing of its own).
    """
    lang = normalize_lang(lang)
    default = current_default_period(settings, reader)
    first, last = parse_period(start, end, default.as_tuple())
    playlist = parse_screens(screens)
    seconds = parse_dwell(dwell)
    params = _params(first, last, lang)
    content = load_all(reader, settings, params)
    if Ids.AS_OF not in content:
        content[Ids.AS_OF] = as_of_block(None, None, 0, lang)
    return wall_layout(
        previews=first_screen_previews(
            settings, content, playlist, draw_missing_images and (first, last) == default.as_tuple()
        ),
        title=t("wall.title", lang, district=settings.district_name),
        period_text=" · ".join(
            text
            for text in (
                t("wall.period", lang, start=first.isoformat(), end=last.isoformat()),
                default.notes_for(first, last, lang),
            )
            if text
        ),
        as_of=content[Ids.AS_OF],
        content=content,
        ticker_children=content.get(Ids.TICKER, wall_lists.ticker([], lang)),
        screens=playlist,
        config=client_config(settings, lang, playlist, seconds),
        params=params,
        version=content.get(Ids.VERSION),
        focus_data=content.get(Ids.FOCUS_DATA),
        poll_seconds=settings.wall_poll_seconds,
        lang=lang,
        title_secondary=settings.title_secondary,
        titles=unit_titles(settings),
    )


def first_screen_previews(
    settings: Settings, content: dict, playlist: list[str], draw_missing: bool
) -> dict[str, str]:
    """Image URLs of the first screen's graphs that the server has drawn (``dashboard.wall_preview``); with
    ``draw_missing``, the others are drawn in the background for the next visit."""
    figures = {graph_id: content.get(graph_id) for graph_id in graph_ids(playlist[0])}
    urls, missing = wall_preview.available(settings, figures)
    if missing and draw_missing:
        wall_preview.render_later(settings, missing, content.get(Ids.VERSION))
    return urls


# ---------------------------------------------------------------- panel callbacks


def output_prop(component_id: str) -> str:
    graph_ids = {p.id for panels in PANELS.values() for p in panels if p.graph}
    if component_id in graph_ids:
        return "figure"
    if component_id == Ids.FOCUS_DATA:
        return "data"
    return "children"


def refresh(loader: Callable[..., dict], output_ids: list[str], get_settings: Callable, get_reader: Callable):
    """A panel callback: re-run ``loader`` on a new version; any failure keeps every output as it was."""

    def update(version, params):
        if not version or not params:
            return [no_update] * len(output_ids)
        try:
            content = memoised_load(loader, get_reader(), params, get_settings())
        except Exception:
            log.exception("wall: refreshing %s failed; panels keep their last value", loader.__name__)
            return [no_update] * len(output_ids)
        return [content.get(i, no_update) for i in output_ids]

    return update


PANEL_CALLBACKS: dict[str, list[str]] = {
    "header": [Ids.AS_OF],
    "kpis": ["wall-kpi-tiles", "wall-rings", "wall-counters", "wall-rings-big", "wall-case-counts"],
    "townships": [
        "wall-map",
        "wall-map-big",
        "wall-towns-bars",
        "wall-towns-bars-big",
        "wall-towns-table",
        Ids.FOCUS_DATA,
    ],
    "ranking": ["wall-ranking"],
    "trends": ["wall-trend", "wall-sugg-trend"],
    "ticker": [Ids.TICKER],
    "cases": ["wall-case-outcomes", "wall-regulations", "wall-projects"],
}
