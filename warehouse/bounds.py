"""Bounds on every value a request can carry into a query: dates, period span, list lengths, JSON depth.

A URL or a callback body is attacker-controlled. Each bound keeps the cost of one request small and
predictable (no quadratic de-duplication, no scan of centuries, no recursion blow-up), and a value out
of bounds falls back to the default or is cut, never raises deep inside a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

# Periods: data of a deputies' work programme lives in these years; year 1 or 9999 only cost time
# (and year 1 breaks "the same period last year").
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2199, 12, 31)
MAX_SPAN_DAYS = 366 * 20
# A district has a few dozen townships; a longer list in a URL is an attack, not a selection.
MAX_LIST_ITEMS = 200
# Dash callback bodies nest a few levels (inputs, props, children); deeper is refused.
MAX_JSON_DEPTH = 64


def parse_day(value, fallback: date) -> date:
    """An ISO date within [MIN_DAY, MAX_DAY], else ``fallback``."""
    if not value:
        return fallback
    try:
        day = date.fromisoformat(str(value)) if len(str(value)) <= 32 else None
    except ValueError:
        return fallback
    return day if day is not None and MIN_DAY <= day <= MAX_DAY else fallback


def bounded_period(start: date, end: date) -> tuple[date, date]:
    """``start..end`` in order, clamped to the supported years and at most MAX_SPAN_DAYS long."""
    if end < start:
        start, end = end, start
    start, end = max(start, MIN_DAY), min(end, MAX_DAY)
    if (end - start).days > MAX_SPAN_DAYS:
        start = end - timedelta(days=MAX_SPAN_DAYS)
    return start, end


def unique_items(items: Iterable[str], limit: int = MAX_LIST_ITEMS) -> tuple[str, ...]:
    """The first ``limit`` distinct items in order, in linear time (a dict, not a list scan)."""
    seen: dict[str, None] = {}
    for item in items:
        if len(seen) >= limit:
            break
        seen.setdefault(item, None)
    return tuple(seen)


def json_depth_within(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON ``value`` nests at most ``limit`` levels (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return True
