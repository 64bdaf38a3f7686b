"""The metric dictionary (``/metrics``): every KPI's name, id and 口径, and every panel's 口径."""

from __future__ import annotations

from dash import dcc, html

from dashboard import context, region_view
from dashboard.components import lead_layout as L
from dashboard.components.lead_panels import PANELS
from warehouse.i18n import normalize_lang, t
from warehouse.query import KPI_IDS, RATE_KPIS

KPI_TABLE = "lead-metrics-kpis"
AS_OF_NOTE = "metric-note-as-of"
PANEL_TABLE = "lead-metrics-panels"


def kpi_rows(lang: str | None) -> list[html.Tr]:
    return [
        html.Tr(
            [
                html.Td(t(f"kpi.{k}.name", lang), className="fw-semibold"),
                html.Td(html.Code(k)),
                html.Td(
                    t("leadership.metric_rate", lang)
                    if k in RATE_KPIS
                    else t("leadership.metric_count", lang)
                ),
                html.Td(t(f"kpi.{k}.def", lang)),
            ],
            id=f"lead-metric-{k}",
        )
        for k in (*KPI_IDS, "points_ranking")
    ]


def panel_rows(lang: str | None) -> list[html.Tr]:
    return [
        html.Tr([html.Td(t(p.title_key, lang), className="fw-semibold"), html.Td(t(p.def_key, lang))])
        for p in PANELS
    ]


def metrics_view(district: str, lang: str | None) -> html.Div:
    """The dictionary page (pure)."""
    head = html.Thead(
        html.Tr(
            [
                html.Th(t("leadership.metric_name", lang)),
                html.Th(t("leadership.metric_id", lang)),
                html.Th(t("leadership.metric_kind", lang)),
                html.Th(t("leadership.definition", lang)),
            ]
        )
    )
    kpis = html.Table(
        [head, html.Tbody(kpi_rows(lang))],
        id=KPI_TABLE,
        className="table table-sm table-striped lead-metric-table",
    )
    panels = html.Table(
        [
            html.Thead(
                html.Tr(
                    [html.Th(t("leadership.metric_panel", lang)), html.Th(t("leadership.definition", lang))]
                )
            ),
            html.Tbody(panel_rows(lang)),
        ],
        id=PANEL_TABLE,
        className="table table-sm table-striped lead-metric-table",
    )
    settings = context.settings()
    as_of_note = t(
        "timefmt.metric_note_as_of",
        lang,
        days=f"{settings.stale_after_export_days:g}",
        hours=f"{settings.stale_after_hours:g}",
        zone=settings.timezone,
    )
    notes = html.Ul(
        [
            *(html.Li(t(f"leadership.metric_note.{i}", lang)) for i in range(1, 4)),
            html.Li(as_of_note, id=AS_OF_NOTE),
        ],
        className="small",
    )
    back = "/" + ("?lang=en" if lang == "en" else "")
    words = {**region_view.whole_words(lang), "district": district}
    children = [
        notes,
        html.Div(kpis, className="table-responsive"),
        html.H2(t("leadership.metric_panels", lang), className="h5 mt-4"),
        html.Div(panels, className="table-responsive"),
        dcc.Link(t("leadership.back_district", lang, **words), href=back, className="btn btn-link"),
    ]
    crumbs = [
        (t("leadership.crumb_district", lang, **words), back),
        (t("leadership.metrics_link", lang), None),
    ]
    return L.page_shell(t("leadership.metrics_title", lang), crumbs, children, lang)


def metrics_page(lang: str | None = None, **_):
    return metrics_view(context.settings().district_name, normalize_lang(lang))
