"""Number formatting for the leadership view: counts, rates (one decimal), deltas, "—" for no value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from numbers import Number

from warehouse.query import RATE_KPIS

DASH = "—"
# KPIs that do not depend on the period: 同比/环比 deltas would only show the data's churn.
STATIC_KPIS = frozenset({"deputies_total", "homes_total", "stations_total", "liaison_points_total"})


def as_number(value) -> float | None:
    """``value`` as a float, ``None`` when missing or not a number (pandas NA included)."""
    if value is None or not isinstance(value, Number | str):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def fmt_count(value) -> str:
    number = as_number(value)
    if number is None:
        return DASH
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.1f}"


def fmt_rate(value) -> str:
    number = as_number(value)
    return DASH if number is None else f"{number * 100:.1f}%"


def fmt_kpi(kpi_id: str, value) -> str:
    """How a KPI value is shown: rates as percentages with one decimal, counts with separators."""
    return fmt_rate(value) if kpi_id in RATE_KPIS else fmt_count(value)


def delta(kpi_id: str, current, previous) -> tuple[str, int] | None:
    """The change from ``previous`` to ``current`` as (text, sign), or ``None`` when it cannot be said.

    Counts change by a relative percentage (a zero base has no percentage: ``None``); rates change by
    percentage points.
    """
    cur, prev = as_number(current), as_number(previous)
    if cur is None or prev is None:
        return None
    if kpi_id in RATE_KPIS:
        diff = (cur - prev) * 100
        sign = (diff > 0.05) - (diff < -0.05)
        return f"{diff:+.1f}pp", sign
    if prev == 0:
        return None
    change = (cur - prev) / prev * 100
    sign = (change > 0.05) - (change < -0.05)
    return f"{change:+.1f}%", sign


def kpi_dict(result) -> dict:
    """The query layer's KPI result as a plain ``{kpi_id: value}`` dict (dict, dataclass or object)."""
    if result is None:
        return {}
    if isinstance(result, Mapping):
        return dict(result)
    if is_dataclass(result):
        return asdict(result)
    for attr in ("to_dict", "_asdict"):
        if hasattr(result, attr):
            return dict(getattr(result, attr)())
    return {k: getattr(result, k) for k in dir(result) if not k.startswith("_")}
