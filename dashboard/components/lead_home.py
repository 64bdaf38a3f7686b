"""Home drill-down (``/home?id=…&from=…&to=…``): activities over time, by type, deputies stationed, visitors.

Rendered server-side from the URL through the query layer's ``home_detail`` (None when the home is
unknown or outside the user's scope: the page then says so and shows nothing else).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard import context
from dashboard.components import lead_figures as figs
from dashboard.components import lead_layout as L
from dashboard.components.lead_format import fmt_count
from dashboard.components.lead_layout import district_crumb, township_crumb
from dashboard.filters import ViewState, filters_from_state, parse_search, to_search
from dashboard.period_default import current_default_period
from warehouse import query
from warehouse.i18n import normalize_lang, t

DEPUTY_TABLE = "lead-home-deputies"
LATEST_TABLE = "lead-home-latest"
LATEST_COLUMNS = ("activity_date", "activity_type", "title", "visitors", "deputy_count")


def monthly_figure(monthly: pd.DataFrame, lang: str | None):
    return figs.trend_figure(monthly, lang)


def by_type_figure(by_type: pd.DataFrame, lang: str | None):
    if by_type.empty:
        return figs.empty_figure(lang)
    return figs.bar_figure(
        by_type, "activity_type", "activities", lang, horizontal=True, color=figs.PALETTE[2]
    )


def home_view(state: ViewState, detail: dict, district: str, lang: str | None) -> html.Div:
    """The home page from ``query.home_detail``'s result (pure)."""
    home = detail["home"]
    code = str(home.get("township_code") or "")
    local = state.with_(townships=(code,) if code else ())
    query_string = to_search(local)
    deputies = L.link_column(detail["deputies"], "deputy_name", "/deputy", "deputy_id", query_string)
    latest = detail["latest"]
    latest = latest[[c for c in LATEST_COLUMNS if c in latest.columns]]
    monthly = detail["monthly"]
    visitors = int(monthly["visitors"].sum()) if "visitors" in monthly.columns else None
    activities = int(monthly["activities"].sum()) if "activities" in monthly.columns else None
    level = home.get("home_level") or ""
    children = [
        L.facts(
            [
                (t("leadership.fact.level", lang), str(level)),
                (t("leadership.fact.township", lang), str(home.get("township_name") or "—")),
                (t("leadership.fact.opened_on", lang), str(home.get("opened_on") or "—")),
                (t("leadership.fact.deputies", lang), fmt_count(home.get("deputies"))),
                (t("leadership.fact.period", lang), f"{state.start} – {state.end}"),
                (t("leadership.col.activities", lang), fmt_count(activities)),
                (t("leadership.col.visitors", lang), fmt_count(visitors)),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    L.simple_card(
                        t("leadership.home_monthly", lang), L.static_graph(monthly_figure(monthly, lang))
                    ),
                    lg=8,
                    xs=12,
                ),
                dbc.Col(
                    L.simple_card(
                        t("leadership.home_by_type", lang),
                        L.static_graph(by_type_figure(detail["by_type"], lang)),
                    ),
                    lg=4,
                    xs=12,
                ),
            ],
            className="g-3 mb-3",
        ),
        dbc.Row(
            [
                dbc.Col(
                    L.simple_card(
                        t("leadership.home_deputies", lang),
                        L.data_grid(DEPUTY_TABLE, deputies, lang, {"deputy_name": "deputy_name_link"}),
                    ),
                    lg=5,
                    xs=12,
                ),
                dbc.Col(
                    L.simple_card(t("leadership.home_latest", lang), L.data_grid(LATEST_TABLE, latest, lang)),
                    lg=7,
                    xs=12,
                ),
            ],
            className="g-3 mb-3",
        ),
    ]
    crumbs = [district_crumb(state, district, lang)]
    if code:
        crumbs.append(township_crumb(state, code, str(home.get("township_name") or code)))
    crumbs.append((str(home.get("home_name") or ""), None))
    return L.page_shell(str(home.get("home_name") or ""), crumbs, children, lang)


def home_page(id: str | None = None, **params):  # noqa: A002 - the URL's parameter name
    state = parse_search(params, current_default_period().as_tuple())
    lang = normalize_lang(state.lang)
    back = "/" + to_search(state.with_(townships=()))
    if not id:
        return L.not_found(t("leadership.home_not_found", lang), back, lang)
    filters = filters_from_state(state.with_(townships=(), home_levels=()))
    with context.reader().cursor() as con:
        detail = query.home_detail(con, filters, str(id))
    if detail is None:
        return L.not_found(t("leadership.home_not_found", lang), back, lang)
    return home_view(state, detail, context.settings().district_name, lang)
