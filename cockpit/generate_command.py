"""``cockpit generate --out DIR [--scale N] [--seed S] [--entities a,b]``: demo and benchmark exports."""

from __future__ import annotations

import time
from pathlib import Path

import click

from cockpit.options import current_settings, data_dir_option
from etl.demo.generator import DEFAULT_SEED, ENTITIES, generate
from warehouse.errors import user_error
from warehouse.i18n import t


@click.command("generate", help="write demo/scale exports / 生成演示或压测导出文件")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="directory to write the export files into"
)
@click.option("--scale", type=int, default=1, help="replicate the district N times (CSV only above 1)")
@click.option("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same bytes)")
@click.option("--entities", default=",".join(ENTITIES), help="comma-separated entities to write")
@data_dir_option
def generate_command(out: Path, scale: int, seed: int, entities: str) -> int:
    """Write the files and print one line per file."""
    chosen = tuple(e.strip() for e in entities.split(",") if e.strip())
    unknown = sorted(set(chosen) - set(ENTITIES))
    if unknown:
        raise user_error("generate.unknown_entities", names=", ".join(unknown), known=", ".join(ENTITIES))
    started = time.perf_counter()
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


COMMANDS = (generate_command,)
