"""The briefing (代表履职数据通报): the newsletter's statistical part, written from the query layer.

``write_briefing(settings, start, end, township, fmt, out)`` is the one entry point (CLI, download route,
scheduled job). Figures come from :mod:`warehouse.query` (``cockpit kpis`` is the truth), charts from the
leadership view's builders rendered by kaleido, the document model from :mod:`.compose`, the files from
:mod:`.render`.
"""

from __future__ import annotations

from dashboard.briefing.periods import issue_label, period_name, previous_month, previous_year
from dashboard.briefing.write import (
    FORMATS,
    BriefingError,
    briefing_bytes,
    build_briefing,
    write_briefing,
)

__all__ = [
    "FORMATS",
    "BriefingError",
    "briefing_bytes",
    "build_briefing",
    "issue_label",
    "period_name",
    "previous_month",
    "previous_year",
    "write_briefing",
]
