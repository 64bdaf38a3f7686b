"""The Dash app factory: pages, offline assets, and the routes around them.

Everything the browser loads comes from this app's origin: plotly.js (``serve_locally``; on the wall the
cartesian partial bundle under ``/vendor/`` when installed, :mod:`dashboard.plotly_bundle`), Bootstrap
5.3 CSS and icons (from the ``bootstrap-flask`` wheel, served under ``/vendor/``), our CSS and map data
(``assets/``). Fonts are the machine's own (Noto Sans CJK on Debian): no web fonts.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import dash
import flask_bootstrap
from flask import abort, has_request_context, request, send_from_directory

from dashboard import context, plotly_bundle, security
from dashboard.briefing.routes import register_briefing_routes
from dashboard.callback_gate import install_callback_gate
from dashboard.downloads import register_download_routes
from dashboard.exchange_routes import register_exchange_routes
from dashboard.health import register_health_routes
from dashboard.intake_routes import register_intake_routes
from dashboard.wall_routes import register_wall_routes
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader

logger = logging.getLogger(__name__)

# CSS and scripts Dash serves under /assets/ (package data).
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
BOOTSTRAP_DIR = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5"
# Only these vendor files are served; anything else under /vendor/ is a 404.
VENDOR_FILES = {
    "bootstrap.min.css": "css/bootstrap.min.css",
    "bootstrap-icons.min.css": "css/font/bootstrap-icons.min.css",
    "bootstrap.bundle.min.js": "js/bootstrap.min.js",
}
VENDOR_FONT_DIR = BOOTSTRAP_DIR / "css" / "font" / "fonts"
# The chunks dcc.Graph loads on first use, under the URLs dash-renderer computes for them (the Graph
# component and plotly.js itself, 1.4 MB compressed). Without a hint the browser asks for them only once
# the page's layout has arrived and a graph mounts; preloaded, they download with the page's scripts.
GRAPH_CHUNK = "_dash-component-suites/dash/dcc/async-graph.js"
FULL_PLOTLY = "_dash-component-suites/plotly/package_data/plotly.min.js"
GRAPH_CHUNKS = (GRAPH_CHUNK, FULL_PLOTLY)
# The wall's plotly.js when the cartesian bundle is installed (versioned URL: a new plotly is a new URL).
WALL_PLOTLY_URL = "/vendor/" + plotly_bundle.FILE_NAME


# Component libraries the wall never renders (its pages use dcc and html only). Dash puts every imported
# library's bundle on every page; on the wall these cost ~0.4 MB and ~0.2 s of script evaluation on a
# weak box. Nothing links from the wall to another page, so a page loaded at /wall never needs them.
WALL_UNUSED_SCRIPTS = re.compile(
    r'<script src="[^"]*/_dash-component-suites/(?:dash_ag_grid|dash_bootstrap_components|dash/dash_table)/'
    r'[^"]*"></script>\s*'
)
WALL_PATH = "/wall"
# Our own assets only the wall uses (its canvas, scripts and freshness banner), and those only the other
# pages use: Dash links every file of assets/ into every page, so each page drops the other's. Dash's
# DataTable bundle is loaded because dash imports dash_table; no page renders a DataTable.
WALL_ONLY_ASSETS = ("wall.css", "wall.js", "ops.css")
PAGE_ONLY_ASSETS = ("leadership.css",)
UNUSED_EVERYWHERE = re.compile(
    r'<script src="[^"]*/_dash-component-suites/dash/dash_table/[^"]*"></script>\s*'
)


def _asset_tags(names: tuple[str, ...]) -> re.Pattern:
    """``<link>``/``<script>`` tags of these files under assets/ (any query string)."""
    files = "|".join(re.escape(n) for n in names)
    return re.compile(
        rf'<link rel="stylesheet" href="[^"]*/assets/(?:{files})(?:\?[^"]*)?">\s*'
        rf'|<script src="[^"]*/assets/(?:{files})(?:\?[^"]*)?"></script>\s*'
    )


NOT_ON_PAGES = _asset_tags(WALL_ONLY_ASSETS)
NOT_ON_WALL = _asset_tags(PAGE_ONLY_ASSETS)


def _preload(href: str) -> str:
    return f'<link rel="preload" as="script" href="{href}">'


class CockpitDash(dash.Dash):
    """Dash with ``<link rel=preload>`` hints for the graph chunks in every page's head, and without the
    bundles and assets a page does not use (the wall's on the leadership pages and the other way round).

    ``wall_plotly``: ``(path, version)`` of the cartesian plotly.js bundle, or None (the wall then loads
    the full bundle like every other page)."""

    wall_plotly: tuple[Path, str] | None = None

    def interpolate_index(self, **kwargs) -> str:
        prefix = self.config.requests_pathname_prefix
        on_wall = has_request_context() and request.path.rstrip("/") == prefix.rstrip("/") + WALL_PATH
        scripts = UNUSED_EVERYWHERE.sub("", kwargs.get("scripts", ""))
        if on_wall and self.wall_plotly:
            # Downloaded with the page's scripts but run by wall.js once the first screen is on show (its
            # server-drawn images, dashboard/wall_preview.py, cover the graphs until then): evaluating it
            # holds the page for ~0.3-0.6 s. Until it has run, wall.js sets window.Plotly to a promise of
            # it, so dcc.Graph's loader (``window.Plotly || <inject the full bundle>``) never fetches the
            # full one; should it fail to load, wall.js loads the full one.
            url = f"{WALL_PLOTLY_URL}?v={self.wall_plotly[1]}"
            fallback = prefix + FULL_PLOTLY
            hints = _preload(prefix + GRAPH_CHUNK) + (
                f'<link rel="preload" as="script" href="{url}" data-wall-plotly data-fallback="{fallback}">'
            )
        else:
            hints = "".join(_preload(prefix + path) for path in GRAPH_CHUNKS)
        kwargs["css"] = hints + kwargs.get("css", "")
        if on_wall:
            kwargs["scripts"] = NOT_ON_WALL.sub("", WALL_UNUSED_SCRIPTS.sub("", scripts))
            kwargs["css"] = NOT_ON_WALL.sub("", kwargs["css"])
        else:
            kwargs["scripts"] = NOT_ON_PAGES.sub("", scripts)
            kwargs["css"] = NOT_ON_PAGES.sub("", kwargs["css"])
        return super().interpolate_index(**kwargs)


def create_app(settings: Settings, reader=None) -> dash.Dash:
    """Build the Dash app for ``settings``; ``reader`` defaults to one on the published snapshot."""
    if reader is None:
        reader = SnapshotReader(settings.published_db)
    context.configure(settings, reader)

    app = CockpitDash(
        __name__,
        use_pages=True,
        pages_folder=str(Path(__file__).parent / "pages"),
        assets_folder=str(ASSETS_DIR),
        # intake/ belongs to the import page (plain Flask, dashboard/intake_routes.py) only; login.css to
        # the login form (a Flask template that links it itself).
        assets_ignore=r"intake/.*|login\.css",
        serve_locally=True,
        compress=True,
        suppress_callback_exceptions=True,
        external_stylesheets=["/vendor/bootstrap.min.css", "/vendor/bootstrap-icons.min.css"],
        title=f"{settings.district_name}人大代表履职数据驾驶舱",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.wall_plotly, note = plotly_bundle.partial_bundle()
    logger.info("wall draws with %s", note)
    server = app.server
    server.config["COCKPIT_SETTINGS"] = settings
    register_health_routes(server)

    @server.route("/vendor/<path:name>")
    def vendor(name: str):
        if name in VENDOR_FILES:
            return send_from_directory(BOOTSTRAP_DIR, VENDOR_FILES[name], max_age=86400)
        if name == plotly_bundle.FILE_NAME and app.wall_plotly:
            path = app.wall_plotly[0]
            return send_from_directory(path.parent, path.name, max_age=86400)
        if name.startswith("fonts/") and "/" not in name[6:]:
            return send_from_directory(VENDOR_FONT_DIR, name[6:], max_age=86400)
        abort(404)

    install_callback_gate(server, settings.callback_slots)
    register_wall_routes(server)
    register_download_routes(server)
    register_briefing_routes(server)
    register_intake_routes(server)
    register_exchange_routes(server)
    # Last: the guard and the headers cover every route registered above.
    security.install(app, settings)
    return app
