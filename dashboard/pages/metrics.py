"""The metric dictionary (``/metrics``): every KPI's name, id and 口径, and every panel's 口径.

Page registration only; the page is built by :mod:`dashboard.components.lead_metrics`.
"""

from __future__ import annotations

import dash

from dashboard.components.lead_metrics import metrics_page

dash.register_page(__name__, path="/metrics", name="metrics")


def layout(lang: str | None = None, **params):
    return metrics_page(lang=lang, **params)
