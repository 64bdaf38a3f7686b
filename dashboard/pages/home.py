"""Interim landing page: the KPI list for the default period (replaced by the leadership view)."""

from __future__ import annotations

import dash
from dash import html

from dashboard import context
from warehouse import query
from warehouse.i18n import t

dash.register_page(__name__, path="/")


def layout(lang: str | None = None, **_):
    settings = context.settings()
    start, end = settings.default_period()
    with context.reader().cursor() as con:
        values = query.kpis(con, query.Filters(start=start, end=end))
    return html.Div(
        [html.H1(f"{settings.district_name} {start}–{end}")]
        + [html.P(f"{t(f'kpi.{k}.name', lang)}: {values.get(k)}") for k in query.KPI_IDS],
        className="container",
    )
