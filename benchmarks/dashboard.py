"""Dashboard benchmarks against a running ``cockpit serve --workers 1`` (gunicorn), signed in, over loopback.

1. **Browser** (headless Chromium, playwright): the wall and the leadership view opened in a fresh
   context (empty cache), timed from navigation until every panel has drawn (no Dash callback pending,
   every visible graph has its SVG, the KPI row and every visible grid filled); bytes transferred are the
   sum of the responses' encoded (gzip, as sent) lengths from the DevTools protocol; the unchanged-data
   poll is the wall's ``/wall/version`` fetched by the page itself. The first open is "cold" (a fresh
   worker's first queries); the next ones are "warm".
2. **Payload capture**: while the pages load, every POST to ``/_dash-update-component`` is recorded (body
   and headers). A preset click on the leadership view records the filter-sync callback. (The wall's
   panel refresh callbacks, run only after a new snapshot is published, are not recorded: the wall's
   first paint, built by the page-layout callback, covers the same loaders.)
3. **HTTP replay**: each recorded callback and the wall's poll, replayed with ``requests`` N times on
   the signed-in session; p50/p95 latency (client side, full round trip).
4. **Memory**: RSS of the server's process tree (gunicorn master + worker), now and peak (VmHWM).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import requests

from benchmarks.common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    cockpit_cmd,
    cockpit_env,
    free_port,
    percentiles,
    tree_pids,
)
from warehouse.periods import PRESETS, preset_period

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CALLBACK_PATH = "/_dash-update-component"
REPLAY_HEADERS = ("content-type", "accept", "origin", "referer", "x-csrftoken", "x-requested-with")
# Every panel has drawn: no callback in flight (leadership), every visible graph has its SVG, the grids have rows or
# their "no rows" overlay, the KPI row (leadership) / tiles (wall) have text.
ALL_DRAWN_JS = """
(kind) => {
  // The wall's first paint comes with the page (no callback); its clientside poll keeps a loading flag.
  if (kind !== 'wall' && document.querySelector('[data-dash-is-loading="true"]')) return false;
  if (kind === 'wall-screen') {
    // The screen on show: the KPI tiles filled and each graph drawn, by plotly.js or as the server-drawn
    // image of the same figure over it (dashboard/wall_preview.py); the other screens may still draw.
    const active = document.querySelector('.wall-root.is-scaled .wall-screen.is-active');
    const kpis = document.querySelector('#wall-kpi-tiles');
    if (!active || !kpis || kpis.textContent.trim().length === 0) return false;
    const graphs = [...active.querySelectorAll('.dash-graph')];
    const image = (g) => active.querySelector(`img.wall-preview[data-graph="${g.id}"]`);
    const shown = (img) => img && img.complete && img.naturalWidth > 0;
    return graphs.length > 0 && graphs.every((g) => g.querySelector('.main-svg') || shown(image(g)));
  }
  const visible = (el) => el.offsetParent !== null || getComputedStyle(el).position === 'fixed';
  const graphs = [...document.querySelectorAll('.dash-graph')].filter(visible);
  if (!graphs.length) return false;
  if (!graphs.every((g) => g.querySelector('.main-svg'))) return false;
  if (kind === 'wall') {
    // Every screen, the hidden ones included: each graph drawn with its real figure (not the placeholder
    // the first paint gives the screens after the first, see wall_layout.lazy_split).
    const root = document.querySelector('.wall-root.is-scaled');
    const kpis = document.querySelector('#wall-kpi-tiles');
    const all = [...document.querySelectorAll('.wall-root .dash-graph')];
    const done = all.every((g) => g.querySelector('.main-svg') && !g.classList.contains('dash-graph--pending'));
    const lazy = [...document.querySelectorAll('.wall-root .js-plotly-plot')]
      .some((gd) => gd.layout && gd.layout.meta === 'wall-lazy');
    return !!root && !!kpis && kpis.innerText.trim().length > 0 && done && !lazy;
  }
  const kpis = document.querySelector('#lead-kpis');
  if (!kpis || kpis.innerText.trim().length === 0) return false;
  const grids = [...document.querySelectorAll('.ag-root-wrapper')].filter(visible);
  return grids.length > 0 && grids.every((g) => g.querySelector('.ag-row, .ag-overlay-no-rows-center'));
}
"""
# Which plotly.js the page drew with: the full bundle registers every trace type (funnel among them), the
# wall's cartesian partial bundle does not (docs/WALL.md).
PLOTLY_JS = """
() => window.Plotly ? (window.Plotly.version + ' ' +
  ('funnel' in window.Plotly.PlotSchema.get().traces ? 'full' : 'partial')) : null
"""
STATE_JS = """
() => ({
  loading: [...document.querySelectorAll('[data-dash-is-loading="true"]')].map((e) => e.id || e.className).slice(0, 5),
  graphs_without_svg: [...document.querySelectorAll('.dash-graph')]
    .filter((g) => !g.querySelector('.main-svg')).map((g) => g.id),
  kpis: (document.querySelector('#wall-kpi-tiles, #lead-kpis') || {textContent: 'missing'}).textContent.slice(0, 60),
  grids_empty: [...document.querySelectorAll('.ag-root-wrapper')]
    .filter((g) => !g.querySelector('.ag-row, .ag-overlay-no-rows-center')).length,
})
"""


@dataclass
class Server:
    """One ``cockpit serve --workers 1`` on a free port, in its own process group."""

    data_dir: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> Server:
        self.data_dir = Path(self.data_dir).resolve()
        log = (self.data_dir / "bench-serve.log").open("ab")
        args = ["serve", "--data-dir", str(self.data_dir), "--port", str(self.port), "--host", "127.0.0.1"]
        self.process = subprocess.Popen(
            cockpit_cmd(*args, "--workers", str(self.workers)),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=cockpit_env(),
            cwd=self.data_dir,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.data_dir / "bench-serve.log").read_text()[-3000:])
            try:
                requests.get(self.url + "/healthz", timeout=5)
                return self
            except requests.RequestException:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("cockpit serve did not answer")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def memory(self) -> dict:
        """RSS (now) and peak RSS (VmHWM) in MB of every process of the server, and of its biggest one."""
        procs = {}
        for pid in tree_pids(self.process.pid):
            fields = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        fields[key] = int(value.split()[0]) / 1024
            except OSError:
                continue
            procs[pid] = fields
        worker = max(procs.values(), key=lambda f: f.get("VmHWM", 0), default={})
        return {
            "processes": len(procs),
            "tree_rss_mb": round(sum(f.get("VmRSS", 0) for f in procs.values()), 1),
            "worker_rss_mb": round(worker.get("VmRSS", 0), 1),
            "worker_peak_rss_mb": round(worker.get("VmHWM", 0), 1),
        }


def make_credentials(data_dir: Path) -> tuple[str, str, str]:
    """An admin user and a wall token in the bench data dir, with the project's own auth store."""
    from dashboard.auth_store import AuthStore

    store = AuthStore.for_data_dir(data_dir)
    name, password = f"bench-admin-{secrets.token_hex(3)}", secrets.token_urlsafe(18)
    store.add_user(name, "admin", password)
    return name, password, store.create_token(f"bench-wall-{secrets.token_hex(3)}")


def signed_in(url: str, name: str, password: str) -> requests.Session:
    """A session signed in through ``/login`` (CSRF token from the form)."""
    http = requests.Session()
    html = http.get(f"{url}/login", timeout=60).text
    token = CSRF_RE.search(html).group(1)
    response = http.post(
        f"{url}/login",
        data={"username": name, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")
    return http


def kiosk_session(url: str, token: str) -> requests.Session:
    http = requests.Session()
    response = http.get(f"{url}/wall?token={token}", allow_redirects=False, timeout=60)
    if response.status_code != 302:
        raise RuntimeError(f"kiosk token refused: {response.status_code}")
    return http


CALLBACK_LABELS = {
    "_pages_content.children": "page layout (Dash Pages; the wall's first paint is built here)",
    "lead-kpis.children": "render summary: KPI cards, breadcrumb, scope line",
    '{"panel":["ALL"],"type":"lead-graph"}.figure': "render panels: charts, tables, map",
    "lead-location.search": "filter sync (controls to URL)",
}


def callback_name(body: dict) -> str:
    """A readable name for a recorded callback, from its first output."""
    output = body.get("output", "")
    if output.startswith(".."):
        output = output[2:].split("...")[0]
    output = output.split("@")[0]
    return CALLBACK_LABELS.get(output, output[:60])


class BrowserRun:
    """Open pages in fresh contexts, record callback POSTs and transferred bytes."""

    def __init__(self, browser, url: str, cookies: dict[str, str]):
        self.browser, self.url, self.cookies = browser, url, cookies
        self.recorded: dict[str, list[dict]] = {}

    def _context(self, kind: str):
        from dashboard.security import SESSION_COOKIE_NAME

        context = self.browser.new_context(viewport={"width": 1920, "height": 1080})
        context.add_cookies(
            [{"name": SESSION_COOKIE_NAME, "value": self.cookies[kind], "domain": "127.0.0.1", "path": "/"}]
        )
        return context

    def open(self, kind: str, path: str, record: bool = False, timeout_ms: float = 120_000) -> dict:
        """Open ``path`` and wait until every panel has drawn; seconds and bytes (encoded, as sent)."""
        context = self._context(kind)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        transferred = {"bytes": 0, "requests": 0}

        def finished(event: dict) -> None:
            transferred["bytes"] += int(event.get("encodedDataLength", 0))
            transferred["requests"] += 1

        cdp.on("Network.loadingFinished", finished)
        if record:
            page.on("request", lambda request: self._record(kind, request))
        started = time.perf_counter()
        page.goto(self.url + path, wait_until="commit", timeout=timeout_ms)
        first_screen = None
        try:
            if kind == "wall":
                page.wait_for_function(ALL_DRAWN_JS, arg="wall-screen", timeout=timeout_ms, polling=50)
                first_screen = round(time.perf_counter() - started, 3)
            page.wait_for_function(ALL_DRAWN_JS, arg=kind, timeout=timeout_ms, polling=50)
        except Exception as exc:  # report what had not drawn instead of failing the whole run
            state = page.evaluate(STATE_JS)
            return {
                "error": f"{type(exc).__name__}: not drawn after {timeout_ms / 1000:.0f} s",
                "state": state,
                "first_screen_s": first_screen,
                **transferred,
                "_page": page,
                "_context": context,
            }
        seconds = time.perf_counter() - started
        page.wait_for_timeout(300)  # let the last responses' loadingFinished events arrive
        result = {"seconds": round(seconds, 3), "first_screen_s": first_screen, **transferred}
        result["plotly"] = page.evaluate(PLOTLY_JS)
        result["_page"], result["_context"] = page, context
        return result

    def _record(self, kind: str, request) -> None:
        if request.method == "POST" and urlsplit(request.url).path == CALLBACK_PATH:
            headers = {k: v for k, v in request.headers.items() if k.lower() in REPLAY_HEADERS}
            self.recorded.setdefault(kind, []).append(
                {"url": request.url, "body": request.post_data, "headers": headers}
            )

    def wait_for_first_screen_images(self, timeout_s: float = 60.0) -> float | None:
        """Seconds until the wall's first paint (the recorded page-layout callback, replayed) carries the
        server-drawn image of every first-screen graph (dashboard/wall_preview.py), None if not within
        ``timeout_s``. The server draws them after a publish and after a wall asks for missing ones; the
        warm opens measure a wall reloading once they are there, as at night."""
        from dashboard.components.wall_layout import PREVIEW_CLASS, SCREENS, graph_ids
        from dashboard.security import SESSION_COOKIE_NAME

        layout = next(
            (r for r in self.recorded.get("wall", []) if "_pages_content" in (r.get("body") or "")), None
        )
        if layout is None:
            return None
        headers = {**layout["headers"], "content-type": "application/json"}
        wanted = len(graph_ids(SCREENS[0]))
        started = time.perf_counter()
        while time.perf_counter() - started < timeout_s:
            response = requests.post(
                layout["url"],
                data=layout["body"].encode(),
                headers=headers,
                cookies={SESSION_COOKIE_NAME: self.cookies["wall"]},
                timeout=60,
            )
            if response.ok and response.text.count(f'"{PREVIEW_CLASS}"') >= wanted:
                return round(time.perf_counter() - started, 2)
            time.sleep(0.5)
        return None

    def poll_bytes(self, page) -> dict:
        """Bytes of one unchanged-data poll as the wall does it (``fetch('/wall/version')``)."""
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes: dict = {}
        cdp.on("Network.loadingFinished", lambda e: sizes.setdefault("response", int(e["encodedDataLength"])))
        cdp.on(
            "Network.requestWillBeSentExtraInfo",
            lambda e: sizes.setdefault(
                "request_headers", sum(len(k) + len(v) + 4 for k, v in e["headers"].items())
            ),
        )
        page.evaluate("() => fetch('/wall/version', {cache: 'no-store'}).then((r) => r.text())")
        page.wait_for_timeout(300)
        return {"response_bytes": sizes.get("response"), "request_header_bytes": sizes.get("request_headers")}


def replay(http: requests.Session, recorded: dict, calls: int, budget_s: float) -> dict:
    """POST a recorded callback body ``calls`` times (or until ``budget_s``); latency percentiles, bytes."""
    body = recorded["body"].encode()
    headers = dict(recorded["headers"])
    headers.setdefault("content-type", "application/json")
    headers["accept-encoding"] = "gzip"
    samples, sizes = [], []
    # The first call is timed apart: later identical calls may be answered from a per-snapshot memo.
    started = time.perf_counter()
    response = http.post(recorded["url"], data=body, headers=headers, timeout=600)
    first_ms = round((time.perf_counter() - started) * 1000, 1)
    if response.status_code not in (200, 204):
        return {"error": f"HTTP {response.status_code}: {response.text[:300]}"}
    deadline = time.perf_counter() + budget_s
    while len(samples) < calls and (len(samples) < 3 or time.perf_counter() < deadline):
        started = time.perf_counter()
        response = http.post(recorded["url"], data=body, headers=headers, timeout=600, stream=True)
        raw = response.raw.read(decode_content=False)
        samples.append((time.perf_counter() - started) * 1000)
        sizes.append(len(raw))
    return {
        **percentiles(samples),
        "first_ms": first_ms,
        "response_bytes": sizes[-1],
        "status": response.status_code,
    }


def period_variants() -> list[str]:
    """Distinct URL searches (months, quarters, halves of 2023): each one is a memo miss on the server."""
    import calendar

    spans = [(m, m) for m in range(1, 13)] + [(q, q + 2) for q in (1, 4, 7, 10)] + [(1, 6), (7, 12)]
    return [f"?from=2023-{a:02d}-01&to=2023-{b:02d}-{calendar.monthrange(2023, b)[1]:02d}" for a, b in spans]


# The eight townships of the bench's district (benchmarks/data.py folds every record onto the demo district):
# 32 preset clicks, so that the p95 is not simply the slowest of a dozen.
PRESET_TOWNSHIPS = (
    "150205001000",
    "150205002000",
    "150205003000",
    "150205004000",
    "150205005000",
    "150205006000",
    "150205101000",
    "150205202000",
)


def preset_variants() -> list[str]:
    """The clicks a leader makes most: the preset buttons (本月, 本季, 本年, 上年 of the bench data's default
    period, 2023) for townships no earlier request has shown (each a memo miss on the server; each a
    precomputed key of the snapshot, warehouse.presets)."""
    anchor = date(2023, 12, 31)
    spans = [preset_period(p, anchor) for p in PRESETS[:-1]]
    return [f"?from={a}&to={b}&township={t}" for t in PRESET_TOWNSHIPS for a, b in spans]


def replay_uncached(http: requests.Session, recorded: dict, searches: list[str] | None = None) -> dict | None:
    """For a callback whose input is the URL search (the leadership render): one call per distinct period
    (``searches``, default :func:`period_variants`), so that none is answered from the per-snapshot memo;
    latency percentiles of those first calls."""
    body = json.loads(recorded["body"])
    inputs = body.get("inputs", [])
    slots = [
        i for i, item in enumerate(inputs) if isinstance(item, dict) and item.get("property") == "search"
    ]
    if not slots:
        return None
    headers = dict(recorded["headers"])
    headers.setdefault("content-type", "application/json")
    headers["accept-encoding"] = "gzip"
    samples = []
    for search in searches or period_variants():
        for slot in slots:
            inputs[slot]["value"] = search
        started = time.perf_counter()
        response = http.post(recorded["url"], data=json.dumps(body), headers=headers, timeout=600)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            return {"error": f"HTTP {response.status_code}"}
    return percentiles(samples)


def replay_get(http: requests.Session, url: str, calls: int) -> dict:
    samples, size = [], 0
    started = time.perf_counter()
    http.get(url, timeout=60)
    first_ms = round((time.perf_counter() - started) * 1000, 1)
    for _ in range(calls):
        started = time.perf_counter()
        response = http.get(url, timeout=60, headers={"accept-encoding": "gzip"}, stream=True)
        size = len(response.raw.read(decode_content=False))
        samples.append((time.perf_counter() - started) * 1000)
    return {**percentiles(samples), "first_ms": first_ms, "response_bytes": size}


def bench_dashboard(
    data_dir: Path, calls: int = 50, budget_s: float = 20.0, opens: int = 3, load_seconds: float = 30.0
) -> dict:
    """Start the server on ``data_dir``, then the browser, capture, replay and memory figures."""
    from playwright.sync_api import sync_playwright

    name, password, token = make_credentials(data_dir)
    server = Server(data_dir).start()
    result: dict = {
        "server": "gunicorn, 1 worker (gthread, 32 threads, 2 callback slots)",
        "memory_idle": server.memory(),
    }
    try:
        admin = signed_in(server.url, name, password)
        kiosk = kiosk_session(server.url, token)
        from dashboard.security import SESSION_COOKIE_NAME

        cookies = {
            "leadership": admin.cookies[SESSION_COOKIE_NAME],
            "wall": kiosk.cookies[SESSION_COOKIE_NAME],
        }
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                result["browser"] = browse(BrowserRun(browser, server.url, cookies), opens)
                recorded = result["browser"].pop("_recorded")
            finally:
                browser.close()
        result["memory_after_browser"] = server.memory()
        result["callbacks"] = {}
        for kind, http in (("leadership", admin), ("wall", kiosk)):
            seen = set()
            for item in recorded.get(kind, []):
                cb_name = f"{kind}: {callback_name(json.loads(item['body']))}"
                if cb_name in seen:  # the first recording of each callback (the default view) is replayed
                    continue
                seen.add(cb_name)
                result["callbacks"][cb_name] = replay(http, item, calls, budget_s)
                presets = replay_uncached(http, item, preset_variants())
                if presets is not None:
                    result["callbacks"][cb_name]["presets"] = presets
                uncached = replay_uncached(http, item)
                if uncached is not None:
                    result["callbacks"][cb_name]["uncached"] = uncached
        result["callbacks"]["wall: poll GET /wall/version"] = replay_get(
            kiosk, server.url + "/wall/version", calls
        )
        result["memory_end"] = server.memory()
    finally:
        server.stop()
    if load_seconds > 0:
        result["load"] = _load_step(data_dir, admin, kiosk, recorded.get("leadership", []), load_seconds)
    return result


def _load_step(data_dir: Path, admin, kiosk, recorded: list[dict], seconds: float) -> dict:
    """The load step (benchmarks/load.py) on ``cockpit serve --workers 2``, sessions reused."""
    from benchmarks.load import bench_load
    from dashboard.security import SESSION_COOKIE_NAME

    server = Server(data_dir, workers=2).start()
    try:
        return {
            "server": "gunicorn, 2 workers (gthread, 32 threads, 2 callback slots)",
            **bench_load(
                data_dir,
                server.url,
                {SESSION_COOKIE_NAME: admin.cookies[SESSION_COOKIE_NAME]},
                {SESSION_COOKIE_NAME: kiosk.cookies[SESSION_COOKIE_NAME]},
                recorded,
                seconds=seconds,
            ),
        }
    except Exception as exc:  # keep the other figures
        return {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    finally:
        server.stop()


def browse(run: BrowserRun, opens: int) -> dict:
    out: dict = {}
    for kind, path in (("wall", "/wall"), ("leadership", "/")):
        runs = []
        for i in range(opens):
            opened = run.open(kind, path, record=(i == 0))
            page, context = opened.pop("_page"), opened.pop("_context")
            if i == 0 and kind == "wall":
                out["wall_poll"] = run.poll_bytes(page)
                out["wall_images_ready_s"] = run.wait_for_first_screen_images()
            if i == 0 and kind == "leadership":
                # A filter change: the preset buttons run the URL-sync callback, then the render again.
                try:
                    labels = page.locator("#lead-preset label")
                    if labels.count() > 1:
                        labels.nth(0).click(timeout=30_000)
                        page.wait_for_timeout(500)
                        page.wait_for_function(ALL_DRAWN_JS, arg=kind, timeout=120_000, polling=100)
                except Exception as exc:  # the recorded callbacks are replayed all the same
                    opened["filter_change_error"] = f"{type(exc).__name__}"
            context.close()
            runs.append(opened)
        warm = runs[1:] or runs
        ok = [r for r in warm if "seconds" in r]
        out[kind] = {
            "cold_s": runs[0].get("seconds"),
            "warm_s": round(sorted(r["seconds"] for r in ok)[len(ok) // 2], 3) if ok else None,
            "first_screen_warm_s": sorted(r.get("first_screen_s") or 0 for r in ok)[len(ok) // 2]
            if ok
            else None,
            "bytes": runs[0].get("bytes"),
            "requests": runs[0].get("requests"),
            "plotly": runs[0].get("plotly"),
            "runs": runs,
        }
    out["_recorded"] = run.recorded
    return out
