"""The security store: users, kiosk device tokens, sessions, login failures and the audit trail.

One SQLite file, ``data_dir/auth.sqlite`` (stdlib only, no Dash import, so the CLI loads it cheaply).
SQLite, unlike DuckDB, takes short writes from several gunicorn worker processes; WAL mode lets
readers run while one of them writes.

Secrets are never stored in clear: passwords as salted scrypt hashes (memory-hard), kiosk tokens and
session ids as SHA-256 digests (they are 256-bit random values, so a fast hash is enough).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

# clerk (数据管理员): the import page, the operators' page and rejects downloads; no user administration.
ROLES = ("admin", "clerk", "leader", "township")
MIN_PASSWORD_LENGTH = 10

# scrypt cost: N=2**15, r=8 needs 32 MiB and ~0.1 s per hash on this class of machine.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1

# Login throttling: failures counted over a sliding window, per user name and per client address.
FAILURE_WINDOW = timedelta(minutes=15)
USER_FAILURE_THRESHOLD = 5
IP_FAILURE_THRESHOLD = 20
# Forged wall tokens are counted apart from logins (address key "token:<ip>", see _token_key): a page that makes a staff browser
# fire bad tokens must not lock that address out of logins.
TOKEN_FAILURE_THRESHOLD = 20
# An audit row's detail JSON is cut to this many characters: a flood of long query strings must not
# fill the disk (a download's filters and path fit easily).
AUDIT_DETAIL_MAX_CHARS = 1024
AUDIT_FIELD_MAX_CHARS = 128
LOCK_BASE_SECONDS = 30
LOCK_MAX_SECONDS = 15 * 60

# Browser sessions of people expire; kiosk sessions live until their token is revoked.
USER_SESSION_MAX_AGE = timedelta(hours=12)
USER_SESSION_IDLE = timedelta(hours=4)
# last_seen is written at most this often per session, to keep requests read-only in the common case.
TOUCH_INTERVAL = timedelta(minutes=1)
# A region scope is stored as its significant digits: province (2), city/league (4), county (6).
_REGION_PREFIX = re.compile(r"\d{2}|\d{4}|\d{6}")

SCHEMA = """
create table if not exists users (
    name text primary key,
    role text not null check (role in ('admin', 'clerk', 'leader', 'township')),
    township_code text,
    password_hash text not null,
    is_disabled integer not null default 0,
    created_at text not null,
    updated_at text not null,
    -- Region scope: a 2/4/6-digit prefix (province, city/league, county); the user sees only the
    -- townships whose code starts with it. Null: no region limit.
    region_code text,
    check (role <> 'township' or township_code is not null)
);
create table if not exists kiosk_tokens (
    name text primary key,
    token_hash text not null unique,
    created_at text not null,
    revoked_at text,
    last_used_at text
);
create table if not exists sessions (
    session_hash text primary key,
    kind text not null check (kind in ('user', 'kiosk')),
    principal text not null,
    created_at text not null,
    last_seen_at text not null,
    expires_at text
);
create index if not exists sessions_principal on sessions (kind, principal);
create table if not exists login_failures (
    scope text not null check (scope in ('user', 'ip')),
    key text not null,
    failed_at text not null
);
create index if not exists login_failures_key on login_failures (scope, key, failed_at);
create table if not exists audit (
    audit_id integer primary key autoincrement,
    at text not null,
    event text not null,
    actor text,
    role text,
    ip text,
    detail text not null default '{}'
);
create index if not exists audit_at on audit (at);
"""


class AuthError(Exception):
    """A store operation the caller asked for cannot be done; ``key`` names the catalog message."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a person (``kind='user'``) or a wall device (``kind='kiosk'``)."""

    kind: str
    name: str
    role: str  # admin | leader | township | kiosk
    township_code: str | None = None
    region_code: str | None = None  # significant digits of a province, city or county

    @property
    def is_user(self) -> bool:
        return self.kind == "user"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    township_code: str | None
    is_disabled: bool
    created_at: str
    updated_at: str
    region_code: str | None = None


@dataclass(frozen=True)
class KioskToken:
    name: str
    created_at: str
    revoked_at: str | None
    last_used_at: str | None


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt: a principal, or why not (``bad_credentials``/``locked``)."""

    principal: Principal | None
    reason: str | None = None
    retry_after: int = 0


def _token_key(ip: str) -> str:
    """The failure key of wall-token guesses from ``ip``: never equal to an address, so a token guess
    never counts towards the login lock of that address (and no schema change was needed)."""
    return f"token:{ip}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- passwords


# werkzeug's method string; the parameters are stored with each hash, so raising them later keeps
# old hashes verifiable.
PASSWORD_METHOD = f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}"
# Hashes written before werkzeug took over: ``scrypt$N$r$p$salt$digest`` (base64). Still verified,
# and rewritten in werkzeug's format at the next successful login.
LEGACY_PREFIX = "scrypt$"


def hash_password(password: str) -> str:
    """A salted scrypt hash in werkzeug's format: ``scrypt:N:r:p$salt$digest``."""
    return generate_password_hash(password, method=PASSWORD_METHOD, salt_length=16)


def _verify_legacy(password: str, stored: str) -> bool:
    scheme, n, r, p, salt, digest = stored.split("$")
    expected = base64.b64decode(digest)
    n_, r_, p_ = int(n), int(r), int(p)
    actual = hashlib.scrypt(
        password.encode("utf-8"),
        salt=base64.b64decode(salt),
        n=n_,
        r=r_,
        p=p_,
        dklen=len(expected),
        maxmem=256 * r_ * n_ * p_ + 2**20,
    )
    return hmac.compare_digest(actual, expected)


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored scrypt hash (werkzeug's or legacy)."""
    try:
        if stored.startswith(LEGACY_PREFIX):
            return _verify_legacy(password, stored)
        if not stored.startswith("scrypt:"):
            return False  # only scrypt is accepted: no downgrade to a weaker stored method
        return check_password_hash(stored, password)
    except (ValueError, TypeError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a verified hash should be rewritten with today's method and parameters."""
    return not stored.startswith(f"{PASSWORD_METHOD}$")


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows: unknown user names cost the same scrypt as known ones, so
    response time does not tell which names exist."""
    return hash_password(secrets.token_hex(16))


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError("cli.password_too_short", min=MIN_PASSWORD_LENGTH)


def lock_seconds(failures: int, threshold: int) -> int:
    """How long a key stays locked after ``failures`` failures: doubling from the threshold, capped."""
    if failures < threshold:
        return 0
    return min(LOCK_BASE_SECONDS * 2 ** (failures - threshold), LOCK_MAX_SECONDS)


# ---------------------------------------------------------------- secret key


def load_secret_key(data_dir: Path, configured: str | None = None) -> str:
    """``configured`` if set, else the key in ``data_dir/secret_key``, created once (mode 0600).

    Created through a temporary file and ``os.link`` so that two workers starting together end up
    with the same key: the link fails for the second one, which then reads the first one's file.
    """
    if configured:
        return configured
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"empty secret key file: {path}")
    return key


# ---------------------------------------------------------------- the store


def _migrate_user_roles(con: sqlite3.Connection) -> None:
    """Stores made before the ``clerk`` role have a CHECK constraint without it; SQLite cannot alter a
    constraint, so the users table is rebuilt (same rows) under the current schema."""
    row = con.execute("select sql from sqlite_master where type = 'table' and name = 'users'").fetchone()
    if row is None or "'clerk'" in row[0]:
        return
    con.execute("begin immediate")
    try:
        con.execute("alter table users rename to users_before_clerk")
        con.execute(SCHEMA.split("create table if not exists kiosk_tokens")[0].strip().rstrip(";"))
        # By name: the current schema may have columns the old table lacks (they stay null).
        columns = ", ".join(r[1] for r in con.execute("pragma table_info(users_before_clerk)"))
        con.execute(f"insert into users ({columns}) select {columns} from users_before_clerk")
        con.execute("drop table users_before_clerk")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _migrate_region_scope(con: sqlite3.Connection) -> None:
    """Stores made before region scopes lack ``users.region_code``: added, null for every existing user
    (who keeps exactly the access they had)."""
    columns = {r[1] for r in con.execute("pragma table_info(users)")}
    if "region_code" not in columns:
        con.execute("alter table users add column region_code text")


class AuthStore:
    """All reads and writes of ``auth.sqlite``; one short connection per operation."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._ready = False

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> AuthStore:
        return cls(Path(data_dir) / "auth.sqlite")

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        try:
            con.row_factory = sqlite3.Row
            con.execute("pragma busy_timeout = 15000")
            if not self._ready:
                con.execute("pragma journal_mode = wal")
                con.executescript(SCHEMA)
                _migrate_user_roles(con)
                _migrate_region_scope(con)
                with contextlib.suppress(OSError):
                    os.chmod(self.path, 0o600)
                self._ready = True
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.connect() as con:
            con.execute("begin immediate")
            try:
                yield con
            except BaseException:
                con.execute("rollback")
                raise
            con.execute("commit")

    # ------------------------------------------------------------ users

    def add_user(
        self,
        name: str,
        role: str,
        password: str,
        township_code: str | None = None,
        region_code: str | None = None,
    ) -> User:
        """Create an account; ``region_code`` (significant digits, validated by the caller against the
        region table) limits a leader, admin or clerk to one province, city or county."""
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise AuthError("cli.bad_user_name")
        if role not in ROLES:
            raise AuthError("cli.bad_role", role=role)
        if role == "township" and not township_code:
            raise AuthError("cli.township_required")
        if role != "township":
            township_code = None
        if region_code is not None and role == "township":
            raise AuthError("region_scope.township_role")
        if region_code is not None and not _REGION_PREFIX.fullmatch(region_code):
            raise AuthError("region_scope.bad_level", code=region_code)
        check_password_policy(password)
        now = _iso(utcnow())
        try:
            with self.transaction() as con:
                con.execute(
                    "insert into users"
                    " (name, role, township_code, region_code, password_hash, created_at, updated_at)"
                    " values (?, ?, ?, ?, ?, ?, ?)",
                    (name, role, township_code, region_code, hash_password(password), now, now),
                )
        except sqlite3.IntegrityError as exc:
            raise AuthError("cli.user_exists", name=name) from exc
        return self.get_user(name)

    def get_user(self, name: str) -> User | None:
        with self.connect() as con:
            row = con.execute(
                "select name, role, township_code, region_code, is_disabled, created_at, updated_at from users"
                " where name = ?",
                (name,),
            ).fetchone()
        return None if row is None else User(**{**dict(row), "is_disabled": bool(row["is_disabled"])})

    def list_users(self) -> list[User]:
        with self.connect() as con:
            rows = con.execute(
                "select name, role, township_code, region_code, is_disabled, created_at, updated_at from users"
                " order by name"
            ).fetchall()
        return [User(**{**dict(r), "is_disabled": bool(r["is_disabled"])}) for r in rows]

    def has_admin(self) -> bool:
        with self.connect() as con:
            row = con.execute("select 1 from users where role = 'admin' and is_disabled = 0").fetchone()
        return row is not None

    def set_password(self, name: str, password: str) -> None:
        """Change a password; every open session of that user ends."""
        check_password_policy(password)
        with self.transaction() as con:
            done = con.execute(
                "update users set password_hash = ?, updated_at = ? where name = ?",
                (hash_password(password), _iso(utcnow()), name),
            )
            if done.rowcount == 0:
                raise AuthError("cli.no_such_user", name=name)
            con.execute("delete from sessions where kind = 'user' and principal = ?", (name,))
            con.execute("delete from login_failures where scope = 'user' and key = ?", (name,))

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        with self.transaction() as con:
            done = con.execute(
                "update users set is_disabled = ?, updated_at = ? where name = ?",
                (int(disabled), _iso(utcnow()), name),
            )
            if done.rowcount == 0:
                raise AuthError("cli.no_such_user", name=name)
            if disabled:
                con.execute("delete from sessions where kind = 'user' and principal = ?", (name,))

    def unlock(self, name: str) -> None:
        with self.transaction() as con:
            con.execute("delete from login_failures where scope = 'user' and key = ?", (name,))

    # ------------------------------------------------------------ login

    def _failures(
        self, con: sqlite3.Connection, scope: str, key: str, now: datetime
    ) -> tuple[int, str | None]:
        row = con.execute(
            "select count(*), max(failed_at) from login_failures where scope = ? and key = ? and failed_at > ?",
            (scope, key, _iso(now - FAILURE_WINDOW)),
        ).fetchone()
        return int(row[0]), row[1]

    def lock_remaining(self, name: str, ip: str, now: datetime | None = None) -> int:
        """Seconds until ``name`` (or ``ip``) may try to log in again; 0 when not locked."""
        return self._lock_remaining(
            (("user", name, USER_FAILURE_THRESHOLD), ("ip", ip, IP_FAILURE_THRESHOLD)), now
        )

    def token_lock_remaining(self, ip: str, now: datetime | None = None) -> int:
        """Seconds until ``ip`` may present a wall token again; 0 when not locked (logins unaffected)."""
        return self._lock_remaining((("ip", _token_key(ip), TOKEN_FAILURE_THRESHOLD),), now)

    def _lock_remaining(self, checks, now: datetime | None) -> int:
        now = now or utcnow()
        remaining = 0
        with self.connect() as con:
            for scope, key, threshold in checks:
                count, last = self._failures(con, scope, key, now)
                if last is None:
                    continue
                until = datetime.fromisoformat(last) + timedelta(seconds=lock_seconds(count, threshold))
                remaining = max(remaining, int((until - now).total_seconds() + 0.999))
        return max(remaining, 0)

    def record_token_failure(self, ip: str) -> None:
        """Count a forged wall token against an address (throttles token guessing only, not logins)."""
        now = utcnow()
        with self.transaction() as con:
            con.execute(
                "insert into login_failures (scope, key, failed_at) values ('ip', ?, ?)",
                (_token_key(ip), _iso(now)),
            )
            con.execute("delete from login_failures where failed_at < ?", (_iso(now - FAILURE_WINDOW),))

    def audited_recently(self, event: str, ip: str | None, seconds: int) -> bool:
        """Whether ``event`` from ``ip`` was audited in the last ``seconds`` (to keep floods out of the trail)."""
        with self.connect() as con:
            row = con.execute(
                "select 1 from audit where event = ? and ip is ? and at > ? limit 1",
                (event, ip, _iso(utcnow() - timedelta(seconds=seconds))),
            ).fetchone()
        return row is not None

    def authenticate(self, name: str, password: str, ip: str) -> LoginResult:
        """Check a login; count failures per user name and per address; refuse while locked.

        A locked name or address is refused without looking at the password, so guessing stops
        paying off; the lock grows with each further failure and lapses by itself.
        """
        name = name.strip()[:64]
        now = utcnow()
        wait = self.lock_remaining(name, ip, now)
        if wait:
            return LoginResult(None, "locked", wait)
        with self.connect() as con:
            row = con.execute(
                "select name, role, township_code, region_code, password_hash, is_disabled from users"
                " where name = ?",
                (name,),
            ).fetchone()
        stored = row["password_hash"] if row is not None else _dummy_hash()
        ok = verify_password(password, stored) and row is not None and not row["is_disabled"]
        if not ok:
            with self.transaction() as con:
                con.executemany(
                    "insert into login_failures (scope, key, failed_at) values (?, ?, ?)",
                    [("user", name, _iso(now)), ("ip", ip, _iso(now))],
                )
                con.execute("delete from login_failures where failed_at < ?", (_iso(now - FAILURE_WINDOW),))
            return LoginResult(None, "bad_credentials", self.lock_remaining(name, ip, now))
        with self.transaction() as con:
            con.execute("delete from login_failures where scope = 'user' and key = ?", (name,))
            if needs_rehash(stored):
                con.execute(
                    "update users set password_hash = ? where name = ?", (hash_password(password), name)
                )
        return LoginResult(
            Principal("user", row["name"], row["role"], row["township_code"], row["region_code"])
        )

    # ------------------------------------------------------------ sessions

    def create_session(self, kind: str, principal: str) -> str:
        """A new random session id (returned once; only its hash is stored)."""
        session_id = secrets.token_urlsafe(32)
        now = utcnow()
        expires = _iso(now + USER_SESSION_MAX_AGE) if kind == "user" else None
        with self.transaction() as con:
            con.execute(
                "insert into sessions (session_hash, kind, principal, created_at, last_seen_at, expires_at)"
                " values (?, ?, ?, ?, ?, ?)",
                (sha256_hex(session_id), kind, principal, _iso(now), _iso(now), expires),
            )
            con.execute(
                "delete from sessions where kind = 'user' and (expires_at < ? or last_seen_at < ?)",
                (_iso(now), _iso(now - USER_SESSION_IDLE)),
            )
        return session_id

    def resolve_session(self, session_id: str) -> Principal | None:
        """The principal of a live session, or None (expired, logged out, user disabled, token revoked)."""
        if not session_id or len(session_id) > 128:
            return None
        now = utcnow()
        session_hash = sha256_hex(session_id)
        with self.connect() as con:
            row = con.execute(
                "select kind, principal, last_seen_at, expires_at from sessions where session_hash = ?",
                (session_hash,),
            ).fetchone()
            if row is None:
                return None
            if row["kind"] == "user":
                if row["expires_at"] < _iso(now) or row["last_seen_at"] < _iso(now - USER_SESSION_IDLE):
                    return None
                user = con.execute(
                    "select role, township_code, region_code from users where name = ? and is_disabled = 0",
                    (row["principal"],),
                ).fetchone()
                if user is None:
                    return None
                principal = Principal(
                    "user", row["principal"], user["role"], user["township_code"], user["region_code"]
                )
            else:
                token = con.execute(
                    "select 1 from kiosk_tokens where name = ? and revoked_at is null", (row["principal"],)
                ).fetchone()
                if token is None:
                    return None
                principal = Principal("kiosk", row["principal"], "kiosk")
            if row["last_seen_at"] < _iso(now - TOUCH_INTERVAL):
                con.execute(
                    "update sessions set last_seen_at = ? where session_hash = ?", (_iso(now), session_hash)
                )
        return principal

    def end_session(self, session_id: str) -> None:
        with self.transaction() as con:
            con.execute("delete from sessions where session_hash = ?", (sha256_hex(session_id),))

    # ------------------------------------------------------------ kiosk tokens

    def create_token(self, name: str) -> str:
        """A new device token for ``name`` (returned once; only its SHA-256 is stored)."""
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise AuthError("cli.bad_token_name")
        token = secrets.token_urlsafe(32)
        try:
            with self.transaction() as con:
                con.execute(
                    "insert into kiosk_tokens (name, token_hash, created_at) values (?, ?, ?)",
                    (name, sha256_hex(token), _iso(utcnow())),
                )
        except sqlite3.IntegrityError as exc:
            raise AuthError("cli.token_exists", name=name) from exc
        return token

    def token_name(self, token: str) -> str | None:
        """The name of the live token ``token``, or None."""
        if not token or len(token) > 128:
            return None
        with self.connect() as con:
            row = con.execute(
                "select name from kiosk_tokens where token_hash = ? and revoked_at is null",
                (sha256_hex(token),),
            ).fetchone()
            if row is None:
                return None
            con.execute("update kiosk_tokens set last_used_at = ? where name = ?", (_iso(utcnow()), row[0]))
        return row[0]

    def list_tokens(self) -> list[KioskToken]:
        with self.connect() as con:
            rows = con.execute(
                "select name, created_at, revoked_at, last_used_at from kiosk_tokens order by name"
            ).fetchall()
        return [KioskToken(**dict(r)) for r in rows]

    def revoke_token(self, name: str) -> None:
        """Revoke a token; every wall that used it loses access on its next request."""
        with self.transaction() as con:
            done = con.execute(
                "update kiosk_tokens set revoked_at = ? where name = ? and revoked_at is null",
                (_iso(utcnow()), name),
            )
            if done.rowcount == 0:
                raise AuthError("cli.no_such_token", name=name)
            con.execute("delete from sessions where kind = 'kiosk' and principal = ?", (name,))

    # ------------------------------------------------------------ audit

    def audit(
        self,
        event: str,
        actor: str | None = None,
        role: str | None = None,
        ip: str | None = None,
        **detail,
    ) -> None:
        """Append one audit row; ``detail`` is stored as JSON (never passwords or tokens), bounded in size."""
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        if len(text) > AUDIT_DETAIL_MAX_CHARS:
            text = json.dumps({"truncated": text[: AUDIT_DETAIL_MAX_CHARS - 40]}, ensure_ascii=False)
        actor, role, ip = (None if v is None else str(v)[:AUDIT_FIELD_MAX_CHARS] for v in (actor, role, ip))
        with self.transaction() as con:
            con.execute(
                "insert into audit (at, event, actor, role, ip, detail) values (?, ?, ?, ?, ?, ?)",
                (
                    _iso(utcnow()),
                    event,
                    actor,
                    role,
                    ip,
                    text,
                ),
            )

    def audit_rows(self, limit: int = 200, since: datetime | None = None) -> list[dict]:
        """The newest audit rows first: ``at, event, actor, role, ip, detail`` (detail as a dict)."""
        sql = "select audit_id, at, event, actor, role, ip, detail from audit"
        params: list = []
        if since is not None:
            sql += " where at >= ?"
            params.append(_iso(since if since.tzinfo else since.replace(tzinfo=UTC)))
        sql += " order by audit_id desc limit ?"
        params.append(int(limit))
        with self.connect() as con:
            rows = con.execute(sql, params).fetchall()
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]


def store_for(settings) -> AuthStore:
    """The store of a :class:`warehouse.settings.Settings`."""
    return AuthStore.for_data_dir(settings.data_dir)


def audit_rows(settings, limit: int = 200, since: datetime | None = None) -> list[dict]:
    """Newest audit rows first, for the operators' page and ``cockpit audit``."""
    return store_for(settings).audit_rows(limit=limit, since=since)


def record_audit(settings, event: str, actor: str | None = None, **detail) -> None:
    """Append an audit row from outside a request (CLI: token changes, snapshot rollbacks)."""
    store_for(settings).audit(event, actor=actor, role="cli" if actor else None, **detail)
