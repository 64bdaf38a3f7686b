"""``cockpit kpis`` and ``cockpit snapshots {list,rollback,build}``.

``cockpit kpis --from 2023-01-01 --to 2023-12-31 [--region CODE] [--township CODE] [--json]`` prints every KPI of the
published snapshot (``warehouse.kpi_report``); the text table shows Chinese names and rates as
percentages with one decimal ("—" for null).
"""

from __future__ import annotations

import json
from datetime import date

import click

from cockpit.options import ISO_DATE, current_settings, data_dir_option
from dashboard.auth_store import record_audit
from warehouse import timefmt
from warehouse.i18n import t
from warehouse.kpi_report import collect_kpis, format_kpi_value, report_period
from warehouse.publish import list_snapshots
from warehouse.snapshot_actions import rebuild, roll_back


@click.command("kpis", help="print the KPIs of the published snapshot / 输出指标")
@click.option("--from", "start", type=ISO_DATE, default=None, help="period start (default: Jan 1)")
@click.option("--to", "end", type=ISO_DATE, default=None, help="period end (default: Dec 31)")
@click.option("--region", default=None, help="a province, city or county under the root (2/4/6 digits)")
@click.option("--township", default=None, help="12-digit township code")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output (rates as fractions)")
@data_dir_option
def kpis_command(
    start: date | None, end: date | None, region: str | None, township: str | None, as_json: bool
) -> int:
    settings = current_settings()
    start, end = report_period(settings, start, end)
    doc = collect_kpis(settings, start, end, township, region)
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    lines = [
        t("warehouse.cli.period", start=start.isoformat(), end=end.isoformat()),
        t("warehouse.cli.snapshot", version=doc["snapshot_version"]),
    ]
    if region:
        lines.append(t("warehouse.cli.region", name=doc["region_name"], code=doc["region"]))
    if township:
        lines.append(t("warehouse.cli.township", name=doc["township_name"], code=township))
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


@click.group("snapshots", help="list, roll back or rebuild published snapshots / 快照管理")
@data_dir_option
def snapshots_group() -> None:
    """``cockpit snapshots …``"""


@snapshots_group.command("list", help="kept versions, the published one marked")
@data_dir_option
def list_command() -> int:
    settings = current_settings()
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


@snapshots_group.command("rollback", help="publish a kept version again")
@click.argument("version")
@data_dir_option
def rollback_command(version: str) -> int:
    settings = current_settings()
    done = roll_back(settings, version)  # never while an ETL run publishes (LockBusy: exit 2, zh / en)
    record_audit(settings, "snapshot.rollback", actor="cli", version=done)
    print(t("warehouse.cli.rolled_back", version=done))
    return 0


@snapshots_group.command("build", help="rebuild and publish from the raw store (no ETL run)")
@data_dir_option
def build_command() -> int:
    version = rebuild(current_settings())  # never beside an ETL run (LockBusy: exit 2, zh / en)
    print(t("warehouse.cli.built", version=version))
    return 0


COMMANDS = (kpis_command, snapshots_group)
