"""Deputy drill-down (``/deputy?id=…&from=…&to=…``): points by rule, activities, suggestions and cases.

No personal data: the query layer's ``deputy_detail`` carries no phone number (the snapshot has none).
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

RECORDS_TABLE = "lead-deputy-records"
RECORD_KEYS = ("suggestions", "suggestions_adopted", "petition_cases", "mediation_cases", "mediation_success")


def rules_figure(points_by_rule: pd.DataFrame, lang: str | None):
    rows = points_by_rule
    if "events" in rows.columns:
        rows = rows[rows["events"].fillna(0) > 0]
    if rows.empty:
        return figs.empty_figure(lang)
    name = "rule_name_en" if lang == "en" and "rule_name_en" in rows.columns else "rule_name"
    return figs.bar_figure(rows, name, "points", lang, horizontal=True, color=figs.PALETTE[4])


def monthly_figure(monthly: pd.DataFrame, lang: str | None):
    if monthly.empty:
        return figs.empty_figure(lang)
    frame = monthly.rename(columns={"attendances": "activities", "points": "visitors"})
    fig = figs.trend_figure(frame, lang)
    # trend_figure names series by measure: relabel them as what they are here.
    names = {
        figs.label("activities", lang): figs.label("attendances", lang),
        figs.label("visitors", lang): figs.label("points", lang),
    }
    fig.for_each_trace(lambda tr: tr.update(name=names.get(tr.name, tr.name)))
    fig.update_layout(
        yaxis2={"title": figs.label("points", lang)}, yaxis={"title": figs.label("attendances", lang)}
    )
    return fig


def by_type_figure(by_type: pd.DataFrame, lang: str | None):
    if by_type.empty:
        return figs.empty_figure(lang)
    return figs.bar_figure(
        by_type, "activity_type", "attendances", lang, horizontal=True, color=figs.PALETTE[2]
    )


def records_frame(records: dict, lang: str | None) -> pd.DataFrame:
    """The deputy's suggestion and case counts as two columns (item, count)."""
    return pd.DataFrame(
        {
            "item": [figs.label(k, lang) for k in RECORD_KEYS],
            "count": [int(records.get(k) or 0) for k in RECORD_KEYS],
        }
    )


def deputy_view(state: ViewState, detail: dict, district: str, lang: str | None) -> html.Div:
    """The deputy page from ``query.deputy_detail``'s result (pure)."""
    deputy = detail["deputy"]
    code = str(deputy.get("township_code") or "")
    rank = detail.get("rank")
    rank_text = (
        t("leadership.deputy_rank_value", lang, rank=rank, ranked=detail.get("ranked"))
        if rank is not None
        else "—"
    )
    home_name = deputy.get("home_name")
    children = [
        L.facts(
            [
                (t("leadership.fact.levels", lang), str(deputy.get("levels") or "—")),
                (t("leadership.fact.township", lang), str(deputy.get("township_name") or "—")),
                (t("leadership.home", lang), str(home_name or t("leadership.none", lang))),
                (t("leadership.fact.gender", lang), str(deputy.get("gender") or "—")),
                (t("leadership.fact.ethnicity", lang), str(deputy.get("ethnicity") or "—")),
                (t("leadership.fact.period", lang), f"{state.start} – {state.end}"),
            ]
        ),
        L.facts(
            [
                (t("leadership.deputy_points", lang), fmt_count(detail.get("points"))),
                (t("leadership.deputy_rank", lang), rank_text),
                (t("leadership.col.absences", lang), fmt_count(detail.get("absences"))),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    L.simple_card(
                        t("leadership.deputy_by_rule", lang),
                        L.static_graph(rules_figure(detail["points_by_rule"], lang)),
                    ),
                    lg=6,
                    xs=12,
                ),
                dbc.Col(
                    L.simple_card(
                        t("leadership.deputy_monthly", lang),
                        L.static_graph(monthly_figure(detail["monthly"], lang)),
                    ),
                    lg=6,
                    xs=12,
                ),
            ],
            className="g-3 mb-3",
        ),
        dbc.Row(
            [
                dbc.Col(
                    L.simple_card(
                        t("leadership.deputy_by_type", lang),
                        L.static_graph(by_type_figure(detail["by_type"], lang)),
                    ),
                    lg=6,
                    xs=12,
                ),
                dbc.Col(
                    L.simple_card(
                        t("leadership.deputy_records", lang),
                        L.data_grid(RECORDS_TABLE, records_frame(detail["records"], lang), lang),
                    ),
                    lg=6,
                    xs=12,
                ),
            ],
            className="g-3 mb-3",
        ),
    ]
    crumbs = [district_crumb(state, district, lang)]
    if code:
        crumbs.append(township_crumb(state, code, str(deputy.get("township_name") or code)))
    if deputy.get("home_id") and home_name:
        crumbs.append(
            (str(home_name), "/home" + to_search(state.with_(townships=()), id=str(deputy["home_id"])))
        )
    name = str(deputy.get("deputy_name") or "")
    crumbs.append((name, None))
    return L.page_shell(name, crumbs, children, lang)


def deputy_page(id: str | None = None, **params):  # noqa: A002 - the URL's parameter name
    state = parse_search(params, current_default_period().as_tuple())
    lang = normalize_lang(state.lang)
    back = "/" + to_search(state.with_(townships=()))
    if not id:
        return L.not_found(t("leadership.deputy_not_found", lang), back, lang)
    filters = filters_from_state(state.with_(townships=(), home_levels=(), deputy_levels=()))
    with context.reader().cursor() as con:
        detail = query.deputy_detail(con, filters, str(id))
    if detail is None:
        return L.not_found(t("leadership.deputy_not_found", lang), back, lang)
    return deputy_view(state, detail, context.settings().district_name, lang)
