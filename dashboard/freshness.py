"""Is the data on screen fresh? One small API for the wall, the leadership view and ``/healthz``.

The answer combines the published snapshot (its build time and per-source as-of times, from
``warehouse.query.SnapshotInfo``) with the last run's status file (``data_dir/last_run.json``, written by
``etl.jobs``); neither read touches the raw store.

- ``ok``: a snapshot exists, it was built less than ``settings.stale_after_hours`` ago, its newest
  export's own date is at most ``settings.stale_after_export_days`` old, and the last run did not fail.
- ``reason``: ``ok``, ``no_snapshot``, ``stale`` or ``last_run_failed`` (the i18n key
  ``ops.fresh.<reason>`` says it on screen).

Usage on a page::

    from dashboard.freshness import freshness, banner_text
    fresh = freshness(settings, snapshot_info)      # snapshot_info: SnapshotInfo or None
    if not fresh.ok:
        show_banner(banner_text(fresh, lang))       # "数据未及时更新，数据截至 2026-11-27 10:30"

Age is measured from the snapshot's build time: the nightly rebuild publishes even when no new export
arrived, so a snapshot older than ``stale_after_hours`` (26 h by default) means the refresh itself has
stopped. Data exported long ago is stale however recently it was loaded: the export date counts too.
The banner says both (``warehouse.timefmt.as_of_text``): "数据截至 2024-01-20 · 更新于 21:27".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dashboard import context
from warehouse import query
from warehouse.i18n import t
from warehouse.run_status import RunStatus, read_status
from warehouse.settings import Settings
from warehouse.timefmt import as_of_text, localize

OK = "ok"
NO_SNAPSHOT = "no_snapshot"
STALE = "stale"
LAST_RUN_FAILED = "last_run_failed"


@dataclass(frozen=True)
class Freshness:
    """What a page needs to decide on a stale/failed banner.

    Attributes:
        ok: True when no banner is needed.
        reason: ``ok``, ``no_snapshot``, ``stale`` or ``last_run_failed``.
        as_of: Newest data-as-of time (aware, in the settings' zone), None without a snapshot.
        last_run_status: ``succeeded``/``failed``/None (no run recorded).
        age_seconds: Seconds since the snapshot was built, None without a snapshot.
        last_run_at: When the last run finished (aware), None if no run is recorded.
        export_date: The newest export's own date, None when the snapshot records none.
    """

    ok: bool
    reason: str
    as_of: datetime | None
    last_run_status: str | None
    age_seconds: float | None = None
    last_run_at: datetime | None = None
    export_date: date | None = None


def aware(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """``moment`` in ``zone``; a naive time is taken as the machine's local time (how ``now()`` writes it)."""
    return localize(moment, zone)


def freshness(
    settings: Settings,
    snapshot_info,
    status: RunStatus | None | bool = True,
    now: datetime | None = None,
) -> Freshness:
    """Decide whether the data on screen is fresh.

    Args:
        settings: Provides ``stale_after_hours``, ``timezone`` and the status file's location.
        snapshot_info: The published snapshot's ``SnapshotInfo`` (``version``, ``built_at``, ``as_of``),
            or None when nothing is published.
        status: The last run's status; ``True`` (default) reads ``last_run.json``.
        now: The current time (tests).

    Returns:
        The verdict; never raises for missing or odd inputs.
    """
    zone = ZoneInfo(settings.timezone)
    if status is True:
        status = read_status(settings)
    last_status = status.status if status else None
    last_at = None
    if status:
        try:
            last_at = aware(status.finished() or status.started(), zone)
        except ValueError:
            last_at = None
    built_at = getattr(snapshot_info, "built_at", None)
    if built_at is None or built_at.year < 2000 or not getattr(snapshot_info, "version", None):
        # query.snapshot_info gives datetime.min and no version for a snapshot without metadata.
        return Freshness(False, NO_SNAPSHOT, None, last_status, None, last_at)
    export_date = getattr(snapshot_info, "export_date", None)
    built = aware(built_at, zone)
    sources = [aware(v, zone) for v in (getattr(snapshot_info, "as_of", None) or {}).values() if v]
    as_of = max(sources, default=built)
    now = aware(now, zone) if now else datetime.now(zone)
    age = max(0.0, (now - built).total_seconds())
    export_days = (now.date() - export_date).days if export_date else 0
    if last_status == "failed":
        reason = LAST_RUN_FAILED
    elif age > settings.stale_after_hours * 3600 or export_days > settings.stale_after_export_days:
        reason = STALE
    else:
        reason = OK
    return Freshness(reason == OK, reason, as_of, last_status, age, last_at, export_date)


def format_time(fresh: Freshness, lang: str | None = None, now: datetime | None = None) -> str:
    """ "2024-01-20 · 更新于 21:27" (export date and load time, in the time zone of ``fresh.as_of``), or "—"."""
    zone = fresh.as_of.tzinfo if fresh.as_of else "UTC"
    return as_of_text(fresh.export_date, fresh.as_of, zone, lang, now) or "—"


def banner_text(fresh: Freshness, lang: str | None = None) -> str:
    """The banner/alert text for ``fresh`` in ``lang`` (also for ``ok``: "数据截至 …")."""
    return t(f"ops.fresh.{fresh.reason}", lang, as_of=format_time(fresh, lang))


# ---- builders for the pages ---------------------------------------------------------------------


def current_freshness(settings: Settings | None = None, reader=None) -> Freshness:
    """Freshness of this process's published snapshot (``dashboard.context`` by default)."""
    settings = settings or context.settings()
    try:
        with (reader or context.reader()).cursor() as con:
            info = query.snapshot_info(con)
    except Exception:  # no snapshot (yet): that is what the banner is for
        info = None
    return freshness(settings, info)


def freshness_alert(lang: str | None = None, fresh: Freshness | None = None):
    """The leadership view's warning: a Bootstrap alert when the data is stale or the last run failed.

    Returns an empty ``Div`` when the data is fresh, so it can sit in any layout unconditionally.
    """
    import dash_bootstrap_components as dbc
    from dash import html

    fresh = fresh or current_freshness()
    if fresh.ok:
        return html.Div(className="cockpit-fresh-ok")
    return dbc.Alert(
        [html.I(className="bi bi-exclamation-triangle-fill me-2"), banner_text(fresh, lang)],
        color="warning",
        className=f"cockpit-fresh-alert is-{fresh.reason} py-2 mb-2",
    )


WALL_BANNER_ID = "wall-banner"


def wall_banner(lang: str | None = None, fresh: Freshness | None = None):
    """The wall's amber banner with the as-of time (fixed at the top, over the canvas; CSS in ops.css).

    Returns an empty, hidden ``Div`` when the data is fresh. The wall's poll (``/wall/version`` and
    ``wall.poll`` in assets/wall.js) shows, changes or hides it later without a reload.
    """
    from dash import html

    fresh = fresh or current_freshness()
    if fresh.ok:
        return html.Div(id=WALL_BANNER_ID, className="cockpit-wall-banner", hidden=True)
    return html.Div(
        banner_text(fresh, lang),
        id=WALL_BANNER_ID,
        className="cockpit-wall-banner is-visible",
        role="status",
        hidden=False,
        **{"data-reason": fresh.reason},
    )


def banner_templates(lang: str | None = None) -> dict[str, str]:
    """Banner text per reason with an ``{as_of}`` slot, for the wall's client to fill in."""
    return {
        reason: t(f"ops.fresh.{reason}", lang, as_of="{as_of}")
        for reason in (NO_SNAPSHOT, STALE, LAST_RUN_FAILED)
    }
