"""The benchmark suite in one command: ``make bench`` / ``python -m benchmarks.run [--scales ...] [--quick]``.

For each scale (about 100k, 1M and 10M activity rows, with the generator's proportional suggestions,
cases, deputies and homes) it:

1. generates the exports with ``cockpit generate --scale`` into ``benchmarks/out/data/`` (reused later);
2. times DuckDB's bare ``read_csv`` of the files (the ceiling), the full ETL and an incremental ETL
   (one more day of exports), each in a child process with its peak memory (``benchmarks/etl.py``);
3. times four panels in-process: the cockpit's query layer on the published snapshot against the
   pandas baseline of the Dash tutorials (``benchmarks/panels.py``);
4. starts ``cockpit serve --workers 1`` signed in, opens the wall and the leadership view in headless
   Chromium (first full render, bytes), records the callbacks' payloads and replays them over HTTP
   (p50/p95), with the server's memory (``benchmarks/dashboard.py``);
5. the load step: ``cockpit serve --workers 2``, 20 signed-in leaders changing periods, 5 walls polling
   and two republishes at once, for ``--load-seconds`` (``benchmarks/load.py``).

It prints markdown tables, writes ``benchmarks/out/results.json`` (with the machine's description) and
``benchmarks/out/results.md``; ``--readme`` also replaces the ``## Performance`` section of README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from benchmarks.common import OUT_DIR, REPO_ROOT, cockpit_env, machine, machine_line, parse_child_json
from benchmarks.data import SCALES, SHAPES, ensure_district_exports, ensure_exports, scale_dir

TARGETS = {
    "etl_full_s": 60.0,
    "etl_vs_read_csv": 1 / 3,
    "etl_incremental_s": 10.0,
    "callback_p95_ms": 50.0,
    "speedup_vs_pandas": 20.0,
    "worker_rss_mb": 300.0,
    "wall_first_render_s": 1.5,
    "poll_bytes": 1024,
}


def parse_scales(text: str) -> list[tuple[str, int]]:
    out = []
    for item in (s.strip() for s in text.split(",") if s.strip()):
        if item in SCALES:
            out.append((item, SCALES[item]))
        else:
            scale = int(item)
            out.append((next((k for k, v in SCALES.items() if v == scale), f"x{scale}"), scale))
    return out


def run_panels(mode: str, path: Path, budget: float, calls: int, timeout: float) -> dict:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.panels",
                mode,
                str(path),
                "--budget",
                str(budget),
                "--calls",
                str(calls),
            ],
            capture_output=True,
            text=True,
            env=cockpit_env(),
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"timeout_s": timeout}
    if done.returncode != 0:
        return {"error": (done.stdout + done.stderr)[-3000:]}
    result = parse_child_json(done.stdout)
    result["wall_seconds"] = round(time.perf_counter() - started, 2)
    return result


def bench_scale(name: str, scale: int, args, shape: str = "districts") -> dict:
    from benchmarks.dashboard import bench_dashboard
    from benchmarks.etl import bench_etl

    if shape == "district":
        name = f"{name} (1 district)"
    out: dict = {
        "name": name,
        "scale": scale,
        "shape": shape,
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    log(f"[{name}] exports (scale {scale}, {shape})")
    out["exports"] = ensure_exports(scale) if shape == "districts" else ensure_district_exports(scale)
    log(f"[{name}] ETL: read_csv ceiling, full, incremental")
    save = getattr(args, "save_partial", None) or (lambda entry: None)
    save(out)

    def etl_step(partial: dict) -> None:
        out["etl"] = partial
        save(out)

    out["etl"] = bench_etl(
        scale,
        timeout=args.etl_timeout,
        shape=shape,
        ceiling_timeout=getattr(args, "ceiling_timeout", None),
        incremental_timeout=getattr(args, "incremental_timeout", None),
        on_step=etl_step,
    )
    save(out)
    published = scale_dir(scale, shape) / "cockpit" / "published.duckdb"
    if not published.exists():
        log(f"[{name}] no published snapshot: skipping the dashboard benchmarks")
        return out
    log(f"[{name}] panels in-process: query layer")
    out["panels_ours"] = run_panels("duckdb", published, args.budget, args.calls, args.panel_timeout)
    save(out)
    if not args.no_baseline:
        log(f"[{name}] panels in-process: pandas baseline")
        out["panels_pandas"] = run_panels(
            "pandas", scale_dir(scale, shape) / "exports", args.budget, args.calls, args.panel_timeout
        )
    if not args.no_server:
        log(f"[{name}] server, browser and HTTP replay")
        try:
            out["dashboard"] = bench_dashboard(
                scale_dir(scale, shape) / "cockpit",
                calls=args.calls,
                budget_s=args.budget,
                opens=args.opens,
                load_seconds=args.load_seconds,
            )
        except Exception as exc:  # keep the figures of the other steps
            out["dashboard"] = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    return out


def log(message: str) -> None:
    print(f"{datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)


# ---- report ---------------------------------------------------------------------------------------


def _f(value, fmt: str = "{:,.0f}", missing: str = "—") -> str:
    if value is None:
        return missing
    try:
        return fmt.format(value)
    except (TypeError, ValueError):
        return str(value)


def _pp(timing: dict | None) -> str:
    if not timing or "p50_ms" not in timing:
        return "—"
    return f"{timing['p50_ms']:,.1f} / {timing['p95_ms']:,.1f}"


def _failure(step: dict | None) -> str | None:
    if not step:
        return "not run"
    if "timeout_s" in step:
        return f"timed out after {step['timeout_s']:.0f} s"
    if "error" in step:
        return "failed"
    return None


def report(results: dict) -> str:
    runs = "; ".join(
        f"{s['name']} {s.get('started', '?')[:16].replace('T', ' ')} "
        f"(load avg {s.get('load_avg_at_start', results['machine']['load_avg_at_start'])[0]})"
        for s in results["scales"]
    )
    lines = [
        f"Machine: {machine_line(results['machine'])}. Runs: {runs}.",
        "",
        "**ETL** (child processes; peak = max RSS; ceiling = DuckDB `read_csv` of the same files, all VARCHAR)",
        "",
        "| scale | activity rows | all rows | input MB | generate s | read_csv s | full ETL s | of which publish s "
        "| rows/s | ETL ÷ read_csv | peak MB | incremental s (path, days) | of which publish s | incr. peak MB "
        "| full rebuild s | snapshot MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results["scales"]:
        etl, ex = s.get("etl", {}), s.get("exports", {})
        full, inc, ceil = etl.get("full", {}), etl.get("incremental", {}), etl.get("read_csv", {})
        rebuilt = etl.get("rebuild", {})
        path = f" ({inc['publish_path']}, {_f(inc.get('days_rebuilt'))})" if inc.get("publish_path") else ""
        full_s = _failure(full) or _f(full.get("seconds"), "{:,.1f}")
        if full.get("status") == "failed":
            full_s += " (publish failed)"
        lines.append(
            f"| {s['name']} | {_f(ex.get('activity_rows'))} | {_f(ex.get('total_rows'))} "
            f"| {_f(etl.get('input_bytes', 0) / 1e6)} "
            f"| {_f(ex.get('seconds', ex.get('derive_seconds')), '{:,.1f}')} "
            f"| {_failure(ceil) or _f(ceil.get('seconds'), '{:,.1f}')} "
            f"| {full_s} | {_f(full.get('publish_seconds'), '{:,.1f}')} | {_f(full.get('rows_per_s'))} | {_f(etl.get('etl_vs_read_csv'), '{:.2f}')} "
            f"| {_f(full.get('max_rss_mb'))} | {_failure(inc) or _f(inc.get('seconds'), '{:,.1f}')}{path} "
            f"| {_f(inc.get('publish_seconds'), '{:,.1f}')} | {_f(inc.get('max_rss_mb'))} "
            f"| {_failure(rebuilt) or _f(rebuilt.get('seconds'), '{:,.1f}')} "
            f"| {_f((etl.get('snapshot_bytes') or etl.get('snapshot_bytes_after_incremental') or 0) / 1e6, '{:,.1f}')} |"
        )
    lines += [
        "",
        "**Panels in-process**, p50 / p95 ms (period: calendar 2023). Ours: `warehouse.query` on the "
        "published snapshot, its memo bypassed. Baseline: the exports in pandas DataFrames, filtered per call.",
        "",
        "| scale | panel | ours | pandas baseline | speed-up (p95) |",
        "|---|---|---:|---:|---:|",
    ]
    for s in results["scales"]:
        ours, base = s.get("panels_ours", {}), s.get("panels_pandas", {})
        for panel in ("kpis", "monthly_trend", "township_summary", "points_ranking"):
            o, b = ours.get("panels", {}).get(panel), base.get("panels", {}).get(panel)
            speed = b["p95_ms"] / o["p95_ms"] if o and b and o.get("p95_ms") else None
            lines.append(
                f"| {s['name']} | {panel} | {_failure(ours) or _pp(o)} | {_failure(base) or _pp(b)} "
                f"| {_f(speed, '{:,.1f}×')} |"
            )
    lines += [
        "",
        "**Memory and start-up**",
        "",
        "| scale | server worker RSS MB (peak) | server tree RSS MB | query-layer process MB | "
        "pandas process MB (after load) | pandas start-up s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in results["scales"]:
        mem = s.get("dashboard", {}).get("memory_end", {})
        ours, base = s.get("panels_ours", {}), s.get("panels_pandas", {})
        lines.append(
            f"| {s['name']} | {_f(mem.get('worker_rss_mb'))} ({_f(mem.get('worker_peak_rss_mb'))}) "
            f"| {_f(mem.get('tree_rss_mb'))} | {_f(ours.get('max_rss_mb'))} "
            f"| {_failure(base) or _f(base.get('rss_loaded_mb'))} | {_f(base.get('startup_s'), '{:,.1f}')} |"
        )
    lines += [
        "",
        "**Callbacks over HTTP** (gunicorn, 1 worker, signed in; payloads recorded from Chromium), p50 / p95 ms",
        "",
        "| scale | callback | first call ms | p50 / p95 ms (repeats) | p50 / p95 ms (18 periods, uncached) "
        "| p50 / p95 ms (preset clicks, uncached) | response bytes (gzip) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in results["scales"]:
        dash = s.get("dashboard", {})
        if "error" in dash:
            lines.append(f"| {s['name']} | failed: {dash['error'][:120]} | — | — | — | — | — |")
        for cb, timing in dash.get("callbacks", {}).items():
            lines.append(
                f"| {s['name']} | {cb} | {_f(timing.get('first_ms'), '{:,.1f}')} "
                f"| {timing.get('error', '')[:80] or _pp(timing)} | {_pp(timing.get('uncached'))} "
                f"| {_pp(timing.get('presets'))} | {_f(timing.get('response_bytes'))} |"
            )
    lines += [
        "",
        "**Browser** (headless Chromium, loopback, empty cache; until every panel has drawn)",
        "",
        "| scale | wall: first screen s | wall: all screens cold / warm s | wall KB | leadership cold / warm s "
        "| leadership KB | unchanged poll bytes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results["scales"]:
        br = s.get("dashboard", {}).get("browser", {})
        wall, lead, poll = br.get("wall", {}), br.get("leadership", {}), br.get("wall_poll", {})
        lines.append(
            f"| {s['name']} | {_f(wall.get('first_screen_warm_s'), '{:.2f}')} "
            f"| {_f(wall.get('cold_s'), '{:.2f}')} / {_f(wall.get('warm_s'), '{:.2f}')} "
            f"| {_f((wall.get('bytes') or 0) / 1024)} | {_f(lead.get('cold_s'), '{:.2f}')} / "
            f"{_f(lead.get('warm_s'), '{:.2f}')} | {_f((lead.get('bytes') or 0) / 1024)} "
            f"| {_f(poll.get('response_bytes'))} |"
        )
    lines += [
        "",
        "**Under load** (gunicorn, 2 workers; 20 signed-in leaders changing periods, 5 walls polling each "
        "second, two republishes meanwhile; loopback)",
        "",
        "| scale | requests | p50 / p95 / max ms | count | errors | per s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for s in results["scales"]:
        load = s.get("dashboard", {}).get("load", {})
        if "error" in load:
            lines.append(f"| {s['name']} | failed: {load['error'][:120]} | — | — | — | — |")
        for kind, r in load.get("requests", {}).items():
            lines.append(
                f"| {s['name']} | {kind} | {_f(r.get('p50_ms'), '{:,.0f}')} / {_f(r.get('p95_ms'), '{:,.0f}')} / "
                f"{_f(r.get('max_ms'), '{:,.0f}')} | {_f(r.get('n'))} | {r.get('errors', 0)} | {r.get('per_s')} |"
            )
    lines += ["", "**Targets** (each run; n/a: the step was not run)", ""] + [
        f"- {t}" for t in targets(results)
    ]
    return "\n".join(lines)


def targets(results: dict) -> list[str]:
    """The targets, checked on every scale and shape run (a step not run reads n/a)."""
    return [f"{s['name']}: {line}" for s in results["scales"] for line in _targets(s)]


def _targets(s: dict) -> list[str]:
    etl, ours, base = s.get("etl", {}), s.get("panels_ours", {}), s.get("panels_pandas", {})
    dash = s.get("dashboard", {})
    out = []

    def check(label: str, ok: bool | None, detail: str) -> None:
        mark = "n/a" if ok is None else ("met" if ok else "**missed**")
        out.append(f"{label}: {detail} — {mark}")

    full = etl.get("full", {}).get("seconds")
    timed_out = etl.get("full", {}).get("timeout_s")
    check(
        f"full ETL ≤ {TARGETS['etl_full_s']:.0f} s",
        False if timed_out else (None if full is None else full <= TARGETS["etl_full_s"]),
        f"stopped after {timed_out:.0f} s" if timed_out else _f(full, "{:.1f} s"),
    )
    ratio = etl.get("etl_vs_read_csv")
    ceiling_s = etl.get("read_csv", {}).get("seconds")
    if ratio is None and timed_out and ceiling_s:
        ratio = ceiling_s / timed_out  # an upper bound: the ETL took longer than this
    check(
        "ETL ≥ 1/3 of read_csv throughput",
        None if ratio is None else ratio >= TARGETS["etl_vs_read_csv"],
        ("< " if timed_out else "") + _f(ratio, "{:.2f}"),
    )
    incremental = etl.get("incremental", {})
    check(
        f"incremental day ≤ {TARGETS['etl_incremental_s']:.0f} s",
        None
        if incremental.get("seconds") is None
        else incremental["seconds"] <= TARGETS["etl_incremental_s"],
        _f(incremental.get("seconds"), "{:.1f} s") + f" ({incremental.get('publish_path', '?')} publish)",
    )
    # A callback's p95 is the worse of its repeated calls and its uncached calls (distinct periods).
    p95s = {
        k: max(v["p95_ms"], v.get("uncached", {}).get("p95_ms", 0))
        for k, v in dash.get("callbacks", {}).items()
        if "p95_ms" in v
    }
    worst = max(p95s.items(), key=lambda kv: kv[1], default=(None, None))
    check(
        f"every callback p95 ≤ {TARGETS['callback_p95_ms']:.0f} ms",
        None if worst[1] is None else worst[1] <= TARGETS["callback_p95_ms"],
        f"worst {worst[0]}: {_f(worst[1], '{:,.1f} ms')}",
    )
    speeds = []
    for panel, o in ours.get("panels", {}).items():
        b = base.get("panels", {}).get(panel)
        if b and o.get("p95_ms"):
            speeds.append((b["p95_ms"] / o["p95_ms"], panel))
    low = min(speeds, default=(None, None))
    check(
        f"≥ {TARGETS['speedup_vs_pandas']:.0f}× faster than pandas (p95, in-process)",
        None if low[0] is None else low[0] >= TARGETS["speedup_vs_pandas"],
        f"lowest {low[1]}: {_f(low[0], '{:.1f}×')}",
    )
    rss = dash.get("memory_end", {}).get("worker_peak_rss_mb")
    check(
        f"worker RSS ≤ {TARGETS['worker_rss_mb']:.0f} MB",
        None if rss is None else rss <= TARGETS["worker_rss_mb"],
        _f(rss, "{:.0f} MB peak"),
    )
    wall = dash.get("browser", {}).get("wall", {})
    # The wall's first render is the screen on show (at 1920×1080 one of three); the others are drawn
    # behind it and come up at the first rotation.
    first = wall.get("first_screen_warm_s")
    check(
        f"wall first render ≤ {TARGETS['wall_first_render_s']} s",
        None if first is None else first <= TARGETS["wall_first_render_s"],
        f"{_f(first, '{:.2f} s')} first screen, {_f(wall.get('warm_s'), '{:.2f} s')} all screens (warm)",
    )

    poll = dash.get("browser", {}).get("wall_poll", {}).get("response_bytes")
    check(
        "unchanged poll ≤ 1 KB", None if poll is None else poll <= TARGETS["poll_bytes"], _f(poll, "{} bytes")
    )
    return out


START_MARK, END_MARK = "<!-- bench:start -->", "<!-- bench:end -->"


def update_readme(markdown: str, readme: Path = REPO_ROOT / "README.md") -> None:
    """Write the tables between the bench markers of README.md's ``## Performance`` section.

    Text of the section outside the markers (findings, notes) is kept; the section (with the markers)
    is added at the end of the README when absent.
    """
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    block = f"{START_MARK}\n{markdown.strip()}\n{END_MARK}"
    if START_MARK in text and END_MARK in text:
        head, rest = text.split(START_MARK, 1)
        text = head + block + rest.split(END_MARK, 1)[1]
    elif "## Performance" in text:
        start = text.index("## Performance")
        end = text.find("\n## ", start + 1)
        section = (
            "## Performance\n\nMeasured by `make bench` (`python -m benchmarks.run`; `--quick` for a smoke run); "
            "full figures in `benchmarks/out/results.json`, method in `benchmarks/README.md`.\n\n"
            + block
            + "\n"
        )
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n## Performance\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def _order(entry: dict) -> tuple:
    return (entry["scale"], SHAPES.index(entry.get("shape", "districts")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="100k,1M,10M", help="names (100k,1M,10M) or generator scales")
    parser.add_argument(
        "--shapes",
        default="districts,district",
        help="districts: the generator's --scale (the district replicated); district: one district, N× records",
    )
    parser.add_argument(
        "--quick", action="store_true", help="100k only, one district, fewer calls (a few minutes)"
    )
    parser.add_argument("--calls", type=int, default=50, help="timed calls per panel / callback")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of timed calls per panel at most")
    parser.add_argument(
        "--opens", type=int, default=5, help="page opens per page in the browser (first is cold)"
    )
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=30.0,
        help="seconds of the load step (20 leaders, 5 walls, 2 republishes, --workers 2); 0 skips it",
    )
    parser.add_argument("--etl-timeout", type=float, default=3600.0)
    parser.add_argument("--ceiling-timeout", type=float, default=None, help="default: --etl-timeout")
    parser.add_argument("--incremental-timeout", type=float, default=None, help="default: --etl-timeout")
    parser.add_argument(
        "--duckdb-memory-limit",
        help="memory_limit of the ETL's DuckDB connections (e.g. 8GB; default DuckDB's)",
    )
    parser.add_argument("--panel-timeout", type=float, default=1800.0)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument(
        "--readme", action="store_true", help="write the tables into README.md's Performance section"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other scales of the previous results.json (each scale keeps its own date)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.scales, args.calls, args.budget, args.opens = "100k", 10, 3.0, 1
        if args.shapes == parser.get_default("shapes"):
            args.shapes = "district"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if args.duckdb_memory_limit:
        os.environ["BENCH_DUCKDB_MEMORY_LIMIT"] = args.duckdb_memory_limit
    results = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(),
        "targets": TARGETS,
        "scales": [],
    }
    previous = OUT_DIR / "results.json"
    kept = []
    if args.merge and previous.exists():
        kept = json.loads(previous.read_text())["scales"]
    shapes = [x.strip() for x in args.shapes.split(",") if x.strip()]

    def save_partial(entry: dict) -> None:
        """Write results.json with ``entry`` (a scale in progress) so that a stopped run keeps its figures."""
        done = [s for s in results["scales"] if s is not entry]
        merged = sorted([*kept, *done, {**entry, "partial": True}], key=_order)
        previous.write_text(
            json.dumps({**results, "scales": merged}, indent=1, ensure_ascii=False, default=str)
        )

    args.save_partial = save_partial
    for name, scale in parse_scales(args.scales):
        for shape in shapes:
            kept = [s for s in kept if (s["scale"], s.get("shape", "districts")) != (scale, shape)]
            results["scales"].append(bench_scale(name, scale, args, shape))
            merged = sorted(kept + results["scales"], key=_order)
            previous.write_text(
                json.dumps({**results, "scales": merged}, indent=1, ensure_ascii=False, default=str)
            )
    results["scales"] = sorted(kept + results["scales"], key=_order)
    markdown = report(results)
    (OUT_DIR / "results.md").write_text(markdown + "\n", encoding="utf-8")
    print(markdown)
    if args.readme:
        update_readme(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
