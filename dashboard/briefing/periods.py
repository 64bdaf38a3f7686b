"""Briefing periods: the previous month and year for the scheduled jobs, and how a period is named."""

from __future__ import annotations

from datetime import date, timedelta

from warehouse.i18n import t


def previous_month(today: date) -> tuple[date, date]:
    """The calendar month before ``today``'s (2024-01-20 -> 2023-12-01..2023-12-31)."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def previous_year(today: date) -> tuple[date, date]:
    """The calendar year before ``today``'s."""
    return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)


def same_period_last_year(start: date, end: date) -> tuple[date, date]:
    """The period a year earlier (29 Feb becomes 28 Feb), for year-on-year changes."""
    return _year_earlier(start), _year_earlier(end)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def kind(start: date, end: date) -> str:
    """``year``, ``quarter``, ``month`` for whole calendar periods, else ``range``."""
    if start.day != 1 or start.year != end.year:
        return "range"
    if start.month == 1 and end == date(start.year, 12, 31):
        return "year"
    if end == _month_end(start.year, start.month):
        return "month"
    if start.month % 3 == 1 and end == _month_end(start.year, start.month + 2):
        return "quarter"
    return "range"


def period_name(start: date, end: date, lang: str | None) -> str:
    """``2023年``, ``2023年12月``, ``2023年第4季度`` or ``2023-01-01至2024-02-29``."""
    which = kind(start, end)
    if which == "year":
        return t("briefing.period.year", lang, year=start.year)
    if which == "month":
        return t("briefing.period.month", lang, year=start.year, month=start.month)
    if which == "quarter":
        return t("briefing.period.quarter", lang, year=start.year, quarter=(start.month - 1) // 3 + 1)
    return t("briefing.period.range", lang, start=start.isoformat(), end=end.isoformat())


def issue_label(start: date, end: date, lang: str | None) -> str:
    """The issue line of the title block: ``2023年第4期`` for a month or quarter (its number in the year),
    ``2023年度`` for a year, the period itself for any other range."""
    which = kind(start, end)
    if which == "year":
        return t("briefing.issue_year", lang, year=start.year)
    if which == "range":
        return period_name(start, end, lang)
    number = start.month if which == "month" else (start.month - 1) // 3 + 1
    return t("briefing.issue", lang, year=end.year, number=number)
