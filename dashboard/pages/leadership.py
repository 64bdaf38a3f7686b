"""The leadership view (领导驾驶舱) at ``/``: page registration and thin callbacks.

The layout and the functions the callbacks call live in :mod:`dashboard.components.lead_view`.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from dashboard.components import lead_layout as L
from dashboard.components.lead_map import bar_click_code, map_click_code, township_codes
from dashboard.components.lead_view import (
    anchor_day,
    default_period,
    map_units,
    page_layout,
    render_panels,
    render_summary,
    sync_controls,
    units_title,
)

dash.register_page(__name__, path="/", name="leadership")


def layout(**params):
    return page_layout(**params)


# ---- Dash wiring --------------------------------------------------------------------------------


@callback(
    Output(L.LOCATION, "search"),
    Output(L.PRESET, "value"),
    Output(L.DATE_FROM, "value"),
    Output(L.DATE_TO, "value"),
    Output(L.TOWNSHIP, "value"),
    Output(L.HOME_LEVEL, "value"),
    Output(L.DEPUTY_LEVEL, "value"),
    Input(L.LOCATION, "search"),
    Input(L.PRESET, "value"),
    Input(L.DATE_FROM, "value"),
    Input(L.DATE_TO, "value"),
    Input(L.TOWNSHIP, "value"),
    Input(L.HOME_LEVEL, "value"),
    Input(L.DEPUTY_LEVEL, "value"),
    Input(L.graph_id("townships"), "clickData"),
    Input(L.MAP_GRAPH, "clickData"),
    Input(L.RESET, "n_clicks"),
    prevent_initial_call=True,
)
def _sync(search, preset, date_from, date_to, townships, home_levels, deputy_levels, bar_click, map_click, _):
    trigger = ctx.triggered_id
    clicked = None
    if trigger == L.MAP_GRAPH:
        clicked = map_click_code(map_click, township_codes(map_units(search)))
        if clicked is None:
            return (no_update,) * 7
    elif isinstance(trigger, dict) and trigger.get("panel") == "townships":
        clicked = bar_click_code(bar_click)
    return sync_controls(
        trigger,
        search,
        preset,
        date_from,
        date_to,
        townships,
        home_levels,
        deputy_levels,
        clicked,
        default_period(),
        anchor_day(),
    )


@callback(
    Output(L.KPI_ROW, "children"),
    Output(L.BREADCRUMB, "children"),
    Output(L.RESET, "style"),
    Output(L.SCOPE_LINE, "children"),
    Output(L.REPORT_LINK, "href"),
    Input(L.LOCATION, "search"),
)
def _render_summary(search):
    return render_summary(search)


@callback(Output(L.panel_title_id("townships"), "children"), Input(L.LOCATION, "search"))
def _units_title(search):
    return units_title(search)


@callback(
    Output(L.BRIEF_LINK, "href"),
    Output(L.BRIEF_DOCX_LINK, "href"),
    Input(L.LOCATION, "search"),
)
def _brief_links(search):
    return L.brief_href(search, "pdf"), L.brief_href(search, "docx")


@callback(
    Output({"type": L.GRAPH_TYPE, "panel": ALL}, "figure"),
    Output({"type": L.GRID_TYPE, "panel": ALL}, "rowData"),
    Output({"type": L.GRID_TYPE, "panel": ALL}, "columnDefs"),
    Output({"type": L.DL_TYPE, "panel": ALL, "fmt": ALL}, "href"),
    Output(L.MAP_GRAPH, "figure"),
    Output({"type": L.GRID_NOTE_TYPE, "panel": ALL}, "children"),
    Input(L.LOCATION, "search"),
)
def _render_panels(search):
    return render_panels(search)


clientside_callback(
    """
    function(openClicks, closeClicks, className) {
        const base = (className || '').replace(/\\bshow\\b/g, '').trim();
        const id = window.dash_clientside.callback_context.triggered_id;
        return id === 'lead-filter-toggle' ? base + ' show' : base;
    }
    """,
    Output(L.FILTER_PANEL, "className"),
    Input(L.FILTER_TOGGLE, "n_clicks"),
    Input(L.FILTER_CLOSE, "n_clicks"),
    State(L.FILTER_PANEL, "className"),
    prevent_initial_call=True,
)
