"""One way to show a time to a person, one way to put it in JSON.

Every time a person sees (wall, leadership view, drill-downs, /ops, downloads, briefings) goes through
:func:`show`, in ``settings.timezone``; every time in JSON (``/healthz``, ``--json``) through :func:`iso`,
which carries the offset. Naive times are the machine's local time: that is how ``datetime.now()`` and
DuckDB's ``current_timestamp`` cast to ``timestamp`` write them (the raw store's ``loaded_at``).

"数据截至" (data as of) is the newest export's own date (:mod:`warehouse.export_date`); "更新于"
(updated) is when the server loaded it. :func:`as_of_text` says both in one string.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from warehouse.i18n import t

DATE_FORMAT = "%Y-%m-%d"
MINUTE_FORMAT = "%Y-%m-%d %H:%M"
CLOCK_FORMAT = "%H:%M"
EMPTY = "—"


def zone_of(zone: ZoneInfo | str | object) -> ZoneInfo:
    """A ``ZoneInfo`` from a zone, a zone name, or anything with a ``timezone`` attribute (Settings)."""
    if isinstance(zone, ZoneInfo):
        return zone
    return ZoneInfo(zone if isinstance(zone, str) else zone.timezone)


def localize(moment: datetime | None, zone: ZoneInfo | str | object) -> datetime | None:
    """``moment`` as an aware time in ``zone`` (a naive one is taken as the machine's local time)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(zone_of(zone))


def show(moment: datetime | date | str | None, zone: ZoneInfo | str | object) -> str:
    """The one on-screen form: ``YYYY-MM-DD HH:MM`` for a time (in ``zone``), ``YYYY-MM-DD`` for a date."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return EMPTY
    if moment is None:
        return EMPTY
    if not isinstance(moment, datetime):
        return moment.strftime(DATE_FORMAT)
    return localize(moment, zone).strftime(MINUTE_FORMAT)


def iso(moment: datetime | date | None, zone: ZoneInfo | str | object) -> str | None:
    """ISO 8601 for JSON: a time with its offset in ``zone`` (seconds), a date as ``YYYY-MM-DD``."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return moment.isoformat()
    return localize(moment, zone).isoformat(timespec="seconds")


def as_of_text(
    export_date: date | None,
    updated: datetime | None,
    zone: ZoneInfo | str | object,
    lang: str | None = None,
    now: datetime | None = None,
) -> str | None:
    """``"2024-01-20 · 更新于 21:27"``: the export's own date and when it was loaded, None if neither.

    The load time shows as a clock when it was today (in ``zone``), else in full. Without an export
    date the load time alone is the best statement of how current the data is.
    """
    local = localize(updated, zone)
    if export_date is None:
        return show(local, zone) if local else None
    if local is None:
        return show(export_date, zone)
    today = (localize(now, zone) if now else datetime.now(zone_of(zone))).date()
    when = local.strftime(CLOCK_FORMAT) if local.date() == today else local.strftime(MINUTE_FORMAT)
    return t("timefmt.as_of_both", lang, date=show(export_date, zone), updated=when)
