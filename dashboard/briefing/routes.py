"""Briefing routes: ``/download/briefing.<pdf|docx>?<the leadership view's query string>``, the ``/briefs``
list of scheduled briefings and ``/download/briefs/<file>``.

Both downloads live under ``/download/``, so the security guard admits only the download roles and
audits every file served (``Guard.after_request``). Scope: a township user gets their own township's
briefing, a region-scoped user (a county of a city, a city of a province) their region's, or the region
or township they drilled into within it; asking outside the scope is refused (403), never silently
widened or swapped. The ``/briefs`` list is for leaders and admins of the whole root (the scheduled
files cover all of it).

The briefing is written in a worker thread, where no request (and so no caller scope) exists: the scope
is resolved here, in the request, and travels with the job as its region and township.

Writing a briefing with charts takes seconds (kaleido draws four charts, Chromium prints): it runs on a
small pool outside the request thread. The request waits :data:`WAIT_SECONDS` for it; if it is not ready,
the answer is a short "being prepared" page that reloads the same URL, which picks up the finished file.
"""

from __future__ import annotations

import html
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from flask import abort, g, has_request_context, make_response, request, send_file

from dashboard import context
from dashboard.briefing.jobs import BRIEF_NAME, briefs_dir, kept_briefs
from dashboard.briefing.write import FORMATS, MIME, BriefingError, briefing_bytes, default_name
from dashboard.downloads import Download, attachment
from dashboard.filters import Q_REGION, Q_TOWNSHIP, parse_search
from dashboard.security import note_download
from warehouse.errors import UserError
from warehouse.i18n import normalize_lang, t
from warehouse.query import Filters
from warehouse.regions import is_within, prefix_of

WAIT_SECONDS = 20.0
RETRY_SECONDS = 3
# Leaders and admins read the kept (district-wide) briefings; township users write their own on demand.
LIST_ROLES = frozenset({"admin", "leader"})
# Roles that see the low-points watchlist's names on the leadership view (its panel, in their scope).
WATCHLIST_NAME_ROLES = frozenset({"admin", "leader", "township"})

_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefing")
_pending: dict[tuple, Future] = {}
# Finished briefings nobody came back for are dropped beyond this many (a file is a few MB).
KEEP_FINISHED = 8
_pending_lock = threading.Lock()


def _principal():
    return g.get("cockpit_principal") if has_request_context() else None


def requested_township(state_townships: tuple[str, ...], principal) -> str | None:
    """The briefing's township: the one selected (several or none: the district), within the role's scope.

    Raises:
        werkzeug Forbidden (403): a township user asking for another township.
    """
    wanted = state_townships[0] if len(state_townships) == 1 else None
    if principal is not None and principal.role == "township":
        if wanted not in (None, principal.township_code):
            abort(403)
        return principal.township_code
    if wanted is not None and not _within_scope(wanted, principal):
        abort(403)
    return wanted


def _within_scope(code: str, principal) -> bool:
    """Whether ``code`` (a township or region the request names) lies in a region-scoped principal's
    region; anything for a principal without a region scope (a malformed code is not within one)."""
    if principal is None or not principal.region_code:
        return True
    try:
        return is_within(code, principal.region_code)
    except UserError:
        return False


def requested_region(asked: tuple[str, ...], state_region: str, principal) -> str:
    """The briefing's region: the view's (``parse_search`` clamps it to the caller's scope; a region
    user's default is their own region).

    Raises:
        werkzeug Forbidden (403): a region-scoped user naming a region outside their own (above it too).
    """
    if any(not _within_scope(code, principal) for code in asked):
        abort(403)
    return state_region


def _root_wide(principal) -> bool:
    """Whether ``principal`` sees the whole root (the kept briefings cover all of it)."""
    if principal is None or principal.role not in LIST_ROLES:
        return False
    root = context.settings().root_region
    return not principal.region_code or principal.region_code == prefix_of(root)


def _build(settings, reader, key: tuple) -> Download:
    start, end, township, region, fmt, lang, names, _version = key
    built = briefing_bytes(
        settings, start, end, township, fmt, lang=lang, watchlist_names=names, reader=reader, region=region
    )
    scope = township or region or None
    name = f"{t('briefing.title', lang)}_{start}至{end}{'_' + scope if scope else ''}.{fmt}"
    return Download(built.content, name, MIME[fmt], default_name(start, end, scope, fmt))


def _submit(key: tuple) -> Future:
    with _pending_lock:
        finished = [k for k, f in _pending.items() if f.done() and k != key]
        for stale in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del _pending[stale]
        future = _pending.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = _pool.submit(_build, context.settings(), context.reader(), key)
            _pending[key] = future
        return future


def _preparing_page(lang: str):
    body = (
        f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{RETRY_SECONDS}"><title>{html.escape(t("briefing.title", lang))}'
        f"</title></head><body><p>{html.escape(t('briefing.preparing', lang))}</p></body></html>"
    )
    response = make_response(body, 202)
    response.headers["Retry-After"] = str(RETRY_SECONDS)
    return response


def briefing_download(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    settings = context.settings()
    principal = _principal()
    # parse_search narrows the townships to the user's scope (the views then label what they show);
    # a briefing is a document someone asked for by name, so asking outside the scope is refused instead.
    asked = _asked(Q_TOWNSHIP)
    if len(asked) == 1:
        requested_township(asked, principal)
    state = parse_search(request.args.to_dict(flat=False), settings.default_period())
    township = requested_township(state.townships, principal)
    region = requested_region(_asked(Q_REGION), state.region, principal)
    lang = normalize_lang(state.lang)
    names = principal is not None and principal.role in WATCHLIST_NAME_ROLES
    version = getattr(context.reader(), "version", None)
    key = (state.start, state.end, township, region, fmt, lang, names, version)
    future = _submit(key)
    try:
        built = future.result(timeout=WAIT_SECONDS)
    except TimeoutError:
        return _preparing_page(lang)
    except BriefingError as exc:
        with _pending_lock:
            _pending.pop(key, None)
        return make_response(str(exc), 400)
    with _pending_lock:
        _pending.pop(key, None)  # served: a later request writes it afresh (it may be another snapshot)
    note_download(
        f"briefing.{fmt}", Filters(state.start, state.end, (township,) if township else (), region=region)
    )
    return attachment(built)


def _asked(name: str) -> tuple[str, ...]:
    return tuple(code for value in request.args.getlist(name) for code in value.split(",") if code)


def briefs_page():
    principal = _principal()
    if not _root_wide(principal):
        abort(403)
    lang = normalize_lang(request.args.get("lang"))
    rows = "".join(
        "<tr>"
        f"<td><a href='/download/briefs/{html.escape(b.path.name)}'>{html.escape(b.path.name)}</a></td>"
        f"<td>{b.start} – {b.end}</td><td>{html.escape(b.version)}</td>"
        f"<td>{b.written_at:%Y-%m-%d %H:%M}</td></tr>"
        for b in kept_briefs(context.settings())
    )
    head = "".join(
        f"<th>{html.escape(t(f'briefing.list.{c}', lang))}</th>"
        for c in ("file", "period", "version", "written_at")
    )
    table = (
        f"<table class='table table-sm'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else f"<p>{html.escape(t('briefing.list.empty', lang))}</p>"
    )
    title = html.escape(t("briefing.list.title", lang))
    body = (
        f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        f'<title>{title}</title><link rel="stylesheet" href="/vendor/bootstrap.min.css"></head>'
        f'<body class="container py-4"><h1 class="h4" id="briefs-title">{title}</h1>{table}</body></html>'
    )
    return make_response(body, 200)


def kept_brief_download(name: str):
    if not _root_wide(_principal()):
        abort(403)
    if not BRIEF_NAME.match(name):
        abort(404)
    path: Path = briefs_dir(context.settings()) / name
    if not path.is_file():
        abort(404)
    note_download(f"briefs/{name}")
    fmt = name.rsplit(".", 1)[-1]
    return send_file(path, mimetype=MIME[fmt], as_attachment=True, download_name=name, max_age=0)


def register_briefing_routes(server) -> None:
    """Add the briefing routes to the Flask ``server`` (before the security guard is installed)."""
    server.add_url_rule("/download/briefing.<string:fmt>", "cockpit_briefing", briefing_download)
    server.add_url_rule("/download/briefs/<string:name>", "cockpit_kept_brief", kept_brief_download)
    server.add_url_rule("/briefs", "cockpit_briefs", briefs_page)
