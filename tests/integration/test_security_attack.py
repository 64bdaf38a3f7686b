"""Security, attacked over HTTP: a real ``cockpit serve`` on the built demo data, hit with ``requests``.

Callbacks are enumerated from ``/_dash-dependencies`` and called the way a hostile client would: with
no session, with a wall device's session, with a township user's session and forged inputs, with SQL
metacharacters in every filter; every response and download is searched for personal data (the raw
store's phone numbers and case-party names).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pytest
import requests
from dash._utils import split_callback_id

from dashboard.auth_store import USER_FAILURE_THRESHOLD, AuthStore, audit_rows
from tests.support.live import LiveServer, run_cockpit
from tests.support.security_helpers import create_kiosk_token, create_user, login
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

PASSWORD = "attack-test-password"
TOWNSHIP_A = "150205002000"  # 大发街道
TOWNSHIP_B = "150205001000"  # 石拐街道
SQL_PAYLOADS = (
    "' OR 1=1 --",
    '"; drop table fct_activity; --',
    "%",
    "\\",
    "150205002000' OR '1'='1",
    "%' --",
)
FILTER_KEYS = ("from", "to", "township", "home_level", "deputy_level", "lang")
ERROR_MARKERS = ("Traceback", "Binder Error", "Parser Error", "duckdb", "Catalog Error")


@dataclass
class Env:
    url: str
    data_dir: Path
    token: str
    personal: list[str]

    def session(self, who: str | None = None) -> requests.Session:
        http = requests.Session()
        if who == "kiosk":
            assert http.get(f"{self.url}/wall?token={self.token}", allow_redirects=False).status_code == 302
        elif who:
            assert login(http, self.url, who, PASSWORD).status_code == 302
        return http


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("attack")
    run_cockpit(data_dir, "demo", "--no-serve")
    create_user(data_dir, "atk-admin", "admin", PASSWORD)
    create_user(data_dir, "atk-leader", "leader", PASSWORD)
    create_user(data_dir, "atk-town", "township", PASSWORD, TOWNSHIP_A)
    token = create_kiosk_token(data_dir, "atk-wall")
    con = duckdb.connect(str(data_dir / "raw.duckdb"), read_only=True)
    personal = [
        row[0]
        for sql in (
            "select distinct phone from deputies where phone is not null",
            "select distinct party_name from cases where party_name is not null",
            "select distinct party_phone from cases where party_phone is not null",
        )
        for row in con.execute(sql).fetchall()
        if row[0] and len(str(row[0])) >= 4
    ]
    con.close()
    assert len(personal) > 100, "the demo raw store should hold personal data to look for"
    plant_hostile_names(data_dir / "published.duckdb")
    server = LiveServer(data_dir).start()
    yield Env(server.url, data_dir, token, personal)
    server.stop()


# Names an attacker upstream could put in the exports: live formulas and Plotly markup (issue 17).
HOSTILE_TOWNSHIP = "150205101000"  # 五当召镇: not used by the scope tests above
HOSTILE_DEPUTIES = (
    '=HYPERLINK("https://evil.example/x","点我")',
    "=cmd|' /C calc'!A0",
    '<a href="https://evil.example/">代表</a>',
)
HOSTILE_HOME = '+<b>家</b><a href="https://evil.example/">链接</a>'
HOSTILE_TOWNSHIP_NAME = '<a href="https://evil.example/">五当召镇</a>'


def plant_hostile_names(published: Path) -> None:
    """Give a few deputies, a home and a township of HOSTILE_TOWNSHIP hostile names in the snapshot."""
    con = duckdb.connect(str(published))
    try:
        ids = [
            row[0]
            for row in con.execute(
                "select deputy_id from dim_deputy where is_active and township_code = ? order by deputy_id limit 3",
                [HOSTILE_TOWNSHIP],
            ).fetchall()
        ]
        for deputy_id, name in zip(ids, HOSTILE_DEPUTIES, strict=True):
            con.execute("update dim_deputy set deputy_name = ? where deputy_id = ?", [name, deputy_id])
        con.execute(
            "update dim_home set home_name = ? where home_id = (select min(home_id) from dim_home"
            " where township_code = ? and is_home)",
            [HOSTILE_HOME, HOSTILE_TOWNSHIP],
        )
        con.execute(
            "update dim_township set township_name = ? where township_code = ?",
            [HOSTILE_TOWNSHIP_NAME, HOSTILE_TOWNSHIP],
        )
        # Edited after the publish: the preset periods' stored panel results still hold the old names.
        con.execute("drop table preset_panels")
    finally:
        con.close()


# ---------------------------------------------------------------- building callback bodies


def _parse_id(raw):
    return json.loads(raw) if isinstance(raw, str) and raw.startswith("{") else raw


def _matches(pattern: dict, concrete) -> bool:
    if not isinstance(concrete, dict) or set(concrete) != set(pattern):
        return False
    return all(isinstance(v, list) or concrete[k] == v for k, v in pattern.items())


def _walk_ids(node, found: list) -> None:
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "id" in props:
            found.append(props["id"])
        for value in node.values():
            _walk_ids(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_ids(value, found)


def _expand(spec: dict, ids: list, value=None):
    """One ``{id, property, value}`` or, for a wildcard id, the list of its matches in the layout."""
    component_id = _parse_id(spec["id"])
    if isinstance(component_id, dict):
        return [
            {"id": c, "property": spec["property"], "value": value} for c in ids if _matches(component_id, c)
        ]
    return {"id": component_id, "property": spec["property"], "value": value}


def callback_body(dep: dict, ids: list, values: dict | None = None) -> dict:
    """A body for ``dep`` with input/state values from ``values`` (keyed ``"id.prop"``), else None."""
    values = values or {}
    outputs = split_callback_id(dep["output"])
    multi = isinstance(outputs, list)
    outputs = outputs if multi else [outputs]
    out_specs = [_expand(o, ids) for o in outputs]

    def fill(spec):
        item = _expand(spec, ids)
        key = f"{spec['id']}.{spec['property']}"
        if isinstance(item, list):
            return [{**i, "value": values.get(key)} for i in item]
        return {**item, "value": values.get(key)}

    return {
        "output": dep["output"],
        "outputs": out_specs if multi else out_specs[0],
        "inputs": [fill(i) for i in dep["inputs"]],
        "state": [fill(s) for s in dep["state"]],
        "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]
        if dep["inputs"]
        else [],
    }


def server_callbacks(env: Env) -> list[dict]:
    deps = env.session("atk-admin").get(f"{env.url}/_dash-dependencies").json()
    return [d for d in deps if not d.get("clientside_function")]


def router(deps: list[dict]) -> dict:
    return next(d for d in deps if "_pages_content" in d["output"])


def page_layout(http: requests.Session, env: Env, deps: list[dict], pathname: str, search: str = "") -> tuple:
    """(status, layout JSON, component ids) of ``pathname`` rendered by Dash's pages router."""
    body = callback_body(
        router(deps), [], {"_pages_location.pathname": pathname, "_pages_location.search": search}
    )
    response = http.post(f"{env.url}/_dash-update-component", json=body)
    if response.status_code != 200:
        return response.status_code, None, []
    layout = response.json()["response"]["_pages_content"]["children"]
    ids: list = []
    _walk_ids(layout, ids)
    return 200, layout, ids


def is_wall(dep: dict) -> bool:
    outputs = split_callback_id(dep["output"])
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return all(str(_parse_id(o["id"])).startswith("wall-") for o in outputs)


def leadership_render(deps: list[dict]) -> dict:
    """The leadership view's main callback: input the URL search, outputs the KPI row and panels."""
    return next(d for d in deps if "lead-kpis.children" in d["output"])


def render(http, env: Env, deps, ids, search: str) -> requests.Response:
    body = callback_body(leadership_render(deps), ids, {"lead-location.search": search})
    return http.post(f"{env.url}/_dash-update-component", json=body)


def data_of(response: requests.Response) -> dict:
    """The figures of a render: KPI row and every grid's rows (not the texts describing the filters, nor
    the drill-down links, which carry the URL's own query string)."""
    payload = response.json()["response"]
    rows = {
        k: [{c: v for c, v in row.items() if not c.endswith("_link")} for row in v["rowData"] or []]
        for k, v in payload.items()
        if "rowData" in v
    }
    return {"kpis": payload["lead-kpis"]["children"], "rows": rows}


def download_names() -> list[str]:
    from dashboard.downloads import PANELS_BY_KEY, REPORT

    return (
        [f"{key}.csv" for key in PANELS_BY_KEY] + [f"{key}.xlsx" for key in PANELS_BY_KEY] + [f"{REPORT}.zip"]
    )


def text_of(content: bytes) -> str:
    """Searchable text of a response: zip archives (xlsx, report) unpacked, member by member."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(text_of(archive.read(name)) for name in archive.namelist())
    return content.decode("utf-8", errors="replace")


def assert_no_personal_data(env: Env, text: str, where: str) -> None:
    leaked = [value for value in env.personal if value in text]
    assert not leaked, f"personal data in {where}: {leaked[:3]}"


# ---------------------------------------------------------------- the attacks


def test_anonymous_and_kiosk_get_no_leadership_callback_or_download(env):
    deps = server_callbacks(env)
    anonymous, kiosk = env.session(), env.session("kiosk")
    assert any(is_wall(d) for d in deps) and any(not is_wall(d) for d in deps)
    for dep in deps:
        body = callback_body(dep, [], {"_pages_location.pathname": "/"})
        response = anonymous.post(f"{env.url}/_dash-update-component", json=body)
        assert response.status_code == 401, dep["output"]
        assert response.json() == {"error": "login_required"}
        if not is_wall(dep):
            response = kiosk.post(f"{env.url}/_dash-update-component", json=body)
            assert response.status_code == 403, dep["output"]
    for pathname in ("/", "/ops", "/metrics", "/deputy", "/township"):
        assert page_layout(kiosk, env, deps, pathname)[0] == 403, pathname
    status, layout, _ = page_layout(kiosk, env, deps, "/wall")
    assert status == 200 and layout
    for name in download_names():
        assert anonymous.get(f"{env.url}/download/{name}").status_code == 401, name
        assert kiosk.get(f"{env.url}/download/{name}").status_code == 403, name


def test_township_user_forging_inputs_gets_only_their_township(env):
    deps = server_callbacks(env)
    admin, town = env.session("atk-admin"), env.session("atk-town")
    _, _, ids = page_layout(admin, env, deps, "/")
    assert page_layout(town, env, deps, "/", f"?township={TOWNSHIP_B}")[0] == 200
    own = data_of(render(admin, env, deps, ids, f"?township={TOWNSHIP_A}"))
    other = data_of(render(admin, env, deps, ids, f"?township={TOWNSHIP_B}"))
    assert own != other, "the two townships must differ for this test to mean anything"
    for search in (
        f"?township={TOWNSHIP_B}",
        f"?township={TOWNSHIP_A},{TOWNSHIP_B}",
        "",
        f"?township={TOWNSHIP_B}&township={TOWNSHIP_A}",
    ):
        response = render(town, env, deps, ids, search)
        assert response.status_code == 200, search
        assert data_of(response) == own, search
    # The filter dropdown's value forged in the sync callback: the render that follows is still scoped.
    sync = next(
        d for d in deps if "lead-location.search" in d["output"] and "lead-township.value" in d["output"]
    )
    body = callback_body(sync, ids, {"lead-township.value": [TOWNSHIP_B], "lead-location.search": ""})
    body["changedPropIds"] = ["lead-township.value"]
    forged = town.post(f"{env.url}/_dash-update-component", json=body)
    assert forged.status_code in (200, 204)
    if forged.status_code == 200:
        search = forged.json()["response"].get("lead-location", {}).get("search", "")
        assert data_of(render(town, env, deps, ids, search)) == own
    for panel in ("kpis", "activities"):
        if f"{panel}.csv" not in download_names():
            continue
        mine = admin.get(f"{env.url}/download/{panel}.csv", params={"township": TOWNSHIP_A}).content
        forged_download = town.get(f"{env.url}/download/{panel}.csv", params={"township": TOWNSHIP_B}).content
        assert forged_download == mine, panel


def test_township_user_cannot_drill_into_another_township(env):
    deps = server_callbacks(env)
    town = env.session("atk-town")
    con = duckdb.connect(str(env.data_dir / "raw.duckdb"), read_only=True)
    try:
        pick = "select {id}, {name} from {table} where township_code = ? order by {id} limit 1"
        deputies = {
            code: con.execute(pick.format(id="deputy_id", name="name", table="deputies"), [code]).fetchone()
            for code in (TOWNSHIP_A, TOWNSHIP_B)
        }
        homes = {
            code: con.execute(pick.format(id="home_id", name="home_name", table="homes"), [code]).fetchone()
            for code in (TOWNSHIP_A, TOWNSHIP_B)
        }
        names = dict(con.execute("select township_code, township_name from townships").fetchall())
    finally:
        con.close()
    for code, visible in ((TOWNSHIP_A, True), (TOWNSHIP_B, False)):
        for pathname, search, needle in (
            ("/deputy", f"?id={deputies[code][0]}", deputies[code][1]),
            ("/home", f"?id={homes[code][0]}", homes[code][1]),
            ("/township", f"?code={code}", names[code]),
        ):
            status, layout, _ = page_layout(town, env, deps, pathname, search)
            assert status == 200, pathname
            shown = needle in json.dumps(layout, ensure_ascii=False)
            assert shown == visible, (pathname, search, needle)


def test_sql_metacharacters_cause_no_error_and_no_leak(env):
    deps = server_callbacks(env)
    admin, town, kiosk = env.session("atk-admin"), env.session("atk-town"), env.session("kiosk")
    _, _, ids = page_layout(admin, env, deps, "/")
    baseline = data_of(render(town, env, deps, ids, ""))
    panel = download_names()[0]
    for payload in SQL_PAYLOADS:
        for key in FILTER_KEYS:
            search = "?" + urlencode({key: payload})
            response = render(town, env, deps, ids, search)
            assert response.status_code == 200, search
            assert not any(m in response.text for m in ERROR_MARKERS), search
            assert data_of(response) == baseline, search
            download = town.get(f"{env.url}/download/{panel}", params={key: payload})
            assert download.status_code == 200, (panel, key, payload)
        every = "?" + urlencode({key: payload for key in FILTER_KEYS})
        response = render(admin, env, deps, ids, every)
        assert response.status_code == 200 and not any(m in response.text for m in ERROR_MARKERS), every
        for pathname in ("/", "/township", "/deputy", "/home"):
            assert (
                page_layout(
                    town, env, deps, pathname, every + "&" + urlencode({"id": payload, "code": payload})
                )[0]
                == 200
            )
        assert page_layout(admin, env, deps, f"/{payload}")[0] == 200
        response = admin.post(f"{env.url}/login", data={"username": payload, "password": payload})
        assert response.status_code in (400, 401)
    _, _, wall_ids = page_layout(kiosk, env, deps, "/wall")
    for dep in (d for d in deps if is_wall(d)):
        for payload in SQL_PAYLOADS:
            values = {
                f"{spec['id']}.{spec['property']}": {"start": payload, "end": payload, "lang": payload}
                if spec["property"] == "data"
                else payload
                for spec in dep["inputs"] + dep["state"]
            }
            response = kiosk.post(
                f"{env.url}/_dash-update-component", json=callback_body(dep, wall_ids, values)
            )
            assert response.status_code != 500, (dep["output"], payload)
            assert not any(m in response.text for m in ERROR_MARKERS)


def test_no_personal_data_in_snapshot_callbacks_or_downloads(env):
    con = duckdb.connect(str(env.data_dir / "published.duckdb"), read_only=True)
    try:
        for schema, table, column, kind in con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
        ).fetchall():
            assert column not in ("phone", "party_name", "party_phone"), f"{table}.{column}"
            if kind == "VARCHAR":
                values = {
                    r[0]
                    for r in con.execute(f'select distinct "{column}" from "{schema}"."{table}"').fetchall()
                }
                leaked = [v for v in env.personal if v in values]
                assert not leaked, f"{table}.{column}: {leaked[:3]}"
    finally:
        con.close()
    deps = server_callbacks(env)
    admin = env.session("atk-admin")
    pages = {}
    for pathname in ("/", "/wall", "/ops", "/metrics"):
        status, layout, ids = page_layout(admin, env, deps, pathname)
        assert status == 200, pathname
        assert_no_personal_data(env, json.dumps(layout, ensure_ascii=False), f"layout {pathname}")
        pages[pathname] = ids
    all_ids = [i for ids in pages.values() for i in ids]
    for dep in deps:
        response = admin.post(f"{env.url}/_dash-update-component", json=callback_body(dep, all_ids))
        assert response.status_code != 500 or "Traceback" not in response.text
        assert_no_personal_data(env, response.text, dep["output"])
    response = render(admin, env, deps, pages["/"], "?from=2022-01-01&to=2024-12-31")
    assert response.status_code == 200
    assert_no_personal_data(env, response.text, "leadership render, 2022-2024")
    for name in download_names():
        response = admin.get(f"{env.url}/download/{name}", params={"from": "2022-01-01", "to": "2024-12-31"})
        assert response.status_code == 200, name
        assert_no_personal_data(env, text_of(response.content), f"download {name}")


def test_repeated_bad_logins_are_locked(env):
    http = requests.Session()
    statuses = [
        login(http, env.url, "atk-leader", "not the password").status_code
        for _ in range(USER_FAILURE_THRESHOLD + 1)
    ]
    assert statuses[:USER_FAILURE_THRESHOLD] == [401] * USER_FAILURE_THRESHOLD
    locked = login(http, env.url, "atk-leader", PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    run_cockpit(env.data_dir, "users", "unlock", "atk-leader")
    assert login(http, env.url, "atk-leader", PASSWORD).status_code == 302


def test_every_security_event_is_audited(env):
    settings = Settings(data_dir=env.data_dir)
    before = audit_rows(settings, limit=1)[0]["audit_id"] if audit_rows(settings, limit=1) else 0
    http = requests.Session()
    assert login(http, env.url, "atk-admin", "wrong password here").status_code == 401
    assert login(http, env.url, "atk-admin", PASSWORD).status_code == 302
    name = download_names()[0]
    assert http.get(f"{env.url}/download/{name}", params={"township": TOWNSHIP_A}).status_code == 200
    page = http.get(f"{env.url}/logout", headers={"Accept": "text/html"}).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert http.post(f"{env.url}/logout", data={"csrf_token": csrf}, allow_redirects=False).status_code == 302
    out = run_cockpit(env.data_dir, "kiosk", "token", "create", "atk-audit")
    token = out.strip().splitlines()[-1].split("token=", 1)[1]
    assert requests.get(f"{env.url}/wall?token={token}", allow_redirects=False).status_code == 302
    run_cockpit(env.data_dir, "kiosk", "token", "revoke", "atk-audit")
    rows = [r for r in audit_rows(settings, limit=500) if r["audit_id"] > before]
    events = {(r["event"], r["actor"]) for r in rows}
    for expected in (
        ("login.failure", "atk-admin"),
        ("login.success", "atk-admin"),
        ("download", "atk-admin"),
        ("logout", "atk-admin"),
        ("kiosk.token_use", "atk-audit"),
    ):
        assert expected in events, expected
    kinds = {r["event"] for r in rows}
    assert {"kiosk.token_create", "kiosk.token_revoke"} <= kinds
    download = next(r for r in rows if r["event"] == "download")
    assert download["detail"]["path"] == f"/download/{name}" and download["detail"]["args"] == {
        "township": [TOWNSHIP_A]
    }
    assert all(token not in json.dumps(r) and PASSWORD not in json.dumps(r) for r in rows)
    assert AuthStore.for_data_dir(env.data_dir).token_name(token) is None
    cli = run_cockpit(env.data_dir, "audit", "--json", "--limit", "50")
    assert '"event": "kiosk.token_revoke"' in cli


# ---------------------------------------------------------------- issue 17: security, round two


def published(env: Env, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(env.data_dir / "published.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def csv_rows(content: bytes) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_drill_downs_and_downloads_never_show_deputies_of_other_townships(env):
    from dashboard.components.lead_figures import label

    create_user(env.data_dir, "atk-town-b", "township", PASSWORD, TOWNSHIP_B)
    deps = server_callbacks(env)
    town, admin = env.session("atk-town-b"), env.session("atk-admin")
    stationed = published(
        env,
        "select d.home_id, d.deputy_id, d.township_code = h.township_code from dim_deputy d"
        " join dim_home h using (home_id) where d.is_active and h.township_code = ?",
        [TOWNSHIP_B],
    )
    foreign = {deputy for _, deputy, own in stationed if not own}
    hosting = sorted({home for home, _, own in stationed if not own})
    assert foreign and hosting, "the demo should have homes hosting deputies of other townships"
    for home in hosting:
        status, layout, _ = page_layout(town, env, deps, "/home", f"?id={home}")
        text = json.dumps(layout, ensure_ascii=False)
        assert status == 200 and not [d for d in foreign if d in text], home
        _, admin_layout, _ = page_layout(admin, env, deps, "/home", f"?id={home}")
        assert any(d in json.dumps(admin_layout) for d in foreign)  # there was something to hide
    own_counts = {}
    for home, _, own in stationed:
        own_counts[home] = own_counts.get(home, 0) + int(own)
    rows = csv_rows(town.get(f"{env.url}/download/map.csv").content)
    header = next(r for r in rows if label("home_id", "zh-CN") in r)
    id_col, count_col = header.index(label("home_id", "zh-CN")), header.index(label("deputies", "zh-CN"))
    counts = {r[id_col]: int(r[count_col]) for r in rows[rows.index(header) + 1 :] if r}
    for home in hosting:
        assert counts[home] == own_counts.get(home, 0), home
    for name in download_names():
        if name.endswith(".zip"):
            continue  # the report pack holds the same rows as the XLSX downloads, checked here
        text = text_of(town.get(f"{env.url}/download/{name}").content)
        assert not [d for d in foreign if d in text], name
    for deputy in sorted(foreign)[:3]:
        _, layout, _ = page_layout(town, env, deps, "/deputy", f"?id={deputy}")
        assert deputy not in json.dumps(layout), deputy


def test_labels_come_from_the_scoped_filters(env):
    deps = server_callbacks(env)
    town = env.session("atk-town")
    names = dict(published(env, "select township_code, township_name from dim_township"))
    status, layout, ids = page_layout(town, env, deps, "/", f"?township={TOWNSHIP_B}")
    assert status == 200
    response = render(town, env, deps, ids, f"?township={TOWNSHIP_B}")
    payload = json.dumps(response.json()["response"], ensure_ascii=False)
    assert names[TOWNSHIP_A] in payload and names[TOWNSHIP_B] not in payload
    dropdown = json.dumps(layout, ensure_ascii=False)
    assert f'"value": ["{TOWNSHIP_A}"]' in dropdown and f'"value": ["{TOWNSHIP_B}"]' not in dropdown
    head = csv_rows(town.get(f"{env.url}/download/townships.csv", params={"township": TOWNSHIP_B}).content)
    assert names[TOWNSHIP_A] in head[2][0] and names[TOWNSHIP_B] not in head[2][0]


def test_downloads_and_exports_neutralise_formulas_and_markup(env):
    from openpyxl import load_workbook

    admin = env.session("atk-admin")
    params = {"township": HOSTILE_TOWNSHIP}
    for name in ("ranking.csv", "map.csv", "townships.csv"):
        cells = [
            c for row in csv_rows(admin.get(f"{env.url}/download/{name}", params=params).content) for c in row
        ]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], name
    ranking = admin.get(f"{env.url}/download/ranking.xlsx", params=params).content
    pack = admin.get(f"{env.url}/download/report.zip", params=params).content
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        books = [archive.read(n) for n in archive.namelist() if n.endswith(".xlsx")]
    for content in [ranking, *books]:
        workbook = load_workbook(io.BytesIO(content))
        cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert HOSTILE_DEPUTIES[0] in [c.value for c in cells]  # kept, as text
        assert all(
            isinstance(c.value, int | float) for c in cells if c.data_type == "n" and c.value is not None
        )
    svg = admin.get(f"{env.url}/download/townships.svg").content.decode("utf-8")
    assert "evil.example" in svg and "<a " not in svg and 'xlink:href="https://evil' not in svg


def test_the_wall_shows_data_markup_as_text_and_carries_only_the_top_20(env):
    deps = server_callbacks(env)
    status, layout, _ = page_layout(env.session("kiosk"), env, deps, "/wall")
    assert status == 200

    def walk(node):
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    figures = [n for n in walk(layout) if "data" in n and "layout" in n and isinstance(n["data"], list)]
    assert figures
    figure_text = json.dumps(figures, ensure_ascii=False)
    assert "<a href" not in figure_text and "<b>" not in figure_text
    rests = [n["data-wall-rows"] for n in walk(layout) if "data-wall-rows" in n]
    top_rows = sum(1 for n in walk(layout) if n.get("className") == "wall-rank-name")
    shown = top_rows + sum(len(json.loads(r)) for r in rests)
    assert 0 < shown <= 20, shown


def test_anonymous_download_requests_are_not_audited(env):
    before = len(audit_rows(Settings(data_dir=env.data_dir), limit=100000))
    anonymous = env.session()
    for _ in range(5):
        anonymous.get(f"{env.url}/download/anything?{'x' * 3500}", headers={"Accept": "text/html"})
        anonymous.get(f"{env.url}/download/ranking.csv?q={'x' * 3500}")
    rows = audit_rows(Settings(data_dir=env.data_dir), limit=100000)
    assert len(rows) == before


def test_a_foreign_page_firing_bad_wall_tokens_locks_nobody_out(env):
    image = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors"}
    for _ in range(25):
        response = requests.get(f"{env.url}/wall?token=bad", headers=image, allow_redirects=False, timeout=30)
        assert response.status_code == 403
    assert (
        requests.get(f"{env.url}/wall?token={env.token}", allow_redirects=False, timeout=30).status_code
        == 302
    )
    assert login(requests.Session(), env.url, "atk-leader", PASSWORD).status_code == 302


def test_hostile_requests_answer_4xx_without_a_traceback(env):
    deps = server_callbacks(env)
    leader, admin = env.session("atk-leader"), env.session("atk-admin")
    logs = {p: p.stat().st_size for p in env.data_dir.glob("serve-*.log")}
    assert logs
    _, _, ids = page_layout(leader, env, deps, "/")
    year1 = "?from=0001-01-01&to=0001-12-31"
    responses = {
        "render year 1": render(leader, env, deps, ids, year1),
        "download year 1": leader.get(f"{env.url}/download/ranking.csv{year1}"),
        "wall year 1": page_layout(admin, env, deps, "/wall", year1),
        "router without /": leader.post(
            f"{env.url}/_dash-update-component",
            json=callback_body(router(deps), [], {"_pages_location.pathname": "wall"}),
        ),
        "deep json": leader.post(
            f"{env.url}/_dash-update-component",
            data="[" * 100_000 + "]" * 100_000,
            headers={"Content-Type": "application/json"},
        ),
        "unknown suite": requests.get(f"{env.url}/_dash-component-suites/nope/x.js", timeout=30),
    }
    for what, response in responses.items():
        status = response[0] if isinstance(response, tuple) else response.status_code
        assert status < 500, (what, status)
    assert responses["router without /"].status_code == 400
    assert responses["deep json"].status_code == 400
    assert responses["unknown suite"].status_code == 404
    assert "dash" not in responses["unknown suite"].text.lower()
    for path, size in logs.items():
        with path.open("rb") as fh:
            fh.seek(size)
            assert b"Traceback" not in fh.read(), path


def test_anonymous_asset_routes_reveal_no_versions(env):
    for path in (
        "/assets/login.css",
        "/vendor/bootstrap.min.css",
        "/login",
        "/_dash-component-suites/x/y.js",
    ):
        response = requests.get(f"{env.url}{path}", timeout=30)
        server = response.headers.get("Server", "")
        assert "Python" not in server and "Werkzeug" not in server, (path, server)
        assert not re.search(r"(Werkzeug|Python|Dash|plotly)[/ ]\d", response.text[:5000]), path


def test_a_300k_code_township_list_is_cheap_and_healthz_stays_up(env):
    import time

    deps = server_callbacks(env)
    leader = env.session("atk-leader")
    _, _, ids = page_layout(leader, env, deps, "/")
    codes = ",".join(str(150205000000 + i) for i in range(300_000))
    began = time.perf_counter()
    response = render(leader, env, deps, ids, f"?township={codes}")
    assert response.status_code == 200
    assert time.perf_counter() - began < 10
    assert requests.get(f"{env.url}/healthz", timeout=10).status_code in (200, 503)
