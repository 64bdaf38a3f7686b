"""Where the time goes, on a bench data dir (``benchmarks/out/data/s<scale>/cockpit``):

    python -m benchmarks.profile publish DATA_DIR [MEMORY_LIMIT]  # seconds and peak RSS per model of a build
    python -m benchmarks.profile views DATA_DIR      # cProfile of the wall's first paint and the leadership render
    python -m benchmarks.profile queries DATA_DIR    # ms per query-layer function (median of 5, memo bypassed)

Run it on a copy or while no ETL runs: ``publish`` opens the raw store read-only and builds into a
temporary file (nothing is published).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def _max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def profile_publish(data_dir: Path, memory_limit: str | None = None) -> None:
    import duckdb

    from warehouse import publish
    from warehouse.settings import load_settings

    settings = load_settings(data_dir=data_dir)
    timings: list[tuple[float, str, float]] = []
    original = publish._run_model

    def timed(con, layer, name):
        started = time.perf_counter()
        original(con, layer, name)
        # The process high-water mark after the model (it only grows: the jumps show where memory goes).
        timings.append((time.perf_counter() - started, f"{layer}/{name}", _max_rss_mb()))

    publish._run_model = timed
    con = duckdb.connect(str(settings.raw_db), read_only=True)
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        publish.build_snapshot_file(con, Path(tmp) / "s.duckdb", settings, "profile", "profile")
        total = time.perf_counter() - started
        size = (Path(tmp) / "s.duckdb").stat().st_size
    con.close()
    print(f"snapshot build: {total:.1f} s, {size / 1e6:.0f} MB, peak RSS {_max_rss_mb():,.0f} MB")
    for seconds, name, peak in sorted(timings, reverse=True):
        print(f"{seconds:8.2f} s  {peak:>8,.0f} MB peak so far  {name}")


def _context(data_dir: Path):
    from dashboard import context
    from warehouse.settings import load_settings
    from warehouse.snapshot import SnapshotReader

    settings = load_settings(data_dir=data_dir).with_(
        default_start=date(2023, 1, 1), default_end=date(2023, 12, 31)
    )
    reader = SnapshotReader(settings.published_db)
    context.configure(settings, reader)
    return settings, reader


def profile_views(data_dir: Path) -> None:
    from dashboard import wall_data
    from dashboard.components import lead_view

    settings, reader = _context(data_dir)
    clear = getattr(lead_view, "clear_caches", lambda: None)
    render = getattr(lead_view, "render_panels", None) or lead_view.render
    cases = {
        "wall first paint (wall_data.build_layout)": lambda: wall_data.build_layout(settings, reader),
        "leadership panels (uncached)": lambda: (clear(), render("?from=2023-01-01&to=2023-12-31")),
    }
    for name, fn in cases.items():
        fn()
        started = time.perf_counter()
        fn()
        print(f"\n=== {name}: {time.perf_counter() - started:.2f} s (warm process)")
        prof = cProfile.Profile()
        prof.enable()
        fn()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())


def profile_queries(data_dir: Path) -> None:
    from warehouse import query as q

    _, reader = _context(data_dir)
    year = q.Filters(date(2023, 1, 1), date(2023, 12, 31))

    def raw(function):
        # Bypass the per-snapshot memo: every call runs its SQL.
        return getattr(function, "uncached", function)

    with reader.cursor() as cur:
        cases = {
            "kpis": lambda: raw(q.kpis)(cur, year),
            **{
                f"monthly_trend {measure}": lambda m=measure: raw(q.monthly_trend)(cur, year, m)
                for measure in q.TREND_MEASURES
            },
            "township_summary": lambda: raw(q.township_summary)(cur, year),
            "home_map": lambda: raw(q.home_map)(cur, year),
            "points_ranking": lambda: raw(q.points_ranking)(cur, year),
            "points_ranking top 20": lambda: raw(q.points_ranking)(cur, year, limit=20),
            "points_by_rule": lambda: raw(q.points_by_rule)(cur, year),
            "latest_activities": lambda: raw(q.latest_activities)(cur, year),
            "suggestions_by_status": lambda: raw(q.suggestions_by_status)(cur, year),
            "suggestions_by_category": lambda: raw(q.suggestions_by_category)(cur, year),
            "handling_units": lambda: raw(q.handling_units)(cur, year),
            "legislative_by_regulation": lambda: raw(q.legislative_by_regulation)(cur, year),
            "case_outcomes": lambda: raw(q.case_outcomes)(cur, year),
            "projects_by_township": lambda: raw(q.projects_by_township)(cur, year),
        }
        for name, fn in cases.items():
            fn()
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                result = fn()
                runs.append((time.perf_counter() - started) * 1000)
            rows = len(result) if hasattr(result, "__len__") else 1
            print(f"{name:<28}{statistics.median(runs):>10.1f} ms {rows:>10,} rows")


if __name__ == "__main__":
    command, directory = sys.argv[1], Path(sys.argv[2])
    if command == "publish":
        # Optional third argument: a DuckDB memory_limit for the build (e.g. 2GB), as the bench's cap.
        profile_publish(directory, sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        {"views": profile_views, "queries": profile_queries}[command](directory)
