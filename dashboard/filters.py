"""The leadership view's state: URL query string ⇄ :class:`ViewState` ⇄ :class:`warehouse.query.Filters`.

The whole view lives in the query string (``?from=2023-01-01&to=2023-12-31&township=150205002000``), so a
link reproduces it and back/forward work. Every callback and every download route turns the URL into
query-layer filters through :func:`filters_from_state`. The logged-in user's township scope is enforced
by the query layer itself (``warehouse.query.scope_filters``, on every query); :func:`parse_search`
applies it to the view's state too, so labels, breadcrumbs and drop-downs name what the figures show,
never a township the request asked for but may not see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import parse_qs, urlencode

from dashboard import context
from warehouse import periods
from warehouse.bounds import MAX_LIST_ITEMS, bounded_period, parse_day, unique_items
from warehouse.errors import UserError
from warehouse.levels import DEPUTY_LEVELS, HOME_LEVELS
from warehouse.periods import PRESETS
from warehouse.query import Filters, current_scope, restrict_region, restrict_townships, scope_filters
from warehouse.regions import is_within, level_of, prefix_of

# Query-string keys.
Q_FROM, Q_TO, Q_TOWNSHIP, Q_HOME_LEVEL, Q_DEPUTY_LEVEL, Q_LANG = (
    "from",
    "to",
    "township",
    "home_level",
    "deputy_level",
    "lang",
)
Q_REGION = "region"


@dataclass(frozen=True)
class ViewState:
    """What the URL says: period, township codes, home levels and deputy levels (URL ids), language."""

    start: date
    end: date
    townships: tuple[str, ...] = ()
    home_levels: tuple[str, ...] = ()
    deputy_levels: tuple[str, ...] = ()
    lang: str | None = None
    # The province, city or county drilled into (significant digits; "" = the deployment's root).
    region: str = ""

    def with_(self, **changes) -> ViewState:
        return replace(self, **changes)


def _first(params: Mapping, key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return value if value not in ("", None) else None


def _multi(params: Mapping, key: str, allowed: Mapping | None = None) -> tuple[str, ...]:
    raw = params.get(key)
    if raw is None:
        return ()
    items = raw if isinstance(raw, list | tuple) else [raw]

    def parts():
        for item in items[:MAX_LIST_ITEMS]:
            for part in str(item).split(",", MAX_LIST_ITEMS)[:MAX_LIST_ITEMS]:
                part = part.strip()
                if not part:
                    continue
                if allowed is not None and part not in allowed:
                    continue
                # Township codes are 12 digits; anything else is dropped rather than passed on.
                if allowed is None and not (part.isdigit() and len(part) <= 12):
                    continue
                yield part

    # Linear de-duplication of at most MAX_LIST_ITEMS codes: a URL with 300k codes costs no more.
    return unique_items(parts())


def _parse_date(value: str | None) -> date | None:
    parsed = parse_day(value, date.min)
    return None if parsed == date.min else parsed


def _root_region() -> str:
    """The deployment's root ("" before the app is configured, e.g. unit tests of the parser alone)."""
    try:
        return context.settings().root_region
    except KeyError:
        return ""


def _region(params: Mapping) -> str:
    """The region of the URL: a province, city or county under the root, within the caller's scope.

    Anything else (not a code, a township, outside the root) is the root (""); outside a region scope it
    is the scope's own region.
    """
    raw = _first(params, Q_REGION)
    code = str(raw).strip()[:12] if raw is not None else ""
    root = _root_region()
    try:
        region = prefix_of(code) if code else ""
        if region and (level_of(region) == "township" or (root and not is_within(region, root))):
            region = ""
        if root and region == prefix_of(root):
            region = ""
    except UserError:
        region = ""
    region = restrict_region(region, current_scope())
    return "" if root and region == prefix_of(root) else region


def parse_search(search: str | Mapping | None, default_period: tuple[date, date]) -> ViewState:
    """Parse a query string (``"?from=..."``) or the kwargs Dash Pages passes to a layout.

    Invalid or missing values fall back to the defaults; a reversed range is swapped; dates, span and
    list lengths are bounded (``warehouse.bounds``); a region outside the root or the caller's scope is
    clamped (:func:`_region`).
    """
    if isinstance(search, Mapping):
        params = dict(search)
    else:
        params = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    start = _parse_date(_first(params, Q_FROM)) or default_period[0]
    end = _parse_date(_first(params, Q_TO)) or default_period[1]
    start, end = bounded_period(start, end)
    lang = _first(params, Q_LANG)
    return ViewState(
        start=start,
        end=end,
        townships=restrict_townships(_multi(params, Q_TOWNSHIP), current_scope()),
        home_levels=_multi(params, Q_HOME_LEVEL, HOME_LEVELS),
        deputy_levels=_multi(params, Q_DEPUTY_LEVEL, DEPUTY_LEVELS),
        lang="en" if lang and lang.lower().startswith("en") else None,
        region=_region(params),
    )


def to_search(state: ViewState, **extra: str) -> str:
    """The canonical query string (with leading ``?``) for ``state``; ``extra`` keys are appended."""
    pairs: list[tuple[str, str]] = [(Q_FROM, state.start.isoformat()), (Q_TO, state.end.isoformat())]
    if state.townships:
        pairs.append((Q_TOWNSHIP, ",".join(state.townships)))
    if state.home_levels:
        pairs.append((Q_HOME_LEVEL, ",".join(state.home_levels)))
    if state.deputy_levels:
        pairs.append((Q_DEPUTY_LEVEL, ",".join(state.deputy_levels)))
    if state.lang == "en":
        pairs.append((Q_LANG, "en"))
    if state.region:
        pairs.append((Q_REGION, state.region))
    pairs.extend((k, v) for k, v in extra.items() if v)
    return "?" + urlencode(pairs, safe=",")


def apply_scope(filters: Filters, allowed_townships: tuple[str, ...] | None = None) -> Filters:
    """Restrict ``filters`` to the townships a user may see (``None``: no restriction)."""
    return scope_filters(filters, allowed_townships) if allowed_townships is not None else filters


def filters_from_state(state: ViewState) -> Filters:
    """The single place where a view's state becomes query-layer filters (the query layer scopes them
    again on every query; doing it here too keeps what the view labels equal to what it queries)."""
    filters = Filters(
        start=state.start,
        end=state.end,
        townships=state.townships,
        home_levels=tuple(HOME_LEVELS[k] for k in state.home_levels),
        deputy_levels=tuple(DEPUTY_LEVELS[k] for k in state.deputy_levels),
        region=state.region,
    )
    return scope_filters(filters)


# ---- periods (the rules live in warehouse.periods: the snapshot build precomputes the same ranges) ----


def preset_period(preset: str, anchor: date) -> tuple[date, date]:
    """The date range of ``preset`` relative to ``anchor`` (the end of the default period)."""
    return periods.preset_period(preset, anchor)


def detect_preset(start: date, end: date, anchor: date) -> str:
    """Which preset button a range corresponds to (``"custom"`` when none)."""
    for preset in PRESETS[:-1]:
        if preset_period(preset, anchor) == (start, end):
            return preset
    return "custom"


def yoy_filters(filters: Filters) -> Filters:
    """Same period last year (同比); 29 February becomes 28 February."""
    start, end = periods.year_earlier(filters.start, filters.end)
    return replace(filters, start=start, end=end)


def previous_filters(filters: Filters) -> Filters:
    """The previous period of equal length (环比): whole months before a range of whole months (December
    with November, Q4 with Q3), else the same number of days just before ``start``."""
    start, end = periods.previous_period(filters.start, filters.end)
    return replace(filters, start=start, end=end)
