"""Flask routes of the wall: ``/wall/version``, the tiny JSON the wall polls.

The wall asks for this every ``settings.wall_poll_seconds``; an unchanged answer costs a few dozen bytes
and no callback, no query and no redraw. Only a new version makes the wall re-run its panel callbacks.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify

from dashboard import context

log = logging.getLogger(__name__)


def current_version() -> str | None:
    """The published snapshot's version as the dashboard's reader sees it (None if unreadable)."""
    try:
        return context.reader().version
    except Exception:  # the wall must get an answer, not a 500 page
        log.exception("wall: reading the snapshot version failed")
        return None


def register_wall_routes(server: Flask) -> None:
    @server.route("/wall/version")
    def wall_version():
        response = jsonify({"version": current_version()})
        response.headers["Cache-Control"] = "no-store"
        return response
