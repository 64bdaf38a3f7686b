"""Each server worker prepares the default screens of a newly published snapshot before anyone asks.

The wall's first paint and the leadership view's default summary and panels are memoised per snapshot
version (``wall_data``, ``lead_view``); the first request after a publish (or after a worker starts)
would otherwise pay for them: queries, figures, hundreds of milliseconds that a wall reloading at night
or the first leader of the morning waits through. A request that finds a version this process has not
prepared starts one background thread that renders them with the whole district's scope (no request
context: ``security.allowed_townships`` is None, as for a leader), so the same memo entries serve the
first real request. One thread per version per process, a failure only logged. The default wall's
first-screen images (``dashboard.wall_preview``) are drawn then too, in a thread of their own.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from dashboard import context, wall_data
from dashboard.components import lead_view
from dashboard.filters import parse_search, to_search
from dashboard.period_default import current_default_period

log = logging.getLogger("cockpit.warmup")
_LOCK = threading.Lock()
_warmed: dict[str, str | None] = {"version": None}


def warm_default_screens(settings=None, reader=None) -> None:
    """Render (and so memoise) the wall's first paint and the leadership view's default view."""
    settings = settings or context.settings()
    reader = reader or context.reader()
    wall_data.build_layout(settings, reader, draw_missing_images=True)
    search = to_search(parse_search("", current_default_period(settings, reader).as_tuple()))
    lead_view.render_summary(search)
    lead_view.render_panels(search)


def _run(settings, reader) -> None:
    try:
        warm_default_screens(settings, reader)
    except Exception:  # a courtesy: the first request renders the screens itself
        log.warning("preparing the default screens failed", exc_info=True)


def maybe_warm(settings=None, reader=None) -> threading.Thread | None:
    """Start preparing the default screens when the published version is new to this process."""
    settings = settings or context.settings()
    reader = reader or context.reader()
    try:
        version = reader.version
    except Exception:  # no snapshot yet: nothing to prepare
        return None
    with _LOCK:
        if version is None or _warmed["version"] == version:
            return None
        _warmed["version"] = version
    thread = threading.Thread(target=_run, args=(settings, reader), name="cockpit-warmup", daemon=True)
    thread.start()
    return thread


def install_warmup(server: Flask) -> None:
    """Check on every request (a ``stat`` of the published file) whether a new version needs preparing."""

    @server.before_request
    def _warm_new_version():
        maybe_warm()
