"""Incremental publish: a run that loads one day's exports rebuilds the days it touched, not every mart.

The new snapshot starts as a copy of the published one (``snapshots/<version>.duckdb.tmp``), ATTACHed
to the raw store's connection exactly as a full build's file (``warehouse.publish``); then

- the dimensions and the other small whole tables (townships, homes, deputies, points rules, projects,
  and any model without a partition key below) are rebuilt whole, and so is every derived step after
  the marts (``warehouse.publish.DERIVED_TABLES``, e.g. precomputed results read from the marts);
- every date-keyed fact and mart loses the rows of the **touched days** and gets them again from its
  own model SQL, restricted to those days (``DAY_KEYS``); the yearly marts do the same per touched
  year (``YEAR_KEYS``);
- the meta is rewritten; the file is published by ``os.replace`` like any build (versions kept,
  a failure removes the temporary file and leaves ``published.duckdb`` untouched).

Partition key: the day of the record (activity day, submission day, acceptance day, points day). Every
mart's grain holds its day, so a day's rows depend only on the records of that day and the dimensions;
a finer key (day x township) would not hold for the per-deputy marts, whose deputies act across
townships. The touched days (``sql/incremental/touched_days.sql``) are every date of every version,
current and superseded, of the fact records loaded since the snapshot's anchor run
(``warehouse.build_state``), so a record moved to another day (or township) touches its old and new day;
and the days of the activities at a place that changed (its township and level are on those rows).
A changed deputy's township, levels and status are on the rows of the points marts and the yearly home
visits: for those marts, the days with the deputy's points and the years of their home visits are
touched too (``DEPUTY_PARTITIONS``).

A full build runs instead (correctness first) when there is no published snapshot, when it was built by
other model SQL, steps or points rules (fingerprint: new rules change every day's points), or when its
anchor run is not in the raw store's log (e.g. a raw store restored from elsewhere).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from warehouse.build_state import (
    ANCHOR_KEY,
    FINGERPRINT_KEY,
    INCREMENTAL,
    build_meta,
    fingerprint,
    incremental_sql,
)
from warehouse.points import PointsRule, load_points_rules
from warehouse.publish import (
    BUILD_ALIAS,
    DERIVED_TABLES,
    MART_MODELS,
    STAGING_MODELS,
    _build_context,
    _load_build_region,
    _load_rules,
    _read_meta,
    _run_model,
    _write_meta,
    build_steps,
    model_sql,
    publish_built_file,
    publish_snapshot,
)
from warehouse.settings import Settings

log = logging.getLogger("cockpit.publish")

# Date-keyed models: model -> its day column. Their rows of a day come from the records of that day.
DAY_KEYS: dict[str, str] = {
    "fct_activity": "activity_date",
    "mart_activity_daily": "activity_date",
    "mart_deputy_daily": "activity_date",
    "mart_deputy_home_days": "activity_date",
    "mart_deputy_absence_daily": "activity_date",
    "fct_suggestion": "submitted_on",
    "mart_suggestion_daily": "submitted_on",
    "mart_suggestion_district_daily": "submitted_on",
    "fct_case": "accepted_on",
    "mart_case_daily": "accepted_on",
    "mart_case_district_daily": "accepted_on",
    "mart_mediator_days": "accepted_on",
    "fct_points": "earned_on",
    "mart_points_daily": "earned_on",
    "mart_points_district_daily": "earned_on",
}
# Year-keyed models: model -> its year column; the touched years are the years of the touched days.
YEAR_KEYS: dict[str, str] = {
    "mart_deputy_home_years": "year",
    "mart_deputy_points_yearly": "year",
}
# Models whose SQL sorts their rows by their key (zonemaps on the day): kept sorted after an update.
SORTED_BY_KEY: frozenset[str] = frozenset(
    {"mart_activity_daily", "mart_deputy_home_days", "mart_deputy_absence_daily"}
)
# Models whose rows carry a deputy's attributes (dim_deputy): the partitions holding a changed deputy's
# rows are touched too, found in the snapshot being built by these queries (sql/incremental/<query>.sql).
DEPUTY_PARTITIONS: dict[str, str] = {
    "mart_deputy_home_years": "deputy_home_years",
    "mart_points_daily": "deputy_points_days",
    "mart_points_district_daily": "deputy_points_days",
}
_DAYS_TABLE = "incremental_touched_days"
_YEARS_TABLE = "incremental_touched_years"
_DEPUTIES_TABLE = "incremental_changed_deputies"


@dataclass(frozen=True)
class BuildPlan:
    """How the next snapshot is built: ``mode`` full or incremental, why, and the touched days."""

    mode: str
    reason: str
    days: tuple[date, ...] = ()
    deputies: tuple[str, ...] = ()

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({day.year for day in self.days}))


def _full(reason: str) -> BuildPlan:
    return BuildPlan("full", reason)


def plan_build(con: duckdb.DuckDBPyConnection, settings: Settings, rules: list[PointsRule]) -> BuildPlan:
    """Decide between a full and an incremental build of the raw store open on ``con`` (its default catalog).

    Args:
        con: The raw store's connection.
        settings: Installation settings (``published_db``).
        rules: The points rules the new snapshot is built with.
    """
    if not settings.published_db.is_file():
        return _full("no published snapshot")
    meta = _read_meta(settings.published_db)
    if meta.get(FINGERPRINT_KEY) != fingerprint(build_steps(settings), rules):
        return _full("published snapshot built by other models or rules")
    anchor = meta.get(ANCHOR_KEY)
    if anchor is None:
        return _full("published snapshot has no anchor run")
    changes = dict(con.execute(incremental_sql("changes_since"), {"anchor": anchor}).fetchall())
    if not changes.pop("anchor_found"):
        return _full("anchor run not in the raw store")
    days = tuple(r[0] for r in con.execute(incremental_sql("touched_days"), {"anchor": anchor}).fetchall())
    deputies = ()
    if changes.get("deputies"):
        query = incremental_sql("changed_deputies")
        deputies = tuple(r[0] for r in con.execute(query, {"anchor": anchor}).fetchall())
    loaded = ", ".join(f"{entity} {n}" for entity, n in changes.items() if n)
    reason = (
        f"{len(days)} day(s) touched, {len(deputies)} deputy(ies) changed; versions loaded: {loaded or '-'}"
    )
    return BuildPlan(INCREMENTAL, reason, days, deputies)


def _touched_tables(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    for table, column, values in (
        (_DAYS_TABLE, "day date", plan.days),
        (_YEARS_TABLE, "year integer", plan.years),
        (_DEPUTIES_TABLE, "deputy_id varchar", plan.deputies),
    ):
        con.execute(f"create or replace temp table {table} ({column})")
        if values:
            con.executemany(f"insert into {table} values (?)", [[value] for value in values])


def _touched_for(con: duckdb.DuckDBPyConnection, name: str, touched: str, plan: BuildPlan) -> str:
    """The table of ``name``'s touched partitions: ``touched``, plus those of the changed deputies' rows."""
    if name not in DEPUTY_PARTITIONS or not plan.deputies:
        return touched
    own = f"incremental_touched_{name}"
    con.execute(
        f"create or replace temp table {own} as\nselect * from {touched}\nunion\n"
        f"select * from (\n{incremental_sql(DEPUTY_PARTITIONS[name])}\n)"
    )
    return own


def _refresh_partitions(
    con: duckdb.DuckDBPyConnection, name: str, key: str, touched: str, bounds: tuple[object, object]
) -> None:
    """Replace the rows of the touched partitions of ``name`` by its model's rows for them.

    The range filter (``bounds``) reaches the scans of the sources (zonemaps skip the other days); the
    semi join keeps exactly the touched partitions.
    """
    target = f"{BUILD_ALIAS}.main.{name}"
    con.execute("set preserve_insertion_order = true")
    con.execute(f"delete from {target} where {key} in (select * from {touched})")
    con.execute(
        f"insert into {target} by name\nselect * from (\n{model_sql('marts', name)}\n) as model\n"
        f"where model.{key} between ? and ? and model.{key} in (select * from {touched})",
        list(bounds),
    )


def _keep_sorted(
    con: duckdb.DuckDBPyConnection, name: str, key: str, touched: str, first_touched: date
) -> None:
    """Rows of touched days were appended: re-sort the table unless they all follow the kept rows."""
    target = f"{BUILD_ALIAS}.main.{name}"
    kept_max = con.execute(
        f"select max({key}) from {target} where {key} not in (select * from {touched})"
    ).fetchall()[0][0]
    if kept_max is None or kept_max < first_touched:
        return
    sorted_name = f"{name}__sorted"
    con.execute(f"create table {BUILD_ALIAS}.main.{sorted_name} as select * from {target} order by {key}")
    con.execute(f"drop table {target}")
    con.execute(f"alter table {BUILD_ALIAS}.main.{sorted_name} rename to {name}")


def _copy_base(base: Path, target: Path) -> None:
    """Copy the published snapshot to the new build's file.

    ``copy_file_range`` copies inside the kernel, and shares the blocks instead (a reflink) where the
    filesystem can (XFS, Btrfs); elsewhere (another filesystem, an old kernel) a plain copy.
    """
    try:
        with open(base, "rb") as source, open(target, "xb") as copy:
            remaining = os.fstat(source.fileno()).st_size
            while remaining > 0:
                done = os.copy_file_range(source.fileno(), copy.fileno(), remaining)
                if done == 0:
                    break
                remaining -= done
        if remaining <= 0:
            return
    except (AttributeError, OSError) as exc:
        log.debug("copy_file_range unavailable (%s): plain copy", exc)
    target.unlink(missing_ok=True)
    shutil.copyfile(base, target)


def _rebuild_whole(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"drop table if exists {BUILD_ALIAS}.main.{name}")
    _run_model(con, "marts", name)


def build_incremental_file(
    con: duckdb.DuckDBPyConnection,
    base: Path,
    target: Path,
    settings: Settings,
    run_id: str,
    version: str,
    rules: list[PointsRule],
    plan: BuildPlan,
) -> None:
    """Write at ``target`` the snapshot ``base`` with the partitions of ``plan`` rebuilt from the raw store.

    Args:
        con: The raw store's connection (its default catalog).
        base: The published snapshot the plan was made against.
        target: The new database file (must not exist).
        settings, run_id, version, rules: As for ``warehouse.publish.build_snapshot_file``.
        plan: An incremental plan from :func:`plan_build`.
    """
    _copy_base(base, target)
    with _build_context(con, target) as raw_catalog:
        _load_rules(con, rules)
        _load_build_region(con, settings)
        for name in STAGING_MODELS:
            _run_model(con, "staging", name)
        _touched_tables(con, plan)
        for name in MART_MODELS:
            if name in DAY_KEYS:
                key, touched = DAY_KEYS[name], _touched_for(con, name, _DAYS_TABLE, plan)
            elif name in YEAR_KEYS:
                key, touched = YEAR_KEYS[name], _touched_for(con, name, _YEARS_TABLE, plan)
            else:
                _rebuild_whole(con, name)
                continue
            first, last = con.execute(f"select min(part), max(part) from {touched} as t(part)").fetchall()[0]
            if first is None:
                continue
            _refresh_partitions(con, name, key, touched, (first, last))
            if name in SORTED_BY_KEY:
                _keep_sorted(con, name, key, touched, first)
        for derive in DERIVED_TABLES.values():
            derive(con, settings)
        for table in ("snapshot_meta", "snapshot_as_of"):
            con.execute(f"drop table if exists {BUILD_ALIAS}.main.{table}")
        for table in (
            _DAYS_TABLE,
            _YEARS_TABLE,
            _DEPUTIES_TABLE,
            *(f"incremental_touched_{m}" for m in DEPUTY_PARTITIONS),
        ):
            con.execute(f"drop table if exists temp.main.{table}")
        build = build_meta(con, raw_catalog, build_steps(settings), rules, INCREMENTAL, len(plan.days))
        _write_meta(con, raw_catalog, settings, run_id, version, build)


def publish_incremental(
    raw: duckdb.DuckDBPyConnection | str | os.PathLike,
    settings: Settings,
    run_id: str,
    rules: list[PointsRule] | None = None,
    on_plan: Callable[[BuildPlan], None] | None = None,
) -> str:
    """Publish a snapshot of the raw store: incrementally from the published one when the plan allows,
    else by a full build (``warehouse.publish.publish_snapshot``). The drop-in for ``publish_snapshot``
    as the ETL's publish step.

    Args:
        raw: The raw store's connection or path (opened read-only for the build).
        settings: Installation settings.
        run_id: The run that triggers the publish.
        rules: Points rules; None loads ``settings.points_rules_file`` or the packaged defaults.
        on_plan: Called with the plan before the build (e.g. to report which path ran).

    Returns:
        The published version.

    Raises:
        Exception: Whatever the build raised; ``published.duckdb`` is then untouched.
    """
    rules = rules if rules is not None else load_points_rules(settings.points_rules_file)
    own_connection = not isinstance(raw, duckdb.DuckDBPyConnection)
    con = duckdb.connect(str(raw), read_only=True) if own_connection else raw
    try:
        plan = plan_build(con, settings, rules)
        log.info("publish plan: %s (%s)", plan.mode, plan.reason)
        if on_plan is not None:
            on_plan(plan)
        if plan.mode != INCREMENTAL:
            return publish_snapshot(con, settings, run_id, rules)
        for leftover in settings.snapshots_dir.glob("*.duckdb.tmp*"):  # of a build killed part-way
            leftover.unlink(missing_ok=True)
        base = settings.published_db
        return publish_built_file(
            settings,
            run_id,
            lambda target, version: build_incremental_file(
                con, base, target, settings, run_id, version, rules, plan
            ),
        )
    finally:
        if own_connection:
            con.close()
