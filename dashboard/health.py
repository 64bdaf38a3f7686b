"""``/healthz``: is the published data fresh? For monitoring, load balancers and the operators.

Answers JSON, 200 when fresh and 503 otherwise (no snapshot, data older than
``settings.stale_after_hours`` or exported more than ``settings.stale_after_export_days`` ago, or the last run failed; see :mod:`dashboard.freshness`)::

    {"status": "ok", "snapshot_version": "20261127T013000Z-1a2b3c4d",
     "built_at": "2026-11-27T09:30:00+08:00", "data_as_of": "2026-11-27T09:29:58+08:00",
     "data_export_date": "2026-11-27",
     "data_age_seconds": 1520, "last_run_status": "succeeded",
     "last_run_at": "2026-11-27T09:30:02+08:00"}

It reveals nothing else: no file paths, no counts of people or records, no error text. It reads the
published snapshot's metadata and ``last_run.json``, never the raw store. No login is needed for it.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Flask, jsonify

from dashboard import context
from dashboard.freshness import Freshness, freshness
from warehouse import query
from warehouse.timefmt import iso

log = logging.getLogger("cockpit.health")

HEALTH_PATH = "/healthz"


def current_snapshot_info():
    """The published snapshot's ``SnapshotInfo`` through this process's reader, or None if unavailable."""
    try:
        with context.reader().cursor() as con:
            return query.snapshot_info(con)
    except Exception as exc:  # no snapshot yet, or a snapshot being replaced: report, do not fail
        log.debug("no snapshot info: %s", type(exc).__name__)
        return None


def health_payload(fresh: Freshness, snapshot_info, zone: ZoneInfo) -> dict:
    """The JSON body: versions, times and statuses only."""
    return {
        "status": fresh.reason,
        "snapshot_version": getattr(snapshot_info, "version", None),
        "built_at": iso(getattr(snapshot_info, "built_at", None), zone)
        if fresh.reason != "no_snapshot"
        else None,
        "data_as_of": iso(fresh.as_of, zone),
        "data_export_date": iso(fresh.export_date, zone),
        "data_age_seconds": round(fresh.age_seconds) if fresh.age_seconds is not None else None,
        "last_run_status": fresh.last_run_status,
        "last_run_at": iso(fresh.last_run_at, zone),
    }


def register_health_routes(server: Flask) -> None:
    """Add ``GET /healthz`` to the Flask server (called by ``dashboard.app.create_app``)."""

    @server.route(HEALTH_PATH, methods=["GET", "HEAD"])
    def healthz():
        settings = context.settings()
        info = current_snapshot_info()
        fresh = freshness(settings, info)
        response = jsonify(health_payload(fresh, info, ZoneInfo(settings.timezone)))
        response.status_code = 200 if fresh.ok else 503
        response.headers["Cache-Control"] = "no-store"
        return response
