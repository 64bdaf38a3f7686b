"""Each page loads only the bundles and stylesheets it uses (dashboard/app.py: CockpitDash)."""

from __future__ import annotations

import re

import pytest

from dashboard.app import create_app
from warehouse.settings import Settings

WALL_ONLY = ("/assets/wall.js", "/assets/wall.css", "/assets/ops.css")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("assets") / "data"))
    app._setup_server()  # registers assets/ as Dash does on the first request
    return app


def loaded(app, path: str) -> list[str]:
    with app.server.test_request_context(path):
        page = app.index()
    return [u.split("?")[0] for u in re.findall(r'(?:src|href)="([^"]+)"', page)]


@pytest.mark.parametrize("path", ["/", "/township", "/metrics", "/ops"])
def test_leadership_pages_load_none_of_the_walls_assets(app, path):
    urls = loaded(app, path)
    assert "/assets/leadership.css" in urls
    assert not [u for u in urls if u in WALL_ONLY or u.endswith("login.css") or "dash_table" in u]
    assert any("dash_ag_grid" in u for u in urls)  # what the page does use stays


def test_the_wall_loads_its_own_assets_and_nothing_of_the_other_pages(app):
    urls = loaded(app, "/wall")
    assert set(WALL_ONLY) <= set(urls)
    assert not [u for u in urls if "leadership.css" in u or "login.css" in u or "dash_table" in u]
    assert not [u for u in urls if "dash_ag_grid" in u or "dash_bootstrap_components" in u]


def test_the_login_form_still_gets_its_stylesheet(app):
    client = app.server.test_client()
    assert "/assets/login.css" in client.get("/login").get_data(as_text=True)
    assert client.get("/assets/login.css").status_code == 200
