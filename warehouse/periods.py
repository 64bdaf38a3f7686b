"""Calendar arithmetic of the screens' periods, shared by the leadership view and the snapshot build.

The preset buttons (本月, 本季, 本年, 上年) are ranges relative to an anchor day (the end of the default
period, ``warehouse.default_period``); the KPI row compares a period with the same period a year earlier
(同比) and with the period just before it (环比). ``dashboard.filters`` applies these to its filters; the
snapshot build (``warehouse.presets``) precomputes the KPIs of exactly these ranges, so both must use
the same rules: this module is the one place they are written.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

PRESETS = ("month", "quarter", "year", "last_year", "custom")

Period = tuple[date, date]


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_period(preset: str, anchor: date) -> Period:
    """The date range of ``preset`` relative to ``anchor`` (the end of the default period)."""
    if preset == "month":
        return date(anchor.year, anchor.month, 1), month_end(anchor.year, anchor.month)
    if preset == "quarter":
        start = quarter_start(anchor)
        return start, month_end(start.year, start.month + 2)
    if preset == "year":
        return date(anchor.year, 1, 1), date(anchor.year, 12, 31)
    if preset == "last_year":
        return date(anchor.year - 1, 1, 1), date(anchor.year - 1, 12, 31)
    raise ValueError(f"unknown preset {preset!r}")


def year_earlier(start: date, end: date) -> Period:
    """Same period last year (同比); 29 February becomes 28 February."""
    year = relativedelta(years=1)
    return start - year, end - year


def previous_period(start: date, end: date) -> Period:
    """The previous period of equal length (环比): the days (or whole months) just before ``start``.

    A range of whole calendar months compares with the same number of whole months before it
    (December with November, Q4 with Q3); any other range with the same number of days before it.
    """
    if start.day == 1 and end == month_end(end.year, end.month):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return start - relativedelta(months=months), start - timedelta(days=1)
    days = (end - start).days
    prev_end = start - timedelta(days=1)
    return prev_end - timedelta(days=days), prev_end


def comparisons(start: date, end: date) -> tuple[Period, Period | None]:
    """(同比, 环比) of a period; 环比 is None when it is the same range as 同比 (a whole year)."""
    last_year, previous = year_earlier(start, end), previous_period(start, end)
    return last_year, None if previous == last_year else previous
