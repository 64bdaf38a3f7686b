"""``cockpit serve --workers N``: real gunicorn, N workers, health, compression and static cache headers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard import production
from etl import jobs
from tests.integration.test_ops import write_inbox
from tests.support.live import cockpit_env, free_port
from warehouse.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def fetch(url: str, encodings: str | None = None):
    request = urllib.request.Request(url, headers={"Accept-Encoding": encodings} if encodings else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture
def gunicorn_server(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    write_inbox(settings)
    jobs.run_incremental(settings, trigger="cli")
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit", "serve", "--workers", "2", "--port", str(port)]
        + ["--host", "127.0.0.1", "--data-dir", str(settings.data_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=cockpit_env(),
        cwd=tmp_path,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                time.sleep(0.25)
        yield settings, proc, base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def test_gunicorn_serves_with_workers_compression_and_cache_headers(gunicorn_server):
    settings, proc, base = gunicorn_server
    status, headers, body = fetch(base + "/healthz")
    assert status == 200 and b'"status":"ok"' in body
    assert headers["Server"].startswith("gunicorn")
    assert len(children(proc.pid)) == 2  # the master's two workers

    # A fingerprinted component suite, as the page's HTML names it.
    from dashboard.app import create_app

    html = create_app(settings)._generate_scripts_html()
    suite = re.search(r'src="(/_dash-component-suites/dash_bootstrap_components/[^"]+\.v[^"]+)"', html).group(
        1
    )
    status, headers, _ = fetch(base + suite, BROWSER_ENCODINGS)
    assert status == 200
    assert headers["Cache-Control"] == production.IMMUTABLE
    assert headers["Content-Encoding"] in ("gzip", "br", "zstd", "deflate")

    status, headers, _ = fetch(base + "/vendor/bootstrap.min.css", BROWSER_ENCODINGS)
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=604800"
    assert headers["Content-Encoding"]

    status, headers, _ = fetch(base + "/healthz")
    assert headers["Cache-Control"] == "no-store"


def test_sigterm_stops_gunicorn_and_its_workers(gunicorn_server):
    _settings, proc, base = gunicorn_server
    workers = children(proc.pid)
    assert workers
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=40) == 0
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]
