"""The export's own date: which of two exports of the same records is the newer one.

An export's records are as of the day it was taken, not the day it was dropped in the inbox: a clerk
may drop last year's export again (re-saved, re-encoded, renamed) after this year's. Versions are
therefore ordered by the export's date, found in this order:

1. a date stamp in the file name (``意见建议_20240119.csv``, ``2024-01-19``, ``2024年1月19日``); the
   last stamp wins, because platforms append the export stamp after any period in the name;
2. an export/update time column (导出时间, 更新时间...): its latest value;
3. the load time.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from etl.mapping import norm_header

FILE_NAME, COLUMN, LOAD_TIME = "file_name", "column", "load_time"
# Headers of a column that carries the export's (or the record's last update) time.
STAMP_HEADERS = frozenset(
    norm_header(h) for h in ("导出时间", "导出日期", "更新时间", "更新日期", "数据更新时间", "最后更新时间")
)
_STAMP = re.compile(
    r"(?<!\d)(?P<y>20\d{2})(?:(?P<sep>[-_.])?(?P<m>0[1-9]|1[0-2])(?P=sep)?(?P<d>0[1-9]|[12]\d|3[01])"
    r"|年(?P<m2>1[0-2]|0?[1-9])月(?P<d2>3[01]|[12]\d|0?[1-9])日?)(?!\d)"
)


def stamp_from_name(file_name: str) -> datetime | None:
    """The last valid date stamp in ``file_name`` (midnight of that day), or None."""
    found = None
    for m in _STAMP.finditer(file_name):
        month, day = (m["m"], m["d"]) if m["m"] else (m["m2"], m["d2"])
        try:
            found = datetime.combine(date(int(m["y"]), int(month), int(day)), datetime.min.time())
        except ValueError:
            continue
    return found


def stamp_column(headers: list[str]) -> int | None:
    """Index of the export/update time column among ``headers``, or None."""
    for i, h in enumerate(headers):
        if norm_header(h) in STAMP_HEADERS:
            return i
    return None


def stamp_sql(cell: str) -> str:
    """SQL parsing a stamp cell (``2024/1/19 14:30``, ``2024-01-19T14:30:00``, ``2024年1月19日``) to a
    timestamp; NULL when it is not one."""
    text = f"regexp_replace(replace(replace(trim({cell}), 'T', ' '), '日', ''), '[年月./]', '-', 'g')"
    return f"coalesce(try_cast({text} as timestamp), try_cast(split_part({text}, ' ', 1) as date)::timestamp)"
