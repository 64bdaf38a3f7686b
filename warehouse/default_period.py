"""The period a screen opens with when the URL names none: never an empty screen.

This year when it has records; otherwise the latest year that has records, with a note ("本年暂无数据，
显示2023年"). "Latest year" skips a stub: when the latest year's records end within its first quarter
(the demo: 2023 in full, then the weeks of January 2024 before the last export) and the year before has
records, the year before is the better first screen. A period configured in the settings (``default_start``/``default_end``) always wins. The
wall, the leadership view and the briefing all call :func:`default_period` (or, without a snapshot
connection, :func:`choose_default_period`), so they agree.

Usage::

    with reader.cursor() as con:
        period = default_period(con, settings)
    period.start, period.end, period.note(lang)     # note is None unless a fallback year is shown
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb

from warehouse import query
from warehouse.i18n import t
from warehouse.settings import Settings


@dataclass(frozen=True)
class DefaultPeriod:
    """The default period; ``fallback_year`` is set when this year has no records and another is shown."""

    start: date
    end: date
    fallback_year: int | None = None

    def as_tuple(self) -> tuple[date, date]:
        return self.start, self.end

    def note(self, lang: str | None = None) -> str | None:
        """ "本年暂无数据，显示2023年" when a fallback year is shown, else None."""
        return (
            None if self.fallback_year is None else t("period.fallback_note", lang, year=self.fallback_year)
        )

    def notes_for(self, start: date, end: date, lang: str | None = None) -> str | None:
        """The note, only when the period on screen is this default one."""
        return self.note(lang) if (start, end) == self.as_tuple() else None


def today_in(settings: Settings, now: datetime | None = None) -> date:
    """Today in the installation's zone (a server in UTC still opens the committee's year)."""
    zone = ZoneInfo(settings.timezone)
    return (now.astimezone(zone) if now else datetime.now(zone)).date()


# The latest year is a stub when its records end before this day of it (month, day).
STUB_BEFORE = (4, 1)


def choose_default_period(settings: Settings, record_years: Mapping[int, date], today: date) -> DefaultPeriod:
    """The default period from the years that have records, each with its latest record date."""
    if settings.default_start is not None or settings.default_end is not None:
        return DefaultPeriod(*settings.default_period(today))
    years = sorted(record_years)
    if not years or today.year in record_years or years[-1] > today.year:
        return DefaultPeriod(*settings.default_period(today))
    year = years[-1]
    if record_years[year] < date(year, *STUB_BEFORE) and year - 1 in record_years:
        year -= 1
    return DefaultPeriod(date(year, 1, 1), date(year, 12, 31), year)


def default_period(
    con: duckdb.DuckDBPyConnection | None, settings: Settings, today: date | None = None
) -> DefaultPeriod:
    """:func:`choose_default_period` for the snapshot behind ``con`` (None: no snapshot, this year)."""
    years: dict[int, date] = {}
    if con is not None:
        try:
            years = query.record_years(con)
        except duckdb.Error:  # a snapshot without marts: open on this year rather than fail a page
            years = {}
    return choose_default_period(settings, years, today or today_in(settings))
