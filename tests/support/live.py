"""Fixtures for browser tests: demo data built once, a live ``cockpit serve``, real Chromium.

Shared by every page's browser tests (wall, leadership). Nothing here knows about a page:
- ``demo_data_dir`` (session): ``cockpit demo --no-serve`` into a temporary data dir, once.
- ``live_server`` (session): ``cockpit serve`` on a free port with the demo's 2023 default period.
- ``server_factory``: start more servers (e.g. one a test may stop and restart); all are stopped at the end.
- ``browser`` (session): Debian Chromium through Python playwright (never ``playwright install``).
- ``open_page(browser, url, width, height)``: a page that records every request leaving the origin and
  every console error / page error, so a test can assert both are empty.
- ``run_cockpit(data_dir, *args)``: run the ``cockpit`` CLI and return its stdout.
- Signing in: every server's data dir gets a browser admin and a wall token (``tests/support/security_helpers``);
  ``open_page`` (``auth="auto"``) gives ``/wall...`` URLs the kiosk session and every other URL the
  admin session, and ``LiveServer.get`` does the same; ``auth=None`` opens a page anonymously.

Screenshots go to ``test-artifacts/`` (gitignored): use ``ARTIFACTS``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The demo's data is calendar 2023 (docs/DATA_CONTRACT.md): every server here opens on that period.
# Its exports are dated January 2024: judged by their export date (stale_after_export_days) the data is
# stale, which is true but not what these tests are about; test_truthful_screens serves it as a user would.
DEMO_ENV = {
    "COCKPIT_DEFAULT_START": "2023-01-01",
    "COCKPIT_DEFAULT_END": "2023-12-31",
    "COCKPIT_STALE_AFTER_EXPORT_DAYS": "36500",
}
SERVER_START_TIMEOUT = 90.0
BROWSER_ADMIN = ("browser-admin", "browser-admin-password")
# origin -> data dir of a LiveServer listening there; data dir -> its browser wall token;
# (origin, kind) -> session cookie value.
_SERVER_DATA_DIRS: dict[str, Path] = {}
_KIOSK_TOKENS: dict[Path, str] = {}
_AUTH_COOKIES: dict[tuple[str, str], str] = {}
_DEMO_DIRS: list[Path] = []


def ensure_browser_credentials(data_dir: Path) -> str:
    """The browser admin (``BROWSER_ADMIN``) and a wall token in ``data_dir``; returns the token.

    Made in the demo data dir before any test copies it, so every copy (and any server on it, the
    gunicorn ones included) accepts the same credentials.
    """
    from dashboard.auth_store import AuthStore
    from tests.support.security_helpers import create_kiosk_token, create_user

    if data_dir not in _KIOSK_TOKENS:
        if AuthStore.for_data_dir(data_dir).get_user(BROWSER_ADMIN[0]) is None:
            create_user(data_dir, BROWSER_ADMIN[0], "admin", BROWSER_ADMIN[1])
        _KIOSK_TOKENS[data_dir] = create_kiosk_token(data_dir, f"browser-wall-{os.urandom(3).hex()}")
    return _KIOSK_TOKENS[data_dir]


def _cookie_works(origin: str, cookie: str) -> bool:
    from dashboard.security import SESSION_COOKIE_NAME

    request = urllib.request.Request(origin + "/_dash-layout")
    request.add_header("Cookie", f"{SESSION_COOKIE_NAME}={cookie}")
    try:
        urllib.request.urlopen(request, timeout=10).read()
        return True
    except OSError:
        return False


def _try(get_cookie, *args) -> str | None:
    try:
        return get_cookie(*args)
    except (AssertionError, OSError):
        return None


def auth_cookie(url: str, kind: str | None = None) -> str | None:
    """The session cookie (``kind`` "kiosk" for the wall, else "admin") for a URL of a live server.

    None when the server knows none of the test credentials (its data dir was not made by these fixtures).
    """
    from tests.support.security_helpers import kiosk_cookie, session_cookie

    origin = _origin(url)
    kind = kind or ("kiosk" if urlsplit(url).path.startswith("/wall") else "admin")
    cached = _AUTH_COOKIES.get((origin, kind))
    if cached and _cookie_works(origin, cached):
        return cached
    data_dir = _SERVER_DATA_DIRS.get(origin)
    if data_dir is not None:
        ensure_browser_credentials(data_dir)
    tokens = [_KIOSK_TOKENS[data_dir]] if data_dir in _KIOSK_TOKENS else []
    tokens += [_KIOSK_TOKENS[d] for d in _DEMO_DIRS if d in _KIOSK_TOKENS]
    if kind == "kiosk":
        cookie = next((c for c in (_try(kiosk_cookie, origin, t) for t in tokens) if c), None)
    else:
        cookie = _try(session_cookie, origin, *BROWSER_ADMIN)
    if cookie:
        _AUTH_COOKIES[origin, kind] = cookie
    return cookie


def cockpit_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a ``cockpit`` subprocess: no stray cockpit.toml, demo period, extras."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(DEMO_ENV)
    env["COCKPIT_CONFIG"] = str(REPO_ROOT / "tests" / "browser" / "no-such-cockpit.toml")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_cockpit(data_dir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run ``cockpit <args> --data-dir <data_dir>`` and return stdout; raise with stderr on failure."""
    cmd = [sys.executable, "-m", "cockpit", *args, "--data-dir", str(data_dir)]
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=cockpit_env(env), cwd=data_dir, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """One ``cockpit serve`` subprocess; ``stop()`` and ``start()`` again keep the same port and URL."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"serve-{self.port}.log"

    def start(self) -> LiveServer:
        cmd = [sys.executable, "-m", "cockpit", "serve", "--data-dir", str(self.data_dir)]
        cmd += ["--port", str(self.port), "--host", "127.0.0.1"]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=cockpit_env(self.env),
            cwd=self.data_dir,
            start_new_session=True,
        )
        log.close()
        self._wait_until_up()
        _SERVER_DATA_DIRS[self.url] = self.data_dir
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cockpit serve exited early:\n{self.log_path.read_text()[-4000:]}")
            try:
                urllib.request.urlopen(self.url + "/_dash-layout", timeout=2).read()
                return
            except urllib.error.HTTPError:
                return  # the server answers: that is all "up" means here
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"cockpit serve did not answer within {SERVER_START_TIMEOUT}s")

    def stop(self) -> None:
        """Stop this server (its own process group only) and wait until the port is closed."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def get(self, path: str) -> bytes:
        from dashboard.security import SESSION_COOKIE_NAME

        request = urllib.request.Request(self.url + path)
        cookie = auth_cookie(self.url + path)
        if cookie:
            request.add_header("Cookie", f"{SESSION_COOKIE_NAME}={cookie}")
        return urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory) -> Path:
    """A data dir holding the published demo snapshot (built once per test session).

    ``BROWSER_TEST_DEMO_DIR=<dir>`` reuses a demo data dir built before (copied, never modified):
    handy when iterating on a page, since the demo build takes a while.
    """
    data_dir = tmp_path_factory.mktemp("cockpit-demo")
    prebuilt = os.environ.get("BROWSER_TEST_DEMO_DIR")
    if prebuilt:
        shutil.copytree(
            prebuilt, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.log", "*.lock")
        )
    else:
        run_cockpit(data_dir, "demo", "--no-serve")
    # Before any test copies it: every copy then knows the browser admin and wall token.
    ensure_browser_credentials(data_dir)
    _DEMO_DIRS.append(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def server_factory(demo_data_dir):
    """Start extra servers on the demo data: ``server_factory(env={...})``; all stopped at session end."""
    started: list[LiveServer] = []

    def start(env: dict[str, str] | None = None) -> LiveServer:
        server = LiveServer(demo_data_dir, env=env or {})
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def live_server(server_factory) -> str:
    """Base URL of a ``cockpit serve`` on the demo data, shared by the session's tests."""
    return server_factory().url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class RecordedPage:
    """A playwright page plus what it did: requests outside its origin, console errors, page errors."""

    page: object
    context: object
    origin: str
    requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.context.close()

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def open_page(
    browser,
    url: str,
    width: int = 1920,
    height: int = 1080,
    wait_until: str = "load",
    auth: str | None = "auto",
    setup: Callable | None = None,
    **context_args,
) -> RecordedPage:
    """Open ``url`` in a fresh context with a ``width``×``height`` viewport, recording its traffic.

    Every request URL is recorded (``data:``/``blob:`` URLs are in-page, not network); one whose
    origin differs from ``url``'s goes to ``outside_requests``. Console messages of type error and
    uncaught page errors go to ``console_errors``. ``auth``: "auto" (kiosk session for the wall, admin
    session elsewhere), "kiosk", "admin", or None (anonymous). ``setup(context)`` runs before the page
    opens (e.g. to route requests).
    """
    context = browser.new_context(viewport={"width": width, "height": height}, **context_args)
    cookie = auth_cookie(url, None if auth == "auto" else auth) if auth else None
    if cookie:
        from tests.support.security_helpers import cookie_for_context

        context.add_cookies([cookie_for_context(url, cookie)])
    if setup is not None:
        setup(context)
    page = context.new_page()
    recorded = RecordedPage(page=page, context=context, origin=_origin(url))

    def on_request(request) -> None:
        recorded.requests.append(request.url)
        if request.url.startswith(("data:", "blob:")):
            return
        if _origin(request.url) != recorded.origin:
            recorded.outside_requests.append(request.url)

    page.on("request", on_request)
    page.on("console", lambda msg: msg.type == "error" and recorded.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: recorded.console_errors.append(f"pageerror: {exc}"))
    page.goto(url, wait_until=wait_until)
    return recorded


@pytest.fixture
def page_opener(browser):
    """``page_opener(url, width, height)`` -> RecordedPage; every page opened is closed after the test."""
    opened: list[RecordedPage] = []

    def opener(url: str, width: int = 1920, height: int = 1080, **kwargs) -> RecordedPage:
        recorded = open_page(browser, url, width, height, **kwargs)
        opened.append(recorded)
        return recorded

    yield opener
    for recorded in opened:
        recorded.close()
