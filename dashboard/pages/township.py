"""Township drill-down (``/township?code=…&from=…&to=…``): KPIs with 同比/环比, trend, homes, deputies.

Page registration only; the page is built by :mod:`dashboard.components.lead_township`.
"""

from __future__ import annotations

import dash

from dashboard.components.lead_township import township_page

dash.register_page(__name__, path="/township", name="township")


def layout(code: str | None = None, **params):
    return township_page(code=code, **params)
