"""``cockpit exchange export --out FILE`` and ``cockpit exchange load [FILE...]``.

A district exports its published marts as an exchange package, a city its roll-up; a city loads the
packages of its districts, a province those of its cities and districts (the named files, or every
``*.zip`` in ``data_dir/exchange/inbox``) and publishes the roll-up (``warehouse.exchange``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cockpit.options import current_settings, data_dir_option
from warehouse.exchange import current_districts, export_package, load_packages
from warehouse.i18n import t


@click.group("exchange", help="exchange packages between levels / 逐级上报交换包")
@data_dir_option
def exchange_group() -> None:
    """``cockpit exchange …``"""


@exchange_group.command(
    "export", help="write this district's or city's exchange package / 导出本区县或本市交换包"
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="package file to write (.zip)")
@click.option("--json", "as_json", is_flag=True, help="print the manifest as JSON")
@data_dir_option
def export_command(out: Path, as_json: bool) -> int:
    manifest = export_package(current_settings(), out)
    if as_json:
        print(json.dumps(manifest, ensure_ascii=False, indent=2))
        return 0
    print(
        t(
            "exchange.cli.exported",
            current_settings().lang,
            region=manifest["region_code"],
            name=manifest["region_name"],
            version=manifest["snapshot_version"],
            tables=len(manifest["tables"]),
            rows=sum(entry["rows"] for entry in manifest["tables"].values()),
            path=str(out),
        )
    )
    return 0


@exchange_group.command("load", help="roll up lower levels' packages, then publish / 汇总下级交换包并发布")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the results as JSON")
@data_dir_option
def load_command(files: tuple[Path, ...], as_json: bool) -> int:
    """Exit 0 when every package was loaded or ignored, 1 when one was rejected."""
    settings = current_settings()
    results, version = load_packages(settings, list(files) if files else None)
    if as_json:
        doc = {
            "published_version": version,
            "packages": [
                {
                    "file": str(r.path),
                    "status": r.status,
                    "region_code": r.region_code,
                    "snapshot_version": r.snapshot_version,
                    "message": r.message,
                }
                for r in results
            ],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        if not results:
            print(t("exchange.cli.no_files", settings.lang, path=str(settings.exchange_dir / "inbox")))
        for r in results:
            print(f"{r.status}\t{r.message}")
        if version:
            print(
                t(
                    "exchange.cli.published",
                    settings.lang,
                    version=version,
                    districts=len(current_districts(settings)),
                )
            )
        elif results:
            print(t("exchange.cli.unchanged", settings.lang))
    return 1 if any(r.status == "rejected" for r in results) else 0


COMMANDS = (exchange_group,)
