"""Helpers for tests that need a signed-in user or a wall device (there is no auth bypass).

- ``create_user(data_dir, name, role, password, township=None)``: an account in ``data_dir/auth.sqlite``.
- ``create_kiosk_token(data_dir, name)``: a wall device token (the secret, to put in ``/wall?token=``).
- ``login(target, base_url, name, password)``: sign in a playwright ``Page`` or ``BrowserContext``, a
  ``requests.Session`` or a Flask test client, through the real login form (CSRF token included).
- ``session_cookie(base_url, name, password)`` / ``kiosk_cookie(base_url, token)``: the session cookie
  value, to add to several browser contexts without signing in each time.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from dashboard.auth_store import AuthStore
from dashboard.security import SESSION_COOKIE_NAME

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_user(data_dir: Path, name: str, role: str, password: str, township: str | None = None) -> None:
    AuthStore.for_data_dir(data_dir).add_user(name, role, password, township)


def create_kiosk_token(data_dir: Path, name: str) -> str:
    return AuthStore.for_data_dir(data_dir).create_token(name)


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise AssertionError("no CSRF token in the login page")
    return match.group(1)


def login(target, base_url: str, name: str, password: str):
    """Sign ``target`` in through ``/login``; returns the final response (or the page)."""
    base_url = base_url.rstrip("/")
    if hasattr(target, "goto"):  # playwright Page
        target.goto(f"{base_url}/login")
        target.fill("#username", name)
        target.fill("#password", password)
        with target.expect_navigation():
            target.click("#login-submit")
        return target
    if hasattr(target, "request") and hasattr(target, "new_page"):  # playwright BrowserContext
        html = target.request.get(f"{base_url}/login").text()
        return target.request.post(
            f"{base_url}/login",
            form={"username": name, "password": password, "csrf_token": csrf_from(html)},
            max_redirects=0,
        )
    if hasattr(target, "application"):  # Flask test client
        html = target.get("/login").get_data(as_text=True)
        return target.post(
            "/login", data={"username": name, "password": password, "csrf_token": csrf_from(html)}
        )
    html = target.get(f"{base_url}/login", timeout=30).text  # requests.Session
    return target.post(
        f"{base_url}/login",
        data={"username": name, "password": password, "csrf_token": csrf_from(html)},
        allow_redirects=False,
        timeout=30,
    )


def session_cookie(base_url: str, name: str, password: str) -> str:
    """Sign in over HTTP and return the session cookie value."""
    import requests

    with requests.Session() as http:
        response = login(http, base_url, name, password)
        if response.status_code != 302:
            raise AssertionError(f"login as {name} failed: {response.status_code}")
        return http.cookies[SESSION_COOKIE_NAME]


def kiosk_cookie(base_url: str, token: str) -> str:
    """Exchange a wall token for the kiosk session cookie value."""
    import requests

    with requests.Session() as http:
        response = http.get(f"{base_url.rstrip('/')}/wall?token={token}", allow_redirects=False, timeout=30)
        if response.status_code != 302:
            raise AssertionError(f"kiosk token refused: {response.status_code}")
        return http.cookies[SESSION_COOKIE_NAME]


def cookie_for_context(base_url: str, value: str) -> dict:
    """A playwright cookie dict for ``context.add_cookies([...])``."""
    host = urlsplit(base_url).hostname
    return {
        "name": SESSION_COOKIE_NAME,
        "value": value,
        "domain": host,
        "path": "/",
        "httpOnly": True,
        "sameSite": "Lax",
    }
