"""Production serving: ``cockpit serve --workers N`` runs gunicorn in-process on the Dash server.

- The app is built **in each worker, after the fork** (``preload_app`` off): every worker opens its own
  read-only DuckDB connection on the published snapshot; a connection made before a fork must never be
  shared by children.
- ``gthread`` workers with many threads (``settings.server_threads``), so every request gets a thread at
  once, and at most ``settings.callback_slots`` Dash callbacks running per worker
  (:mod:`dashboard.callback_gate`): a wall's poll never waits behind leaders' period changes. Each
  request takes its own cursor (STACK_NOTES: a connection shared by threads refuses concurrent work).
- Compression is Dash's own (``compress=True`` in ``create_app``).
- Static files get long-lived cache headers (:func:`install_static_cache_headers`); Dash fingerprints
  its component suites and stamps ``/assets/`` URLs with ``?m=<mtime>``, so a new release is fetched anew.
- The scheduler is **not** started here (it would run once per worker): it is ``cockpit scheduler``.

The development server stays the default for ``cockpit demo`` and ``cockpit serve`` without ``--workers``.
"""

from __future__ import annotations

import gc
import re

from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication

from dashboard.app import create_app
from dashboard.warmup import install_warmup
from warehouse.settings import Settings

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
# dash_core_components.v3_2_0m1712345678.min.js: version and mtime in the file name.
FINGERPRINT = re.compile(r"\.v[\w-]+m\d{8,}\.")
CACHE_RULES: tuple[tuple[str, str], ...] = (
    ("/_dash-component-suites/", "public, max-age=3600"),
    ("/assets/", "public, max-age=86400"),
    ("/vendor/", "public, max-age=604800"),
)


def cache_control_for(path: str, query: str) -> str | None:
    """The ``Cache-Control`` for a static path, or None for anything that is not a static file."""
    for prefix, default in CACHE_RULES:
        if path.startswith(prefix):
            if FINGERPRINT.search(path) or (prefix == "/assets/" and "m=" in query):
                return IMMUTABLE
            return default
    return None


def install_static_cache_headers(server: Flask) -> None:
    """Set long-lived ``Cache-Control`` on successful static responses (not on pages or callbacks)."""

    @server.after_request
    def _static_cache(response: Response) -> Response:
        if response.status_code in (200, 304):
            value = cache_control_for(request.path, request.query_string.decode("latin-1"))
            if value:
                response.headers["Cache-Control"] = value
                response.headers.pop("Expires", None)
        return response


def gunicorn_options(settings: Settings, workers: int) -> dict:
    """Gunicorn settings for the cockpit (see the module docstring for why each one)."""
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": max(1, workers),
        "worker_class": "gthread",
        "threads": max(1, settings.server_threads),
        "preload_app": False,
        "timeout": 120,
        "graceful_timeout": 30,
        "keepalive": 5,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "cockpit",
        # gunicorn >= 25 opens a control socket in ~/.gunicorn by default: one path shared by every
        # instance on the machine (several data dirs, tests). The cockpit does not use it.
        "control_socket_disable": True,
    }


def build_wsgi(settings: Settings) -> Flask:
    """The Flask server of a fresh Dash app, with the static cache headers installed."""
    server = create_app(settings).server
    install_static_cache_headers(server)
    if settings.warm_default_screens:
        install_warmup(server)
    settle_heap()
    return server


def settle_heap() -> None:
    """Move everything allocated so far (modules, plotly's validators, the app) out of the garbage
    collector's sight, once the server is built.

    A full collection walks every tracked object: about 70 ms with plotly, pandas and Dash loaded on this
    machine kind, and it lands on whichever request happens to allocate at that moment (a wall's poll, a
    KPI click: the p95 of the lightest callbacks). What the server allocates later is collected as before.
    """
    gc.collect()
    gc.freeze()


class CockpitApplication(BaseApplication):
    """Gunicorn driven from Python: options from the settings, the WSGI app built per worker."""

    def __init__(self, settings: Settings, options: dict) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return build_wsgi(self.settings)


def run_gunicorn(settings: Settings, workers: int) -> int:
    """Serve the dashboard with ``workers`` gunicorn processes until stopped (SIGTERM/SIGINT).

    Returns:
        The process exit code.
    """
    try:
        CockpitApplication(settings, gunicorn_options(settings, workers)).run()
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0
