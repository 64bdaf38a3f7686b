"""``cockpit users``, ``cockpit kiosk token`` and ``cockpit audit``: accounts, wall tokens, the audit trail.

Passwords are read from the terminal (twice) or, for scripts, from one line of standard input with
``--password-stdin``; they never appear on the command line (where ``ps`` and shell history see them).
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date, datetime

import click

from cockpit.options import current_settings, data_dir_option
from dashboard.auth_store import ROLES, AuthError, AuthStore, store_for
from dashboard.demo_credentials import wall_url
from warehouse.errors import UserError, user_error
from warehouse.i18n import both
from warehouse.query import townships_under
from warehouse.regions import account_township, prefix_of, region_table, scope_region
from warehouse.snapshot import SnapshotReader, SnapshotUnavailable


def _cli_error(key: str, **params) -> UserError:
    # Region-scope messages live in their own catalog file (region_scope.toml), keyed in full.
    return user_error(key if key.startswith("region_scope.") else f"security.{key}", **params)


def _say(key: str, **params) -> None:
    zh, en = both(f"security.{key}", **params)
    print(f"{zh} / {en}")


def _store() -> AuthStore:
    return store_for(current_settings())


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    zh, en = both("security.cli.password_prompt")
    first = getpass.getpass(f"{zh} / {en}: ")
    zh, en = both("security.cli.password_again")
    if getpass.getpass(f"{zh} / {en}: ") != first:
        raise _cli_error("cli.password_mismatch")
    return first


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _published_townships_under(prefix: str) -> tuple[str, ...]:
    """The published snapshot's townships under ``prefix``; none when nothing is published yet."""
    try:
        return townships_under(SnapshotReader(current_settings().published_db).cursor(), prefix)
    except SnapshotUnavailable:
        return ()


def _check_township(code: str | None) -> str | None:
    if code is None:
        return None
    settings = current_settings()
    root = settings.root_region
    return account_township(
        code,
        region_table(settings.region_table),
        root,
        lambda: _published_townships_under(prefix_of(root)),
    )


def _check_region(code: str | None) -> str | None:
    """The region scope's significant digits, after checking it against the region table and the root."""
    if code is None:
        return None
    settings = current_settings()
    return scope_region(code, region_table(settings.region_table), settings.root_region).prefix


@click.group("users", help="manage dashboard accounts / 管理驾驶舱账号")
@data_dir_option
def users_group() -> None:
    """``cockpit users …``"""


@users_group.command("add", help="create an account / 新建账号")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--township", default=None, help="12-digit township code (role township) / 乡镇代码")
@click.option(
    "--region",
    default=None,
    help="limit the account to a province (2 digits), city/league (4) or county (6) under the root"
    " / 区域范围：省、市/盟或旗县区代码",
)
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
@data_dir_option
def users_add(name: str, role: str, township: str | None, region: str | None, password_stdin: bool) -> int:
    township = _check_township(township)
    if role == "township" and not township:
        raise _cli_error("cli.township_required")
    if region is not None and role == "township":
        raise _cli_error("region_scope.township_role")
    region_code = _check_region(region)
    password = _read_password(password_stdin)
    store = _store()
    try:
        user = store.add_user(name, role, password, township, region_code)
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit(
        "user.add",
        actor=_actor(),
        role="cli",
        user=user.name,
        user_role=user.role,
        township=user.township_code,
        region=user.region_code,
    )
    _say("cli.user_added", name=user.name, role=user.role)
    return 0


@users_group.command("passwd", help="set a new password / 重设密码")
@click.argument("name")
@click.option("--password-stdin", is_flag=True)
@data_dir_option
def users_passwd(name: str, password_stdin: bool) -> int:
    store = _store()
    if store.get_user(name) is None:
        raise _cli_error("cli.no_such_user", name=name)
    password = _read_password(password_stdin)
    try:
        store.set_password(name, password)
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit("user.passwd", actor=_actor(), role="cli", user=name)
    _say("cli.password_set", name=name)
    return 0


def _change_state(verb: str, name: str) -> int:
    store = _store()
    try:
        if verb == "unlock":
            if store.get_user(name) is None:
                raise AuthError("cli.no_such_user", name=name)
            store.unlock(name)
        else:
            store.set_disabled(name, verb == "disable")
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit(f"user.{verb}", actor=_actor(), role="cli", user=name)
    _say(
        {"disable": "cli.user_disabled", "enable": "cli.user_enabled", "unlock": "cli.user_unlocked"}[verb],
        name=name,
    )
    return 0


@users_group.command("disable", help="disable an account and end its sessions / 停用账号")
@click.argument("name")
@data_dir_option
def users_disable(name: str) -> int:
    return _change_state("disable", name)


@users_group.command("enable", help="enable an account again / 重新启用账号")
@click.argument("name")
@data_dir_option
def users_enable(name: str) -> int:
    return _change_state("enable", name)


@users_group.command("unlock", help="clear an account's login lock / 解除登录锁定")
@click.argument("name")
@data_dir_option
def users_unlock(name: str) -> int:
    return _change_state("unlock", name)


@users_group.command("list", help="list accounts / 列出账号")
@data_dir_option
def users_list() -> int:
    users = _store().list_users()
    if not users:
        _say("cli.no_users")
    for user in users:
        state = "disabled" if user.is_disabled else "active"
        print(
            f"{user.name}\t{user.role}\t{user.township_code or user.region_code or '-'}\t{state}\t{user.created_at}"
        )
    return 0


@click.group("kiosk", help="wall display device tokens / 大屏设备令牌")
@data_dir_option
def kiosk_group() -> None:
    """``cockpit kiosk …``"""


@kiosk_group.group("token", help="create, list, revoke tokens / 创建、列出、吊销令牌")
@data_dir_option
def token_group() -> None:
    """``cockpit kiosk token …``"""


@token_group.command("create", help="create a token and print the wall URL / 创建令牌")
@click.argument("name")
@click.option("--base-url", default=None, help="address the wall uses, default http://HOST:PORT")
@data_dir_option
def token_create(name: str, base_url: str | None) -> int:
    store = _store()
    try:
        token = store.create_token(name)
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit("kiosk.token_create", actor=_actor(), role="cli", token=name)
    _say("cli.token_created", name=name)
    print(wall_url(current_settings(), token, base_url))
    return 0


@token_group.command("list", help="list tokens / 列出令牌")
@data_dir_option
def token_list() -> int:
    tokens = _store().list_tokens()
    if not tokens:
        _say("cli.no_tokens")
    for token in tokens:
        state = f"revoked {token.revoked_at}" if token.revoked_at else "active"
        print(f"{token.name}\t{state}\tcreated {token.created_at}\tlast used {token.last_used_at or '-'}")
    return 0


@token_group.command("revoke", help="revoke a token / 吊销令牌")
@click.argument("name")
@data_dir_option
def token_revoke(name: str) -> int:
    store = _store()
    try:
        store.revoke_token(name)
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit("kiosk.token_revoke", actor=_actor(), role="cli", token=name)
    _say("cli.token_revoked", name=name)
    return 0


@click.command("audit", help="show the audit trail / 查看审计记录")
@click.option("--since", default=None, help="YYYY-MM-DD (UTC)")
@click.option("--limit", type=int, default=200)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@data_dir_option
def audit_command(since: str | None, limit: int, as_json: bool) -> int:
    start = None
    if since:
        try:
            start = datetime.combine(date.fromisoformat(since), datetime.min.time())
        except ValueError as exc:
            raise _cli_error("cli.bad_date", value=since) from exc
    rows = _store().audit_rows(limit=limit, since=start)
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, sort_keys=True))
        return 0
    if not rows:
        _say("cli.no_audit")
    for row in rows:
        detail = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
        print(
            f"{row['at']}\t{row['event']}\t{row['actor'] or '-'}\t{row['role'] or '-'}\t{row['ip'] or '-'}\t{detail}"
        )
    return 0


COMMANDS = (users_group, kiosk_group, audit_command)
