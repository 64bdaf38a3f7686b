"""Build the published snapshot from the raw store and publish it atomically.

The ETL process holds the raw store read-write, so the build runs on the caller's connection: the
new snapshot file is ATTACHed to it as a second database, staging models run as temporary views over
the raw tables, marts are written into the new file, the file is DETACHed (checkpointed and closed)
and only then moved into place with ``os.replace``. A failure at any point removes the temporary file
and leaves ``published.duckdb`` untouched.

Layout under ``settings.data_dir``::

    published.duckdb                 what the dashboard reads (a hard link to the newest version,
                                     or a copy where links are not supported)
    snapshots/<version>.duckdb       the last ``settings.keep_snapshots`` versions, for rollback
    snapshots/<version>.duckdb.tmp   a build in progress (removed on failure)
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from warehouse import presets
from warehouse.build_state import build_meta
from warehouse.export_date import EXPORT_DATE_KEY, export_date_from_name
from warehouse.points import PointsRule, load_points_rules
from warehouse.regions import level_of, prefix_of
from warehouse.settings import Settings
from warehouse.timefmt import localize

SQL_DIR = Path(__file__).resolve().parent / "sql"
BUILD_ALIAS = "cockpit_snapshot_build"
# Models in build order: (layer, name). The names double as the whitelist of tables the build writes.
STAGING_MODELS: tuple[str, ...] = (
    "stg_townships",
    "stg_homes",
    "stg_deputies",
    "stg_activities",
    "stg_activity_participants",
    "stg_suggestions",
    "stg_cases",
    "stg_projects",
    "stg_points_rules",
)
MART_MODELS: tuple[str, ...] = (
    "dim_township",
    "dim_home",
    "dim_deputy",
    "dim_points_rule",
    "fct_activity",
    "mart_activity_daily",
    "mart_deputy_daily",
    "mart_deputy_home_days",
    "mart_deputy_home_years",
    "mart_deputy_absence_daily",
    "fct_suggestion",
    "mart_suggestion_daily",
    "mart_suggestion_district_daily",
    "fct_case",
    "mart_case_daily",
    "mart_case_district_daily",
    "mart_mediator_days",
    "fct_project",
    "fct_points",
    "mart_deputy_points_yearly",
    "mart_points_daily",
    "mart_points_district_daily",
)
# Nearly unique strings of the widest fact: DuckDB 2.0's string compression analysis costs ~3x the
# plain write there (measured: 0.60 vs 0.17 CPU-s per 1M rows for id + title), for a file ~2x larger.
UNCOMPRESSED_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_activity": ("activity_id", "title", "deputy_ids", "absent_deputy_ids"),
}
# Models whose rows must keep the order they are produced in: fct_activity is not sorted (too costly at
# 10M rows) and relies on the raw store's date order for its zonemaps. Every other model is built with
# ``preserve_insertion_order = false`` (explicit ORDER BYs still hold): DuckDB then need not buffer
# out-of-order batches of the large per-deputy marts, which bounds the build's memory.
ORDERED_MODELS: frozenset[str] = frozenset({"fct_activity"})
# Marts published as views (computed when read, from the tables above).
MART_VIEWS: tuple[str, ...] = ("mart_deputy_activity_daily",)
# Tables derived from the finished marts by one function each, ``build(con, settings)`` with the snapshot
# being built as the default catalog (``create or replace``): the preset periods' KPIs, the monthly
# measures and the preset periods' panel results (warehouse.presets). The full and the incremental build
# (warehouse.incremental) both run every one, in order, after the marts.
DERIVED_TABLES: dict[str, Callable[[duckdb.DuckDBPyConnection, Settings], object]] = {
    presets.PRESET_TABLE: presets.build_preset_kpis,
    presets.MONTHLY_TABLE: presets.build_monthly_measures,
    presets.PANEL_TABLE: presets.build_preset_panels,
}
ENTITIES: tuple[str, ...] = (
    "townships",
    "homes",
    "deputies",
    "activities",
    "suggestions",
    "cases",
    "projects",
)
_VERSION_RE = re.compile(r"^\d{8}T\d{6}Z-[A-Za-z0-9]+$")


class SnapshotNotFound(LookupError):
    """The requested snapshot version is not among the kept versions."""

    def __init__(self, version: str):
        super().__init__(version)
        self.version = version


@dataclass(frozen=True)
class SnapshotEntry:
    """A kept snapshot version."""

    version: str
    path: Path
    size_bytes: int
    built_at: datetime | None
    run_id: str | None
    is_published: bool


def model_sql(layer: str, name: str) -> str:
    """Return the SQL text of one model (``sql/<layer>/<name>.sql``)."""
    return (SQL_DIR / layer / f"{name}.sql").read_text(encoding="utf-8")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _run_model(con: duckdb.DuckDBPyConnection, layer: str, name: str) -> None:
    """Materialise one model: staging as a temporary view, marts as a table of the snapshot."""
    body = model_sql(layer, name)
    if layer == "marts":
        order = "true" if name in ORDERED_MODELS else "false"
        con.execute(f"set preserve_insertion_order = {order}")
    if layer == "staging":
        con.execute(f"create or replace temp view {name} as\n{body}")
    elif name in MART_VIEWS:
        con.execute(f"create view {BUILD_ALIAS}.main.{name} as\n{body}")
    elif name in UNCOMPRESSED_COLUMNS:
        # Declare the table from the model's own result types, opting the listed columns out of compression.
        plain = UNCOMPRESSED_COLUMNS[name]
        columns = ", ".join(
            f"{_quote_ident(column)} {column_type}"
            + (" using compression uncompressed" if column in plain else "")
            for column, column_type, *_ in con.execute(f"describe\n{body}").fetchall()
        )
        con.execute(f"create table {BUILD_ALIAS}.main.{name} ({columns})")
        con.execute(f"insert into {BUILD_ALIAS}.main.{name}\n{body}")
    else:
        con.execute(f"create table {BUILD_ALIAS}.main.{name} as\n{body}")


def build_steps(settings: Settings) -> tuple[str, ...]:
    """The names of every step of a build, in order, and the root the district-wide marts attribute
    their rows to (``_load_build_region``): part of the build's fingerprint."""
    return (*MART_MODELS, *MART_VIEWS, *DERIVED_TABLES, f"root_region {settings.root_region}")


def _load_rules(con: duckdb.DuckDBPyConnection, rules: list[PointsRule]) -> None:
    con.execute(
        """
        create or replace temp table points_rules_input (
            rule_id varchar, rule_name varchar, rule_name_en varchar, points integer,
            rule_source varchar, at_home_only boolean, activity_types varchar[],
            exclude_statuses varchar[], sort_order integer
        )
        """
    )
    if rules:
        con.executemany(
            "insert into points_rules_input values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    r.rule_id,
                    r.name,
                    r.name_en,
                    r.points,
                    r.source,
                    r.at_home_only,
                    list(r.activity_types),
                    list(r.exclude_statuses),
                    r.sort_order,
                ]
                for r in rules
            ],
        )


def _load_build_region(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The county the district-wide marts attribute their rows to (``build_region``): the root when it
    is a county, else NULL (each row then takes its township's county)."""
    county = prefix_of(settings.root_region) if level_of(settings.root_region) == "county" else None
    con.execute("create or replace temp table build_region as select ?::varchar as district_code", [county])


def _write_meta(
    con: duckdb.DuckDBPyConnection,
    raw_catalog: str,
    settings: Settings,
    run_id: str,
    version: str,
    build: dict[str, str] | None = None,
) -> None:
    snap = BUILD_ALIAS
    built_at = datetime.now(UTC).replace(microsecond=0)
    period = con.execute(
        f"""
        select min(d), max(d) from (
            select min(activity_date) as d from {snap}.main.fct_activity
            union all select max(activity_date) from {snap}.main.fct_activity
            union all select min(submitted_on) from {snap}.main.fct_suggestion
            union all select max(submitted_on) from {snap}.main.fct_suggestion
            union all select min(accepted_on) from {snap}.main.fct_case
            union all select max(accepted_on) from {snap}.main.fct_case
        )
        """
    ).fetchall()[0]
    meta = {
        "version": version,
        "built_at": built_at.isoformat(),
        "run_id": run_id,
        "district_name": settings.district_name,
        "district_code": settings.district_code,
        "data_start": period[0].isoformat() if period[0] else None,
        "data_end": period[1].isoformat() if period[1] else None,
        **(build or {}),  # warehouse.build_state: what the next, incremental build starts from
    }
    con.execute(f"create table {snap}.main.snapshot_meta (key varchar primary key, value varchar)")
    con.executemany(f"insert into {snap}.main.snapshot_meta values (?, ?)", list(meta.items()))
    con.execute(f"create table {snap}.main.snapshot_as_of (entity varchar primary key, as_of timestamp)")
    has_files = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and table_name = 'etl_files'",
        [raw_catalog],
    ).fetchall()[0][0]
    if has_files:
        con.execute(
            f"""
            insert into {snap}.main.snapshot_as_of
            select entity, max(loaded_at)
            from {_quote_ident(raw_catalog)}.main.etl_files
            where entity is not null and status = 'loaded'
            group by entity
            """
        )
        export_dates = _export_dates(con, raw_catalog, settings)
        if export_dates:
            con.executemany(
                f"insert into {snap}.main.snapshot_meta values (?, ?)",
                [[f"{EXPORT_DATE_KEY}.{e}", day.isoformat()] for e, day in sorted(export_dates.items())],
            )


def _export_dates(con: duckdb.DuckDBPyConnection, raw_catalog: str, settings: Settings) -> dict[str, date]:
    """Per entity, the newest loaded export's own date (warehouse.export_date).

    A file whose name carries no date stamp counts with the day it was loaded (in the settings' zone):
    the export cannot be newer than that.
    """
    rows = con.execute(
        f"""
        select entity, file_name, loaded_at
        from {_quote_ident(raw_catalog)}.main.etl_files
        where entity is not null and status = 'loaded'
        """
    ).fetchall()
    newest: dict[str, date] = {}
    for entity, file_name, loaded_at in rows:
        day = export_date_from_name(file_name) or localize(loaded_at, settings.timezone).date()
        newest[entity] = max(day, newest.get(entity, day))
    return newest


@contextlib.contextmanager
def _build_context(con: duckdb.DuckDBPyConnection, target: Path) -> Iterator[str]:
    """Attach ``target`` to ``con`` and resolve unqualified names to (snapshot, raw store) during the build.

    Restores the caller's default catalog, search path and ``preserve_insertion_order``, and drops the
    temporary objects, on exit.
    """
    raw_catalog = con.execute("select current_database()").fetchall()[0][0]
    old_path = con.execute("select current_setting('search_path')").fetchall()[0][0]
    old_order = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute(f"attach ? as {BUILD_ALIAS} (read_only false)", [str(target)])
    try:
        con.execute(f"use {BUILD_ALIAS}")
        search_path = f"{BUILD_ALIAS}.main,{_quote_ident(raw_catalog)}.main"
        con.execute(f"set search_path = {_quote_literal(search_path)}")
        yield raw_catalog
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"use {_quote_ident(raw_catalog)}")
        with contextlib.suppress(duckdb.Error):
            con.execute(f"set preserve_insertion_order = {'true' if old_order else 'false'}")
        with contextlib.suppress(duckdb.Error):
            if old_path:
                con.execute(f"set search_path = {_quote_literal(old_path)}")
            else:
                con.execute("reset search_path")
        for name in STAGING_MODELS:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"drop view if exists temp.main.{name}")
        with contextlib.suppress(duckdb.Error):
            con.execute("drop table if exists temp.main.points_rules_input")
            con.execute("drop table if exists temp.main.build_region")
        with contextlib.suppress(duckdb.Error):
            con.execute(f"detach {BUILD_ALIAS}")


def build_snapshot_file(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    settings: Settings,
    run_id: str,
    version: str,
    rules: list[PointsRule] | None = None,
) -> None:
    """Build a complete snapshot database at ``target`` from the raw store open on ``con``.

    Args:
        con: A connection whose default catalog is the raw store (read-write or read-only).
        target: The new database file (must not exist).
        settings: Installation settings (district name/code, points rules file).
        run_id: The ETL run that triggers the build.
        version: The snapshot version recorded in ``snapshot_meta``.
        rules: Points rules; None loads ``settings.points_rules_file`` or the packaged defaults.
    """
    rules = rules if rules is not None else load_points_rules(settings.points_rules_file)
    with _build_context(con, target) as raw_catalog:
        _load_rules(con, rules)
        _load_build_region(con, settings)
        for name in STAGING_MODELS:
            _run_model(con, "staging", name)
        for name in (*MART_MODELS, *MART_VIEWS):
            _run_model(con, "marts", name)
        for derive in DERIVED_TABLES.values():
            derive(con, settings)
        build = build_meta(con, raw_catalog, build_steps(settings), rules)
        _write_meta(con, raw_catalog, settings, run_id, version, build)


def _short_run_id(run_id: str) -> str:
    # Run ids start with their start time (already in the version): keep the distinctive tail.
    return re.sub(r"[^A-Za-z0-9]", "", run_id)[-6:] or "run"


def _version_files(settings: Settings) -> list[Path]:
    folder = settings.snapshots_dir
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.glob("*.duckdb")
        if _VERSION_RE.match(p.name.removesuffix(".duckdb")) and p.is_file()
    )


def _next_version(settings: Settings, run_id: str, now: datetime | None = None) -> str:
    """A version that sorts after every kept one: UTC time to the second, then the short run id."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    existing = [p.name.removesuffix(".duckdb") for p in _version_files(settings)]
    latest_stamp = max((v.split("-", 1)[0] for v in existing), default="")
    while moment.strftime("%Y%m%dT%H%M%SZ") <= latest_stamp:
        moment += timedelta(seconds=1)
    return f"{moment:%Y%m%dT%H%M%SZ}-{_short_run_id(run_id)}"


def _remove_quietly(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _install(source: Path, destination: Path) -> None:
    """Atomically make ``destination`` the content of ``source`` (hard link, else copy, then replace)."""
    staging = destination.with_name(destination.name + ".tmp")
    _remove_quietly(staging)
    try:
        os.link(source, staging)
    except OSError:
        shutil.copyfile(source, staging)
    try:
        os.replace(staging, destination)
    except BaseException:
        _remove_quietly(staging)
        raise


def _prune(settings: Settings) -> None:
    keep = max(1, settings.keep_snapshots)
    files = _version_files(settings)
    for path in files[:-keep]:
        _remove_quietly(path, path.with_name(path.name + ".wal"))


def publish_snapshot(
    raw: duckdb.DuckDBPyConnection | str | os.PathLike,
    settings: Settings,
    run_id: str,
    rules: list[PointsRule] | None = None,
) -> str:
    """Build a new snapshot from the raw store and publish it atomically.

    Args:
        raw: The ETL's open connection to the raw store (its default catalog), or the raw store's path
            (opened read-only for the build).
        settings: Installation settings: ``published_db``, ``snapshots_dir``, ``keep_snapshots``.
        run_id: The run that triggers the publish (recorded in the snapshot and its version).
        rules: Points rules; None loads ``settings.points_rules_file`` or the packaged defaults.

    Returns:
        The published version, e.g. ``20260127T101500Z-3f2a9c1b``.

    Raises:
        Exception: Whatever the build raised; the published file is then untouched and no temporary
            file remains.
    """
    settings.snapshots_dir.mkdir(parents=True, exist_ok=True)
    for leftover in settings.snapshots_dir.glob("*.duckdb.tmp*"):
        _remove_quietly(leftover)
    version = _next_version(settings, run_id)
    final = settings.snapshots_dir / f"{version}.duckdb"
    temp = settings.snapshots_dir / f"{version}.duckdb.tmp"
    own_connection = not isinstance(raw, duckdb.DuckDBPyConnection)
    con = duckdb.connect(str(raw), read_only=True) if own_connection else raw
    try:
        build_snapshot_file(con, temp, settings, run_id, version, rules)
    except BaseException:
        _remove_quietly(temp, temp.with_name(temp.name + ".wal"))
        raise
    finally:
        if own_connection:
            con.close()
    os.replace(temp, final)
    _install(final, settings.published_db)
    _prune(settings)
    return version


def _read_meta(path: Path) -> dict[str, str]:
    con = duckdb.connect()
    try:
        con.execute("attach ? as s (read_only)", [str(path)])
        return dict(con.execute("select key, value from s.main.snapshot_meta").fetchall())
    except duckdb.Error:
        return {}
    finally:
        con.close()


def published_version(settings: Settings) -> str | None:
    """The version currently published, or None when nothing is published yet."""
    published = settings.published_db
    if not published.is_file():
        return None
    for path in _version_files(settings):
        with contextlib.suppress(OSError):
            if os.path.samefile(path, published):
                return path.name.removesuffix(".duckdb")
    return _read_meta(published).get("version")


def list_snapshots(settings: Settings) -> list[SnapshotEntry]:
    """The kept snapshot versions, oldest first, flagging the published one."""
    current = published_version(settings)
    entries = []
    for path in _version_files(settings):
        version = path.name.removesuffix(".duckdb")
        meta = _read_meta(path)
        built_at = meta.get("built_at")
        entries.append(
            SnapshotEntry(
                version=version,
                path=path,
                size_bytes=path.stat().st_size,
                built_at=datetime.fromisoformat(built_at) if built_at else None,
                run_id=meta.get("run_id"),
                is_published=version == current,
            )
        )
    return entries


def rollback(settings: Settings, version: str) -> str:
    """Publish a kept version again, atomically.

    Args:
        settings: Installation settings.
        version: One of the versions listed by :func:`list_snapshots`.

    Returns:
        The version now published.

    Raises:
        SnapshotNotFound: When ``version`` is not a kept version.
    """
    matches = [p for p in _version_files(settings) if p.name == f"{version}.duckdb"]
    if not matches:
        raise SnapshotNotFound(version)
    _install(matches[0], settings.published_db)
    return version


def publish_built_file(settings: Settings, run_id: str, build: Callable[[Path, str], None]) -> str:
    """Publish a snapshot that ``build(target, version)`` writes, with the versioning of :func:`publish_snapshot`.

    For snapshots not built from a raw store (a city's roll-up of its districts' exchange packages):
    the build writes ``target``; a failure removes it and leaves the published file untouched.

    Returns:
        The published version.
    """
    settings.snapshots_dir.mkdir(parents=True, exist_ok=True)
    version = _next_version(settings, run_id)
    final = settings.snapshots_dir / f"{version}.duckdb"
    temp = settings.snapshots_dir / f"{version}.duckdb.tmp"
    try:
        build(temp, version)
    except BaseException:
        _remove_quietly(temp, temp.with_name(temp.name + ".wal"))
        raise
    os.replace(temp, final)
    _install(final, settings.published_db)
    _prune(settings)
    return version
