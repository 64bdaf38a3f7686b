"""Township drill-down (``/township?code=…&from=…&to=…``): KPIs with 同比/环比, trend, homes, deputies.

Rendered server-side from the URL (no callbacks): the same filters as the leadership view, restricted
to one township through :func:`dashboard.filters.filters_from_state` (the user's scope applies).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard import context, region_view
from dashboard.components import lead_layout as L
from dashboard.components.lead_kpi import kpi_as_of_texts, kpi_grid
from dashboard.components.lead_layout import district_crumb
from dashboard.components.lead_panels import (
    PANELS_BY_KEY,
    as_frame,
    kpi_triple,
    township_names,
)
from dashboard.filters import ViewState, filters_from_state, parse_search, to_search
from dashboard.period_default import current_default_period
from warehouse import query
from warehouse.i18n import normalize_lang, t

HOME_TABLE = "lead-township-homes"
DEPUTY_TABLE = "lead-township-deputies"
HOME_COLUMNS = ("home_id", "home_name", "home_level", "deputies", "activities", "visitors")
DEPUTY_COLUMNS = ("rank", "deputy_id", "deputy_name", "levels", "points", "absences")


def township_view(
    state: ViewState,
    code: str,
    name: str,
    kpis: tuple[dict, dict, dict],
    trend_fig,
    homes: pd.DataFrame,
    ranking: pd.DataFrame,
    district: str,
    lang: str | None,
    as_of: dict | None = None,
) -> html.Div:
    """The township page from its data (pure)."""
    local = state.with_(townships=(code,))
    query_string = to_search(local)
    homes = homes[[c for c in HOME_COLUMNS if c in homes.columns]]
    ranking = ranking[[c for c in DEPUTY_COLUMNS if c in ranking.columns]]
    homes_linked = L.link_column(homes, "home_name", "/home", "home_id", query_string)
    ranking_linked = L.link_column(ranking, "deputy_name", "/deputy", "deputy_id", query_string)
    trend_panel = PANELS_BY_KEY["trend"]
    ranking_panel = PANELS_BY_KEY["ranking"]
    children = [
        L.facts([(t("leadership.fact.period", lang), f"{state.start} – {state.end}")]),
        dbc.Row(kpi_grid(*kpis, lang, as_of), className="g-2 mb-3 row-cols-2 row-cols-md-3 row-cols-xl-5"),
        dbc.Row(
            dbc.Col(L.panel_card(trend_panel, local, lang, L.static_graph(trend_fig)), xs=12),
            className="g-3 mb-3",
        ),
        dbc.Row(
            [
                dbc.Col(
                    L.simple_card(
                        t("leadership.township_homes", lang),
                        L.data_grid(HOME_TABLE, homes_linked, lang, {"home_name": "home_name_link"}),
                    ),
                    lg=6,
                    xs=12,
                ),
                dbc.Col(
                    L.panel_card(
                        ranking_panel,
                        local,
                        lang,
                        L.data_grid(DEPUTY_TABLE, ranking_linked, lang, {"deputy_name": "deputy_name_link"}),
                    ),
                    lg=6,
                    xs=12,
                ),
            ],
            className="g-3 mb-3",
        ),
        dcc.Link(
            t("leadership.back_district", lang, **region_view.whole_words(lang)),
            href="/" + query_string,
            className="btn btn-link",
        ),
    ]
    crumbs = [district_crumb(state, district, lang), (name, None)]
    return L.page_shell(t("leadership.township_title", lang, name=name), crumbs, children, lang)


def township_page(code: str | None = None, **params):
    state = parse_search(params, current_default_period().as_tuple())
    lang = normalize_lang(state.lang)
    code = str(code or "")
    filters = filters_from_state(state.with_(townships=(code,)))
    back = "/" + to_search(state.with_(townships=()))
    if not code or filters.townships != (code,):
        return L.not_found(t("leadership.township_not_found", lang), back, lang)
    with context.reader().cursor() as con:
        names = township_names(as_frame(query.township_options(con)))
        if code not in names:
            return L.not_found(t("leadership.township_not_found", lang), back, lang)
        kpis = kpi_triple(con, filters)
        as_of = kpi_as_of_texts(query.kpi_as_of(con), context.settings())
        trend = PANELS_BY_KEY["trend"].rows(con, filters)
        homes = as_frame(query.home_map(con, filters))
        ranking = as_frame(query.points_ranking(con, filters))
    trend_fig = PANELS_BY_KEY["trend"].figure(trend, lang, filters)
    return township_view(
        state,
        code,
        names[code],
        kpis,
        trend_fig,
        homes,
        ranking,
        context.settings().district_name,
        lang,
        as_of,
    )
