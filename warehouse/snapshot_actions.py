"""Actions on the published snapshot that both the command line and the operators' page (``/ops``) offer.

Each one holds the run lock (``warehouse.locks``) so that it never runs beside an ETL run that is
publishing; a busy lock raises :class:`warehouse.locks.LockBusy`. Auditing stays with the caller, who
knows the actor (a CLI user or a signed-in administrator).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import duckdb

from warehouse.errors import user_error
from warehouse.locks import etl_lock
from warehouse.publish import SnapshotNotFound, list_snapshots, publish_snapshot, rollback
from warehouse.settings import Settings

log = logging.getLogger("cockpit.snapshots")


def roll_back(settings: Settings, version: str) -> str:
    """Publish the kept snapshot ``version`` again; returns the version now published.

    Raises:
        LockBusy: An ETL run (or another rollback) holds the run lock.
        UserError: ``version`` is not among the kept snapshots (the message lists the kept ones).
    """
    try:
        with etl_lock(settings):
            done = rollback(settings, version)
    except SnapshotNotFound as exc:
        available = ", ".join(e.version for e in list_snapshots(settings)) or "—"
        raise user_error(
            "warehouse.error.unknown_snapshot", version=exc.version, available=available
        ) from exc
    log.info("rolled back to snapshot %s", done)
    return done


def rebuild(settings: Settings) -> str:
    """Build the marts from the raw store and publish them (no ETL run); returns the new version.

    Raises:
        LockBusy: An ETL run holds the run lock.
        UserError: There is no raw store, or another process has it open for writing.
    """
    if not settings.raw_db.is_file():
        raise user_error("warehouse.error.no_raw_store", path=str(settings.raw_db))
    run_id = f"manual-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    try:
        with etl_lock(settings):
            version = publish_snapshot(settings.raw_db, settings, run_id)
    except duckdb.IOException as exc:
        raise user_error("warehouse.error.raw_store_busy", detail=str(exc).splitlines()[0]) from exc
    log.info("rebuilt and published snapshot %s", version)
    return version
