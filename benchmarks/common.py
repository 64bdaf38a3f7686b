"""Helpers shared by the benchmark modules: machine description, process memory, percentiles, env."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import sys
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "benchmarks" / "out"
# The generated data is calendar 2022 .. January 2024: every timed panel asks for calendar 2023.
PERIOD = ("2023-01-01", "2023-12-31")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def machine() -> dict:
    """CPU model, cores, RAM, OS and the versions that matter, for the results file and the README."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    versions = {}
    for dist in ("duckdb", "dash", "pandas", "plotly", "pyarrow", "gunicorn"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "distro": _distro(),
        "python": platform.python_version(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        **versions,
    }


def _distro() -> str | None:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return None


def machine_line(info: dict) -> str:
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['ram_gb']:.0f} GB RAM, {info['distro'] or info['os']}; "
        f"Python {info['python']}, DuckDB {info['duckdb']}, Dash {info['dash']}, pandas {info['pandas']}"
    )


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += _children(current)
    return out


def rss_mb(pid: int) -> float:
    """Resident set size of one process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50, p95 and max of a list of milliseconds (p95 by the nearest-rank method)."""
    ordered = sorted(samples_ms)
    rank95 = max(0, min(len(ordered) - 1, -(-95 * len(ordered) // 100) - 1))
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[rank95], 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


def cockpit_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for cockpit subprocesses: no stray cockpit.toml or COCKPIT_* of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env["COCKPIT_CONFIG"] = str(OUT_DIR / "no-such-cockpit.toml")
    env["COCKPIT_DEFAULT_START"], env["COCKPIT_DEFAULT_END"] = PERIOD
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def cockpit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "cockpit", *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def emit_json(payload: dict) -> None:
    """Print one JSON line for a parent process (child benchmark processes end with this)."""
    print("BENCH-JSON " + json.dumps(payload, default=str), flush=True)


def parse_child_json(stdout: str) -> dict:
    for line in reversed(stdout.splitlines()):
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON ") :])
    raise RuntimeError(f"no result from the benchmark child:\n{stdout[-2000:]}")
