"""The query layer: typed functions over the published snapshot, one per dashboard need.

Every function takes a DuckDB cursor on the published snapshot and a :class:`Filters`; SQL lives in
``sql/queries/*.sql`` and is bound with parameters.

Scope (security) is enforced here, not by callers: every query binds its parameters through
:func:`_params`, which intersects ``Filters.townships`` with :func:`current_scope` (what the serving
layer registered with :func:`set_scope_provider`, e.g. the signed-in township user's township). A
``Filters`` built from a web request therefore cannot reach SQL unscoped, whatever page built it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from dateutil.relativedelta import relativedelta

from warehouse.export_date import EXPORT_DATE_KEY
from warehouse.regions import LEVEL_DIGITS, RegionTable, is_within, prefix_of
from warehouse.snapshot import SNAPSHOT_KEY_SQL, cursor_key, remember_cursor_key

KPI_IDS: tuple[str, ...] = (
    "deputies_total",
    "homes_total",
    "stations_total",
    "liaison_points_total",
    "activities_total",
    "visitors_total",
    "suggestions_collected",
    "suggestion_closure_rate",
    "suggestion_satisfaction_rate",
    "petition_cases",
    "petition_completed",
    "petition_completion_rate",
    "petition_satisfaction_rate",
    "mediation_cases",
    "mediation_success",
    "mediation_success_rate",
    "mediators_total",
    "legislative_suggestions",
    "regulations_consulted",
    "supervision_suggestions",
    "livelihood_projects_voted",
    "home_visit_rate",
    "trainings_total",
    "training_attendance",
    "csc_observations",
)
RATE_KPIS = frozenset(k for k in KPI_IDS if k.endswith("_rate"))
# The entity each KPI is computed from, for its own as-of time on screen.
KPI_ENTITY: dict[str, str] = {
    **{k: "deputies" for k in ("deputies_total", "home_visit_rate")},
    **{k: "homes" for k in ("homes_total", "stations_total", "liaison_points_total")},
    **{
        k: "activities"
        for k in (
            "activities_total",
            "visitors_total",
            "trainings_total",
            "training_attendance",
            "csc_observations",
        )
    },
    **{
        k: "suggestions"
        for k in (
            "suggestions_collected",
            "suggestion_closure_rate",
            "suggestion_satisfaction_rate",
            "legislative_suggestions",
            "regulations_consulted",
            "supervision_suggestions",
        )
    },
    **{
        k: "cases"
        for k in (
            "petition_cases",
            "petition_completed",
            "petition_completion_rate",
            "petition_satisfaction_rate",
            "mediation_cases",
            "mediation_success",
            "mediation_success_rate",
            "mediators_total",
        )
    },
    "livelihood_projects_voted": "projects",
}


@dataclass(frozen=True)
class Filters:
    """What every query is restricted to. Empty tuples mean "no restriction"."""

    start: date
    end: date
    townships: tuple[str, ...] = ()
    home_levels: tuple[str, ...] = ()
    deputy_levels: tuple[str, ...] = field(default=())  # subset of 市/区/镇
    # A province, city, county (2/4/6 significant digits) or township code ("" = the deployment's root):
    # the townships under it and the district-wide records of its counties (see _params).
    region: str = ""


@dataclass(frozen=True)
class SnapshotInfo:
    version: str
    built_at: datetime
    run_id: str
    as_of: dict[str, datetime]
    # Per entity, the newest loaded export's own date (warehouse.export_date): what "数据截至" means.
    export_dates: dict[str, date] = field(default_factory=dict)

    @property
    def export_date(self) -> date | None:
        """The newest export's own date over all sources, None for a snapshot that records none."""
        return max(self.export_dates.values(), default=None)

    @property
    def updated_at(self) -> datetime | None:
        """When the newest source file was loaded (else the build time): "更新于"."""
        loaded = [v for v in self.as_of.values() if v is not None]
        if loaded:
            return max(loaded)
        return self.built_at if self.built_at and self.built_at.year >= 2000 else None


# --- Scope (row-level security) --------------------------------------------------------------------
# The serving layer registers a function answering "what may the current caller see": township codes
# (a township user), a RegionScope (an account limited to a province, city or county) or None (all).
# The query layer cannot import it (it lives above), so it is handed down once at start.


@dataclass(frozen=True)
class RegionScope:
    """A caller limited to a province, city or county: the significant digits of its code."""

    prefix: str


Scope = tuple[str, ...] | RegionScope | None
ScopeProvider = Callable[[], Scope]
_scope_provider: ScopeProvider | None = None


def set_scope_provider(provider: ScopeProvider | None) -> None:
    """Register the function that tells the current caller's scope (None: no restriction)."""
    global _scope_provider
    _scope_provider = provider


def current_scope() -> Scope:
    """The current caller's scope: township codes, a :class:`RegionScope`, or None (all; CLI, ETL, no
    provider)."""
    return _scope_provider() if _scope_provider is not None else None


def restrict_townships(townships: tuple[str, ...], allowed: Scope) -> tuple[str, ...]:
    """``townships`` (empty: all) limited to ``allowed`` (None: no limit).

    An empty intersection yields the whole of ``allowed``, never the whole district: a township user
    asking for another township gets their own, a region-scoped user their region (an empty township
    filter, which :func:`scope_filters` bounds by the region).
    """
    if allowed is None:
        return townships
    if isinstance(allowed, RegionScope):
        return tuple(code for code in townships if code.startswith(allowed.prefix))
    wanted = tuple(code for code in townships if code in allowed) if townships else ()
    return wanted or tuple(allowed)


def restrict_region(region: str, allowed: Scope) -> str:
    """``region`` ("" = the root) clamped to ``allowed``: a region outside a region scope becomes the
    scope's own; a township scope makes the region moot (its townships are the filter)."""
    if allowed is None:
        return region
    if isinstance(allowed, RegionScope):
        return region if region and is_within(region, allowed.prefix) else allowed.prefix
    return ""


def townships_under(con: duckdb.DuckDBPyConnection, prefix: str) -> tuple[str, ...]:
    """The snapshot's township codes that start with ``prefix`` (a region's significant digits).

    Never scoped. When no township lies under the prefix the answer is the prefix itself, a code no
    row carries: the township filter is then empty of rows, never "everything" (an empty township
    filter means the whole root).
    """
    codes = tuple(r["township_code"] for r in _records(con, "townships_under", {"prefix": prefix}))
    return codes or (prefix,)


def scope_filters(f: Filters, allowed: Scope = None) -> Filters:
    """``f`` restricted to ``allowed``, by default the current caller's scope (:func:`current_scope`)."""
    if allowed is None:
        allowed = current_scope()
    townships = restrict_townships(f.townships, allowed)
    region = restrict_region(f.region, allowed)
    if (townships, region) == (f.townships, f.region):
        return f
    return replace(f, townships=townships, region=region)


# --- Implementation ------------------------------------------------------------------------------

QUERIES_DIR = Path(__file__).resolve().parent / "sql" / "queries"
# The query (in sql/queries/) and extra parameters behind each trend measure.
_TREND_QUERIES: dict[str, tuple[str, dict[str, str]]] = {
    "activities": ("trend_home_activity", {"measure": "activities"}),
    "visitors": ("trend_home_activity", {"measure": "visitors"}),
    "suggestions": ("trend_suggestions", {}),
    "petition_cases": ("trend_cases", {"case_type": "信访代办"}),
    "mediation_cases": ("trend_cases", {"case_type": "诉前调解"}),
    "points": ("trend_points", {}),
}
TREND_MEASURES: tuple[str, ...] = tuple(_TREND_QUERIES)
# Low-points watchlist: the bottom share of ranked deputies, only for periods of at least this many months.
WATCHLIST_SHARE = 0.10
WATCHLIST_MIN_MONTHS = 6
_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# See _frame: the query layer takes Arrow output from executed results on purpose, so DuckDB's note that
# this copies the rows is silenced. The filter is re-added when missing: test runners and
# ``warnings.catch_warnings`` blocks reset the filter list.
_ARROW_COPY_NOTE = "Arrow output on a DB-API result"
_ARROW_COPY_FILTER = ("ignore", re.compile(_ARROW_COPY_NOTE, re.I), UserWarning, None, 0)


def _quiet_arrow_copy_note() -> None:
    if _ARROW_COPY_FILTER not in warnings.filters:
        warnings.filterwarnings("ignore", message=_ARROW_COPY_NOTE, category=UserWarning)


@cache
def _sql(name: str) -> tuple[str, frozenset[str]]:
    """The text of ``sql/queries/<name>.sql`` and the named parameters it uses."""
    text = (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
    code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())  # comments may name parameters
    return text, frozenset(_PARAM_RE.findall(code))


def _params(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """The bound parameters of ``f``, always within the caller's scope (the one place SQL gets them).

    A region restricts the township-grain queries to its townships; the queries of suggestions, cases
    and points then read the district-wide marts of its counties (``district_prefix``), which also hold
    the records without a township. An explicit township filter (inside the region) or a township-level
    region reads the township grain (``township_grain``), as without regions.
    """
    f = scope_filters(f)
    region = prefix_of(f.region) if f.region else ""
    townships = tuple(code for code in f.townships if code.startswith(region))
    township_grain = bool(townships) or len(region) > LEVEL_DIGITS["county"]
    if not townships and region:
        townships = _region_townships(con, region)
    return {
        "start": f.start,
        "end": f.end,
        "townships": list(townships),
        "township_grain": township_grain,
        "district_prefix": region[: LEVEL_DIGITS["county"]],
        "home_levels": list(f.home_levels),
        "deputy_levels": list(f.deputy_levels),
    }


def _bind(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The query text and the subset of ``params`` it uses (DuckDB refuses unused named parameters)."""
    text, used = _sql(name)
    missing = used - params.keys()
    if missing:
        raise ValueError(f"query {name}: missing parameters {sorted(missing)}")
    return text, {k: v for k, v in params.items() if k in used}


def _execute(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    text, bound = _bind(name, params)
    return con.execute(text, bound)


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pd.DataFrame:
    text, bound = _bind(name, params)
    # execute() plans the query once; con.sql(text, params=...) binds it to describe the relation and again
    # to run it (1-3 ms of a 3-10 ms panel query). The extra Arrow copy it warns about is small next to that.
    _quiet_arrow_copy_note()
    return arrow_frame(con.execute(text, bound).to_arrow_table())


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow result as a DataFrame, converted on the calling thread: panel results are small (tens to
    thousands of rows), and handing their columns to pyarrow's thread pool took 2-3x longer."""
    return table.to_pandas(use_threads=False)


def _records(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = _execute(con, name, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# --- Memo per snapshot version ---------------------------------------------------------------------
# Several panels run the same query for one request (the points ranking for the histogram, the ranking
# and the watchlist; the homes for the map and the idle list; the KPIs for the wall and the leadership
# view). A published snapshot never changes: a result is kept per (snapshot file, snapshot version,
# function, arguments) in a small LRU. A new snapshot has a new version, so it is never served stale
# results. Connections that are not on a published snapshot (no version) are not memoised.

_MEMO: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
_MEMO_SIZE = 64
# Bytes of DataFrames kept at most (a worker's memory matters more than a repeated query); a result
# above a quarter of this is not kept at all (e.g. a ranking of every deputy at a very large scale).
_MEMO_BYTES = 96 * 1024 * 1024
_MEMO_LOCK = threading.Lock()
_memo_bytes = 0


def _snapshot_key(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(file path, version) of the snapshot ``con`` reads, or None (not a file-backed snapshot).

    A cursor reads one snapshot file for its whole life (the reader opens a new connection for a new file),
    so its key is asked once per cursor (warehouse.snapshot.cursor_key), not on every memo lookup (~4 ms).
    """
    known = cursor_key(con)
    if known is not None:
        return known
    try:
        version, path = con.execute(SNAPSHOT_KEY_SQL).fetchall()[0]
    except (duckdb.Error, IndexError):
        return None
    if not (version and path):
        return None
    key = (str(path), str(version))
    remember_cursor_key(con, key)
    return key


def _size(value) -> int:
    """Approximate bytes held by a memoised value (DataFrames; other results are small)."""
    if isinstance(value, pd.DataFrame):
        # A cell's 8 bytes (numbers; pointers for text), as ``memory_usage(deep=False)`` counts them, without
        # its cost (a Series built per call, ~0.5 ms a query).
        return 8 * len(value) * (len(value.columns) + 1) + 1024
    return 1024


def _shared_copy(value):
    """A copy callers may modify without touching the memo (pandas copy-on-write keeps it cheap)."""
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=False)
    if isinstance(value, dict):
        return dict(value)
    return value


def _memo_key(snapshot: tuple[str, str], function, args: tuple, kwargs: dict) -> tuple:
    # The scope is part of the key: one user's result is never served to a caller with another scope.
    return (snapshot, current_scope(), function.__name__, args, tuple(sorted(kwargs.items())))


def _remember(key: tuple, value: Any, size: int) -> None:
    """Keep ``value`` in the memo (least recently used entries go first; a very large one is not kept)."""
    global _memo_bytes
    if size > _MEMO_BYTES // 4:
        return
    with _MEMO_LOCK:
        if key not in _MEMO:
            _MEMO[key] = (value, size)
            _memo_bytes += size
        while _MEMO and (len(_MEMO) > _MEMO_SIZE or _memo_bytes > _MEMO_BYTES):
            _memo_bytes -= _MEMO.popitem(last=False)[1][1]


def memoised(function):
    """Memoise a query function per (snapshot file, snapshot version, arguments); a preset key's panel
    results come from the snapshot's precomputed rows when it carries them."""

    @functools.wraps(function)
    def wrapper(con, *args, **kwargs):
        snapshot = _snapshot_key(con)
        if snapshot is None:
            return function(con, *args, **kwargs)
        key = _memo_key(snapshot, function, args, kwargs)
        with _MEMO_LOCK:
            if key in _MEMO:
                _MEMO.move_to_end(key)
                return _shared_copy(_MEMO[key][0])
        value = _stored_result(con, function.__name__, args, kwargs)
        if value is None:
            value = function(con, *args, **kwargs)
        _remember(key, value, _size(value))
        return _shared_copy(value)

    wrapper.uncached = function
    return wrapper


# Facts of the snapshot itself (its meta), the same for every caller: kept per snapshot file and version
# only. Not through :func:`memoised`, whose key asks the caller's scope: a public route such as /healthz
# has no principal to ask.
_SNAPSHOT_FACTS: dict[tuple, Any] = {}


def per_snapshot(function):
    """Keep ``function(con)`` per (snapshot file, snapshot version); a connection without one runs it."""

    @functools.wraps(function)
    def wrapper(con):
        snapshot = _snapshot_key(con)
        if snapshot is None:
            return function(con)
        key = (snapshot, function.__name__)
        with _MEMO_LOCK:
            if key in _SNAPSHOT_FACTS:
                return _shared_copy(_SNAPSHOT_FACTS[key])
        value = function(con)
        with _MEMO_LOCK:
            if len(_SNAPSHOT_FACTS) >= _MEMO_SIZE:
                _SNAPSHOT_FACTS.clear()
            _SNAPSHOT_FACTS[key] = value
        return _shared_copy(value)

    wrapper.uncached = function
    return wrapper


def clear_memo() -> None:
    """Forget every memoised result (tests; a new snapshot needs no call: its version is in the key)."""
    global _memo_bytes
    with _MEMO_LOCK:
        _MEMO.clear()
        _SNAPSHOT_FACTS.clear()
        _PRESET_PAYLOADS.clear()
        _memo_bytes = 0


@memoised
def _region_townships(con: duckdb.DuckDBPyConnection, prefix: str) -> tuple[str, ...]:
    """:func:`townships_under`, kept per snapshot (every query of a region filter asks)."""
    return townships_under(con, prefix)


def _as_datetime(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@per_snapshot
def snapshot_info(con: duckdb.DuckDBPyConnection) -> SnapshotInfo:
    """Version, build time, run id and per-entity data-as-of times of the snapshot."""
    rows = _records(con, "snapshot_meta", {})
    meta = {r["key"]: r["value"] for r in rows if r["kind"] == "meta"}
    as_of = {r["key"]: r["as_of"] for r in rows if r["kind"] == "as_of" and r["as_of"] is not None}
    return SnapshotInfo(
        version=meta.get("version", ""),
        built_at=_as_datetime(meta.get("built_at")) or datetime.min,
        run_id=meta.get("run_id", ""),
        as_of=as_of,
        export_dates={
            key.removeprefix(f"{EXPORT_DATE_KEY}."): date.fromisoformat(value)
            for key, value in meta.items()
            if key.startswith(f"{EXPORT_DATE_KEY}.") and value
        },
    )


@per_snapshot
def snapshot_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """All key/value metadata of the snapshot (version, built_at, run_id, district_name, district_code, ...)."""
    return {r["key"]: r["value"] for r in _records(con, "snapshot_meta", {}) if r["kind"] == "meta"}


# --- Precomputed preset periods (warehouse.presets) ----------------------------------------------
# The Filters fields a preset row answers for. Any other field with a non-default value (home or deputy
# levels, a field added later) means the live query: a new field is never silently ignored.
_PRESET_FIELDS = frozenset({"start", "end", "townships"})
_PRESETS_PRESENT: dict[tuple, bool] = {}


def _field_default(spec: dataclasses.Field):
    if spec.default is not dataclasses.MISSING:
        return spec.default
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return dataclasses.MISSING


def _plain(f: Filters) -> bool:
    """Whether every field of ``f`` but the period and the townships has its default value."""
    return all(
        spec.name in _PRESET_FIELDS or getattr(f, spec.name) == _field_default(spec)
        for spec in dataclasses.fields(f)
    )


def preset_key(f: Filters) -> tuple[date, date, str] | None:
    """(start, end, township or '' for the root) when ``f``, scoped, is what a preset row answers, else None."""
    f = scope_filters(f)
    if not _plain(f) or len(f.townships) > 1:
        return None
    return f.start, f.end, f.townships[0] if f.townships else ""


def whole_months(start: date, end: date) -> bool:
    """Whether ``start..end`` is a run of whole calendar months (the monthly measures answer it)."""
    return start.day == 1 and (end + timedelta(days=1)).day == 1 and start <= end


def _has_table(con: duckdb.DuckDBPyConnection, present_query: str) -> bool:
    """The answer of ``present_query`` (does the snapshot carry a derived table), once per snapshot."""
    snapshot = _snapshot_key(con)
    key = (snapshot, present_query)
    if snapshot is not None and key in _PRESETS_PRESENT:
        return _PRESETS_PRESENT[key]
    present = bool(_execute(con, present_query, {}).fetchall()[0][0])
    if snapshot is not None:
        with _MEMO_LOCK:
            if len(_PRESETS_PRESENT) >= _MEMO_SIZE:  # a few entries per snapshot version a process has read
                _PRESETS_PRESENT.clear()
            _PRESETS_PRESENT[key] = present
    return present


# --- Panel results precomputed for the preset periods (warehouse.presets.build_preset_panels) ----------
# The calls behind the leadership view's panels, as (function, arguments after the filters). For a preset
# key (:func:`preset_key`) the snapshot carries each call's result, so a click on 本月/本季/本年/上年 or on
# a township reads one row set instead of running a dozen queries (~4 ms of DuckDB each).
PANEL_TREND_MEASURES: tuple[str, ...] = (
    "activities",
    "visitors",
    "suggestions",
    "petition_cases",
    "mediation_cases",
)
LATEST_ACTIVITIES_SHOWN = 50
PRESET_PANEL_CALLS: tuple[tuple[str, tuple], ...] = (
    ("monthly_trends", (PANEL_TREND_MEASURES,)),
    ("home_map", ()),
    ("township_summary", ()),
    ("latest_activities", (LATEST_ACTIVITIES_SHOWN,)),
    ("suggestions_by_status", ()),
    ("suggestions_by_category", ()),
    ("handling_units", ()),
    ("legislative_by_regulation", ()),
    ("case_outcomes", ()),
    ("projects_by_township", ()),
    ("_full_ranking", ()),
    ("points_by_rule", ()),
    ("low_points_watchlist", ()),
)
_PRESET_PANEL_NAMES = frozenset(name for name, _ in PRESET_PANEL_CALLS)
_PRESET_PAYLOADS: OrderedDict[tuple, dict[str, bytes]] = OrderedDict()


def call_id(name: str, extra: tuple, kwargs: dict | None = None) -> str:
    """The stored name of one call: function and arguments after the filters (``latest_activities(50,)``)."""
    return f"{name}{extra!r}{sorted((kwargs or {}).items())!r}"


def _stored_result(con: duckdb.DuckDBPyConnection, name: str, args: tuple, kwargs: dict) -> Any:
    """The precomputed result of ``name(con, *args, **kwargs)``, or None (not a stored call or key)."""
    if name not in _PRESET_PANEL_NAMES or not args or not isinstance(args[0], Filters):
        return None
    key = preset_key(args[0])
    if key is None or not _has_table(con, "preset_panels_present"):
        return None
    payload = _preset_payloads(con, key).get(call_id(name, args[1:], kwargs))
    if payload is None:
        return None
    return arrow_frame(pa.ipc.open_stream(payload).read_all())


def _preset_payloads(con: duckdb.DuckDBPyConnection, key: tuple[date, date, str]) -> dict[str, bytes]:
    """Every stored call of one preset key, read at once (one query) and kept per snapshot as bytes: tens
    of KB a key at district scale, apart from the memo of frames."""
    cache_key = (_snapshot_key(con), key)
    with _MEMO_LOCK:
        if cache_key in _PRESET_PAYLOADS:
            _PRESET_PAYLOADS.move_to_end(cache_key)
            return _PRESET_PAYLOADS[cache_key]
    start, end, township = key
    params = {"start": start, "end": end, "township": township}
    payloads = {
        call: bytes(payload) for call, payload in _execute(con, "preset_panels_lookup", params).fetchall()
    }
    with _MEMO_LOCK:
        _PRESET_PAYLOADS[cache_key] = payloads
        while len(_PRESET_PAYLOADS) > _MEMO_SIZE:
            _PRESET_PAYLOADS.popitem(last=False)
    return payloads


def _has_presets(con: duckdb.DuckDBPyConnection) -> bool:
    return _has_table(con, "preset_kpis_present")


def _monthly_scope(con: duckdb.DuckDBPyConnection, f: Filters, single: bool) -> Filters | None:
    """``f`` scoped when the monthly measures answer it (whole months, no other filter, at most one
    township when ``single``), else None."""
    f = scope_filters(f)
    if not (_plain(f) and whole_months(f.start, f.end)) or (single and len(f.townships) > 1):
        return None
    return f if _has_table(con, "monthly_measures_present") else None


def _preset_kpi_row(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any] | None:
    """The precomputed KPI row for ``f``, or None (not a preset key, or a snapshot without the table)."""
    key = preset_key(f)
    if key is None or not _has_presets(con):
        return None
    start, end, township = key
    rows = _records(con, "preset_kpis_lookup", {"start": start, "end": end, "township": township})
    return rows[0] if rows else None


@memoised
def kpis(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, int | float | None]:
    """Every KPI of :data:`KPI_IDS` for the period and filters (口径: docs/DATA_CONTRACT.md).

    Counts are ints; rates (:data:`RATE_KPIS`) are fractions, None when the denominator is zero. A
    preset period of the root or one township is read from the snapshot's precomputed rows.
    """
    row = _preset_kpi_row(con, f)
    return live_kpis(con, f) if row is None else _kpi_values(row)


def live_kpis(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, int | float | None]:
    """:func:`kpis` by the live query, never from the precomputed rows (tests, benchmarks)."""
    return _kpi_values(_records(con, "kpis", _params(con, f))[0])


def _kpi_values(row: dict[str, Any]) -> dict[str, int | float | None]:
    values: dict[str, int | float | None] = {}
    for kpi_id in KPI_IDS:
        value = row[kpi_id]
        if kpi_id in RATE_KPIS:
            values[kpi_id] = None if value is None else float(value)
        else:
            values[kpi_id] = int(value or 0)
    return values


def kpi_as_of(con: duckdb.DuckDBPyConnection) -> dict[str, date | datetime | None]:
    """For each KPI id, how current its source is: the newest export date of the entity it is computed
    from (a ``date``), else (a snapshot recording none) the load time of its newest file."""
    info = snapshot_info(con)
    return {
        kpi_id: info.export_dates.get(KPI_ENTITY[kpi_id]) or info.as_of.get(KPI_ENTITY[kpi_id])
        for kpi_id in KPI_IDS
    }


def data_period(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """The earliest and latest record date (activities, suggestions, cases) in the snapshot."""
    meta = snapshot_meta(con)
    start, end = meta.get("data_start"), meta.get("data_end")
    return (date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)


@memoised
def record_years(con: duckdb.DuckDBPyConnection) -> dict[int, date]:
    """Each year that has records (activities, suggestions, cases), with its latest record date."""
    return {int(r["record_year"]): r["latest"] for r in _records(con, "record_years", {})}


@memoised
def township_options(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Townships for filter drop-downs: ``township_code, township_name, kind`` in code order."""
    return _frame(con, "township_options", {})


@memoised
def monthly_trend(con: duckdb.DuckDBPyConnection, f: Filters, measure: str) -> pd.DataFrame:
    """One row per month of the period (zero-filled): ``month, value``.

    Args:
        con: Cursor on the snapshot.
        f: Filters.
        measure: One of :data:`TREND_MEASURES` (activities and visitors at homes, suggestions collected
            at homes, petition cases, mediation cases, points of the deputies in scope).

    Raises:
        ValueError: For an unknown measure.
    """
    if measure not in TREND_MEASURES:
        raise ValueError(f"unknown trend measure {measure!r}; expected one of {TREND_MEASURES}")
    monthly = _monthly_scope(con, f, single=True)
    if monthly is not None:
        township = monthly.townships[0] if monthly.townships else ""
        params = {"start": monthly.start, "end": monthly.end, "township": township}
        return _frame(con, "trend_monthly", params)[["month", measure]].rename(columns={measure: "value"})
    name, extra = _TREND_QUERIES[measure]
    return _frame(con, name, {**_params(con, f), **extra})


@memoised
def monthly_trends(con: duckdb.DuckDBPyConnection, f: Filters, measures: tuple[str, ...]) -> pd.DataFrame:
    """:func:`monthly_trend` of several measures side by side: ``month`` and a column per measure.

    One read of the precomputed months when they answer ``f`` (whole months, one township or the root),
    else one live query per measure.
    """
    unknown = [m for m in measures if m not in TREND_MEASURES]
    if unknown:
        raise ValueError(f"unknown trend measure {unknown[0]!r}; expected one of {TREND_MEASURES}")
    monthly = _monthly_scope(con, f, single=True)
    if monthly is not None:
        township = monthly.townships[0] if monthly.townships else ""
        params = {"start": monthly.start, "end": monthly.end, "township": township}
        return _frame(con, "trend_monthly", params)[["month", *measures]]
    parts = [monthly_trend(con, f, measure).rename(columns={"value": measure}) for measure in measures]
    merged = parts[0] if parts else pd.DataFrame(columns=["month"])
    for part in parts[1:]:  # every part has the same zero-filled months
        merged = merged.merge(part, on="month", how="outer")
    return merged.sort_values("month").reset_index(drop=True)


@memoised
def township_summary(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row per township in scope, zero rows included.

    Columns: township_code, township_name, homes, deputies, activities, visitors, suggestions,
    petition_cases, mediation_cases, mediation_success, points. A period of whole months without level
    filters sums the precomputed months.
    """
    monthly = _monthly_scope(con, f, single=False)
    if monthly is not None:
        params = {"start": monthly.start, "end": monthly.end, "townships": list(monthly.townships)}
        return _frame(con, "township_summary_monthly", params)
    return _frame(con, "township_summary", _params(con, f))


# township_summary's measures: all summed over a unit's townships, except those with records without a
# township, which come per county from the district-wide marts (county_records.sql) at county level and up.
UNIT_MEASURES: tuple[str, ...] = (
    "homes",
    "deputies",
    "activities",
    "visitors",
    "suggestions",
    "petition_cases",
    "mediation_cases",
    "mediation_success",
    "points",
)
COUNTY_MEASURES: tuple[str, ...] = (
    "suggestions",
    "petition_cases",
    "mediation_cases",
    "mediation_success",
    "points",
)


@memoised
def unit_summary(
    con: duckdb.DuckDBPyConnection, f: Filters, level: str, regions: RegionTable | None = None
) -> pd.DataFrame:
    """One row per unit of ``level`` (city, county or township) under ``f.region`` (zero rows included).

    Columns: unit_code (12 digits), unit_name, the :data:`UNIT_MEASURES` and mediation_success_rate
    (recomputed from the summed numerator and denominator; None when no mediation case). A unit sums
    its townships' rows of :func:`township_summary`; at county level and above, the measures of
    :data:`COUNTY_MEASURES` are its counties' whole figures, the records without a township included
    (unless an explicit township filter asks for those townships only). Township names are the
    snapshot's; other units' come from ``regions`` (the region table), else the code.

    Raises:
        ValueError: ``level`` is not city, county or township.
    """
    if level not in ("city", "county", "township"):
        raise ValueError(f"unknown unit level {level!r}")
    townships = township_summary(con, f)
    if level == "township":
        units = townships.rename(columns={"township_code": "unit_code", "township_name": "unit_name"})
    else:
        digits = LEVEL_DIGITS[level]
        units = (
            townships.assign(unit_code=townships["township_code"].str[:digits])
            .groupby("unit_code", as_index=False)[list(UNIT_MEASURES)]
            .sum()
        )
        params = _params(con, f)
        if not params["township_grain"]:
            counties = _frame(con, "county_records", params)
            by_unit = (
                counties.assign(unit_code=counties["district_code"].str[:digits])
                .groupby("unit_code")[list(COUNTY_MEASURES)]
                .sum()
            )
            units = units.set_index("unit_code")
            units = units.reindex(units.index.union(by_unit.index), fill_value=0)
            units[list(COUNTY_MEASURES)] = by_unit.reindex(units.index, fill_value=0)
            units = units.reset_index()
        units["unit_code"] = units["unit_code"].str.ljust(12, "0")
        units["unit_name"] = [_region_name(regions, code) for code in units["unit_code"]]
        units = units.sort_values("unit_code").reset_index(drop=True)
    units[list(UNIT_MEASURES)] = units[list(UNIT_MEASURES)].astype("int64")
    cases = units["mediation_cases"]
    units["mediation_success_rate"] = (units["mediation_success"] / cases.where(cases > 0)).astype(object)
    units.loc[cases == 0, "mediation_success_rate"] = None
    return units[["unit_code", "unit_name", *UNIT_MEASURES, "mediation_success_rate"]]


def _region_name(regions: RegionTable | None, code: str) -> str:
    if regions is not None and code in regions:
        return regions.get(code).name
    return code


@memoised
def home_map(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row per place in scope: home_id, home_name, home_level, is_home, township_code, township_name,
    lon, lat, activities, visitors (in the period) and deputies (active deputies stationed there)."""
    return _frame(con, "home_map", _params(con, f))


@memoised
def _full_ranking(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    return _frame(con, "points_ranking", {**_params(con, f), "limit": None})


@memoised
def _top_ranking(con: duckdb.DuckDBPyConnection, f: Filters, limit: int) -> pd.DataFrame:
    return _frame(con, "points_ranking", {**_params(con, f), "limit": int(limit)})


def _memo_holds(con: duckdb.DuckDBPyConnection, function, *args) -> bool:
    """Whether a memoised ``function(con, *args)`` result is at hand (no query run)."""
    snapshot = _snapshot_key(con)
    if snapshot is None:
        return False
    with _MEMO_LOCK:
        return _memo_key(snapshot, function, args, {}) in _MEMO


def points_ranking(con: duckdb.DuckDBPyConnection, f: Filters, limit: int | None = None) -> pd.DataFrame:
    """Points of the active deputies in scope over the period, best first.

    Columns: rank, deputy_id, deputy_name, township_name, levels, points, absences. Ties are broken by
    fewer absences, then deputy_id; deputies without points are included (0). With ``limit``, the first
    ``limit`` rows: the head of the memoised full ranking when it is at hand, else a top-N query (with
    millions of deputies, numbering and returning every one costs seconds).
    """
    if limit is None or limit < 0 or _memo_holds(con, _full_ranking, f):
        return _head(_full_ranking(con, f), limit)
    return _top_ranking(con, f, limit)


def _points_ranking_uncached(
    con: duckdb.DuckDBPyConnection, f: Filters, limit: int | None = None
) -> pd.DataFrame:
    if limit is None or limit < 0:
        return _head(_full_ranking.uncached(con, f), limit)
    return _top_ranking.uncached(con, f, limit)


# Like the memoised functions: ``.uncached`` always runs the SQL (benchmarks time it).
points_ranking.uncached = _points_ranking_uncached


def _head(frame: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    return frame.head(limit).reset_index(drop=True) if limit is not None else frame


def spans_months(start: date, end: date, months: int) -> bool:
    """Whether ``start..end`` (inclusive) covers at least ``months`` months (Jan 1..Jun 30 covers 6)."""
    # relativedelta clamps to the month's last day (Jan 31 + 1 month -> Feb 28).
    return end >= start + relativedelta(months=months) - timedelta(days=1)


@memoised
def low_points_watchlist(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Deputies flagged for a talk (约谈): the bottom 10 % of the points ranking.

    Rule: only when the period spans at least 6 whole months (a shorter window says little about a
    term); the bottom ``ceil(10 % x ranked deputies)`` active deputies in scope (at least one when
    anyone is ranked), lowest points first, ties by more absences, then deputy_id. The term start of a
    deputy is not in the input contract, so every active deputy counts as serving the whole period.
    Empty (same columns as :func:`points_ranking`) otherwise.
    """
    ranking = points_ranking(con, f)
    if not spans_months(f.start, f.end, WATCHLIST_MIN_MONTHS) or ranking.empty:
        return ranking.iloc[0:0]
    size = math.ceil(WATCHLIST_SHARE * len(ranking))
    return ranking.tail(size).iloc[::-1].reset_index(drop=True)


@memoised
def latest_activities(
    con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 20, home_id: str | None = None
) -> pd.DataFrame:
    """The most recent activities in the period and scope, newest first (optionally at one place)."""
    params = {**_params(con, f), "limit": int(limit), "home_id": home_id}
    since = _execute(con, "latest_activities_since", params).fetchall()[0][0]
    return _frame(con, "latest_activities", {**params, "since": max(since, f.start)})


@memoised
def suggestions_by_status(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Suggestions submitted in the period (all channels): ``status, suggestions`` in workflow order."""
    return _frame(con, "suggestions_by_status", _params(con, f))


@memoised
def suggestions_by_category(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Suggestions submitted in the period (all channels): ``category, suggestions``, largest first."""
    return _frame(con, "suggestions_by_category", _params(con, f))


@memoised
def handling_units(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per handling unit: ``unit, suggestions, closed, on_time_rate, satisfaction_rate`` (rates None
    on a zero denominator; on time = answered, else closed, by the due date)."""
    return _frame(con, "handling_units", _params(con, f))


@memoised
def case_outcomes(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Cases accepted in the period (not 不予受理): ``case_type, outcome, cases`` (outcome None = open)."""
    return _frame(con, "case_outcomes", _params(con, f))


@memoised
def legislative_by_regulation(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Legislative suggestions in the period per regulation: ``regulation, suggestions``."""
    return _frame(con, "legislative_by_regulation", _params(con, f))


@memoised
def projects_by_township(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Livelihood projects with a year in the period per township (zero rows included): township_code,
    township_name, projects, elected, completed, avg_completion_pct."""
    return _frame(con, "projects_by_township", _params(con, f))


@memoised
def points_by_rule(con: duckdb.DuckDBPyConnection, f: Filters, deputy_id: str | None = None) -> pd.DataFrame:
    """Events and points per rule over the period, every rule listed (zero rows included).

    Columns: rule_id, rule_name, rule_name_en, points_per_event, is_fed, events, points. For the active
    deputies in scope, or for one deputy when ``deputy_id`` is given (still subject to the scope).
    """
    return _frame(con, "points_by_rule", {**_params(con, f), "deputy_id": deputy_id})


def home_detail(con: duckdb.DuckDBPyConnection, f: Filters, home_id: str) -> dict[str, Any] | None:
    """Everything the home drill-down shows, or None when the place is unknown or outside the scope.

    Returns:
        ``{"home": dict, "by_type": DataFrame[activity_type, activities, visitors, attendances],
        "monthly": DataFrame[month, activities, visitors], "deputies": DataFrame[deputy_id, deputy_name,
        levels], "latest": DataFrame}`` (see :func:`latest_activities`).
    """
    params = {**_params(con, f), "home_id": home_id}
    rows = _records(con, "home_detail_home", params)
    if not rows:
        return None
    return {
        "home": rows[0],
        "by_type": _frame(con, "home_detail_by_type", params),
        "monthly": _frame(con, "home_detail_monthly", params),
        "deputies": _frame(con, "home_detail_deputies", params),
        "latest": latest_activities(con, Filters(f.start, f.end), limit=20, home_id=home_id),
    }


def deputy_detail(con: duckdb.DuckDBPyConnection, f: Filters, deputy_id: str) -> dict[str, Any] | None:
    """Everything the deputy drill-down shows, or None when the deputy is unknown or outside the scope.

    Returns:
        ``{"deputy": dict (no personal data), "points": int, "absences": int, "rank": int | None (in the
        ranking for ``f``), "ranked": int, "points_by_rule": DataFrame, "by_type": DataFrame[activity_type,
        attendances, absences], "monthly": DataFrame[month, attendances, absences, points],
        "records": dict[suggestions, suggestions_adopted, petition_cases, mediation_cases,
        mediation_success]}``.
    """
    params = {**_params(con, f), "deputy_id": deputy_id}
    rows = _records(con, "deputy_detail_deputy", params)
    if not rows:
        return None
    ranking = points_ranking(con, f)
    mine = ranking[ranking["deputy_id"] == deputy_id]
    by_rule = points_by_rule(con, Filters(f.start, f.end), deputy_id=deputy_id)
    monthly = _frame(con, "deputy_detail_monthly", params)
    return {
        "deputy": rows[0],
        "points": int(by_rule["points"].sum()),
        "absences": int(monthly["absences"].sum()),
        "rank": int(mine["rank"].iloc[0]) if not mine.empty else None,
        "ranked": len(ranking),
        "points_by_rule": by_rule,
        "by_type": _frame(con, "deputy_detail_by_type", params),
        "monthly": monthly,
        "records": _records(con, "deputy_detail_records", params)[0],
    }
