"""This process's default period (warehouse.default_period), read once per snapshot version and day."""

from __future__ import annotations

import logging
import threading

from dashboard import context
from warehouse.default_period import DefaultPeriod, default_period, today_in
from warehouse.settings import Settings

log = logging.getLogger("cockpit.period")
_LOCK = threading.Lock()
_CACHE: dict[tuple, DefaultPeriod] = {}


def current_default_period(settings: Settings | None = None, reader=None) -> DefaultPeriod:
    """The default period for the published snapshot; this year when there is no snapshot."""
    settings = settings or context.settings()
    reader = reader or context.reader()
    today = today_in(settings)
    key = (id(settings), getattr(reader, "version", None), today)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    try:
        with reader.cursor() as con:
            period = default_period(con, settings, today)
    except Exception:  # no snapshot yet: the pages say so; the period is this year
        log.debug("default period without a snapshot", exc_info=True)
        period = default_period(None, settings, today)
    with _LOCK:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = period
    return period
