"""The export's own date: when the platform exported a file, as far as the file itself says.

An export carries its date in its name (``建议_2023下半年_20240105.xlsx``, ``活动-2024-01-20.csv``,
``案件2024年1月20日.xlsx``) and/or in an export-time column (导出时间 / 更新时间). "数据截至" on every
screen is the newest such date per source (entity), recorded in the snapshot meta at publish; the
readers use the same functions to order versions of one export.

Usage::

    export_date_from_name("代表_20240120.csv")                 # date(2024, 1, 20)
    newest_export_date("代表.csv", ["2024-01-20 09:30:00"])    # from the column when the name has none
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

# Year 2000-2099, then month and day, written together (20240120) or with one separator kind, or in
# Chinese. The digits must not be part of a longer number (an id, a phone number).
_STAMPS = (
    re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(20\d{2})([-_.])(\d{1,2})\2(\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(20\d{2})年(\d{1,2})月(\d{1,2})日"),
)
_COLUMN_VALUE = re.compile(r"(20\d{2})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})")
# Snapshot meta keys ``export_date.<entity>`` hold each source's newest export date (ISO).
EXPORT_DATE_KEY = "export_date"
# Headers of a column carrying the export's (or the record's last update) time; the readers use them too.
EXPORT_TIME_COLUMNS = ("导出时间", "导出日期", "更新时间", "更新日期", "数据更新时间", "最后更新时间")


def _valid(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def export_date_from_name(file_name: str) -> date | None:
    """The newest valid date stamp in a file name, None when it carries none.

    The newest, because a name like ``2023下半年_20240105`` may also name the period it covers.
    """
    found: list[date] = []
    for pattern in _STAMPS:
        for match in pattern.finditer(file_name):
            parts = [g for g in match.groups() if g not in ("-", "_", ".")]
            value = _valid(*parts)
            if value is not None:
                found.append(value)
    return max(found, default=None)


def export_date_from_value(value: object) -> date | None:
    """A date from one cell of an export-time column (date, datetime, Excel text), None if not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None:
        return None
    match = _COLUMN_VALUE.search(str(value))
    return _valid(*match.groups()) if match else None


def newest_export_date(file_name: str, column_values: Iterable[object] = ()) -> date | None:
    """The export's own date: the newest of the name's stamp and the export-time column's values."""
    dates = [export_date_from_value(v) for v in column_values]
    dates.append(export_date_from_name(file_name))
    return max((d for d in dates if d is not None), default=None)
