"""The leadership view (领导驾驶舱): layout and the plain functions behind its callbacks.

State lives in the URL (``dcc.Location`` ``lead-location``, ``refresh=False``): :func:`sync_controls`
turns control changes and clicks into a new query string (and back/forward into control values), and
:func:`render_summary` (KPI cards, breadcrumb) and :func:`render_panels` (charts, grids, map, download
links) turn the query string into everything on screen: two callbacks, so the numbers show before the
charts are drawn. All are plain functions of their inputs, memoised per (snapshot version, state,
scoped filters); the Dash callbacks in ``dashboard/pages/leadership.py`` are thin wrappers. Kept out
of the page module so tests import it without registering a page.
"""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html, no_update

from dashboard import context, region_view
from dashboard.components import lead_layout as L
from dashboard.components.lead_figures import empty_figure
from dashboard.components.lead_kpi import kpi_as_of_texts, kpi_grid
from dashboard.components.lead_panels import (
    PANELS,
    PANELS_BY_KEY,
    as_frame,
    as_of_text,
    clear_cache,
    memoised,
    panel_frames,
    summary_data,
    township_names,
)
from dashboard.components.map import load_geojson
from dashboard.filters import (
    ViewState,
    detect_preset,
    filters_from_state,
    parse_search,
    preset_period,
    to_search,
)
from dashboard.freshness import freshness_alert
from dashboard.period_default import current_default_period
from dashboard.view_cache import plain_figure
from warehouse import query
from warehouse.i18n import normalize_lang, t

CHART_KEYS = tuple(p.key for p in PANELS if p.is_chart and not p.own_graph)
TABLE_KEYS = tuple(p.key for p in PANELS if not p.is_chart)
# Rows a grid receives (10 per page: 50 pages); the downloads carry every row.
GRID_ROWS = 500
DOWNLOAD_KEYS = tuple(
    (p.key, fmt) for p in PANELS for fmt in (L.CHART_FORMATS if p.is_chart else L.TABLE_FORMATS)
)


# ---- state helpers ------------------------------------------------------------------------------


def default_period() -> tuple[date, date]:
    """This year when it has records, else the latest year that has (warehouse.default_period)."""
    return current_default_period().as_tuple()


def anchor_day() -> date:
    """Presets (本月, 本年 …) are relative to the end of the default period."""
    return default_period()[1]


def map_units(search: str | None):
    """The features the map of ``search`` draws, in drawing order (a click's curve number indexes them)."""
    parent = region_view.view_parent(filters_from_state(parse_search(search, default_period())).region)
    geometry = region_view.level_geometry(parent)
    if geometry is not None:
        return geometry.units
    if parent == region_view.root_prefix():  # as lead_panels._map_figure draws it
        return load_geojson(context.settings().townships_geojson_path)
    return None


def units_title(search: str | None) -> str:
    """The units panel's title at the view's level: townships (its catalogued title), districts or cities."""
    state = parse_search(search, default_period())
    level = region_view.unit_level(filters_from_state(state))
    lang = normalize_lang(state.lang)
    if level == "township":
        return t(PANELS_BY_KEY["townships"].title_key, lang)
    return t(f"region_view.lead.{level}.title", lang)


def township_frame(con) -> pd.DataFrame:
    return as_frame(query.township_options(con))


# ---- layout -------------------------------------------------------------------------------------


def page_layout(**params):
    state = parse_search(params, default_period())
    lang = normalize_lang(state.lang)
    with context.reader().cursor() as con:
        townships = township_frame(con)
    preset = detect_preset(state.start, state.end, anchor_day())
    settings = context.settings()

    rows, row = [], []
    width_used = 0
    for panel in PANELS:
        if width_used + panel.width > 12:
            rows.append(dbc.Row(row, className="g-3 mb-3"))
            row, width_used = [], 0
        body = map_body(lang) if panel.own_graph else L.panel_body(panel, lang)
        row.append(dbc.Col(L.panel_card(panel, state, lang, body), lg=panel.width, xs=12))
        width_used += panel.width
    if row:
        rows.append(dbc.Row(row, className="g-3 mb-3"))

    header = html.Div(
        [
            html.Div(
                [
                    html.H1(
                        t("leadership.title", lang, district=settings.district_name), className="lead-title"
                    ),
                    html.Div(id=L.SCOPE_LINE, className="lead-scope"),
                ],
                className="lead-title-block",
            ),
            html.Div(
                [
                    html.Button(
                        [html.I(className="bi bi-funnel"), " ", t("leadership.filters", lang)],
                        id=L.FILTER_TOGGLE,
                        className="btn btn-outline-primary btn-sm d-lg-none",
                        type="button",
                    ),
                    dcc.Link(
                        [html.I(className="bi bi-journal-text"), " ", t("leadership.metrics_link", lang)],
                        href="/metrics" + ("?lang=en" if lang == "en" else ""),
                        className="btn btn-outline-secondary btn-sm",
                    ),
                    html.A(
                        [html.I(className="bi bi-file-earmark-zip"), " ", t("leadership.report", lang)],
                        id=L.REPORT_LINK,
                        href=L.report_href(state),
                        className="btn btn-primary btn-sm",
                    ),
                    html.A(
                        [html.I(className="bi bi-file-earmark-pdf"), " ", t("briefing.button", lang)],
                        id=L.BRIEF_LINK,
                        href=L.brief_href(to_search(state), "pdf"),
                        className="btn btn-outline-primary btn-sm",
                    ),
                    html.A(
                        [html.I(className="bi bi-file-earmark-word"), " Word"],
                        id=L.BRIEF_DOCX_LINK,
                        href=L.brief_href(to_search(state), "docx"),
                        title=t("briefing.button_docx", lang),
                        className="btn btn-outline-secondary btn-sm",
                    ),
                    html.A(
                        "EN" if lang != "en" else "中文",
                        href=to_search(state.with_(lang=None if lang == "en" else "en")),
                        className="btn btn-link btn-sm",
                        id="lead-lang",
                    ),
                ],
                className="lead-actions",
            ),
        ],
        className="lead-header",
    )
    nav = html.Div(
        [
            html.Div(id=L.BREADCRUMB, className="lead-breadcrumb"),
            html.Button(
                [
                    html.I(className="bi bi-arrow-counterclockwise"),
                    " ",
                    t("leadership.reset", lang, **region_view.whole_words(lang)),
                ],
                id=L.RESET,
                className="btn btn-outline-secondary btn-sm",
                type="button",
                style={"display": "none"},
            ),
        ],
        className="lead-nav",
    )
    return html.Div(
        [
            dcc.Location(id=L.LOCATION, refresh=False, search=to_search(state)),
            header,
            freshness_alert(lang),  # stale data or a failed last run (dashboard/freshness.py)
            L.filter_bar(
                state, preset, L.township_options(townships, region_view.county_names(townships)), lang
            ),
            nav,
            dcc.Loading(dbc.Row(id=L.KPI_ROW, className="g-2 mb-3 row-cols-2 row-cols-md-3 row-cols-xl-5")),
            *rows,
        ],
        className="lead-root container-fluid",
        lang="en" if lang == "en" else "zh-CN",
    )


def map_body(lang: str | None) -> html.Div:
    return html.Div(
        [
            html.Div(t("leadership.map_hint", lang), className="lead-hint"),
            dcc.Graph(id=L.MAP_GRAPH, config=L.GRAPH_CONFIG, className="lead-graph lead-map"),
        ]
    )


# ---- callbacks as plain functions ---------------------------------------------------------------


def sync_controls(
    trigger,
    search,
    preset,
    date_from,
    date_to,
    townships,
    home_levels,
    deputy_levels,
    clicked_code,
    default,
    anchor,
):
    """New (search, preset, from, to, townships, home levels, deputy levels) after ``trigger`` fired.

    ``trigger`` is the id of what changed: the location (back/forward: controls follow the URL), a
    control (the URL follows the controls), a township click (``clicked_code``) or the reset button.
    """
    current = parse_search(search, default)
    if trigger == L.LOCATION:
        return (
            no_update,
            detect_preset(current.start, current.end, anchor),
            current.start.isoformat(),
            current.end.isoformat(),
            list(current.townships),
            list(current.home_levels),
            list(current.deputy_levels),
        )
    state = current.with_(
        townships=tuple(townships or ()),
        home_levels=tuple(home_levels or ()),
        deputy_levels=tuple(deputy_levels or ()),
    )
    if trigger == L.PRESET and preset and preset != "custom":
        start, end = preset_period(preset, anchor)
        state = state.with_(start=start, end=end)
    elif trigger in (L.DATE_FROM, L.DATE_TO):
        dates = parse_search({"from": date_from, "to": date_to}, (current.start, current.end))
        state = state.with_(start=dates.start, end=dates.end)
    elif trigger == L.RESET:
        state = state.with_(townships=(), region="")
    elif clicked_code:
        state = region_view.drill(state, clicked_code)
    new_search = to_search(state)
    return (
        new_search if new_search != to_search(current) else no_update,
        detect_preset(state.start, state.end, anchor),
        state.start.isoformat(),
        state.end.isoformat(),
        list(state.townships),
        list(state.home_levels),
        list(state.deputy_levels),
    )


def scope_text(
    state: ViewState, names: dict[str, str], as_of: str | None, lang: str | None, note: str | None = None
) -> str:
    """``"2023-01-01 至 2023-12-31 · 大发街道 · 数据截至 …"``."""
    parts = [t("leadership.period_range", lang, start=state.start.isoformat(), end=state.end.isoformat())]
    if state.region and not state.townships:
        parts.append(region_view.region_name(state.region))
    if state.townships:
        parts.append("、".join(names.get(c, c) for c in state.townships))
    if note:
        parts.append(note)
    if as_of:
        parts.append(t("leadership.as_of", lang, as_of=as_of))
    return " · ".join(parts)


def breadcrumb_items(state: ViewState, names: dict[str, str], lang: str | None) -> list:
    """The root, each region level drilled into, then the chosen townships (region_view.path_items)."""
    return region_view.path_items(state, names, lang)


def clear_caches() -> None:
    """Forget memoised views (tests; a snapshot change needs no call: its version is in the key)."""
    clear_cache()


def _state(search: str | None) -> tuple[ViewState, object, object]:
    settings = context.settings()
    state = parse_search(search, current_default_period(settings).as_tuple())
    return state, filters_from_state(state), context.reader()


def render_summary(search: str | None) -> tuple:
    """The top of the view for ``search``: KPI cards, breadcrumb, reset button style, scope line,
    report link. Separate from the panels so that the numbers show before the charts are drawn."""
    state, filters, reader = _state(search)

    def build() -> tuple:
        lang = normalize_lang(state.lang)
        data = summary_data(reader, filters)
        values, yoy, previous = data.kpis
        names = township_names(data.townships)
        return (
            kpi_grid(values, yoy, previous, lang, kpi_as_of_texts(data.kpi_as_of, context.settings())),
            breadcrumb_children(state, names, lang),
            {"display": "inline-block"} if state.townships or state.region else {"display": "none"},
            scope_text(
                state,
                names,
                as_of_text(data.info, context.settings(), lang),
                lang,
                current_default_period().notes_for(state.start, state.end, lang),
            ),
            L.report_href(state),
        )

    return memoised("render-summary", getattr(reader, "version", None), (state, filters), build)


def render_panels(search: str | None) -> tuple:
    """The panels for ``search``: chart figures, grid rows and columns, download links, the map."""
    state, filters, reader = _state(search)

    def build() -> tuple[tuple, bool]:
        lang = normalize_lang(state.lang)
        frames = panel_frames(reader, filters)
        figures = []
        for key in CHART_KEYS:
            frame = frames[key]
            if frame is None:
                figures.append(empty_figure(lang, message="leadership.unavailable"))
            else:
                figures.append(PANELS_BY_KEY[key].figure(frame, lang, filters))
        grids_rows, grids_cols, notes = [], [], []
        query_string = to_search(state)
        for key in TABLE_KEYS:
            frame = frames[key] if frames[key] is not None else pd.DataFrame()
            # A grid shows at most GRID_ROWS rows (the ranking has a row per deputy: tens of thousands
            # at district scale) and says so; the full list is the panel's XLSX/CSV download.
            notes.append(grid_note(len(frame), lang))
            frame, links = table_links(key, frame.head(GRID_ROWS), query_string)
            rows = L.records(frame)
            grids_rows.append(rows)
            grids_cols.append(L.column_defs(frame, lang, links, rows))
        if frames["map"] is None:
            map_fig = empty_figure(lang, message="leadership.unavailable")
        else:
            map_fig = PANELS_BY_KEY["map"].figure(frames["map"], lang, filters)
        hrefs = [L.download_href(key, fmt, state) for key, fmt in DOWNLOAD_KEYS]
        complete = all(frame is not None for frame in frames.values())
        # Kept and sent as plain dicts: Dash serialises plain data with orjson, whereas a response holding
        # ``go.Figure`` objects is deep-copied and walked value by value on every request.
        figures = [plain_figure(f) for f in figures]
        return (figures, grids_rows, grids_cols, hrefs, plain_figure(map_fig), notes), complete

    out, _ = memoised(
        "render-panels", getattr(reader, "version", None), (state, filters), build, keep=lambda v: v[1]
    )
    return out


def render(search: str | None) -> tuple:
    """Everything on screen for ``search``, in the order of the old single callback (tests, scripts):
    KPI cards, figures, grid rows, grid columns, download links, breadcrumb, reset style, scope line,
    report link, map."""
    kpis, crumbs, reset, scope, report = render_summary(search)
    figures, rows, cols, hrefs, map_fig, _notes = render_panels(search)
    return kpis, figures, rows, cols, hrefs, crumbs, reset, scope, report, map_fig


def grid_note(total: int, lang: str | None) -> str:
    """The note under a capped grid ("first 500 of 12,345 rows; download for all"), else nothing."""
    if total <= GRID_ROWS:
        return ""
    return t("leadership.grid.capped", lang, shown=f"{GRID_ROWS:,}", total=f"{total:,}")


def breadcrumb_children(state: ViewState, names: dict[str, str], lang: str | None) -> list:
    """The breadcrumb, plus a link to the township page when exactly one township is selected."""
    children = [L.breadcrumb(breadcrumb_items(state, names, lang))]
    if len(state.townships) == 1:
        code = state.townships[0]
        children.append(
            dcc.Link(
                [
                    html.I(className="bi bi-box-arrow-in-right"),
                    " ",
                    t("leadership.township_details", lang, name=names.get(code, code)),
                ],
                href="/township" + to_search(state.with_(townships=()), code=code),
                className="btn btn-outline-primary btn-sm ms-2",
                id="lead-township-link",
            )
        )
    return children


def table_links(key: str, frame: pd.DataFrame, query_string: str) -> tuple[pd.DataFrame, dict]:
    """Add drill-down links (deputy names, home names) to a table's rows."""
    links: dict[str, str] = {}
    if "deputy_name" in frame.columns and "deputy_id" in frame.columns:
        frame = L.link_column(frame, "deputy_name", "/deputy", "deputy_id", query_string)
        links["deputy_name"] = "deputy_name_link"
    if "home_name" in frame.columns and "home_id" in frame.columns:
        frame = L.link_column(frame, "home_name", "/home", "home_id", query_string)
        links["home_name"] = "home_name_link"
    return frame, links
