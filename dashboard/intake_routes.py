"""The clerk's import page (``/import``, 数据导入): upload, check, confirm, fix, history.

Plain Flask pages (no Dash callback: a multi-megabyte upload does not belong in a callback's JSON body),
in the app's Bootstrap style, working without JavaScript; ``assets/intake/intake.js`` adds the upload
progress bar and the live run progress. Every route is under ``/import``: the security guard maps it to
the import area (``admin`` and ``clerk`` only) before any of this code runs; each POST also carries the
session's CSRF token. The pages are the Jinja templates ``templates/intake/*.html`` (on ``base.html``,
autoescaped, rendered by :func:`dashboard.security.render_page`). The work itself is in ``etl.intake``;
the confirmed run is a separate process.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    request,
    session,
)
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.security import audit_event, current_principal, render_page
from etl import header_proposals, intake, templates
from etl.exchange_upload import accepts_packages
from etl.intake import IntakeError
from etl.mapping import load_mapping
from warehouse.exchange import current_districts
from warehouse.i18n import t
from warehouse.query import KPI_IDS, RATE_KPIS

log = logging.getLogger("cockpit.intake")

PREFIX = "/import"
# A request may carry several files; each is held to ``upload_max_bytes`` by ``etl.intake``.
REQUEST_FILES = 10
FORM_OVERHEAD = 1024 * 1024
# Keys a file of the check's report may lack (a manifest checked before the file reports existed).
FILE_DEFAULTS = {
    "report": None,
    "proposals": {},
    "first_rejects": [],
    "update_sample": [],
}

pages = Blueprint("intake", __name__)


def _settings():
    return current_app.config["COCKPIT_SETTINGS"]


def _lang() -> str | None:
    return g.get("cockpit_lang")


def _suffix() -> str:
    return "?lang=en" if _lang() == "en" else ""


def _csrf_ok() -> bool:
    return hmac.compare_digest(request.form.get("csrf_token", ""), session.get("csrf", "") or "-")


def _error(exc: IntakeError):
    """A refusal the clerk reads: the page with the message (browsers), or JSON (scripts)."""
    if "text/html" in request.headers.get("Accept", ""):
        return make_response(_render_page(error=exc), exc.status)
    return make_response(jsonify({"error": exc.key, "message_zh": exc.zh, "message_en": exc.en}), exc.status)


def register_intake_routes(server: Flask) -> None:
    """Add the ``/import`` blueprint to the Flask server (the guard installed after it covers it)."""
    server.register_blueprint(pages)


def _bad_request():
    return _error(IntakeError("security.error.bad_request.text", status=400))


def _to_upload(upload_id: str):
    return redirect(f"{PREFIX}/{upload_id}{_suffix()}", code=303)


@pages.get(PREFIX)
def index():
    return _render_page()


@pages.post(f"{PREFIX}/upload")
def upload():
    settings = _settings()
    request.max_content_length = settings.upload_max_bytes * REQUEST_FILES + FORM_OVERHEAD
    try:
        files = request.files.getlist("files")
    except RequestEntityTooLarge:
        return _too_large()
    if not _csrf_ok():
        return _bad_request()
    files = [f for f in files if f and f.filename]
    if not files:
        return _error(IntakeError("intake.error.no_file"))
    new = intake.new_upload(settings, current_principal().name)
    for storage in files:
        intake.add_file(settings, new, storage.filename, storage.stream)
    audit_event(
        "intake.upload",
        upload_id=new.upload_id,
        files=[
            {"name": f.name, "sha256": f.sha256, "size": f.size, "status": f.status, "reason": f.reason}
            for f in new.files
        ],
    )
    if new.staged:
        _first_check(settings, new)
    return _to_upload(new.upload_id)


def _first_check(settings, new: intake.Upload) -> None:
    """Check a new upload at once; a refusal (a run holds the lock) is kept as the upload's message."""
    try:
        intake.check_upload(settings, new)
        audit_event("intake.check", upload_id=new.upload_id, rows_rejected=new.check["rows_rejected"])
    except IntakeError as exc:
        new.message = f"{exc.zh} / {exc.en}"


@pages.get(f"{PREFIX}/<upload_id>")
def show(upload_id: str):
    try:
        found = intake.refresh_upload(_settings(), upload_id)
    except IntakeError as exc:
        return _error(exc)
    return _render_page(upload=found)


@pages.get(f"{PREFIX}/<upload_id>/status")
def status(upload_id: str):
    try:
        found = intake.refresh_upload(_settings(), upload_id)
    except IntakeError as exc:
        return _error(exc)
    return jsonify(
        {
            "state": found.state,
            "state_text": t(f"intake.state.{found.state}", _lang()),
            "run_id": found.run_id,
            "snapshot_version": found.snapshot_version,
            "message": found.message,
            "progress": _progress_view(found, _lang()),
        }
    )


def _progress_view(found: intake.Upload, lang: str | None) -> dict | None:
    """The confirmed run's progress as the page shows it (bar width, stage, files and rows)."""
    progress = intake.run_progress(_settings(), found)
    if progress is None:
        return None
    detail = t(
        "intake_progress.detail",
        lang,
        done=progress.files_done,
        total=progress.files_total,
        rows=f"{progress.rows:,}",
    )
    return {
        "stage": progress.stage,
        "percent": progress.percent,
        "stage_text": t(f"intake_progress.stage.{progress.stage}", lang),
        "detail": detail,
    }


@pages.post(f"{PREFIX}/<upload_id>/mapping")
def mapping(upload_id: str):
    """An admin accepts proposed fields for unknown headers: saved to ``mapping_file``, check rerun."""
    if not _csrf_ok():
        return _bad_request()
    principal = current_principal()
    if principal is None or principal.role != "admin":
        return _error(IntakeError("intake.error.admin_only", status=403))
    settings = _settings()
    choices = _mapping_choices(request.form.getlist("map"))
    try:
        found = intake.load_upload(settings, upload_id)
        if found.state not in intake.OPEN_STATES:
            raise IntakeError("intake.error.not_open", status=409)
        if choices:
            header_proposals.accept(settings, choices)
            audit_event("intake.mapping_accept", upload_id=upload_id, choices=choices)
        intake.check_upload(settings, found)
    except header_proposals.MappingError as exc:
        return _error(IntakeError(exc.key, status=409))
    except IntakeError as exc:
        return _error(exc)
    return _to_upload(upload_id)


def _mapping_choices(values: list[str]) -> list[tuple[str, str, str]]:
    """(entity, column, header) of each well-formed ``[header, entity, column]`` the form sent."""
    choices = []
    for raw in values:
        try:
            header, entity, column = json.loads(raw)
        except (ValueError, TypeError):
            continue
        if all(isinstance(x, str) and x for x in (header, entity, column)):
            choices.append((entity, column, header[:200]))
    return choices


def _confirm(settings, found: intake.Upload) -> None:
    intake.confirm_upload(settings, found, start=current_app.config.get("COCKPIT_INTAKE_START", True))


ACTIONS = {"check": intake.check_upload, "confirm": _confirm, "cancel": intake.cancel_upload}


@pages.post(f"{PREFIX}/<upload_id>/<action>")
def act(upload_id: str, action: str):
    if not _csrf_ok():
        return _bad_request()
    settings = _settings()
    try:
        found = intake.load_upload(settings, upload_id)
        if action not in ACTIONS:
            return make_response(jsonify({"error": "not_found"}), 404)
        ACTIONS[action](settings, found)
    except IntakeError as exc:
        return _error(exc)
    audit_event(
        f"intake.{action}",
        upload_id=upload_id,
        files=[{"name": f.name, "sha256": f.sha256} for f in found.staged],
    )
    return _to_upload(upload_id)


@pages.get(f"{PREFIX}/<upload_id>/rejects/<sha256>.xlsx")
def rejects(upload_id: str, sha256: str):
    settings = _settings()
    try:
        found = intake.load_upload(settings, upload_id)
        body = intake.rejects_workbook(settings, found, sha256)
    except IntakeError as exc:
        return _error(exc)
    item = next(f for f in found.staged if f.sha256 == sha256)
    audit_event("intake.rejects_download", upload_id=upload_id, sha256=sha256)
    return _xlsx(body, f"拒收行_{item.name.rsplit('.', 1)[0]}.xlsx")


@pages.get(f"{PREFIX}/template/<entity>.xlsx")
def template(entity: str):
    settings = _settings()
    if entity not in templates.template_entities(settings):
        return _error(IntakeError("intake.error.bad_entity", status=404))
    return _xlsx(templates.build_template(settings, entity), templates.template_path_name(entity))


@pages.app_errorhandler(RequestEntityTooLarge)
def too_large(exc):
    if request.path.startswith(PREFIX):
        return _too_large()
    return exc


def _too_large():
    limit = intake._mb(_settings().upload_max_bytes)
    return _error(IntakeError("intake.error.too_large_request", status=413, limit=limit))


def _xlsx(body: bytes, filename: str):
    response = make_response(body)
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _kpi_rows(check: dict, lang: str | None) -> list[dict]:
    before, after = check.get("kpis_before") or {}, check.get("kpis_after") or {}

    def show(kpi: str, value) -> str:
        if value is None:
            return "—"
        return f"{value:.1%}" if kpi in RATE_KPIS else f"{value:,}"

    rows = []
    for kpi in KPI_IDS:
        if kpi not in after and kpi not in before:
            continue
        old, new = before.get(kpi), after.get(kpi)
        rows.append(
            {
                "id": kpi,
                "name": t(f"kpi.{kpi}.name", lang),
                "before": show(kpi, old),
                "after": show(kpi, new),
                "changed": old != new,
            }
        )
    return rows


def _field_labeller(settings, lang: str | None):
    """``label(entity, field)``: the field's canonical Chinese header (what the template and the
    contract call it), for the column mapping table of the check."""
    entities = load_mapping(settings.mapping_file).entities

    def label(entity: str | None, field: str) -> str:
        if field == "export_date":
            return t("intake_report.field.export_date", lang)
        column = entities[entity].columns.get(field) if entity in entities else None
        return (column.headers or (field,))[0] if column is not None else field

    return label


def _render_page(upload=None, error: IntakeError | None = None, package_result=None) -> str:
    lang = _lang()
    settings = _settings()
    principal = current_principal()
    check = upload.check if upload is not None else None
    # A city or province takes its lower levels' exchange packages here (admins only).
    exchange_form = (
        upload is None and getattr(principal, "role", None) == "admin" and accepts_packages(settings)
    )
    return render_page(
        "intake/page.html",
        lang,
        suffix=_suffix(),
        district=settings.district_name,
        upload=upload,
        error=error,
        is_en=lang == "en",
        kpis=_kpi_rows(check, lang) if check else [],
        check_files=[{**FILE_DEFAULTS, **f} for f in check["files"]] if check else [],
        field_label=_field_labeller(settings, lang) if check else None,
        progress=_progress_view(upload, lang) if upload is not None else None,
        history=intake.upload_history(settings, 20) if upload is None else [],
        entities=templates.template_entities(settings) if upload is None else [],
        limit=intake._mb(settings.upload_max_bytes),
        principal=principal,
        is_admin=getattr(principal, "role", None) == "admin",
        as_json=lambda *parts: json.dumps(list(parts), ensure_ascii=False),
        active=intake.ACTIVE_STATES,
        open_states=intake.OPEN_STATES,
        exchange_form=exchange_form,
        rolled_up=sorted(current_districts(settings).items()) if exchange_form else [],
        package_result=package_result,
    )
