"""Security, fast cases: the store, hashing, the CLI, and the guard through Flask's test client.

The app is the real ``create_app`` on a tiny published snapshot (``tests/support/raw_fixture.py``), so the
guard sees the real callback graph of every page. Attacks over HTTP on the demo data are in
``test_security_attack.py``.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from dashboard import auth_store
from dashboard.auth_store import AuthError, AuthStore, hash_password, needs_rehash, verify_password
from tests.support.security_helpers import create_kiosk_token, create_user, csrf_from, login
from warehouse.query import Filters
from warehouse.settings import Settings

PASSWORD = "correct horse battery"
TOWNSHIP_A = "150205001000"
TOWNSHIP_B = "150205002000"


# ---------------------------------------------------------------- hashing and store


# Made by the hand-rolled hashing this store used before werkzeug (``scrypt$N$r$p$salt$digest``):
# databases in the field hold hashes like it, and their users must still log in.
LEGACY_HASH = "scrypt$32768$8$1$NhYuCnq2gaOW5NaAbJk4vQ==$ao2nQaiA5LB/Bm1gd57wJFolByp6rdj5AzpvgkphJ4A="


def test_password_hash_is_salted_werkzeug_scrypt_and_verifies():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # salted
    assert first.startswith("scrypt:32768:8:1$")  # the same cost as before werkzeug
    assert verify_password(PASSWORD, first)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, "garbage")
    assert not needs_rehash(first)


def stored_hash(store: AuthStore, name: str) -> str:
    with store.connect() as con:
        return con.execute("select password_hash from users where name = ?", (name,)).fetchone()[0]


def test_legacy_hash_still_verifies_and_is_upgraded_at_login(tmp_path):
    assert verify_password(PASSWORD, LEGACY_HASH)
    assert not verify_password(PASSWORD + "x", LEGACY_HASH)
    assert not verify_password(PASSWORD, LEGACY_HASH.replace("$32768$", "$16384$"))
    assert needs_rehash(LEGACY_HASH)
    store = AuthStore.for_data_dir(tmp_path)
    store.add_user("old", "leader", PASSWORD)
    with store.transaction() as con:
        con.execute("update users set password_hash = ? where name = 'old'", (LEGACY_HASH,))
    assert store.authenticate("old", PASSWORD + "x", "10.0.0.1").principal is None
    assert stored_hash(store, "old") == LEGACY_HASH  # a failed login rewrites nothing
    assert store.authenticate("old", PASSWORD, "10.0.0.1").principal is not None
    upgraded = stored_hash(store, "old")
    assert upgraded.startswith("scrypt:32768:8:1$") and verify_password(PASSWORD, upgraded)


def test_only_scrypt_hashes_are_accepted():
    from werkzeug.security import generate_password_hash

    assert not verify_password(PASSWORD, generate_password_hash(PASSWORD, method="pbkdf2:sha256:1"))


def test_unknown_user_costs_a_dummy_scrypt(store, monkeypatch):
    """Timing equalisation: an unknown name is checked against a dummy hash of the same cost."""
    seen: list[str] = []
    real = auth_store.verify_password
    monkeypatch.setattr(
        auth_store, "verify_password", lambda pw, stored: seen.append(stored) or real(pw, stored)
    )
    assert store.authenticate("nobody", PASSWORD, "10.0.0.2").reason == "bad_credentials"
    assert seen == [auth_store._dummy_hash()]
    assert seen[0].startswith(f"{auth_store.PASSWORD_METHOD}$")


def test_lock_grows_and_is_capped():
    assert auth_store.lock_seconds(4, 5) == 0
    assert auth_store.lock_seconds(5, 5) == 30
    assert auth_store.lock_seconds(6, 5) == 60
    assert auth_store.lock_seconds(40, 5) == auth_store.LOCK_MAX_SECONDS


@pytest.fixture
def store(tmp_path) -> AuthStore:
    return AuthStore.for_data_dir(tmp_path)


def test_store_refuses_bad_users(store):
    with pytest.raises(AuthError):
        store.add_user("short", "leader", "123")
    with pytest.raises(AuthError):
        store.add_user("tw", "township", PASSWORD)  # township role needs a code
    with pytest.raises(AuthError):
        store.add_user("x", "root", PASSWORD)
    store.add_user("amy", "leader", PASSWORD)
    with pytest.raises(AuthError):
        store.add_user("amy", "leader", PASSWORD)


def test_authenticate_locks_after_repeated_failures_per_user(store):
    store.add_user("amy", "leader", PASSWORD)
    for _ in range(auth_store.USER_FAILURE_THRESHOLD):
        assert store.authenticate("amy", "wrong password", "10.0.0.1").principal is None
    locked = store.authenticate("amy", PASSWORD, "10.0.0.2")  # right password, other address: still locked
    assert locked.principal is None and locked.reason == "locked" and locked.retry_after > 0
    store.unlock("amy")
    assert store.authenticate("amy", PASSWORD, "10.0.0.2").principal.role == "leader"


def test_authenticate_locks_an_address_trying_many_names(store):
    for i in range(auth_store.IP_FAILURE_THRESHOLD):
        store.authenticate(f"user{i}", "wrong password", "10.9.9.9")
    store.add_user("amy", "leader", PASSWORD)
    assert store.authenticate("amy", PASSWORD, "10.9.9.9").reason == "locked"
    assert store.authenticate("amy", PASSWORD, "10.0.0.3").principal is not None


def test_sessions_end_with_password_change_disable_and_revoke(store):
    store.add_user("amy", "leader", PASSWORD)
    sid = store.create_session("user", "amy")
    assert store.resolve_session(sid).name == "amy"
    store.set_password("amy", PASSWORD + "2")
    assert store.resolve_session(sid) is None
    sid = store.create_session("user", "amy")
    store.set_disabled("amy")
    assert store.resolve_session(sid) is None
    assert store.authenticate("amy", PASSWORD + "2", "10.0.0.1").principal is None

    token = store.create_token("hall")
    assert store.token_name(token) == "hall"
    assert store.token_name(token + "x") is None
    kiosk_sid = store.create_session("kiosk", "hall")
    assert store.resolve_session(kiosk_sid).role == "kiosk"
    store.revoke_token("hall")
    assert store.resolve_session(kiosk_sid) is None
    assert store.token_name(token) is None


def test_user_sessions_expire_when_idle(store, monkeypatch):
    store.add_user("amy", "leader", PASSWORD)
    sid = store.create_session("user", "amy")
    later = auth_store.utcnow() + auth_store.USER_SESSION_IDLE + timedelta(minutes=1)
    monkeypatch.setattr(auth_store, "utcnow", lambda: later)
    assert store.resolve_session(sid) is None


def test_secrets_are_stored_hashed(store):
    store.add_user("amy", "leader", PASSWORD)
    token = store.create_token("hall")
    sid = store.create_session("kiosk", "hall")
    with store.connect() as con:
        dump = "\n".join(con.iterdump())
    assert PASSWORD not in dump and token not in dump and sid not in dump


def test_secret_key_is_created_once_private_and_reused(tmp_path):
    first = auth_store.load_secret_key(tmp_path)
    assert auth_store.load_secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert auth_store.load_secret_key(tmp_path, "configured") == "configured"


# ---------------------------------------------------------------- CLI


def _cli(data_dir: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    from contextlib import redirect_stderr, redirect_stdout

    from cockpit.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = os.sys.stdin
    os.sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main([*args, "--data-dir", str(data_dir)])
    finally:
        os.sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def test_cli_users_kiosk_and_audit(tmp_path):
    code, _, _ = _cli(
        tmp_path, "users", "add", "amy", "--role", "leader", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0
    code, _, err = _cli(
        tmp_path, "users", "add", "tw", "--role", "township", "--password-stdin", stdin=PASSWORD
    )
    assert code == 2 and "--township" in err
    code, _, _ = _cli(
        tmp_path,
        "users",
        "add",
        "tw",
        "--role",
        "township",
        "--township",
        TOWNSHIP_A,
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code == 0
    code, out, _ = _cli(tmp_path, "users", "list")
    assert "amy\tleader" in out and f"tw\ttownship\t{TOWNSHIP_A}" in out
    assert AuthStore.for_data_dir(tmp_path).authenticate("amy", PASSWORD, "1.1.1.1").principal
    code, _, _ = _cli(tmp_path, "users", "passwd", "amy", "--password-stdin", stdin="another password")
    assert code == 0
    code, _, _ = _cli(tmp_path, "users", "disable", "amy")
    assert (
        code == 0
        and not AuthStore.for_data_dir(tmp_path).authenticate("amy", "another password", "1").principal
    )

    code, out, _ = _cli(tmp_path, "kiosk", "token", "create", "hall-1")
    url = out.strip().splitlines()[-1]
    assert code == 0 and url.startswith("http://127.0.0.1:8050/wall?token=")
    token = url.split("token=", 1)[1]
    assert AuthStore.for_data_dir(tmp_path).token_name(token) == "hall-1"
    code, out, _ = _cli(tmp_path, "kiosk", "token", "list")
    assert "hall-1\tactive" in out and token not in out
    code, _, _ = _cli(tmp_path, "kiosk", "token", "revoke", "hall-1")
    assert code == 0 and AuthStore.for_data_dir(tmp_path).token_name(token) is None
    assert _cli(tmp_path, "kiosk", "token", "revoke", "hall-1")[0] == 2

    code, out, _ = _cli(tmp_path, "audit", "--json")
    events = [json.loads(line)["event"] for line in out.splitlines()]
    for event in ("user.add", "user.passwd", "user.disable", "kiosk.token_create", "kiosk.token_revoke"):
        assert event in events
    assert PASSWORD not in out and token not in out
    assert _cli(tmp_path, "audit", "--since", "not-a-date")[0] == 2


def test_demo_credentials_are_created_once(tmp_path):
    from dashboard.demo_credentials import ensure_demo_credentials

    settings = Settings(data_dir=tmp_path)
    first, second = io.StringIO(), io.StringIO()
    ensure_demo_credentials(settings, first)
    ensure_demo_credentials(settings, second)
    store = AuthStore.for_data_dir(tmp_path)
    assert [u.name for u in store.list_users()] == ["admin"]
    assert len(store.list_tokens()) == 1
    assert "/wall?token=" in first.getvalue() and "/wall?token=" not in second.getvalue()
    password = re.search(r"password (\S+)$", first.getvalue(), re.M).group(1)
    assert store.authenticate("admin", password, "1").principal.role == "admin"
    assert password not in second.getvalue()


# ---------------------------------------------------------------- the guard (Flask test client)


@pytest.fixture(scope="module")
def app_env(tmp_path_factory):
    """The real app on the tiny fixture snapshot, with one user of each role and a kiosk token."""
    from dashboard.app import create_app
    from tests.support.raw_fixture import create_raw_store
    from warehouse.publish import publish_snapshot

    root = tmp_path_factory.mktemp("security-app")
    data_dir = root / "data"
    data_dir.mkdir()
    settings = Settings(data_dir=data_dir)
    publish_snapshot(create_raw_store(root / "raw.duckdb"), settings, "run-fixture")
    create_user(data_dir, "admin1", "admin", PASSWORD)
    create_user(data_dir, "leader1", "leader", PASSWORD)
    create_user(data_dir, "town1", "township", PASSWORD, TOWNSHIP_A)
    token = create_kiosk_token(data_dir, "hall")
    app = create_app(settings)
    app.server.config["TESTING"] = True
    return {"app": app, "settings": settings, "token": token, "data_dir": data_dir}


def _client(app_env, who: str | None = None):
    client = app_env["app"].server.test_client()
    if who == "kiosk":
        response = client.get(f"/wall?token={app_env['token']}")
        assert response.status_code == 302 and response.headers["Location"] == "/wall"
    elif who:
        response = login(client, "", who, PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _dependencies(app_env) -> list[dict]:
    client = _client(app_env, "admin1")
    # Clientside callbacks never reach the server; the rest are what an attacker can call.
    return [d for d in client.get("/_dash-dependencies").get_json() if not d.get("clientside_function")]


def _body(dep: dict, pathname: str | None = None) -> dict:
    def value_for(item):
        if item["id"] == "_pages_location" and item["property"] == "pathname":
            return pathname
        return None

    from dash._utils import split_callback_id

    outputs = split_callback_id(dep["output"])
    return {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [{**i, "value": value_for(i)} for i in dep["inputs"]],
        "state": [{**s, "value": None} for s in dep["state"]],
        "changedPropIds": [],
    }


def _area_of(dep: dict) -> str:
    ids = [o.split(".")[0] for o in dep["output"].strip(".").split("...")]
    if any(i.startswith("_pages_") for i in ids):
        return "router"
    return "wall" if all(i.startswith("wall-") for i in ids) else "other"


def test_public_routes_and_headers(app_env):
    client = _client(app_env)
    for path in ("/login", "/assets/login.css", "/vendor/bootstrap.min.css"):
        response = client.get(path)
        assert response.status_code == 200, path
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self' 'sha256-" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_anonymous_is_sent_to_login_or_refused(app_env):
    client = _client(app_env)
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    deep = client.get("/wall?from=2023-01-01", headers={"Accept": "text/html"})
    assert deep.status_code == 302 and "next=%2Fwall%3Ffrom%3D2023-01-01" in deep.headers["Location"]
    image = "/wall/preview/" + "0" * 32 + ".svg"
    for path in (
        "/_dash-layout",
        "/_dash-dependencies",
        "/wall/version",
        image,
        "/download/kpis.csv",
        "/ops",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json() == {"error": "login_required"}
    for dep in _dependencies(app_env):
        response = client.post("/_dash-update-component", json=_body(dep, "/wall"))
        assert response.status_code == 401, dep["output"]


def test_login_needs_csrf_and_sets_a_strict_cookie(app_env):
    client = _client(app_env)
    no_csrf = client.post("/login", data={"username": "leader1", "password": PASSWORD})
    assert no_csrf.status_code == 400
    response = login(client, "", "leader1", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires" not in cookie
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    https = _client(app_env)
    html = https.get("/login", base_url="https://localhost").get_data(as_text=True)
    secure = https.post(
        "/login",
        base_url="https://localhost",
        data={"username": "leader1", "password": PASSWORD, "csrf_token": csrf_from(html)},
    )
    assert "Secure" in secure.headers["Set-Cookie"]


def test_login_redirect_stays_on_this_site(app_env):
    client = _client(app_env)
    html = client.get("/login").get_data(as_text=True)
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = client.post(
            "/login",
            data={"username": "leader1", "password": PASSWORD, "csrf_token": csrf_from(html), "next": evil},
        )
        assert response.headers["Location"] == "/", evil
        html = client.get("/login").get_data(as_text=True)


def test_login_page_escapes_what_the_user_typed(app_env):
    """The templates autoescape: a typed name or a ``next`` path cannot inject markup."""
    client = _client(app_env)
    evil = '"><script>alert(1)</script>'
    html = client.get("/login?next=/" + evil).get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "username": evil,
            "password": "wrong password",
            "csrf_token": csrf_from(html),
            "next": "/" + evil,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and 'id="login-error"' in page
    for body in (html, page):
        assert "<script>alert(1)" not in body
        assert "&lt;script&gt;alert(1)" in body
    assert '<html lang="zh-CN" data-bs-theme="dark">' in page


def test_failed_logins_are_audited_and_lock(app_env):
    client = _client(app_env)
    create_user(app_env["data_dir"], "victim", "leader", PASSWORD)
    statuses = []
    for _ in range(auth_store.USER_FAILURE_THRESHOLD + 1):
        statuses.append(login(client, "", "victim", "wrong password").status_code)
    assert statuses[0] == 401 and statuses[-1] == 429
    assert login(client, "", "victim", PASSWORD).status_code == 429  # the right password waits too
    rows = auth_store.audit_rows(app_env["settings"], limit=50)
    failures = [r for r in rows if r["event"] == "login.failure" and r["actor"] == "victim"]
    locked = [r for r in rows if r["event"] == "login.locked" and r["actor"] == "victim"]
    assert len(failures) == auth_store.USER_FAILURE_THRESHOLD
    assert len(locked) == 1  # further locked attempts within a minute are not written again
    assert all("wrong password" not in json.dumps(r) for r in rows)


def test_logout_ends_the_session_server_side(app_env):
    client = _client(app_env, "leader1")
    stolen = client.get_cookie("cockpit_session").value
    html = client.get("/logout", headers={"Accept": "text/html"}).get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    replay = app_env["app"].server.test_client()
    replay.set_cookie("cockpit_session", stolen)
    assert replay.get("/_dash-layout").status_code == 401
    events = [r["event"] for r in auth_store.audit_rows(app_env["settings"], limit=20)]
    assert "logout" in events and "login.success" in events


def test_cross_site_posts_are_refused(app_env):
    client = _client(app_env, "leader1")
    dep = next(d for d in _dependencies(app_env) if _area_of(d) == "other")
    response = client.post(
        "/_dash-update-component", json=_body(dep), headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_kiosk_token_opens_the_wall_only(app_env):
    client = _client(app_env, "kiosk")
    cookie = client.get_cookie("cockpit_session")
    assert cookie.http_only and cookie.expires is not None  # long-lived
    assert client.get("/wall", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/wall/version").status_code == 200
    assert client.get("/wall/preview/" + "0" * 32 + ".svg").status_code == 404  # allowed; none drawn
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 403
    assert client.get("/download/kpis.csv").status_code == 403
    assert client.get("/ops", headers={"Accept": "text/html"}).status_code == 403
    deps = _dependencies(app_env)
    assert any(_area_of(d) == "wall" for d in deps) and any(_area_of(d) == "other" for d in deps)
    for dep in deps:
        area = _area_of(dep)
        if area == "router":
            assert client.post("/_dash-update-component", json=_body(dep, "/")).status_code == 403
            assert client.post("/_dash-update-component", json=_body(dep, "/ops")).status_code == 403
            assert client.post("/_dash-update-component", json=_body(dep, "/wall")).status_code == 200
        elif area == "wall":
            assert client.post("/_dash-update-component", json=_body(dep)).status_code not in (401, 403)
        else:
            assert client.post("/_dash-update-component", json=_body(dep)).status_code == 403, dep["output"]
    events = [
        r for r in auth_store.audit_rows(app_env["settings"], limit=50) if r["event"] == "kiosk.token_use"
    ]
    assert events and events[0]["actor"] == "hall"


def test_router_cannot_be_tricked_by_reordered_inputs(app_env):
    client = _client(app_env, "kiosk")
    router = next(d for d in _dependencies(app_env) if _area_of(d) == "router")
    body = _body(router, "/")
    # The pathname Dash passes is the one at the router's position, whatever id the attacker puts there.
    body["inputs"][0] = {"id": "decoy", "property": "pathname", "value": "/"}
    body["inputs"].append({"id": "_pages_location", "property": "pathname", "value": "/wall"})
    assert client.post("/_dash-update-component", json=body).status_code == 403
    assert client.post("/_dash-update-component", json={"output": "nope.children"}).status_code == 400
    assert client.post("/_dash-update-component", data="not json").status_code == 400


def test_forged_tokens_are_throttled_per_address_apart_from_logins(tmp_path):
    store = AuthStore.for_data_dir(tmp_path)
    for _ in range(auth_store.TOKEN_FAILURE_THRESHOLD):
        store.record_token_failure("10.1.1.1")
    assert store.token_lock_remaining("10.1.1.1") > 0
    assert store.token_lock_remaining("10.1.1.2") == 0
    assert store.lock_remaining("amy", "10.1.1.1") == 0  # token guesses never lock logins
    store.add_user("amy", "leader", PASSWORD)
    assert store.authenticate("amy", PASSWORD, "10.1.1.1").principal is not None


def test_a_foreign_page_firing_bad_tokens_locks_nobody_out(app_env):
    ip = {"REMOTE_ADDR": "10.17.7.1"}
    client = app_env["app"].server.test_client()
    image = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors"}
    for _ in range(auth_store.TOKEN_FAILURE_THRESHOLD * 2):
        assert client.get("/wall?token=bad", headers=image, environ_base=ip).status_code == 403
    store = AuthStore.for_data_dir(app_env["data_dir"])
    assert store.token_lock_remaining("10.17.7.1") == 0
    kiosk = client.get(f"/wall?token={app_env['token']}", environ_base=ip)
    assert kiosk.status_code == 302  # a valid token from that address still works
    html = client.get("/login", environ_base=ip).get_data(as_text=True)
    form = {"username": "leader1", "password": PASSWORD, "csrf_token": csrf_from(html)}
    assert client.post("/login", data=form, environ_base=ip).status_code == 302


def test_token_brute_force_is_still_throttled_and_logins_are_not(app_env):
    ip = {"REMOTE_ADDR": "10.17.7.2"}
    client = app_env["app"].server.test_client()
    codes = [
        client.get(f"/wall?token=guess{i}", environ_base=ip).status_code
        for i in range(auth_store.TOKEN_FAILURE_THRESHOLD + 2)
    ]
    assert codes[0] == 403 and codes[-1] == 429
    html = client.get("/login", environ_base=ip).get_data(as_text=True)
    form = {"username": "leader1", "password": PASSWORD, "csrf_token": csrf_from(html)}
    assert client.post("/login", data=form, environ_base=ip).status_code == 302


def test_only_completed_authorised_downloads_are_audited_in_bounded_rows(app_env):
    store = AuthStore.for_data_dir(app_env["data_dir"])
    before = len(store.audit_rows(limit=100000))
    anonymous = app_env["app"].server.test_client()
    junk = "x" * 3500
    for path in (f"/download/anything?{junk}", f"/download/ranking.csv?q={junk}"):
        assert anonymous.get(path, headers={"Accept": "text/html"}).status_code == 302
        assert anonymous.get(path).status_code == 401
    leader = _client(app_env, "leader1")
    assert leader.get(f"/download/nope.csv?q={junk}").status_code == 404
    rows = store.audit_rows(limit=100000)
    assert not [r for r in rows[: len(rows) - before] if r["event"] == "download"]
    assert leader.get(f"/download/ranking.csv?from=2023-01-01&to=2023-12-31&q={junk}").status_code == 200
    downloads = [r for r in store.audit_rows(limit=20) if r["event"] == "download"]
    assert downloads and downloads[0]["actor"] == "leader1"
    assert (
        len(json.dumps(downloads[0], ensure_ascii=False, default=str)) < 2 * auth_store.AUDIT_DETAIL_MAX_CHARS
    )


def test_bad_or_revoked_token_is_refused(app_env):
    client = _client(app_env)
    response = client.get("/wall?token=forged", headers={"Accept": "text/html"})
    assert response.status_code == 403 and "令牌" in response.get_data(as_text=True)
    store = AuthStore.for_data_dir(app_env["data_dir"])
    token = store.create_token("temp")
    kiosk = _client(app_env)
    assert kiosk.get(f"/wall?token={token}").status_code == 302
    assert kiosk.get("/_dash-layout").status_code == 200
    store.revoke_token("temp")
    assert kiosk.get("/_dash-layout").status_code == 401


def test_roles_reach_only_their_areas(app_env):
    town = _client(app_env, "town1")
    assert town.get("/", headers={"Accept": "text/html"}).status_code == 200
    assert town.get("/wall", headers={"Accept": "text/html"}).status_code == 403
    assert town.get("/ops", headers={"Accept": "text/html"}).status_code == 403
    leader = _client(app_env, "leader1")
    assert leader.get("/wall", headers={"Accept": "text/html"}).status_code == 200
    assert leader.get("/ops", headers={"Accept": "text/html"}).status_code == 403
    admin = _client(app_env, "admin1")
    assert admin.get("/ops", headers={"Accept": "text/html"}).status_code != 403


def test_only_admins_call_ops_callbacks(app_env):
    ops = [d for d in _dependencies(app_env) if d["output"].lstrip(".").startswith("ops-")]
    assert ops, "the ops page's callbacks should be in the graph"
    for who in ("leader1", "town1"):
        client = _client(app_env, who)
        for dep in ops:
            assert client.post("/_dash-update-component", json=_body(dep)).status_code == 403, (
                who,
                dep["output"],
            )
    town = _client(app_env, "town1")
    for dep in _dependencies(app_env):
        if _area_of(dep) == "wall":
            assert town.post("/_dash-update-component", json=_body(dep)).status_code == 403, dep["output"]


def test_scope_filters_pins_a_township_user_to_their_township(app_env):
    from flask import g

    from dashboard.auth_store import Principal
    from dashboard.security import scope_filters

    wanted = Filters(
        start=__import__("datetime").date(2023, 1, 1),
        end=__import__("datetime").date(2023, 12, 31),
        townships=(TOWNSHIP_B,),
    )
    with app_env["app"].server.test_request_context("/"):
        g.cockpit_principal = Principal("user", "town1", "township", TOWNSHIP_A)
        assert scope_filters(wanted).townships == (TOWNSHIP_A,)
        assert scope_filters(wanted.__class__(start=wanted.start, end=wanted.end)).townships == (TOWNSHIP_A,)
        g.cockpit_principal = Principal("user", "leader1", "leader")
        assert scope_filters(wanted).townships == (TOWNSHIP_B,)
        g.cockpit_principal = None
        with pytest.raises(Exception):  # noqa: B017  (werkzeug Forbidden)
            scope_filters(wanted)


def test_user_menu_posts_logout_with_the_session_csrf_token(app_env):
    from flask import g, session

    from dashboard.auth_store import Principal
    from dashboard.security import user_menu

    with app_env["app"].server.test_request_context("/"):
        g.cockpit_principal = Principal("user", "leader1", "leader")
        form = user_menu("en").to_plotly_json()["props"]
        assert form["action"] == "/logout" and form["method"] == "POST"
        hidden = form["children"][1].to_plotly_json()["props"]
        assert hidden["name"] == "csrf_token" and hidden["value"] == session["csrf"]
        assert "leader1" in form["children"][0].to_plotly_json()["props"]["children"]
        g.cockpit_principal = Principal("kiosk", "hall", "kiosk")
        assert user_menu().to_plotly_json()["props"].get("children") is None


def test_wall_poll_stays_small_and_the_kiosk_cookie_is_renewed_daily(app_env):
    client = _client(app_env, "kiosk")
    first = client.get("/wall/version")  # the first request of the day renews the kiosk cookie
    assert first.status_code == 200
    poll = client.get("/wall/version")
    assert poll.status_code == 200 and "Set-Cookie" not in poll.headers
    assert "Content-Security-Policy" not in poll.headers  # JSON, never rendered as a document
    assert poll.headers["X-Content-Type-Options"] == "nosniff"
    header_bytes = sum(len(k) + len(v) + 4 for k, v in poll.headers.items())
    assert header_bytes + len(poll.get_data()) < 1024
    page = client.get("/wall", headers={"Accept": "text/html"})
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_hostile_inputs_answer_4xx_not_500(app_env, caplog):
    leader = _client(app_env, "leader1")
    kiosk = _client(app_env, "kiosk")
    router = next(d for d in _dependencies(app_env) if _area_of(d) == "router")
    deep = '{"output": "x.children", "inputs": ' + "[" * 50_000 + "]" * 50_000 + "}"
    responses = {
        "year 1 leadership": leader.get("/?from=0001-01-01&to=0001-12-31", headers={"Accept": "text/html"}),
        "year 1 download": leader.get("/download/ranking.csv?from=0001-01-01&to=0001-03-01"),
        "year 1 wall": kiosk.get("/wall?from=0001-01-01&to=0001-12-31", headers={"Accept": "text/html"}),
        "router without /": leader.post("/_dash-update-component", json=_body(router, "wall")),
        "router odd path": leader.post("/_dash-update-component", json=_body(router, "home?id=x")),
        "deep json": leader.post(
            "/_dash-update-component", data=deep, headers={"Content-Type": "application/json"}
        ),
        "unknown suite": leader.get("/_dash-component-suites/no_such_package/x.js"),
        "unknown suite anonymous": app_env["app"].server.test_client().get("/_dash-component-suites/x/y.js"),
    }
    for what, response in responses.items():
        assert response.status_code < 500, (what, response.status_code)
    assert responses["deep json"].status_code == 400
    assert responses["unknown suite"].status_code == 404
    assert "Traceback" not in caplog.text


def test_a_township_list_of_300k_codes_costs_milliseconds():
    import time

    from dashboard.filters import parse_search

    codes = ",".join(str(150205000000 + i) for i in range(300_000))
    began = time.perf_counter()
    state = parse_search({"township": [codes] * 3}, (date(2023, 1, 1), date(2023, 12, 31)))
    assert time.perf_counter() - began < 0.5
    assert len(state.townships) == 200 and len(set(state.townships)) == 200
    wide = parse_search("?from=0002-01-01&to=9999-12-31", (date(2023, 1, 1), date(2023, 12, 31)))
    assert (wide.start, wide.end) == (date(2023, 1, 1), date(2023, 12, 31))
    span = parse_search("?from=1900-01-01&to=2199-12-31", (date(2023, 1, 1), date(2023, 12, 31)))
    assert (span.end - span.start).days <= 366 * 20
