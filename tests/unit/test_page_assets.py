"""Each page loads only the bundles and stylesheets it uses (dashboard/app.py: CockpitDash)."""

from __future__ import annotations

import re

import pytest

from dashboard import plotly_bundle
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


# plotly.js: on the wall the cartesian partial bundle (installed by `make setup`, dashboard/plotly_bundle.py)
# before Dash's scripts and preloaded; everywhere else, and on the wall without it, the full bundle.
FULL_PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"
CARTESIAN = "/vendor/plotly-cartesian.min.js"


def page_html(app, path: str) -> str:
    with app.server.test_request_context(path):
        return app.index()


def tags(app, path: str) -> tuple[list[str], list[str]]:
    """(preloaded URLs, script URLs in page order) of a page, query strings kept."""
    page = page_html(app, path)
    return re.findall(r'<link rel="preload" as="script" href="([^"]+)"[^>]*>', page), re.findall(
        r'<script[^>]*\ssrc="([^"]+)"', page
    )


def test_the_wall_preloads_the_cartesian_plotly_bundle_for_wall_js_to_run(app):
    assert app.wall_plotly is not None, (
        "the cartesian plotly.js bundle is not installed in this venv: run `make setup` "
        "(or .venv/bin/python scripts/fetch-plotly-cartesian --strict)"
    )
    version = plotly_bundle.full_version()
    url = f"{CARTESIAN}?v={version}"
    preloads, scripts = tags(app, "/wall")
    assert url in preloads and not [u for u in preloads if "plotly.min.js" in u]
    assert "/_dash-component-suites/dash/dcc/async-graph.js" in preloads
    # Downloaded with the page, run by wall.js once the first screen is on show (no script tag); the
    # full bundle is wall.js's fallback should this one fail.
    assert not [u for u in scripts if "plotly" in u]
    link = f'<link rel="preload" as="script" href="{url}" data-wall-plotly data-fallback="{FULL_PLOTLY}">'
    assert link in page_html(app, "/wall")
    assert any("dash_renderer" in s for s in scripts)
    served = app.server.test_client().get(url)
    assert served.status_code == 200
    assert plotly_bundle.header_version(served.get_data()) == version
    assert b"cartesian" in served.get_data()[:200]


@pytest.mark.parametrize("path", ["/", "/township", "/ops"])
def test_other_pages_keep_the_full_plotly_bundle(app, path):
    preloads, scripts = tags(app, path)
    assert FULL_PLOTLY in preloads
    assert not [u for u in preloads + scripts if CARTESIAN in u]


def test_without_the_cartesian_bundle_the_wall_is_as_before(app, tmp_path, monkeypatch):
    assert app.wall_plotly is not None  # the page to compare with (see the test above)
    with_bundle = tags(app, "/wall")
    monkeypatch.setattr(plotly_bundle, "PARTIAL_BUNDLE", tmp_path / "missing" / plotly_bundle.FILE_NAME)
    fallback = create_app(Settings(data_dir=tmp_path / "data"))
    fallback._setup_server()
    assert fallback.wall_plotly is None
    preloads, scripts = tags(fallback, "/wall")
    assert preloads == ["/_dash-component-suites/dash/dcc/async-graph.js", FULL_PLOTLY]
    assert not [u for u in scripts if CARTESIAN in u]
    # Everything else is the same page.
    assert [u.split("?")[0] for u in scripts] == [u.split("?")[0] for u in with_bundle[1]]
    assert fallback.server.test_client().get(CARTESIAN).status_code == 404


def test_a_bundle_of_another_version_is_not_used(tmp_path, monkeypatch):
    stale = tmp_path / plotly_bundle.FILE_NAME
    stale.write_bytes(b"/**\n* plotly.js (cartesian - minified) v0.0.1\n*/\n")
    monkeypatch.setattr(plotly_bundle, "PARTIAL_BUNDLE", stale)
    app = create_app(Settings(data_dir=tmp_path / "data"))
    app._setup_server()
    assert app.wall_plotly is None
    assert FULL_PLOTLY in tags(app, "/wall")[0]
    assert app.server.test_client().get(CARTESIAN).status_code == 404
