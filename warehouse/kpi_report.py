"""The KPI report of ``cockpit kpis``: every KPI of the published snapshot for a period and a township.

JSON carries rates as fractions and null for a zero denominator; :func:`format_kpi_value` renders the
text table's cells (rates as percentages with one decimal, "—" for null).
"""

from __future__ import annotations

from datetime import date

from warehouse import query
from warehouse.default_period import DefaultPeriod, default_period, today_in
from warehouse.errors import user_error
from warehouse.regions import region_table, scope_region
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader, SnapshotUnavailable

NULL_DISPLAY = "—"


def snapshot_default_period(settings: Settings) -> DefaultPeriod:
    """The screens' default period (this year, else the latest year with records) for the snapshot."""
    reader = SnapshotReader(settings.published_db)
    try:
        cur = reader.cursor()
    except SnapshotUnavailable:
        return default_period(None, settings)
    try:
        return default_period(cur, settings)
    finally:
        cur.close()
        reader.close()


def report_period(settings: Settings, start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for; with neither end given, the screens' default period (so ``cockpit kpis``
    shows what the wall shows), else completed from the settings and the current year.

    Raises:
        UserError: The start is after the end.
    """
    if start is None and end is None:
        return snapshot_default_period(settings).as_tuple()
    year = today_in(settings).year
    start = start or settings.default_start or date(year, 1, 1)
    end = end or settings.default_end or date(start.year, 12, 31)
    if start > end:
        raise user_error("warehouse.error.bad_period", start=start.isoformat(), end=end.isoformat())
    return start, end


def format_kpi_value(kpi_id: str, value: int | float | None) -> str:
    """Text rendering of a KPI: "—" for null, rates as percentages with one decimal, counts grouped."""
    if value is None:
        return NULL_DISPLAY
    if kpi_id in query.RATE_KPIS:
        return f"{value * 100:.1f}%"
    return f"{int(value):,}"


def collect_kpis(
    settings: Settings, start: date, end: date, township: str | None, region: str | None = None
) -> dict:
    """The JSON document of ``cockpit kpis --json``.

    ``region``: a province, city or county under the root (2/4/6 digits), e.g. one district of a
    city's roll-up: its townships and its district-wide records.

    Raises:
        UserError: No published snapshot, an unknown township code, or a region that is not a
            province, city or county of the region table under the root.
    """
    unit = scope_region(region, region_table(settings.region_table), settings.root_region) if region else None
    reader = SnapshotReader(settings.published_db)
    try:
        cur = reader.cursor()
    except SnapshotUnavailable as exc:
        raise user_error("warehouse.error.no_snapshot", path=str(settings.published_db)) from exc
    try:
        options = query.township_options(cur)
        names = dict(zip(options["township_code"], options["township_name"], strict=True))
        if township is not None and (
            township not in names or (unit and not township.startswith(unit.prefix))
        ):
            raise user_error("warehouse.error.unknown_township", code=township)
        filters = query.Filters(
            start=start,
            end=end,
            townships=(township,) if township else (),
            region=unit.prefix if unit else "",
        )
        values = query.kpis(cur, filters)
        return {
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "region": unit.prefix if unit else None,
            "region_name": unit.name if unit else None,
            "township": township,
            "township_name": names.get(township) if township else None,
            "snapshot_version": reader.version,
            "kpis": values,
        }
    finally:
        cur.close()
        reader.close()
