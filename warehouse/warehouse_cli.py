"""``cockpit kpis`` and ``cockpit snapshots {list,rollback,build}``.

``cockpit kpis --from 2023-01-01 --to 2023-12-31 [--township CODE] [--json]`` prints every KPI of the
published snapshot (DOMAIN.md's dictionary). JSON carries rates as fractions and null for a zero
denominator; the text table shows Chinese names and rates as percentages with one decimal ("—" for null).
"""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from etl.cli import CliError
from warehouse import query, timefmt
from warehouse.default_period import DefaultPeriod, default_period, today_in
from warehouse.i18n import both, t
from warehouse.publish import SnapshotNotFound, list_snapshots, publish_snapshot, rollback
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader, SnapshotUnavailable

NULL_DISPLAY = "—"


def _error(key: str, **params) -> CliError:
    zh, en = both(f"warehouse.error.{key}", **params)
    return CliError(f"{zh} / {en}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD / expected YYYY-MM-DD: {text}") from exc


def register(sub) -> None:
    """Add the ``kpis`` and ``snapshots`` subcommands to the ``cockpit`` parser."""
    kpis = sub.add_parser("kpis", help="print the KPIs of the published snapshot / 输出指标")
    kpis.add_argument("--from", dest="start", type=_date, default=None, help="period start (default: Jan 1)")
    kpis.add_argument("--to", dest="end", type=_date, default=None, help="period end (default: Dec 31)")
    kpis.add_argument("--township", default=None, help="12-digit township code")
    kpis.add_argument("--json", action="store_true", help="machine-readable output (rates as fractions)")
    kpis.add_argument("--data-dir", type=Path, default=None)
    kpis.set_defaults(func=run_kpis)

    snapshots = sub.add_parser("snapshots", help="list, roll back or rebuild published snapshots / 快照管理")
    snap_sub = snapshots.add_subparsers(dest="snapshots_command", required=True)
    listing = snap_sub.add_parser("list", help="kept versions, the published one marked")
    listing.add_argument("--data-dir", type=Path, default=None)
    listing.set_defaults(func=run_snapshots_list)
    back = snap_sub.add_parser("rollback", help="publish a kept version again")
    back.add_argument("version")
    back.add_argument("--data-dir", type=Path, default=None)
    back.set_defaults(func=run_snapshots_rollback)
    build = snap_sub.add_parser("build", help="rebuild and publish from the raw store (no ETL run)")
    build.add_argument("--data-dir", type=Path, default=None)
    build.set_defaults(func=run_snapshots_build)


def _snapshot_default_period(settings: Settings) -> DefaultPeriod:
    """The screens' default period (this year, else the latest year with records) for the snapshot."""
    reader = SnapshotReader(settings.published_db)
    try:
        cur = reader.cursor()
    except SnapshotUnavailable:
        return default_period(None, settings)
    try:
        return default_period(cur, settings)
    finally:
        cur.close()
        reader.close()


def _period(args, settings: Settings) -> tuple[date, date]:
    if args.start is None and args.end is None:
        return _snapshot_default_period(settings).as_tuple()
    year = today_in(settings).year
    start = args.start or settings.default_start or date(year, 1, 1)
    end = args.end or settings.default_end or date(start.year, 12, 31)
    if start > end:
        raise _error("bad_period", start=start.isoformat(), end=end.isoformat())
    return start, end


def format_kpi_value(kpi_id: str, value: int | float | None) -> str:
    """Text rendering of a KPI: "—" for null, rates as percentages with one decimal, counts grouped."""
    if value is None:
        return NULL_DISPLAY
    if kpi_id in query.RATE_KPIS:
        return f"{value * 100:.1f}%"
    return f"{int(value):,}"


def collect_kpis(settings: Settings, start: date, end: date, township: str | None) -> dict:
    """The JSON document of ``cockpit kpis --json``.

    Raises:
        CliError: No published snapshot, or an unknown township code.
    """
    reader = SnapshotReader(settings.published_db)
    try:
        cur = reader.cursor()
    except SnapshotUnavailable as exc:
        raise _error("no_snapshot", path=str(settings.published_db)) from exc
    try:
        options = query.township_options(cur)
        names = dict(zip(options["township_code"], options["township_name"], strict=True))
        if township is not None and township not in names:
            raise _error("unknown_township", code=township)
        filters = query.Filters(start=start, end=end, townships=(township,) if township else ())
        values = query.kpis(cur, filters)
        return {
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "township": township,
            "township_name": names.get(township) if township else None,
            "snapshot_version": reader.version,
            "kpis": values,
        }
    finally:
        cur.close()
        reader.close()


def run_kpis(args, settings: Settings) -> int:
    start, end = _period(args, settings)
    doc = collect_kpis(settings, start, end, args.township)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    lines = [
        t("warehouse.cli.period", start=start.isoformat(), end=end.isoformat()),
        t("warehouse.cli.snapshot", version=doc["snapshot_version"]),
    ]
    if args.township:
        lines.append(t("warehouse.cli.township", name=doc["township_name"], code=args.township))
    rows = [(t(f"kpi.{k}.name"), format_kpi_value(k, v), k) for k, v in doc["kpis"].items()]
    header = (t("warehouse.cli.kpi"), t("warehouse.cli.value"), t("warehouse.cli.kpi_id"))
    lines.append("")
    lines.extend(_table([header, *rows], right_align={1}))
    print("\n".join(lines))
    return 0


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _table(rows: list[tuple[str, ...]], right_align: set[int] = frozenset()) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            cells.append(pad + cell if i in right_align else cell + pad)
        out.append("  ".join(cells).rstrip())
    return out


def run_snapshots_list(args, settings: Settings) -> int:
    entries = list_snapshots(settings)
    if not entries:
        print(t("warehouse.cli.no_snapshots"))
        return 0
    header = tuple(t(f"warehouse.cli.{k}") for k in ("version", "built_at", "run_id", "size", "published"))
    rows = [
        (
            e.version,
            timefmt.show(e.built_at, settings) if e.built_at else "",
            e.run_id or "",
            f"{e.size_bytes / 1_048_576:.1f} MB",
            "*" if e.is_published else "",
        )
        for e in entries
    ]
    print("\n".join(_table([header, *rows])))
    return 0


def run_snapshots_rollback(args, settings: Settings) -> int:
    from etl.lock import etl_lock

    try:
        with etl_lock(settings):  # never while an ETL run publishes (LockBusy: exit 2, zh / en)
            version = rollback(settings, args.version)
    except SnapshotNotFound as exc:
        available = ", ".join(e.version for e in list_snapshots(settings)) or "—"
        raise _error("unknown_snapshot", version=exc.version, available=available) from exc
    from dashboard.auth_store import record_audit

    record_audit(settings, "snapshot.rollback", actor="cli", version=version)
    print(t("warehouse.cli.rolled_back", version=version))
    return 0


def run_snapshots_build(args, settings: Settings) -> int:
    if not settings.raw_db.is_file():
        raise _error("no_raw_store", path=str(settings.raw_db))
    run_id = f"manual-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    from etl.lock import etl_lock

    try:
        with etl_lock(settings):  # never beside an ETL run (LockBusy: exit 2, zh / en)
            version = publish_snapshot(settings.raw_db, settings, run_id)
    except duckdb.IOException as exc:
        raise _error("raw_store_busy", detail=str(exc).splitlines()[0]) from exc
    print(t("warehouse.cli.built", version=version))
    return 0
