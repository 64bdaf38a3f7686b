"""Benchmark the demo/scale generator: wall time, files and bytes per scale, printed as a table.

Usage: ``python benchmarks/bench_generate.py [--scales 257,2565,25641] [--entities a,b] [--keep DIR]``.
Activity rows per replica are ~390, so scale 257 ≈ 100k, 2565 ≈ 1M and 25641 ≈ 10M activity rows.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from etl.generate import ENTITIES, generate


def count_rows(paths: list[Path], prefix: str) -> int:
    """Data lines (header excluded) of the files whose name starts with ``prefix``."""
    total = 0
    for path in paths:
        if path.name.startswith(prefix):
            with path.open("rb") as fh:
                total += sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b"")) - 1
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="257,2565")
    parser.add_argument("--entities", default=",".join(ENTITIES))
    parser.add_argument("--keep", type=Path, help="write here and keep the files (default: a temp dir)")
    args = parser.parse_args()
    entities = tuple(args.entities.split(","))
    print(f"{'scale':>7} {'files':>6} {'activity rows':>14} {'GB':>7} {'seconds':>8} {'max RSS MB':>11}")
    for scale in (int(s) for s in args.scales.split(",")):
        root = (
            Path(tempfile.mkdtemp(prefix="bench_generate_")) if args.keep is None else args.keep / str(scale)
        )
        started = time.perf_counter()
        paths = generate(root, scale=scale, entities=entities)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in paths) / 1e9
        activities = count_rows(paths, "履职活动")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{scale:>7} {len(paths):>6} {activities:>14,} {size:>7.2f} {seconds:>8.1f} {rss:>11.0f}")
        if args.keep is None:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
