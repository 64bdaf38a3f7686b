"""Deputy drill-down (``/deputy?id=…&from=…&to=…``): points by rule, activities, suggestions and cases.

Page registration only; the page is built by :mod:`dashboard.components.lead_deputy`.
"""

from __future__ import annotations

import dash

from dashboard.components.lead_deputy import deputy_page

dash.register_page(__name__, path="/deputy", name="deputy")


def layout(id: str | None = None, **params):  # noqa: A002 - the URL's parameter name
    return deputy_page(id=id, **params)
