"""``cockpit users``, ``cockpit kiosk token`` and ``cockpit audit``: accounts, wall tokens, the audit trail.

Passwords are read from the terminal (twice) or, for scripts, from one line of standard input with
``--password-stdin``; they never appear on the command line (where ``ps`` and shell history see them).
"""

from __future__ import annotations

import getpass
import json
import re
import secrets
import sys
from datetime import date, datetime
from pathlib import Path

from dashboard.auth_store import AuthError, AuthStore, store_for
from warehouse.i18n import both

DEMO_ADMIN = "admin"
DEMO_TOKEN = "demo-wall"


def _cli_error(key: str, **params):
    from etl.cli import CliError

    zh, en = both(f"security.{key}", **params)
    return CliError(f"{zh} / {en}")


def _say(key: str, **params) -> None:
    zh, en = both(f"security.{key}", **params)
    print(f"{zh} / {en}")


def register(sub) -> None:
    users = sub.add_parser("users", help="manage dashboard accounts / 管理驾驶舱账号")
    users_sub = users.add_subparsers(dest="users_command", required=True)

    add = users_sub.add_parser("add", help="create an account / 新建账号")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("admin", "clerk", "leader", "township"))
    add.add_argument("--township", help="12-digit township code (role township) / 乡镇代码")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--data-dir", type=Path, default=None)
    add.set_defaults(func=run_users_add)

    passwd = users_sub.add_parser("passwd", help="set a new password / 重设密码")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.add_argument("--data-dir", type=Path, default=None)
    passwd.set_defaults(func=run_users_passwd)

    for verb, helptext in (
        ("disable", "disable an account and end its sessions / 停用账号"),
        ("enable", "enable an account again / 重新启用账号"),
        ("unlock", "clear an account's login lock / 解除登录锁定"),
    ):
        cmd = users_sub.add_parser(verb, help=helptext)
        cmd.add_argument("name")
        cmd.add_argument("--data-dir", type=Path, default=None)
        cmd.set_defaults(func=run_users_state, verb=verb)

    listing = users_sub.add_parser("list", help="list accounts / 列出账号")
    listing.add_argument("--data-dir", type=Path, default=None)
    listing.set_defaults(func=run_users_list)

    kiosk = sub.add_parser("kiosk", help="wall display device tokens / 大屏设备令牌")
    kiosk_sub = kiosk.add_subparsers(dest="kiosk_command", required=True)
    token = kiosk_sub.add_parser("token", help="create, list, revoke tokens / 创建、列出、吊销令牌")
    token_sub = token.add_subparsers(dest="token_command", required=True)

    create = token_sub.add_parser("create", help="create a token and print the wall URL / 创建令牌")
    create.add_argument("name")
    create.add_argument("--base-url", help="address the wall uses, default http://HOST:PORT")
    create.add_argument("--data-dir", type=Path, default=None)
    create.set_defaults(func=run_token_create)

    tlist = token_sub.add_parser("list", help="list tokens / 列出令牌")
    tlist.add_argument("--data-dir", type=Path, default=None)
    tlist.set_defaults(func=run_token_list)

    revoke = token_sub.add_parser("revoke", help="revoke a token / 吊销令牌")
    revoke.add_argument("name")
    revoke.add_argument("--data-dir", type=Path, default=None)
    revoke.set_defaults(func=run_token_revoke)

    audit = sub.add_parser("audit", help="show the audit trail / 查看审计记录")
    audit.add_argument("--since", help="YYYY-MM-DD (UTC)")
    audit.add_argument("--limit", type=int, default=200)
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.add_argument("--data-dir", type=Path, default=None)
    audit.set_defaults(func=run_audit)


def _store(settings) -> AuthStore:
    return store_for(settings)


def _read_password(args) -> str:
    if args.password_stdin:
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


def _check_township(settings, code: str | None) -> None:
    if code is None:
        return
    if not re.fullmatch(r"\d{12}", code) or not code.startswith(settings.district_code):
        raise _cli_error("cli.unknown_township", code=code, known=f"{settings.district_code}xxxxxx")


def run_users_add(args, settings) -> int:
    _check_township(settings, args.township)
    if args.role == "township" and not args.township:
        raise _cli_error("cli.township_required")
    password = _read_password(args)
    store = _store(settings)
    try:
        user = store.add_user(args.name, args.role, password, args.township)
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit(
        "user.add",
        actor=_actor(),
        role="cli",
        user=user.name,
        user_role=user.role,
        township=user.township_code,
    )
    _say("cli.user_added", name=user.name, role=user.role)
    return 0


def run_users_passwd(args, settings) -> int:
    store = _store(settings)
    if store.get_user(args.name) is None:
        raise _cli_error("cli.no_such_user", name=args.name)
    password = _read_password(args)
    try:
        store.set_password(args.name, password)
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit("user.passwd", actor=_actor(), role="cli", user=args.name)
    _say("cli.password_set", name=args.name)
    return 0


def run_users_state(args, settings) -> int:
    store = _store(settings)
    try:
        if args.verb == "unlock":
            if store.get_user(args.name) is None:
                raise AuthError("cli.no_such_user", name=args.name)
            store.unlock(args.name)
        else:
            store.set_disabled(args.name, args.verb == "disable")
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit(f"user.{args.verb}", actor=_actor(), role="cli", user=args.name)
    _say(
        {"disable": "cli.user_disabled", "enable": "cli.user_enabled", "unlock": "cli.user_unlocked"}[
            args.verb
        ],
        name=args.name,
    )
    return 0


def run_users_list(args, settings) -> int:
    users = _store(settings).list_users()
    if not users:
        _say("cli.no_users")
    for user in users:
        state = "disabled" if user.is_disabled else "active"
        print(f"{user.name}\t{user.role}\t{user.township_code or '-'}\t{state}\t{user.created_at}")
    return 0


def wall_url(settings, token: str, base_url: str | None = None) -> str:
    base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    return f"{base}/wall?token={token}"


def run_token_create(args, settings) -> int:
    store = _store(settings)
    try:
        token = store.create_token(args.name)
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit("kiosk.token_create", actor=_actor(), role="cli", token=args.name)
    _say("cli.token_created", name=args.name)
    print(wall_url(settings, token, args.base_url))
    return 0


def run_token_list(args, settings) -> int:
    tokens = _store(settings).list_tokens()
    if not tokens:
        _say("cli.no_tokens")
    for token in tokens:
        state = f"revoked {token.revoked_at}" if token.revoked_at else "active"
        print(f"{token.name}\t{state}\tcreated {token.created_at}\tlast used {token.last_used_at or '-'}")
    return 0


def run_token_revoke(args, settings) -> int:
    store = _store(settings)
    try:
        store.revoke_token(args.name)
    except AuthError as exc:
        raise _cli_error(exc.key, **exc.params) from exc
    store.audit("kiosk.token_revoke", actor=_actor(), role="cli", token=args.name)
    _say("cli.token_revoked", name=args.name)
    return 0


def run_audit(args, settings) -> int:
    since = None
    if args.since:
        try:
            since = datetime.combine(date.fromisoformat(args.since), datetime.min.time())
        except ValueError as exc:
            raise _cli_error("cli.bad_date", value=args.since) from exc
    rows = _store(settings).audit_rows(limit=args.limit, since=since)
    if args.json:
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


def ensure_demo_credentials(settings, out=None) -> None:
    """For ``cockpit demo``: an admin and a wall token, created once and printed only when created."""
    out = out or sys.stdout
    store = _store(settings)
    if store.has_admin():
        zh, en = both("security.demo.admin_exists")
        print(f"{zh} / {en}", file=out)
    else:
        password = secrets.token_urlsafe(12)
        name = DEMO_ADMIN if store.get_user(DEMO_ADMIN) is None else f"{DEMO_ADMIN}-{secrets.token_hex(2)}"
        store.add_user(name, "admin", password)
        store.audit("user.add", actor="cockpit demo", role="cli", user=name, user_role="admin")
        zh, en = both("security.demo.admin_created", name=name, password=password)
        print(f"{zh}\n{en}", file=out)
    if any(tok.name == DEMO_TOKEN for tok in store.list_tokens()):
        zh, en = both("security.demo.token_exists", name=DEMO_TOKEN)
        print(f"{zh} / {en}", file=out)
    else:
        token = store.create_token(DEMO_TOKEN)
        store.audit("kiosk.token_create", actor="cockpit demo", role="cli", token=DEMO_TOKEN)
        zh, en = both("security.demo.token_created", url=wall_url(settings, token))
        print(f"{zh}\n{en}", file=out)
