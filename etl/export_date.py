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

from datetime import datetime

from etl.mapping import norm_header
from warehouse.export_date import EXPORT_TIME_COLUMNS, export_date_from_name

FILE_NAME, COLUMN, LOAD_TIME = "file_name", "column", "load_time"
# Headers of a column that carries the export's (or the record's last update) time.
STAMP_HEADERS = frozenset(norm_header(h) for h in EXPORT_TIME_COLUMNS)


def stamp_from_name(file_name: str) -> datetime | None:
    """The export date stamped in ``file_name`` (midnight of that day), or None: one reading of a name
    for the ETL's version order and the screens' "数据截至" (``warehouse.export_date``)."""
    stamped = export_date_from_name(file_name)
    return datetime.combine(stamped, datetime.min.time()) if stamped else None


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
