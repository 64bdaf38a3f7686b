"""The import page over HTTP (Flask test client on the real app): roles, CSRF, the upload limits, the
check page, confirm -> run in its own process -> outcome, cancel, history and audit."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from dashboard.app import create_app
from dashboard.auth_store import AuthStore
from etl import intake
from tests.integration.test_intake import SUGGESTIONS, _zip, make_settings
from tests.support.security_helpers import create_user, login

PASSWORD = "correct-horse-battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def env(tmp_path: Path):
    settings = make_settings(tmp_path, upload_max_bytes=4000)
    create_user(settings.data_dir, "clerk1", "clerk", PASSWORD)
    create_user(settings.data_dir, "admin1", "admin", PASSWORD)
    create_user(settings.data_dir, "leader1", "leader", PASSWORD)
    create_user(settings.data_dir, "town1", "township", PASSWORD, "150205001000")
    app = create_app(settings)
    app.server.config["TESTING"] = True
    return {"app": app, "settings": settings}


def client_for(env, who: str | None):
    client = env["app"].server.test_client()
    if who:
        response = login(client, "", who, PASSWORD)
        assert response.status_code == 302
    return client


def csrf(client) -> str:
    return CSRF_RE.search(client.get("/import").get_data(as_text=True)).group(1)


def upload(client, files: dict[str, bytes | str], token: str | None = None):
    data = {"csrf_token": token or csrf(client)}
    data["files"] = [(io.BytesIO(c.encode() if isinstance(c, str) else c), name) for name, c in files.items()]
    return client.post(
        "/import/upload", data=data, content_type="multipart/form-data", headers={"Accept": "text/html"}
    )


def upload_id_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_clerk_lands_on_import_and_may_use_ops_but_not_the_leadership_view(env) -> None:
    client = env["app"].server.test_client()
    html = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"username": "clerk1", "password": PASSWORD, "csrf_token": CSRF_RE.search(html).group(1)},
    )
    assert response.headers["Location"] == "/import"
    assert client.get("/import").status_code == 200
    assert client.get("/ops", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 403


@pytest.mark.parametrize("who", ["leader1", "town1"])
def test_leaders_and_township_users_cannot_import(env, who) -> None:
    client = client_for(env, who)
    assert client.get("/import").status_code == 403
    response = client.post("/import/upload", data={"files": [(io.BytesIO(b"a"), "a.csv")]})
    assert response.status_code == 403
    assert not (env["settings"].staging_dir / "uploads").exists()


def test_anonymous_upload_is_401(env) -> None:
    client = client_for(env, None)
    response = client.post("/import/upload", data={"files": [(io.BytesIO(b"a"), "a.csv")]})
    assert response.status_code == 401
    assert client.get("/import/20260101T000000-abcdef12/status").status_code == 401


def test_upload_without_the_csrf_token_is_refused(env) -> None:
    client = client_for(env, "clerk1")
    response = upload(client, {"05_建议.csv": SUGGESTIONS}, token="forged")
    assert response.status_code == 400
    assert not (env["settings"].staging_dir / "uploads").exists()


def test_upload_checks_and_the_page_shows_counts_rejects_and_kpis(env) -> None:
    client = client_for(env, "clerk1")
    upload_id = upload_id_of(upload(client, {"05_建议.csv": SUGGESTIONS}))
    html = client.get(f"/import/{upload_id}").get_data(as_text=True)
    assert 'data-count="rows_new">2<' in html and 'data-count="rows_rejected">2<' in html
    assert "已检查，待确认" in html and 'id="intake-confirm"' in html
    assert re.search(r'data-kpi="suggestions_collected".*?<td>0</td><td class="kpi-after">2</td>', html, re.S)
    assert "下载拒收行" in html
    sha = intake.load_upload(env["settings"], upload_id).files[0].sha256
    download = client.get(f"/import/{upload_id}/rejects/{sha}.xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    events = [r["event"] for r in AuthStore.for_data_dir(env["settings"].data_dir).audit_rows()]
    assert {"intake.upload", "intake.check", "intake.rejects_download"} <= set(events)


def test_bad_files_are_explained_and_the_good_one_still_checked(env) -> None:
    client = client_for(env, "clerk1")
    response = upload(
        client,
        {
            "05_建议.csv": SUGGESTIONS,
            "again.csv": SUGGESTIONS,
            "notes.docx": b"PK\x03\x04 a word file",
            "big.csv": "a,b\n" + "1,2\n" * 2000,
            "evil.zip": _zip({"../x.csv": b"a\n"}),
        },
    )
    html = client.get(f"/import/{upload_id_of(response)}").get_data(as_text=True)
    assert "不是可导入的表格文件" in html and "超过大小上限" in html and "不安全的路径" in html
    assert "内容完全相同" in html
    assert 'data-count="rows_new">2<' in html


def test_request_over_the_limit_is_413_with_a_clear_message(env) -> None:
    client = client_for(env, "clerk1")
    response = upload(client, {"huge.csv": b"x" * (4000 * 10 + 2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "超过大小上限" in response.get_data(as_text=True)


def test_confirm_runs_outside_the_request_and_history_shows_the_outcome(env) -> None:
    client = client_for(env, "clerk1")
    upload_id = upload_id_of(upload(client, {"05_建议.csv": SUGGESTIONS}))
    # The server restarts between check and confirm: a new app on the same data directory.
    restarted = create_app(env["settings"])
    restarted.server.config["TESTING"] = True
    client = restarted.server.test_client()
    assert login(client, "", "clerk1", PASSWORD).status_code == 302
    response = client.post(f"/import/{upload_id}/confirm", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    # The browser goes away; the run goes on in its own process.
    deadline = time.monotonic() + 120
    while (state := client.get(f"/import/{upload_id}/status").get_json())["state"] in intake.ACTIVE_STATES:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert state["state"] == "succeeded" and state["snapshot_version"]
    # The run process recorded its progress to the end: every file of the inbox, the rows it read.
    assert state["progress"]["stage"] == "finished" and state["progress"]["percent"] == 100
    assert state["progress"]["detail"].startswith("文件 ") and "已读取 4 行" in state["progress"]["detail"]
    page = client.get("/import").get_data(as_text=True)
    assert upload_id in page and state["run_id"] in page and "导入完成" in page
    events = [r["event"] for r in AuthStore.for_data_dir(env["settings"].data_dir).audit_rows()]
    assert "intake.confirm" in events


def test_confirm_of_an_unknown_upload_tells_to_upload_again(env) -> None:
    client = client_for(env, "clerk1")
    response = client.post(
        "/import/20260101T000000-abcdef12/confirm",
        data={"csrf_token": csrf(client)},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 404 and "请重新上传" in response.get_data(as_text=True)


def test_cancel_discards_and_confirm_after_cancel_is_refused(env) -> None:
    client = client_for(env, "clerk1")
    upload_id = upload_id_of(upload(client, {"05_建议.csv": SUGGESTIONS}))
    token = csrf(client)
    assert client.post(f"/import/{upload_id}/cancel", data={"csrf_token": token}).status_code == 303
    assert not intake.files_dir(env["settings"], upload_id).exists()
    assert client.post(f"/import/{upload_id}/confirm", data={"csrf_token": token}).status_code == 409


def test_clerk_callbacks_reach_ops_only(env) -> None:
    from tests.integration.test_security import _body

    client = client_for(env, "clerk1")
    deps = [d for d in client.get("/_dash-dependencies").get_json() if not d.get("clientside_function")]
    statuses = {}
    for dep in deps:
        first = dep["output"].strip(".").split("...")[0].split(".")[0]
        if first.startswith("_pages_"):
            continue
        kind = "ops" if first.startswith("ops-") else "wall" if first.startswith("wall-") else "lead"
        code = client.post("/_dash-update-component", json=_body(dep)).status_code
        statuses.setdefault(kind, set()).add(code)
    assert statuses["lead"] == {403} and statuses["wall"] == {403}
    assert 403 not in statuses["ops"]
    router = next(d for d in deps if "_pages_content" in d["output"])
    assert client.post("/_dash-update-component", json=_body(router, "/")).status_code == 403
    assert client.post("/_dash-update-component", json=_body(router, "/ops")).status_code == 200


def test_auth_store_made_before_the_clerk_role_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    from dashboard import auth_store

    path = tmp_path / "auth.sqlite"
    old_schema = auth_store.SCHEMA.replace(
        "'admin', 'clerk', 'leader', 'township'", "'admin', 'leader', 'township'"
    )
    with sqlite3.connect(path) as con:
        con.executescript(old_schema)
        con.execute(
            "insert into users (name, role, password_hash, created_at, updated_at) values ('a', 'admin', 'x', '1', '1')"
        )
    store = AuthStore(path)
    store.add_user("clerk1", "clerk", PASSWORD)
    assert sorted((u.name, u.role) for u in store.list_users()) == [("a", "admin"), ("clerk1", "clerk")]


def test_templates_are_offered_to_the_clerk_only(env) -> None:
    clerk = client_for(env, "clerk1")
    assert "/import/template/suggestions.xlsx" in clerk.get("/import").get_data(as_text=True)
    response = clerk.get("/import/template/suggestions.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "attachment" in response.headers["Content-Disposition"]
    assert clerk.get("/import/template/nothing.xlsx").status_code == 404
    assert client_for(env, "leader1").get("/import/template/suggestions.xlsx").status_code == 403


def test_admin_accepts_a_proposed_mapping_and_the_check_reruns(tmp_path: Path) -> None:
    import json

    from tests.integration.test_intake import RENAMED

    (tmp_path / "mapping.toml").write_text("# the installation's own header names\n", encoding="utf-8")
    settings = make_settings(tmp_path, mapping_file=tmp_path / "mapping.toml")
    create_user(settings.data_dir, "clerk1", "clerk", PASSWORD)
    create_user(settings.data_dir, "admin1", "admin", PASSWORD)
    app = create_app(settings)
    app.server.config["TESTING"] = True
    env = {"app": app, "settings": settings}
    clerk = client_for(env, "clerk1")
    upload_id = upload_id_of(upload(clerk, {"05_建议.csv": RENAMED}))
    page = clerk.get(f"/import/{upload_id}").get_data(as_text=True)
    assert "建议标题 → 标题" in page and 'name="map"' not in page  # a clerk sees, an admin decides
    choice = json.dumps(["建议标题", "suggestions", "title"], ensure_ascii=False)
    refused = clerk.post(f"/import/{upload_id}/mapping", data={"csrf_token": csrf(clerk), "map": choice})
    assert refused.status_code == 403
    assert "建议标题" not in (tmp_path / "mapping.toml").read_text(encoding="utf-8")
    admin = client_for(env, "admin1")
    assert 'name="map"' in admin.get(f"/import/{upload_id}").get_data(as_text=True)
    response = admin.post(f"/import/{upload_id}/mapping", data={"csrf_token": csrf(admin), "map": choice})
    assert response.status_code == 303
    assert intake.load_upload(settings, upload_id).check["files"][0]["rows_new"] == 2
    events = [r["event"] for r in AuthStore.for_data_dir(settings.data_dir).audit_rows()]
    assert "intake.mapping_accept" in events
