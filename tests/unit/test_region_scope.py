"""Region-scoped accounts: the scope is checked against the region table and the root, stored on the
account, survives the upgrade of an older auth store, and ``cockpit users add --region`` refuses a
region outside the deployment in Chinese and English."""

from __future__ import annotations

import io
import sqlite3
from contextlib import redirect_stderr, redirect_stdout

import pytest

from dashboard.auth_store import AuthError, AuthStore, hash_password
from warehouse.errors import UserError
from warehouse.regions import account_township, region_table, scope_region
from warehouse.settings import Settings

PASSWORD = "correct horse battery"
# The users table as stores made before the clerk role and before region scopes had it.
OLD_USERS = """
create table users (
    name text primary key,
    role text not null check (role in ('admin', 'leader', 'township')),
    township_code text,
    password_hash text not null,
    is_disabled integer not null default 0,
    created_at text not null,
    updated_at text not null,
    check (role <> 'township' or township_code is not null)
)
"""


@pytest.fixture(scope="module")
def table():
    return region_table(Settings().region_table)


@pytest.mark.parametrize(
    ("code", "root", "level", "name"),
    [
        ("1502", "15", "city", "包头市"),
        ("150202", "1502", "county", "东河区"),
        ("15", "15", "province", None),
    ],
)
def test_scope_region_accepts_units_under_the_root(table, code, root, level, name):
    region = scope_region(code, table, root)
    assert (region.prefix, region.level) == (code, level)
    if name:
        assert region.name == name


@pytest.mark.parametrize("code", ["150202001", "150202001000", "150200", "15020", "abc"])
def test_scope_region_refuses_what_is_not_a_province_city_or_county(table, code):
    with pytest.raises(UserError) as caught:
        scope_region(code, table, "15")
    assert "province (2 digits)" in str(caught.value) or "expected 2, 4, 6, 9 or 12 digits" in str(
        caught.value
    )


def test_scope_region_refuses_a_region_outside_the_root_in_both_languages(table):
    with pytest.raises(UserError) as caught:
        scope_region("150102", table, "1502")  # 呼和浩特's 新城区 in a 包头 cockpit
    zh, en = str(caught.value).split(" / ", 1)
    assert "不在本驾驶舱的范围" in zh and "1502" in zh
    assert "outside this cockpit's root" in en and "150102" in en
    with pytest.raises(UserError) as caught:
        scope_region("1502", table, "150205")  # the city above a district deployment
    assert "outside this cockpit's root 150205" in str(caught.value)


def test_store_keeps_the_region_and_the_principal_carries_it(tmp_path):
    store = AuthStore.for_data_dir(tmp_path)
    user = store.add_user("donghe", "leader", PASSWORD, region_code="150202")
    assert user.region_code == "150202"
    principal = store.authenticate("donghe", PASSWORD, "10.0.0.1").principal
    assert (principal.role, principal.region_code, principal.township_code) == ("leader", "150202", None)
    session = store.create_session("user", "donghe")
    assert store.resolve_session(session).region_code == "150202"
    with pytest.raises(AuthError) as caught:
        store.add_user("tw", "township", PASSWORD, "150202001000", region_code="150202")
    assert caught.value.key == "region_scope.township_role"
    with pytest.raises(AuthError) as caught:
        store.add_user("x", "leader", PASSWORD, region_code="150202001")
    assert caught.value.key == "region_scope.bad_level"


def test_an_older_auth_store_is_upgraded_and_its_users_keep_their_access(tmp_path):
    path = tmp_path / "auth.sqlite"
    con = sqlite3.connect(path)
    con.execute(OLD_USERS)
    con.execute(
        "insert into users (name, role, township_code, password_hash, created_at, updated_at)"
        " values ('old', 'leader', null, ?, '2024-01-01', '2024-01-01'),"
        " ('tw', 'township', '150205001000', ?, '2024-01-01', '2024-01-01')",
        (hash_password(PASSWORD), hash_password(PASSWORD)),
    )
    con.commit()
    con.close()
    store = AuthStore(path)
    principal = store.authenticate("old", PASSWORD, "10.0.0.2").principal
    assert (principal.role, principal.region_code) == ("leader", None)
    township = store.authenticate("tw", PASSWORD, "10.0.0.2").principal
    assert (township.township_code, township.region_code) == ("150205001000", None)
    store.add_user("clerk1", "clerk", PASSWORD)  # the clerk role exists after the upgrade
    store.add_user("baotou", "admin", PASSWORD, region_code="1502")
    assert [(u.name, u.region_code) for u in store.list_users()] == [
        ("baotou", "1502"),
        ("clerk1", None),
        ("old", None),
        ("tw", None),
    ]


def _cli(data_dir, *args, stdin: str = ""):
    import os

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


def test_cli_users_add_region_is_validated_against_the_root(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_ROOT_REGION", "1502")
    add = ("users", "add")
    code, _, _ = _cli(
        tmp_path, *add, "dh", "--role", "leader", "--region", "150202", "--password-stdin", stdin=PASSWORD
    )
    assert code == 0
    code, out, _ = _cli(tmp_path, "users", "list")
    assert "dh\tleader\t150202" in out
    code, out, err = _cli(
        tmp_path, *add, "hs", "--role", "admin", "--region", "150102", "--password-stdin", stdin=PASSWORD
    )
    assert code != 0 and "不在本驾驶舱的范围" in out + err and "outside this cockpit's root" in out + err
    code, out, err = _cli(
        tmp_path,
        *add,
        "tw",
        "--role",
        "township",
        "--township",
        "150205001000",
        "--region",
        "150202",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code != 0 and "--region" in out + err
    assert {u.name for u in AuthStore.for_data_dir(tmp_path).list_users()} == {"dh"}


def _no_snapshot() -> tuple[str, ...]:
    return ()


@pytest.mark.parametrize(
    ("code", "root"),
    [
        ("150205001000", "150205"),  # a district root: its own township
        ("150202001000", "1502"),  # a city root: a township of another district of the city
        ("150102001000", "15"),  # a province root: a township of another city
    ],
)
def test_account_township_accepts_townships_under_the_root(table, code, root):
    assert account_township(code, table, root, _no_snapshot) == code


@pytest.mark.parametrize(
    ("code", "root", "key"),
    [
        ("150202001000", "150205", "outside this cockpit's root 150205"),
        ("150102001000", "1502", "outside this cockpit's root 1502"),
        ("150202", "1502", "expected a 12-digit township code"),
        ("150202000000", "1502", "expected a 12-digit township code"),  # a county, not a township
        ("15020500100x", "150205", "expected a 12-digit township code"),
        ("150205999000", "150205", "neither the region table nor the published snapshot"),
    ],
)
def test_account_township_refuses_others_in_both_languages(table, code, root, key):
    with pytest.raises(UserError) as exc:
        account_township(code, table, root, _no_snapshot)
    zh, en = str(exc.value).split(" / ", 1)
    assert key in en and code in zh and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_account_township_falls_back_to_the_published_snapshot_only_when_the_table_lacks_it(table):
    calls = []

    def published() -> tuple[str, ...]:
        calls.append(1)
        return ("150205999000",)

    assert account_township("150205999000", table, "150205", published) == "150205999000"
    assert account_township("150205001000", table, "150205", published) == "150205001000"
    assert len(calls) == 1


def test_cli_users_add_township_at_a_district_root(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_ROOT_REGION", "150205")
    add = ("users", "add")
    code, _, _ = _cli(
        tmp_path,
        *add,
        "sg",
        "--role",
        "township",
        "--township",
        "150205001000",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code == 0
    code, out, err = _cli(
        tmp_path,
        *add,
        "hp",
        "--role",
        "township",
        "--township",
        "150202001000",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code != 0 and "不在本驾驶舱的范围" in out + err and "outside this cockpit's root" in out + err
    assert {u.name: u.township_code for u in AuthStore.for_data_dir(tmp_path).list_users()} == {
        "sg": "150205001000"
    }


def test_cli_users_add_township_at_a_city_root(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_ROOT_REGION", "1502")
    monkeypatch.setenv("COCKPIT_DISTRICT_CODE", "150205")  # the old check used this and refused 150202…
    add = ("users", "add")
    code, _, err = _cli(
        tmp_path,
        *add,
        "hp",
        "--role",
        "township",
        "--township",
        "150202001000",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code == 0, err
    code, out, err = _cli(
        tmp_path,
        *add,
        "hs",
        "--role",
        "township",
        "--township",
        "150102001000",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code != 0 and "不在本驾驶舱的范围" in out + err and "outside this cockpit's root 1502" in out + err
    code, out, err = _cli(
        tmp_path,
        *add,
        "xx",
        "--role",
        "township",
        "--township",
        "150202999000",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code != 0 and "未知乡镇代码" in out + err and "Unknown township code" in out + err
    assert {u.name: u.township_code for u in AuthStore.for_data_dir(tmp_path).list_users()} == {
        "hp": "150202001000"
    }
