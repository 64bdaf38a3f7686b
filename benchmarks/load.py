"""The load step of ``make bench``: leadership clients changing periods and walls polling, together.

``cockpit serve --workers 2`` on the bench data dir; ``clients`` signed-in leadership clients replay the
recorded leadership callbacks (KPI row and panels) for period after period, ``walls`` kiosk clients poll
``/wall/version`` once a second, and the snapshot is republished ``republishes`` times meanwhile
(``cockpit snapshots build``). Bounded: ``seconds`` of load on loopback, every request with a timeout.

Reported: per kind of request p50/p95/max, count, errors (non-200 or an exception), throughput; and the
versions the polls saw (a republish shows as a new version, never as an error).
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from benchmarks.common import cockpit_cmd, cockpit_env, percentiles

POLL_INTERVAL_S = 1.0
REQUEST_TIMEOUT_S = 60


def _rebase(text: str, old: str, new: str) -> str:
    return text.replace(old, new) if old else text


def _leadership_bodies(recorded: list[dict], url: str) -> list[dict]:
    """The recorded leadership callbacks whose input is the URL search (the renders a period change runs),
    moved to the server at ``url`` (they were recorded on another port)."""
    bodies, seen = [], set()
    for item in recorded:
        split = urlsplit(item["url"])
        old = f"{split.scheme}://{split.netloc}"
        item = {
            **item,
            "url": _rebase(item["url"], old, url),
            "headers": {k: _rebase(v, old, url) for k, v in dict(item["headers"]).items()},
        }
        body = json.loads(item["body"])
        slots = [
            i
            for i, entry in enumerate(body.get("inputs", []))
            if isinstance(entry, dict) and entry.get("property") == "search"
        ]
        if slots and body.get("output") not in seen:
            seen.add(body.get("output"))
            bodies.append({**item, "json": body, "slots": slots})
    return bodies


def _searches() -> list[str]:
    """Periods a leader clicks through (months, quarters, halves and the year of 2023), with a township."""
    from benchmarks.dashboard import period_variants

    variants = [*period_variants(), "?from=2023-01-01&to=2023-12-31"]
    return variants + [v + "&township=150205002000" for v in variants]


class _Samples:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.versions: set[str] = set()

    def add(self, kind: str, ms: float | None) -> None:
        with self.lock:
            if ms is None:
                self.errors[kind] = self.errors.get(kind, 0) + 1
            else:
                self.times.setdefault(kind, []).append(ms)


def _leader(
    url: str, cookies: dict, bodies: list[dict], stop: threading.Event, out: _Samples, seed: int
) -> None:
    http = requests.Session()
    http.cookies.update(cookies)
    rng = random.Random(seed)
    searches = _searches()
    while not stop.is_set():
        search = rng.choice(searches)
        for item in bodies:
            body = item["json"]
            for slot in item["slots"]:
                body["inputs"][slot]["value"] = search
            headers = {**dict(item["headers"]), "content-type": "application/json"}
            started = time.perf_counter()
            try:
                response = http.post(
                    item["url"], data=json.dumps(body), headers=headers, timeout=REQUEST_TIMEOUT_S
                )
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            kind = "leadership: " + ("KPI row" if "lead-kpis" in body.get("output", "") else "panels")
            out.add(kind, (time.perf_counter() - started) * 1000 if ok else None)


def _wall(url: str, cookies: dict, stop: threading.Event, out: _Samples) -> None:
    http = requests.Session()
    http.cookies.update(cookies)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            response = http.get(url + "/wall/version", timeout=REQUEST_TIMEOUT_S)
            ok = response.status_code == 200
            if ok:
                with out.lock:
                    out.versions.add(str(response.json().get("version")))
        except (requests.RequestException, ValueError):
            ok = False
        elapsed = time.perf_counter() - started
        out.add("wall: poll /wall/version", elapsed * 1000 if ok else None)
        stop.wait(max(0.0, POLL_INTERVAL_S - elapsed))


def bench_load(
    data_dir: Path,
    url: str,
    admin_cookies: dict,
    kiosk_cookies: dict,
    recorded: list[dict],
    clients: int = 20,
    walls: int = 5,
    seconds: float = 30.0,
    republishes: int = 2,
) -> dict:
    """Run the load for ``seconds`` against the server at ``url``; percentiles, errors, throughput."""
    bodies = _leadership_bodies(recorded, url)
    if not bodies:
        return {"error": "no recorded leadership render to replay"}
    out, stop = _Samples(), threading.Event()
    threads = [
        threading.Thread(target=_leader, args=(url, admin_cookies, bodies, stop, out, i), daemon=True)
        for i in range(clients)
    ] + [
        threading.Thread(target=_wall, args=(url, kiosk_cookies, stop, out), daemon=True)
        for _ in range(walls)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    published = []
    for i in range(republishes):
        # Spread the republishes over the run: at 1/3 and 2/3 of it for two.
        time.sleep(max(0.0, started + seconds * (i + 1) / (republishes + 1) - time.perf_counter()))
        done = subprocess.run(
            cockpit_cmd("snapshots", "build", "--data-dir", str(data_dir)),
            capture_output=True,
            text=True,
            env=cockpit_env(),
            timeout=600,
        )
        published.append(done.returncode)
    time.sleep(max(0.0, started + seconds - time.perf_counter()))
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT_S + 5)
    wall_s = time.perf_counter() - started
    result: dict = {
        "clients": clients,
        "walls": walls,
        "seconds": round(wall_s, 1),
        "republish_exit_codes": published,
        "versions_seen_by_walls": len(out.versions),
        "requests": {},
    }
    for kind in sorted(set(out.times) | set(out.errors)):
        samples = out.times.get(kind, [])
        result["requests"][kind] = {
            **(percentiles(samples) if samples else {}),
            "errors": out.errors.get(kind, 0),
            "per_s": round(len(samples) / wall_s, 1),
        }
    return result
