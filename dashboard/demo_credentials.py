"""The demo's administrator and wall token: created once by ``cockpit demo`` and printed only when created."""

from __future__ import annotations

import secrets
import sys

from dashboard.auth_store import store_for
from warehouse.i18n import both
from warehouse.settings import Settings

DEMO_ADMIN = "admin"
DEMO_TOKEN = "demo-wall"


def wall_url(settings: Settings, token: str, base_url: str | None = None) -> str:
    """The wall's address with a device token (``--base-url`` or http://HOST:PORT)."""
    base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    return f"{base}/wall?token={token}"


def ensure_demo_credentials(settings: Settings, out=None) -> None:
    """For ``cockpit demo``: an admin and a wall token, created once and printed only when created."""
    out = out or sys.stdout
    store = store_for(settings)
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
