"""Authentication and authorisation of the dashboard: one guard in front of every route.

``install(app, settings)`` (called by ``create_app``) wires, on the Flask server:

- a ``before_request`` guard that decides every request from the path, the session and, for Dash's
  callback endpoint, the callback being called (deny by default: a route not listed as public needs a
  principal, and a principal only reaches the areas its role grants, see ``AREA_ROLES``);
- the login and logout routes (a plain Flask page in the app's Bootstrap style, CSRF-protected,
  throttled per user name and per address);
- kiosk device tokens: ``/wall?token=...`` opens a long-lived kiosk session and redirects to the same
  URL without the token;
- security headers on every response (CSP, nosniff, referrer policy, frame ancestors);
- the audit of logins, logouts, token use and downloads.

Township scope is row-level and enforced by the query layer: importing this module registers
:func:`allowed_townships` with ``warehouse.query.set_scope_provider``, and every query intersects its
filters with it, whichever page or download built them.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import secrets
from datetime import date, timedelta
from urllib.parse import urlencode

import dash
import jinja2

# Private Dash APIs, kept on purpose: the guard must resolve a path and parse a callback key exactly
# as Dash's own router and dispatcher do, or an attacker could make them disagree. Pinned by
# tests/unit/test_private_apis.py, which fails on a Dash upgrade that changes them.
from dash._pages import _path_to_page
from dash._utils import split_callback_id
from dash.fingerprint import check_fingerprint
from flask import (
    Flask,
    g,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import Forbidden
from werkzeug.serving import WSGIRequestHandler

from dashboard.auth_store import (  # noqa: F401  (audit_rows is re-exported for the ops page)
    AuthStore,
    Principal,
    audit_rows,
    load_secret_key,
    record_audit,
    store_for,
)
from warehouse import query
from warehouse.bounds import json_depth_within
from warehouse.i18n import normalize_lang, t

log = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
CALLBACK_PATH = "/_dash-update-component"
# Anyone may fetch these: the login page and static files (no data in any of them). /healthz reveals
# only status and data age.
PUBLIC_PATHS = frozenset({LOGIN_PATH, LOGOUT_PATH, "/healthz", "/_favicon.ico", "/favicon.ico"})
SUITES_PREFIX = "/_dash-component-suites/"
PUBLIC_PREFIXES = ("/assets/", "/vendor/", SUITES_PREFIX)
# Dash's app shell (layout skeleton and callback graph): needed by every page, the wall included.
SHELL_PATHS = frozenset({"/_dash-layout", "/_dash-dependencies", "/_reload-hash"})

AREA_WALL = "wall"
AREA_OPS = "ops"
AREA_LEADERSHIP = "leadership"
AREA_DOWNLOAD = "download"
AREA_IMPORT = "import"
# Who may reach what. Township users do not see the wall: it shows the whole district.
AREA_ROLES: dict[str, frozenset[str]] = {
    AREA_WALL: frozenset({"kiosk", "admin", "leader"}),
    AREA_OPS: frozenset({"admin", "clerk"}),
    # The clerk's intake (/import: upload, check, confirm, rejects, templates): never leaders or townships.
    AREA_IMPORT: frozenset({"admin", "clerk"}),
    AREA_LEADERSHIP: frozenset({"admin", "leader", "township"}),
    AREA_DOWNLOAD: frozenset({"admin", "leader", "township"}),
}
# Page modules whose pages (and callbacks) belong to an area other than the leadership view; each may
# declare ``ID_PREFIX``, the prefix every component id of that page starts with.
PAGE_MODULE_AREAS = {"wall": AREA_WALL, "ops": AREA_OPS}
DEFAULT_ID_PREFIXES = {AREA_WALL: "wall-", AREA_OPS: "ops-"}
PAGES_ROUTER_IDS = frozenset({"_pages_content", "_pages_store"})

# Where a role lands after login when the page it asked for is not one of its areas.
HOME_PATHS = {"clerk": "/import"}

SESSION_COOKIE_NAME = "cockpit_session"
# Kiosk cookies are permanent and renewed daily by the wall's polls; browsers cap cookie lifetime at 400 days.
KIOSK_COOKIE_LIFETIME = timedelta(days=400)
MAX_REQUEST_BYTES = 8 * 1024 * 1024
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's request handler without its ``Server: Werkzeug/x Python/y`` header:
    no answer names the server software or its version (gunicorn's says only "gunicorn")."""

    def version_string(self) -> str:
        return "cockpit"


class CockpitSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure when configured so or when served over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)

    def should_set_cookie(self, app: Flask, session) -> bool:
        # A permanent (kiosk) cookie is renewed once a day rather than on every request, so the wall's
        # unchanged-data poll stays tiny while the cookie still never runs out.
        if session.modified:
            return True
        today = date.today().toordinal()
        if session.permanent and session.get("renewed") != today:
            session["renewed"] = today
            return True
        return False


# ---------------------------------------------------------------- principal and scope


def current_principal() -> Principal | None:
    """The principal of the current request (None outside a request or when anonymous)."""
    if not has_request_context():
        return None
    return g.get("cockpit_principal")


def allowed_townships() -> query.Scope:
    """What the current principal may see: township codes, a region, or None (the whole root).

    A township user sees their township; a region-scoped user (province, city or county prefix) the
    region (:class:`warehouse.query.RegionScope`): its townships and its counties' district-wide records.

    Outside a request (CLI, unit tests) there is no session: None. Inside a request without a
    principal (the guard should have stopped it) it refuses rather than widen to the district.
    """
    if not has_request_context():
        return None
    principal = g.get("cockpit_principal")
    if principal is None:
        raise Forbidden()
    if principal.role == "township":
        return (principal.township_code,)
    if principal.region_code:
        return query.RegionScope(principal.region_code)
    return None


def scope_filters(filters):
    """Restrict ``filters`` (a :class:`warehouse.query.Filters`) to the current principal's scope.

    A township user always gets exactly their own township, whatever the page asked for: a request
    for another township yields their own, never the other's. Other roles pass unchanged. Outside a
    request (CLI, unit tests) there is no session and nothing to scope; inside a request an
    anonymous caller never gets here (the guard stopped it), and if it did it is refused. The query
    layer applies the same rule on every query (see :func:`install`).
    """
    return query.scope_filters(filters, allowed_townships())


# Row-level security in the query layer: once this module is imported (every app and every download
# route imports it), each query is scoped to the principal of the request it runs in; outside a request
# (the scheduler's jobs, the CLI) nothing is scoped.
query.set_scope_provider(allowed_townships)


def note_download(what: str, filters=None) -> None:
    """Let a download route tell the audit what it served and with which (scoped) filters."""
    if has_request_context():
        g.cockpit_download = {"what": what, "filters": dataclasses.asdict(filters) if filters else None}


def audit_event(event: str, **detail) -> None:
    """Append an audit row for the current request's principal (e.g. a rollback from the ops page)."""
    from flask import current_app

    principal = current_principal()
    current_app.config["COCKPIT_GUARD"].store.audit(
        event,
        actor=principal.name if principal else None,
        role=principal.role if principal else None,
        ip=request.remote_addr,
        **detail,
    )


def csrf_token() -> str:
    """The session's CSRF token (created on first use), for forms that POST (login, logout)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def user_menu(lang: str | None = None):
    """A small "signed in as NAME · sign out" form for page headers (call inside a layout function)."""
    from dash import dcc, html

    principal = current_principal()
    if principal is None or not principal.is_user:
        return html.Div(className="cockpit-user-menu")
    return html.Form(
        [
            html.Span(t("security.signed_in_as", lang, name=principal.name), className="me-2 small"),
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token()),
            html.Button(
                t("security.logout", lang), type="submit", className="btn btn-sm btn-outline-secondary"
            ),
        ],
        action=LOGOUT_PATH,
        method="POST",
        className="cockpit-user-menu d-inline-flex align-items-center",
    )


# ---------------------------------------------------------------- install


def install(app: dash.Dash, settings) -> None:
    """Wire authentication, authorisation, audit and security headers into ``app``'s Flask server."""
    server: Flask = app.server
    store = store_for(settings)
    server.secret_key = load_secret_key(settings.data_dir, settings.secret_key)
    server.session_interface = CockpitSessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=KIOSK_COOKIE_LIFETIME,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
    )
    guard = Guard(app, settings, store)
    server.config["COCKPIT_GUARD"] = guard
    server.before_request(guard.before_request)
    server.after_request(guard.after_request)
    server.add_url_rule(LOGIN_PATH, "cockpit_login", guard.login_view, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "cockpit_logout", guard.logout_view, methods=["GET", "POST"])


class Guard:
    """The per-app security state and the request hooks."""

    def __init__(self, app: dash.Dash, settings, store: AuthStore):
        self.app = app
        self.settings = settings
        self.store = store
        self._csp_cache: tuple[tuple[str, ...], str] | None = None

    # ------------------------------------------------------------ classification

    def id_prefix(self, area: str) -> str:
        """The component-id prefix of an area's page module (``ID_PREFIX``), else the default."""
        for module_name, module_area in PAGE_MODULE_AREAS.items():
            if module_area != area:
                continue
            for page in dash.page_registry.values():
                if page["module"].rsplit(".", 1)[-1] == module_name:
                    module = __import__(page["module"], fromlist=["_"])
                    return getattr(module, "ID_PREFIX", DEFAULT_ID_PREFIXES[area])
        return DEFAULT_ID_PREFIXES[area]

    def area_for_path(self, path: str) -> str:
        """The area of a URL path: downloads, the wall (and its JSON routes), ops, else leadership."""
        if path.startswith("/download/") or path == "/download":
            return AREA_DOWNLOAD
        for prefix, area in (("/wall", AREA_WALL), ("/ops", AREA_OPS), ("/import", AREA_IMPORT)):
            if path == prefix or path.startswith(prefix + "/"):
                return area
        return self.area_for_page(path)

    def area_for_page(self, pathname: str) -> str:
        """The area of the Dash page that ``pathname`` renders (as Dash's own router resolves it)."""
        page, _ = _path_to_page(self.app.strip_relative_path(pathname))
        module = (page or {}).get("module", "")
        return PAGE_MODULE_AREAS.get(module.rsplit(".", 1)[-1], AREA_LEADERSHIP)

    def callback_area(self, body: dict) -> str | None:
        """The area of the callback a ``/_dash-update-component`` body calls; None if malformed.

        Dash dispatches on ``body["output"]`` alone, so that key (looked up in the app's callback
        map) decides. The pages router renders whatever page its ``pathname_`` argument names: its
        area is that page's, read from the very position Dash will pass to the router.
        """
        key = body.get("output")
        entry = self.app.callback_map.get(key) if isinstance(key, str) else None
        if not entry or "callback" not in entry:  # unknown, or clientside only: nothing to run here
            return None
        ids = [_id_text(out["id"]) for out in _split_outputs(key)]
        if any(i in PAGES_ROUTER_IDS for i in ids):
            index = self.app.callback_map[key].get("inputs_state_indices", {})
            position = index.get("pathname_") if isinstance(index, dict) else None
            args = list(body.get("inputs") or []) + list(body.get("state") or [])
            if not isinstance(position, int) or position >= len(args) or not isinstance(args[position], dict):
                return None
            pathname = args[position].get("value")
            # A browser's pathname always starts with "/"; anything else is a forged body (Dash would
            # raise on it: a 400 here, not a 500 there).
            if not isinstance(pathname, str) or not pathname.startswith("/"):
                return None
            return self.area_for_path(pathname.split("?", 1)[0])
        ops_prefix, wall_prefix = self.id_prefix(AREA_OPS), self.id_prefix(AREA_WALL)
        if any(i.startswith(ops_prefix) for i in ids):
            return AREA_OPS
        if ids and all(i.startswith(wall_prefix) for i in ids):
            return AREA_WALL
        return AREA_LEADERSHIP

    # ------------------------------------------------------------ hooks

    def before_request(self):
        path = request.path
        g.cockpit_lang = normalize_lang(request.args.get("lang"))
        if request.method in UNSAFE_METHODS and not _same_origin():
            return self.deny(403, "cross_origin")
        if path.startswith(PUBLIC_PREFIXES):
            return None if self.is_served_static(path) else self.deny(404, "not_found", "security_limits")
        if path in PUBLIC_PATHS:
            self.load_principal()
            return None
        principal = self.load_principal()
        if path == CALLBACK_PATH:
            return self.guard_callback(principal)
        if path in SHELL_PATHS:
            return None if principal is not None else self.deny(401, "login_required")
        area = self.area_for_path(path)
        if area == AREA_WALL and "token" in request.args:
            return self.exchange_token()
        if principal is None:
            if self.wants_page():
                return redirect(self.login_url(request.full_path if request.query_string else path))
            return self.deny(401, "login_required")
        if principal.role not in AREA_ROLES[area]:
            return self.deny(403, "forbidden")
        return None

    def is_served_static(self, path: str) -> bool:
        """Whether an anonymous static path names a file Dash registered (component suites).

        Dash answers an unknown package or file with an exception naming every registered library
        (a 500 with a traceback); refused here as a plain 404 before it gets there.
        """
        if not path.startswith(SUITES_PREFIX):
            return True
        package, _, fingerprinted = path[len(SUITES_PREFIX) :].partition("/")
        path_in_package, _ = check_fingerprint(fingerprinted)
        return path_in_package in self.app.registered_paths.get(package, ())

    def after_request(self, response):
        headers = response.headers
        # CSP governs documents; JSON answers (callbacks, polls) are never rendered, and nosniff keeps
        # them so: leaving it off saves ~0.5 KB on every poll.
        if response.mimetype != "application/json":
            headers["Content-Security-Policy"] = self.content_security_policy()
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        frame_ancestors = (self.settings.frame_ancestors or "'none'").strip()
        if frame_ancestors in ("'self'", "'none'"):
            headers["X-Frame-Options"] = "SAMEORIGIN" if frame_ancestors == "'self'" else "DENY"
        path = request.path
        if path == CALLBACK_PATH or path in (LOGIN_PATH, LOGOUT_PATH) or path.startswith("/download/"):
            headers["Cache-Control"] = "no-store"
        # Only completed, authorised downloads are audited: a redirect to the login page, a refusal or
        # an unknown panel is not a download (and an anonymous flood must not write the trail).
        if path.startswith("/download/") and response.status_code == 200 and "cockpit_download" in g:
            self.audit_download()
        return response

    def load_principal(self) -> Principal | None:
        if "cockpit_principal" in g:
            return g.cockpit_principal
        session_id = session.get("sid")
        principal = self.store.resolve_session(session_id) if isinstance(session_id, str) else None
        if session_id and principal is None:
            session.pop("sid", None)
        g.cockpit_principal = principal
        return principal

    def guard_callback(self, principal: Principal | None):
        if principal is None:
            return self.deny(401, "login_required")
        body = _bounded_json_body()
        area = self.callback_area(body) if isinstance(body, dict) else None
        if area is None:
            return self.deny(400, "bad_request")
        if principal.role not in AREA_ROLES[area]:
            log.warning("refused callback %s to %s (%s)", body.get("output"), principal.name, principal.role)
            return self.deny(403, "forbidden")
        return None

    def wants_page(self) -> bool:
        return request.method == "GET" and "text/html" in request.headers.get("Accept", "")

    def deny(self, status: int, reason: str, area: str = "security"):
        """Refuse: a small HTML page for browser navigations, JSON for everything else.

        The page's text is ``<area>.error.<reason>.title/.text`` from the i18n catalog.
        """
        if self.wants_page() and status != 401:
            lang = g.get("cockpit_lang")
            body = render_page(
                "message.html",
                lang,
                title=t(f"{area}.error.{reason}.title", lang),
                message=t(f"{area}.error.{reason}.text", lang),
                principal=current_principal(),
            )
            return make_response(body, status)
        return make_response(jsonify({"error": reason}), status)

    def login_url(self, next_path: str | None = None) -> str:
        params = {}
        if next_path and next_path not in ("/", "/?"):
            params["next"] = next_path
        if g.get("cockpit_lang") == "en":
            params["lang"] = "en"
        return LOGIN_PATH + (f"?{urlencode(params)}" if params else "")

    # ------------------------------------------------------------ kiosk tokens

    def exchange_token(self):
        """Trade ``?token=`` for a kiosk session cookie, then drop the token from the address bar."""
        token = request.args.get("token", "")
        ip = request.remote_addr or "-"
        # A token is typed or bookmarked into a kiosk's browser (a top-level navigation of its own). A
        # request another site makes the browser send (<img src=".../wall?token=bad">, a link, a
        # redirect) is refused without counting: a foreign page must not lock anyone out.
        if _foreign_fetch():
            return self.deny(403, "bad_token")
        # Forged tokens are counted per address in their own scope: guessing is throttled, logins are
        # not affected, and the audit trail gets one row per attempt only until the address is locked.
        if self.store.token_lock_remaining(ip):
            return self.deny(429, "bad_token")
        name = self.store.token_name(token)
        if name is None:
            self.store.record_token_failure(ip)
            self.store.audit("kiosk.token_rejected", ip=ip, path=request.path)
            return self.deny(403, "bad_token")
        session.clear()
        session["sid"] = self.store.create_session("kiosk", name)
        session.permanent = True
        g.cockpit_principal = Principal("kiosk", name, "kiosk")
        self.store.audit("kiosk.token_use", actor=name, role="kiosk", ip=ip, path=request.path)
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
        return redirect(request.path + (f"?{urlencode(rest)}" if rest else ""))

    # ------------------------------------------------------------ login / logout

    def login_view(self):
        lang = g.get("cockpit_lang")
        next_path = _safe_next(request.values.get("next"))
        error = None
        status = 200
        name = ""
        if request.method == "POST":
            name = (request.form.get("username") or "").strip()[:64]
            password = request.form.get("password") or ""
            if not hmac.compare_digest(request.form.get("csrf_token", ""), session.get("csrf", "") or "-"):
                error, status = t("security.login.expired", lang), 400
            elif not name or not password:
                error, status = t("security.login.missing", lang), 400
            else:
                result = self.store.authenticate(name, password, request.remote_addr or "-")
                if result.principal is not None:
                    return self.start_user_session(result.principal, next_path)
                ip = request.remote_addr
                # While locked, one audit row a minute per address is enough: a flood must not fill the disk.
                if result.reason != "locked" or not self.store.audited_recently("login.locked", ip, 60):
                    event = "login.locked" if result.reason == "locked" else "login.failure"
                    self.store.audit(event, actor=name, ip=ip, reason=result.reason)
                if result.reason == "locked":
                    minutes = max(1, (result.retry_after + 59) // 60)
                    error, status = t("security.login.locked", lang, minutes=minutes), 429
                else:
                    error, status = t("security.login.failed", lang), 401
        principal = current_principal()
        body = render_page(
            "login.html",
            lang,
            other_lang_url=LOGIN_PATH
            + "?"
            + urlencode(
                {"lang": "zh-CN" if lang == "en" else "en", **({"next": next_path} if next_path else {})}
            ),
            district=self.settings.district_name,
            next_path=next_path or "",
            name=name,
            error=error,
            principal=principal if principal is not None and principal.is_user else None,
        )
        response = make_response(body, status)
        if status == 429:
            response.headers["Retry-After"] = "60"
        return response

    def start_user_session(self, principal: Principal, next_path: str | None):
        old = session.get("sid")
        if isinstance(old, str):
            self.store.end_session(old)
        # A fresh session id and CSRF token at login: nothing from before the login carries over.
        session.clear()
        session["sid"] = self.store.create_session("user", principal.name)
        session.permanent = False
        g.cockpit_principal = principal
        self.store.audit("login.success", actor=principal.name, role=principal.role, ip=request.remote_addr)
        home = HOME_PATHS.get(principal.role, "/")
        target = next_path or home
        if principal.role not in AREA_ROLES[self.area_for_path(target.split("?", 1)[0])]:
            target = home
        return redirect(target)

    def logout_view(self):
        lang = g.get("cockpit_lang")
        if request.method == "GET":
            return self.deny(405, "logout_post") if not self.wants_page() else self.logout_page(lang)
        if not hmac.compare_digest(request.form.get("csrf_token", ""), session.get("csrf", "") or "-"):
            return self.deny(400, "bad_request")
        principal = current_principal()
        session_id = session.get("sid")
        if isinstance(session_id, str):
            self.store.end_session(session_id)
        if principal is not None:
            self.store.audit("logout", actor=principal.name, role=principal.role, ip=request.remote_addr)
        session.clear()
        return redirect(LOGIN_PATH + ("?lang=en" if lang == "en" else ""))

    def logout_page(self, lang):
        body = render_page(
            "message.html",
            lang,
            title=t("security.logout", lang),
            message=t("security.logout_confirm", lang),
            principal=current_principal(),
        )
        return make_response(body, 200)

    # ------------------------------------------------------------ audit, headers

    def audit_download(self) -> None:
        principal = current_principal()
        detail = g.get("cockpit_download") or {}
        self.store.audit(
            "download",
            actor=principal.name if principal else None,
            role=principal.role if principal else None,
            ip=request.remote_addr,
            path=request.path,
            args=request.args.to_dict(flat=False),
            **detail,
        )

    def content_security_policy(self) -> str:
        """The CSP: this origin only; inline scripts only by hash (Dash's renderer bootstrap and
        clientside callbacks, from ``app.csp_hashes()``). See ``CSP_NOTES`` for each allowance."""
        # csp_hashes() is Dash's public API; it is a few SHA-256 of short strings, and the set grows
        # when a page registers a clientside callback late, so the policy is rebuilt when it changes.
        hashes = tuple(self.app.csp_hashes())
        if self._csp_cache is None or self._csp_cache[0] != hashes:
            hashes_text = " ".join(hashes)
            directives = {
                "default-src": "'self'",
                "script-src": f"'self' {hashes_text}",
                "style-src": "'self' 'unsafe-inline'",
                "img-src": "'self' data: blob:",
                "font-src": "'self' data:",
                "connect-src": "'self'",
                "worker-src": "'self' blob:",
                "child-src": "'self' blob:",
                "object-src": "'none'",
                "base-uri": "'self'",
                "form-action": "'self'",
                "frame-ancestors": self.settings.frame_ancestors or "'none'",
            }
            self._csp_cache = (hashes, "; ".join(f"{k} {v}" for k, v in directives.items()))
        return self._csp_cache[1]


CSP_NOTES = """
Verified in Chromium (wall, leadership view, /ops) with a securitypolicyviolation listener: zero
violations with exactly this policy.
script-src 'self' + sha256 hashes: Dash's index page has one inline script (the renderer bootstrap)
  plus one per clientside callback given as a string; they are allowed by hash, nothing else inline.
  No 'unsafe-eval' and no 'unsafe-inline' for scripts: Dash 4.4, plotly.js and dash-ag-grid run without.
style-src 'unsafe-inline': needed. dash-renderer and dash-core-components insert <style> elements at
  run time (with style-src 'self' alone Chromium reports style-src-elem violations from
  dash_renderer.min.js and dash_core_components.js on every page). Styles cannot run script.
img-src data: blob:: plotly's modebar and image export use data:/blob: URLs produced in the page.
worker-src/child-src blob:: MapLibre (map traces) starts its web workers from blob: URLs.
"""


def _split_outputs(key: str) -> list[dict]:
    parts = split_callback_id(key)
    return parts if isinstance(parts, list) else [parts]


def _id_text(component_id) -> str:
    """A component id as text: pattern-matching ids (JSON dicts) count by their ``type``."""
    if isinstance(component_id, str) and component_id.startswith("{"):
        try:
            component_id = json.loads(component_id)
        except ValueError:
            return component_id
    if isinstance(component_id, dict):
        return str(component_id.get("type", ""))
    return str(component_id)


# The plain pages (login, logout, refusals) are Jinja templates shipped in the package; autoescape is
# on for every template, so user input (the name typed, ``next``) cannot inject markup.
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("dashboard", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render_page(template: str, lang: str | None, **context) -> str:
    """One plain page in ``lang``, with the theme, the CSRF token and the string catalog filled in."""
    return _TEMPLATES.get_template(template).render(
        lang=lang,
        html_lang="en" if lang == "en" else "zh-CN",
        theme=_theme(),
        csrf=csrf_token(),
        t=lambda key, **kw: t(key, lang, **kw),
        **context,
    )


def _theme() -> str:
    """Bootstrap colour mode of the plain pages: dark (the cockpit's), or light with ``?theme=light``."""
    return "light" if request.args.get("theme") == "light" else "dark"


def _same_origin() -> bool:
    """False when a state-changing request names another site as its origin (CSRF defence in depth)."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin != "null"
    return origin.rstrip("/") == request.host_url.rstrip("/")


def _bounded_json_body():
    """The request's JSON body, or None when it is not JSON or nests deeper than MAX_JSON_DEPTH.

    Python's parser gives up on very deep nesting with a RecursionError (not the ValueError Flask's
    ``silent`` swallows): caught here so such a body is a 400 and never reaches Dash.
    """
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return None
    return body if json_depth_within(body) else None


def _foreign_fetch() -> bool:
    """Whether the browser says another site made it send this request (Fetch Metadata headers).

    Browsers without these headers send none, and are treated as before (counted, throttled).
    """
    site = request.headers.get("Sec-Fetch-Site", "")
    dest = request.headers.get("Sec-Fetch-Dest", "")
    return site in ("cross-site", "same-site") or dest not in ("", "document", "iframe")


def _safe_next(value: str | None) -> str | None:
    """A local path to return to after login, or None: never another site (open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 2000:
        return None
    if any(ord(c) < 32 for c in value) or value.startswith(LOGIN_PATH):
        return None
    return value
