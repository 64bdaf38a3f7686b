"""KPI cards of the leadership view: value, 同比 and 环比 deltas, and the 口径 in a popover."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components.lead_format import STATIC_KPIS, as_number, delta, fmt_kpi
from warehouse import timefmt
from warehouse.i18n import t
from warehouse.query import KPI_IDS
from warehouse.settings import Settings

KPI_VALUE_CLASS = "lead-kpi-value"


def kpi_value_id(kpi_id: str) -> str:
    return f"lead-kpi-value-{kpi_id}"


def kpi_info_id(kpi_id: str) -> str:
    return f"lead-kpi-info-{kpi_id}"


def _delta_span(kpi_id: str, current, previous, label_key: str, lang: str | None) -> html.Span:
    found = delta(kpi_id, current, previous)
    if found is None:
        return html.Span([t(label_key, lang), " —"], className="lead-delta lead-flat")
    text, sign = found
    arrow = {1: "bi-caret-up-fill", -1: "bi-caret-down-fill", 0: "bi-dash"}[sign]
    tone = {1: "lead-up", -1: "lead-down", 0: "lead-flat"}[sign]
    return html.Span(
        [t(label_key, lang), " ", html.I(className=f"bi {arrow}"), text], className=f"lead-delta {tone}"
    )


def kpi_card(
    kpi_id: str, value, yoy_value, prev_value, lang: str | None, as_of=None, *, with_previous: bool = True
) -> dbc.Card:
    """One KPI card; ``data-kpi``/``data-value`` carry the raw value for tests and scripts.

    ``with_previous=False`` leaves out 环比 (for a whole year it is 同比 again).

    ``as_of`` is how current the KPI's source is (its newest export date, else a load time; shown with
    the 口径, since each source arrives on its own schedule).
    """
    name = t(f"kpi.{kpi_id}.name", lang)
    definition = t(f"kpi.{kpi_id}.def", lang)
    raw = as_number(value)
    deltas = (
        [html.Div(t("leadership.kpi_static", lang), className="lead-delta lead-flat")]
        if kpi_id in STATIC_KPIS
        else [
            _delta_span(kpi_id, value, yoy_value, "leadership.yoy", lang),
            *([_delta_span(kpi_id, value, prev_value, "leadership.mom", lang)] if with_previous else []),
        ]
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.Span(name, className="lead-kpi-name"),
                        html.Button(
                            html.I(className="bi bi-info-circle"),
                            id=kpi_info_id(kpi_id),
                            className="lead-info",
                            title=definition,
                            type="button",
                            **{"aria-label": t("leadership.definition", lang)},
                        ),
                    ],
                    className="lead-kpi-head",
                ),
                html.Div(
                    fmt_kpi(kpi_id, value),
                    id=kpi_value_id(kpi_id),
                    className=KPI_VALUE_CLASS,
                    **{"data-kpi": kpi_id, "data-value": "" if raw is None else repr(raw)},
                ),
                html.Div(deltas, className="lead-deltas"),
                dbc.Popover(
                    [dbc.PopoverHeader(name), dbc.PopoverBody([definition, *_as_of_line(as_of, lang)])],
                    target=kpi_info_id(kpi_id),
                    trigger="hover focus",
                    placement="bottom",
                ),
            ]
        ),
        className="lead-kpi h-100",
    )


def _as_of_line(as_of, lang: str | None) -> list:
    if as_of is None:
        return []
    # Callers render in the installation's zone (kpi_as_of_texts); a raw time here is shown in the default one.
    text = as_of if isinstance(as_of, str) else timefmt.show(as_of, Settings.timezone)
    return [html.Div(t("leadership.as_of", lang, as_of=text), className="lead-kpi-asof")]


def kpi_as_of_texts(as_of: dict, zone) -> dict[str, str]:
    """Per KPI id, its as-of (``warehouse.query.kpi_as_of``) as a person reads it in ``zone``."""
    return {k: timefmt.show(v, zone) for k, v in (as_of or {}).items() if v is not None}


def kpi_grid(
    values: dict, yoy: dict, previous: dict | None, lang: str | None, as_of: dict | None = None
) -> list:
    """A card per KPI in :data:`warehouse.query.KPI_IDS`, in that order (``as_of``: per KPI id).

    ``previous`` None: no 环比 (the previous period is last year's, see ``lead_panels.kpi_triple``).
    """
    as_of = as_of or {}
    return [
        dbc.Col(
            kpi_card(
                k,
                values.get(k),
                yoy.get(k),
                (previous or {}).get(k),
                lang,
                as_of.get(k),
                with_previous=previous is not None,
            ),
            className="lead-kpi-col",
        )
        for k in KPI_IDS
    ]
