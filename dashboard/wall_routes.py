"""Flask routes of the wall: ``/wall/version``, the tiny JSON the wall polls, the first screen's images
(``dashboard.wall_preview``) and the second-script font.

The wall asks for this every ``settings.wall_poll_seconds``; an unchanged answer costs a few dozen bytes
and no callback, no query and no redraw. Only a new version makes the wall re-run its panel callbacks.

The answer also carries the data's freshness (``dashboard/freshness.py``): ``"fresh": "ok"``, or the
reason and the as-of time the amber banner shows, so the banner appears (and goes) without a reload when
the nightly run fails or stops. The inputs (snapshot metadata, ``last_run.json``) are read once per
snapshot version and status-file change: a poll stays a dictionary lookup.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, abort, jsonify, request, send_file

from dashboard import context, wall_preview
from dashboard.freshness import OK, Freshness, format_time, freshness
from warehouse import query
from warehouse.fonts import secondary_font
from warehouse.run_status import read_status, status_path

log = logging.getLogger(__name__)

_INPUTS: dict[str, object] = {}
_LOCK = threading.Lock()


def current_version() -> str | None:
    """The published snapshot's version as the dashboard's reader sees it (None if unreadable)."""
    try:
        return context.reader().version
    except Exception:  # the wall must get an answer, not a 500 page
        log.exception("wall: reading the snapshot version failed")
        return None


def _status_stamp(settings) -> tuple | None:
    try:
        stat = status_path(settings).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _freshness_inputs(settings, version: str | None):
    """(snapshot info, last run status), read again only when the version or the status file changed."""
    key = (version, _status_stamp(settings))
    with _LOCK:
        if _INPUTS.get("key") == key:
            return _INPUTS["info"], _INPUTS["status"]
    info = None
    if version is not None:
        try:
            with context.reader().cursor() as con:
                info = query.snapshot_info(con)
        except Exception:  # no snapshot: the banner says so
            log.exception("wall: reading the snapshot info failed")
    status = read_status(settings)
    with _LOCK:
        _INPUTS.update(key=key, info=info, status=status)
    return info, status


def cached_freshness(version: str | None = None) -> Freshness:
    """The data's freshness now, from inputs read once per snapshot version and status-file change."""
    settings = context.settings()
    if version is None:
        version = current_version()
    return freshness(settings, *_freshness_inputs(settings, version))


def current_freshness_state(version: str | None, lang: str | None = None) -> dict:
    """``{"fresh": "ok"}`` or ``{"fresh": reason, "as_of": "2024-01-20 · 更新于 21:27"}`` for the poll."""
    try:
        fresh = cached_freshness(version)
    except Exception:  # freshness is a courtesy: never let it break the poll
        log.exception("wall: computing freshness failed")
        return {}
    if fresh.reason == OK:
        return {"fresh": OK}
    return {"fresh": fresh.reason, "as_of": format_time(fresh, lang)}


def register_wall_routes(server: Flask) -> None:
    @server.route("/wall/version")
    def wall_version():
        version = current_version()
        response = jsonify({"version": version, **current_freshness_state(version, request.args.get("lang"))})
        response.headers["Cache-Control"] = "no-store"
        return response

    @server.route(wall_preview.URL_PREFIX + "<name>")
    def wall_preview_image(name: str):
        """A first-screen image: named by its figure's hash, so it never changes (cached for a year)."""
        path = wall_preview.preview_path(context.settings(), name)
        if path is None or not path.is_file():
            abort(404)
        response = send_file(path, mimetype="image/svg+xml", max_age=365 * 86400)
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
        return response

    @server.route("/wall/fonts/secondary")
    def wall_secondary_font():
        """The font of ``settings.title_secondary`` (wall.css's @font-face), from this origin only."""
        path = secondary_font(context.settings().title_secondary_font)
        if path is None:
            abort(404)
        return send_file(path, max_age=7 * 86400)
