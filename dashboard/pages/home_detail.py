"""Home drill-down (``/home?id=…&from=…&to=…``): activities over time, by type, deputies stationed, visitors.

Page registration only; the page is built by :mod:`dashboard.components.lead_home`.
"""

from __future__ import annotations

import dash

from dashboard.components.lead_home import home_page

dash.register_page(__name__, path="/home", name="home")


def layout(id: str | None = None, **params):  # noqa: A002 - the URL's parameter name
    return home_page(id=id, **params)
