"""Layout builders of the leadership pages: filter bar, panel cards, tables, breadcrumbs.

Pure functions: data and state in, Dash components out. Component ids are the constants below.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import quote

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard import region_view
from dashboard.components.figure_text import escape_figure
from dashboard.components.lead_figures import label
from dashboard.components.lead_panels import Panel
from dashboard.filters import PRESETS, ViewState, to_search
from warehouse.i18n import t
from warehouse.levels import DEPUTY_LEVELS, HOME_LEVELS

# Component ids of the leadership page.
LOCATION = "lead-location"
PRESET = "lead-preset"
DATE_FROM = "lead-date-from"
DATE_TO = "lead-date-to"
TOWNSHIP = "lead-township"
HOME_LEVEL = "lead-home-level"
DEPUTY_LEVEL = "lead-deputy-level"
RESET = "lead-reset"
FILTER_PANEL = "lead-filter-panel"
FILTER_TOGGLE = "lead-filter-toggle"
FILTER_CLOSE = "lead-filter-close"
KPI_ROW = "lead-kpis"
BREADCRUMB = "lead-breadcrumb"
SCOPE_LINE = "lead-scope"
REPORT_LINK = "lead-report-link"
BRIEF_LINK = "lead-brief-link"
BRIEF_DOCX_LINK = "lead-brief-docx-link"
MAP_GRAPH = "lead-map"
DL_TYPE = "lead-dl"
GRAPH_TYPE = "lead-graph"
GRID_TYPE = "lead-grid"
GRID_NOTE_TYPE = "lead-grid-note"

CHART_FORMATS = ("png", "svg", "xlsx", "csv")
TABLE_FORMATS = ("xlsx", "csv")
GRAPH_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["toImage", "lasso2d", "select2d"]}


def graph_id(key: str) -> dict:
    return {"type": GRAPH_TYPE, "panel": key}


def grid_id(key: str) -> dict:
    return {"type": GRID_TYPE, "panel": key}


def grid_note_id(key: str) -> dict:
    return {"type": GRID_NOTE_TYPE, "panel": key}


def download_id(key: str, fmt: str) -> dict:
    return {"type": DL_TYPE, "panel": key, "fmt": fmt}


def download_href(key: str, fmt: str, state: ViewState) -> str:
    return f"/download/{key}.{fmt}{to_search(state)}"


def report_href(state: ViewState) -> str:
    return f"/download/report.zip{to_search(state)}"


def brief_href(search: str | None, fmt: str) -> str:
    """The briefing of the view's current filters (the route reads the same query string)."""
    return f"/download/briefing.{fmt}{search or ''}"


# ---- filter bar ---------------------------------------------------------------------------------


def _multi_dropdown(id_: str, options: list[dict], value, lang, placeholder_key: str) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=id_,
        options=options,
        value=list(value),
        multi=True,
        placeholder=t(placeholder_key, lang, **region_view.whole_words(lang)),
        className="lead-dropdown",
        labels=dropdown_labels(lang),
    )


DROPDOWN_LABELS = (
    "select_all",
    "deselect_all",
    "selected_count",
    "search",
    "clear_search",
    "clear_selection",
    "no_options_found",
)


def dropdown_labels(lang: str | None) -> dict[str, str]:
    """The drop-down's own texts from the catalog (Dash's defaults are English)."""
    return {k: t(f"leadership.dropdown.{k}", lang) for k in DROPDOWN_LABELS}


def township_options(townships: pd.DataFrame, county_names: dict[str, str] | None = None) -> list[dict]:
    """Dropdown options from the query layer's township list (code + name).

    ``county_names`` (county code → name; above a county root): each label starts with its county, so
    that a city's or a province's list reads (and is searched) by district, in code order."""
    if townships is None or townships.empty:
        return []
    pairs = zip(
        townships["township_code"].astype(str).tolist(), townships["township_name"].tolist(), strict=True
    )
    if not county_names:
        return [{"label": str(name), "value": code} for code, name in pairs]
    return [
        {"label": f"{county_names.get(code[:6], code[:6])} · {name}", "value": code}
        for code, name in sorted(pairs)
    ]


def filter_bar(state: ViewState, preset: str, townships: list[dict], lang: str | None) -> html.Div:
    """The filters: inline on wide screens, an off-canvas panel (Bootstrap ``offcanvas-lg``) on phones."""
    presets = dbc.RadioItems(
        id=PRESET,
        options=[{"label": t(f"leadership.preset.{p}", lang), "value": p} for p in PRESETS],
        value=preset,
        inline=True,
        className="btn-group lead-presets",
        inputClassName="btn-check",
        labelClassName="btn btn-outline-primary btn-sm",
        labelCheckedClassName="active",
    )
    dates = html.Div(
        [
            html.Label(
                [
                    html.Span(t("leadership.date_from", lang), className="visually-hidden"),
                    dcc.Input(
                        id=DATE_FROM,
                        type="date",
                        value=state.start.isoformat(),
                        debounce=True,
                        className="form-control form-control-sm",
                    ),
                ],
                className="mb-0",
            ),
            html.Span("–", className="mx-1"),
            html.Label(
                [
                    html.Span(t("leadership.date_to", lang), className="visually-hidden"),
                    dcc.Input(
                        id=DATE_TO,
                        type="date",
                        value=state.end.isoformat(),
                        debounce=True,
                        className="form-control form-control-sm",
                    ),
                ],
                className="mb-0",
            ),
        ],
        className="lead-dates",
    )
    home_opts = [{"label": t(f"leadership.home_level.{k}", lang), "value": k} for k in HOME_LEVELS]
    deputy_opts = [{"label": t(f"leadership.deputy_level.{k}", lang), "value": k} for k in DEPUTY_LEVELS]
    body = html.Div(
        [
            html.Div([html.Label(t("leadership.period", lang)), presets, dates], className="lead-field"),
            html.Div(
                [
                    html.Label(t("leadership.township", lang)),
                    _multi_dropdown(TOWNSHIP, townships, state.townships, lang, "leadership.all_townships"),
                ],
                className="lead-field lead-field-wide",
            ),
            html.Div(
                [
                    html.Label(t("leadership.home_level", lang)),
                    _multi_dropdown(HOME_LEVEL, home_opts, state.home_levels, lang, "leadership.all"),
                ],
                className="lead-field",
            ),
            html.Div(
                [
                    html.Label(t("leadership.deputy_level", lang)),
                    _multi_dropdown(DEPUTY_LEVEL, deputy_opts, state.deputy_levels, lang, "leadership.all"),
                ],
                className="lead-field",
            ),
        ],
        className="offcanvas-body lead-filter-body",
    )
    header = html.Div(
        [
            html.H5(t("leadership.filters", lang), className="offcanvas-title"),
            html.Button(
                className="btn-close",
                id=FILTER_CLOSE,
                type="button",
                **{"aria-label": t("leadership.close", lang)},
            ),
        ],
        className="offcanvas-header",
    )
    return html.Div(
        [header, body],
        id=FILTER_PANEL,
        className="offcanvas-lg offcanvas-start lead-filters",
        tabIndex="-1",
    )


def breadcrumb(items: list[tuple[str, str | None]]) -> html.Nav:
    """``[(label, href or None)]`` as a breadcrumb; the last item is the current page."""
    crumbs = []
    for i, (text, href) in enumerate(items):
        last = i == len(items) - 1
        crumbs.append(
            html.Li(
                text if last or not href else dcc.Link(text, href=href),
                className="breadcrumb-item" + (" active" if last else ""),
                **({"aria-current": "page"} if last else {}),
            )
        )
    return html.Nav(html.Ol(crumbs, className="breadcrumb mb-0"), **{"aria-label": "breadcrumb"})


# ---- panels -------------------------------------------------------------------------------------


def download_menu(panel: Panel, state: ViewState, lang: str | None) -> dbc.DropdownMenu:
    formats = CHART_FORMATS if panel.is_chart else TABLE_FORMATS
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(
                t(f"leadership.fmt.{fmt}", lang),
                id=download_id(panel.key, fmt),
                href=download_href(panel.key, fmt, state),
                external_link=True,
            )
            for fmt in formats
        ],
        label=html.I(className="bi bi-download"),
        size="sm",
        color="link",
        align_end=True,
        toggle_class_name="lead-dl-toggle",
        class_name="lead-dl-menu",
    )


def panel_title_id(key: str) -> str:
    """The id of a panel's title (the units panel's title follows the view's region level)."""
    return f"lead-panel-title-{key}"


def panel_card(panel: Panel, state: ViewState, lang: str | None, body) -> dbc.Card:
    """A panel card: title, 口径 popover, download menu, and ``body`` (graph or grid)."""
    info_id = f"lead-panel-info-{panel.key}"
    definition = t(panel.def_key, lang)
    header = dbc.CardHeader(
        [
            html.Span(t(panel.title_key, lang), id=panel_title_id(panel.key), className="lead-panel-title"),
            html.Button(
                html.I(className="bi bi-info-circle"),
                id=info_id,
                className="lead-info",
                title=definition,
                type="button",
                **{"aria-label": t("leadership.definition", lang)},
            ),
            dbc.Popover(dbc.PopoverBody(definition), target=info_id, trigger="hover focus"),
            download_menu(panel, state, lang),
        ],
        className="lead-panel-head",
    )
    return dbc.Card([header, dbc.CardBody(body, className="lead-panel-body")], className="lead-panel h-100")


def panel_body(panel: Panel, lang: str | None):
    """The empty graph or grid a panel's callback fills."""
    if panel.is_chart:
        return dcc.Loading(
            dcc.Graph(id=graph_id(panel.key), config=GRAPH_CONFIG, className="lead-graph"),
            type="dot",
        )
    # Under the grid: "first N of M rows" when the grid does not show every row (filled by the callback).
    return html.Div(
        [
            data_grid(grid_id(panel.key), pd.DataFrame(), lang),
            html.Div(id=grid_note_id(panel.key), className="lead-grid-note small text-body-secondary mt-1"),
        ]
    )


# ---- tables -------------------------------------------------------------------------------------


def _json_value(value):
    if value is None:
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return (
            value.isoformat(sep=" ", timespec="minutes") if value.hour or value.minute else str(value.date())
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe dicts (dates as ISO strings, missing values as ``None``, rates in %)."""
    return [{k: _json_value(v) for k, v in row.items()} for row in grid_frame(df).to_dict("records")]


def is_rate(column: str) -> bool:
    return column.endswith("_rate")


def grid_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Rows as a grid shows them: rates as percentages with one decimal (no JavaScript formatter:
    the page's CSP forbids the ``eval`` that AG Grid's function strings need)."""
    rates = [c for c in df.columns if is_rate(c)]
    if not rates:
        return df
    return df.assign(**{c: (df[c].astype(float) * 100).round(1) for c in rates})


# Text widths in the grid's font (13-14 px): a CJK character, any other character, a cell's padding.
WIDE_CHAR_PX, NARROW_CHAR_PX, CELL_PADDING_PX = 14, 8, 34
# A text column grows to fit its longest value up to this; longer titles show in full in a tooltip.
TEXT_MAX_PX = 240


@functools.lru_cache(maxsize=8192)
def text_px(text: str) -> int:
    """Rough rendered width of ``text``: enough to size a column so that nothing is cut (cached: a
    render measures the same names, levels and dates in every grid)."""
    return sum(WIDE_CHAR_PX if ord(c) > 0x2E80 else NARROW_CHAR_PX for c in text)


# Rows a column's width is measured on.
WIDTH_SAMPLE_ROWS = 200


def min_width(values: Iterable, header: str) -> int:
    """A column's minimum width: its ``values`` (JSON values as the grid shows them, see :func:`records`)
    in full (dates, numbers; text up to ``TEXT_MAX_PX``) and its header on at most two lines (headers
    wrap)."""
    widest = max((text_px(text) for text in {str(v) for v in values if v is not None}), default=0)
    return max(90, min(widest, TEXT_MAX_PX) + CELL_PADDING_PX, (text_px(header) + 1) // 2 + CELL_PADDING_PX)


def column_defs(
    df: pd.DataFrame, lang: str | None, links: dict[str, str] | None = None, rows: list[dict] | None = None
) -> list[dict]:
    """AG Grid columns: catalogued header names, numbers right-aligned, rates as percentages, every
    column at least as wide as its dates, numbers and (up to a cap) names; text in a tooltip too.

    ``links`` maps a column to a markdown-link column already in ``df`` (e.g. name -> name_link).
    ``rows``: ``records(df)`` when the caller has them (widths are measured on what the grid shows).
    """
    links = links or {}
    hidden = set(links.values())
    sample = (rows if rows is not None else records(df.head(WIDTH_SAMPLE_ROWS)))[:WIDTH_SAMPLE_ROWS]
    defs = []
    for col in df.columns:
        if col in hidden:
            continue
        spec: dict = {"field": col, "headerName": label(col, lang)}
        numeric = pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
        if col in links:
            spec = {
                "field": links[col],
                "headerName": label(col, lang),
                "cellRenderer": "markdown",
                "tooltipField": col,
            }
        elif is_rate(col):
            spec.update(
                headerName=f"{label(col, lang)} (%)", type="numericColumn", filter="agNumberColumnFilter"
            )
        elif numeric:
            spec.update(type="numericColumn", filter="agNumberColumnFilter")
        else:
            spec["tooltipField"] = col
        spec["minWidth"] = min_width((row[col] for row in sample), spec["headerName"])
        defs.append(spec)
    return defs


def grid_locale(lang: str | None) -> dict:
    keys = ("page", "of", "to", "more", "noRowsToShow", "filterOoo", "contains", "equals", "loadingOoo")
    texts = {k: t(f"leadership.grid.{k}", lang) for k in keys}
    texts["noRowsToShow"] = t("period.empty", lang)  # an empty grid says what an empty chart says
    return texts


def data_grid(
    id_, df: pd.DataFrame, lang: str | None, links: dict[str, str] | None = None, page_size: int = 10
):
    rows = records(df)
    return dag.AgGrid(
        id=id_,
        rowData=rows,
        columnDefs=column_defs(df, lang, links, rows),
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "minWidth": 90,
            "flex": 1,
            # Headers wrap rather than end in "…" (阵地名称, 按期办理率 (%)).
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        dashGridOptions={
            "tooltipShowDelay": 300,
            "pagination": True,
            "paginationPageSize": page_size,
            "paginationPageSizeSelector": False,
            "domLayout": "autoHeight",
            "localeText": grid_locale(lang),
        },
        className="lead-grid",
        style={"width": "100%"},
    )


def link_column(df: pd.DataFrame, text_col: str, href: str, id_col: str, query: str = "") -> pd.DataFrame:
    """Add ``<text_col>_link`` holding a markdown link per row (``[name](/deputy?id=..&from=..)``)."""
    if df.empty or text_col not in df.columns or id_col not in df.columns:
        return df
    out = df.copy()
    sep = "&" + query.lstrip("?") if query else ""
    out[f"{text_col}_link"] = [
        _md_link(text, f"{href}?id={quote(str(ident), safe='')}{sep}")
        for text, ident in zip(out[text_col].tolist(), out[id_col].tolist(), strict=True)
    ]
    return out


def _md_link(text, href: str) -> str:
    if text is None or ident_missing(text):
        return ""
    return f"[{_md_escape(str(text))}]({href})"


def ident_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _md_escape(text: str) -> str:
    """Record text is data: escape markdown so a name cannot inject links or markup."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!<>|" else c for c in text)


# ---- drill-down pages ---------------------------------------------------------------------------


def page_shell(
    title: str, crumbs: list[tuple[str, str | None]], children: list, lang: str | None
) -> html.Div:
    """A drill-down page: breadcrumb, title, content; scoped under ``.lead-root`` like the main view."""
    return html.Div(
        [
            html.Div(breadcrumb(crumbs), className="lead-nav"),
            html.H1(title, className="lead-title mb-2"),
            *children,
        ],
        className="lead-root container-fluid",
        lang="en" if lang == "en" else "zh-CN",
    )


def facts(items: list[tuple[str, str]]) -> html.Div:
    """A line of labelled facts: ``级别 区级 · 所属 石拐街道 · …``."""
    return html.Div(
        [html.Span([html.Span(f"{k}：", className="text-muted"), html.Strong(v)]) for k, v in items],
        className="lead-facts",
    )


def simple_card(title: str, body, extra=None) -> dbc.Card:
    head = [html.Span(title, className="lead-panel-title")]
    if extra is not None:
        head.append(extra)
    return dbc.Card(
        [dbc.CardHeader(head, className="lead-panel-head"), dbc.CardBody(body, className="lead-panel-body")],
        className="lead-panel h-100",
    )


def static_graph(fig) -> dcc.Graph:
    return dcc.Graph(figure=escape_figure(fig), config=GRAPH_CONFIG, className="lead-graph")


def not_found(message: str, back_href: str, lang: str | None) -> html.Div:
    return html.Div(
        [
            html.P(message, className="lead-not-found"),
            dcc.Link(
                t("leadership.back_district", lang, **region_view.whole_words(lang)),
                href=back_href,
                className="btn btn-outline-primary btn-sm",
            ),
        ],
        className="lead-root container-fluid py-4",
    )


def district_crumb(state: ViewState, district: str, lang: str | None) -> tuple[str, str]:
    """The breadcrumb's first item: the whole district, keeping the period and other filters."""
    words = {**region_view.whole_words(lang), "district": district}
    return t("leadership.crumb_district", lang, **words), "/" + to_search(state.with_(townships=()))


def township_crumb(state: ViewState, code: str, name: str) -> tuple[str, str]:
    return name, "/township" + to_search(state.with_(townships=()), code=code)
