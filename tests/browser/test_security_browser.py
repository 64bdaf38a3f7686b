"""Security in a real browser: record text is never markup, the CSP holds, the login page works.

An activity export whose title carries ``<script>``, ``<img onerror>`` and a markdown ``javascript:``
link is loaded into a copy of the demo data; the wall's ticker and the leadership view must show that
text literally, run nothing (no dialog, no global set by the payload) and report no CSP violation.
"""

from __future__ import annotations

import csv
import shutil

import pytest

from tests.support.live import LiveServer, open_page, run_cockpit

pytestmark = pytest.mark.browser

MARK = "XSS-PROBE"
TITLE = (
    f'{MARK} <script>window.__pwned="script"</script>'
    f"<img src=x onerror=\"window.__pwned='img';alert(1)\"> [link](javascript:alert(2))"
)
# Collect CSP violations from the first script on: the test asserts there are none.
CSP_RECORDER = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
    "e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));"
)


@pytest.fixture(scope="module")
def xss_server(demo_data_dir, tmp_path_factory):
    """A server on a copy of the demo data plus one activity whose title is an XSS payload."""
    data_dir = tmp_path_factory.mktemp("xss") / "data"
    shutil.copytree(
        demo_data_dir, data_dir, ignore=shutil.ignore_patterns("serve-*.log", "*.lock", "auth.sqlite*")
    )
    export = data_dir / "inbox" / "履职活动_注入测试_20240120.csv"
    with export.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["活动编号", "活动阵地编号", "活动日期", "活动类型", "活动主题", "接待群众人次", "参加代表编号"]
        )
        writer.writerow(["HD2023XSS01", "JD011", "2023-12-31", "接待选民", TITLE, "3", "DB0057"])
    run_cockpit(data_dir, "etl", "run")
    server = LiveServer(data_dir).start()
    from tests.support.live import _SERVER_DATA_DIRS

    _SERVER_DATA_DIRS[server.url] = data_dir
    yield server
    server.stop()


def _open(browser, url: str):
    """A page with a CSP-violation recorder installed before any script runs; dialogs are recorded."""
    from tests.support.live import auth_cookie
    from tests.support.security_helpers import cookie_for_context

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.add_init_script(CSP_RECORDER)
    cookie = auth_cookie(url)
    if cookie:
        context.add_cookies([cookie_for_context(url, cookie)])
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return context, page, dialogs, errors


def test_record_text_is_shown_as_text_on_the_wall_and_runs_nothing(browser, xss_server):
    context, page, dialogs, errors = _open(browser, xss_server.url + "/wall")
    try:
        ticker = page.locator(".wall-ticker-item", has_text=MARK).first
        ticker.wait_for(state="attached", timeout=30_000)
        assert "<script>" in ticker.text_content() and "onerror" in ticker.text_content()
        page.wait_for_timeout(1500)
        assert page.evaluate("window.__pwned") is None
        assert page.locator(".wall-ticker img").count() == 0
        assert dialogs == []
        assert page.evaluate("window.__csp") == []
        assert errors == []
    finally:
        context.close()


def test_record_text_is_shown_as_text_in_the_leadership_view(browser, xss_server):
    context, page, dialogs, errors = _open(browser, xss_server.url + "/?from=2023-12-01&to=2023-12-31")
    try:
        cell = page.get_by_text(MARK).first
        cell.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        assert "<script>" in page.get_by_text(MARK).first.text_content()
        assert page.evaluate("window.__pwned") is None
        assert page.locator("a[href^='javascript:']").count() == 0
        assert dialogs == []
        assert page.evaluate("window.__csp") == []
        assert not [e for e in errors if "Content Security Policy" in e]
    finally:
        context.close()


def test_login_page_signs_in_and_pages_have_no_csp_violation(browser, live_server):
    from tests.support.live import BROWSER_ADMIN, auth_cookie

    auth_cookie(live_server)  # makes sure the browser admin exists on this server's data
    recorded = open_page(browser, live_server + "/?lang=en", auth=None)
    try:
        page = recorded.page
        assert "/login" in page.url
        page.fill("#username", "browser-admin")
        page.fill("#password", "wrong password!")
        page.click("#login-submit")
        assert "Wrong user name or password" in page.locator("#login-error").text_content()
        page.fill("#username", BROWSER_ADMIN[0])
        page.fill("#password", BROWSER_ADMIN[1])
        with page.expect_navigation():
            page.click("#login-submit")
        assert page.url.rstrip("/").endswith("?lang=en") or page.url.rstrip("/") == live_server
        page.wait_for_selector("#_pages_content *", timeout=30_000)
        assert recorded.outside_requests == []
        assert not [e for e in recorded.console_errors if "Content Security Policy" in e]
    finally:
        recorded.close()
