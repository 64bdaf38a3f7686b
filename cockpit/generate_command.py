"""``cockpit generate --out DIR [--scale N | --region CODE] [--seed S] [--entities a,b]``: demo and
benchmark exports; ``--region`` writes one district per real county under a city or province."""

from __future__ import annotations

import time
from pathlib import Path

import click

from cockpit.options import current_settings, data_dir_option
from etl.demo.generator import DEFAULT_SEED, ENTITIES, county_units, generate, generate_region
from warehouse.errors import user_error
from warehouse.i18n import t
from warehouse.regions import region_table


@click.command("generate", help="write demo/scale exports / 生成演示或压测导出文件")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="directory to write the export files into"
)
@click.option("--scale", type=int, default=1, help="replicate the district N times (CSV only above 1)")
@click.option("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same bytes)")
@click.option("--entities", default=",".join(ENTITIES), help="comma-separated entities to write")
@click.option(
    "--region",
    default=None,
    help="a county, city or province code: one district's exports per county under it, in OUT/<county>/"
    " / 按区划生成：每个旗县区一份",
)
@data_dir_option
def generate_command(out: Path, scale: int, seed: int, entities: str, region: str | None) -> int:
    """Write the files and print one line per file."""
    chosen = tuple(e.strip() for e in entities.split(",") if e.strip())
    unknown = sorted(set(chosen) - set(ENTITIES))
    if unknown:
        raise user_error("generate.unknown_entities", names=", ".join(unknown), known=", ".join(ENTITIES))
    if region is not None and scale != 1:
        raise user_error("generate_region.with_scale")
    started = time.perf_counter()
    if region is not None:
        return _generate_region(out, region, seed, chosen, started)
    paths = generate(out, scale=scale, seed=seed, entities=chosen)
    for path in paths:
        print(f"{path.name}\t{path.stat().st_size}")
    print(
        t(
            "generate.summary",
            current_settings().lang,
            files=len(paths),
            scale=scale,
            seconds=f"{time.perf_counter() - started:.1f}",
        )
    )
    return 0


def _generate_region(out: Path, region: str, seed: int, entities: tuple[str, ...], started: float) -> int:
    settings = current_settings()
    table = region_table(settings.region_table)
    paths = generate_region(out, table, region, seed=seed, entities=entities)
    for path in paths:
        print(f"{path.parent.name}/{path.name}\t{path.stat().st_size}")
    print(
        t(
            "generate_region.summary",
            settings.lang,
            files=len(paths),
            counties=len(county_units(table, region)),
            seconds=f"{time.perf_counter() - started:.1f}",
        )
    )
    return 0


COMMANDS = (generate_command,)
