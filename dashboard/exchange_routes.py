"""``POST /import/exchange``: an admin uploads an exchange package at a city or province deployment.

The route sits in the import area (the security guard lets only ``admin`` and ``clerk`` reach
``/import``) and takes only admins: loading a package publishes a new roll-up snapshot at once, without
the check-and-confirm step of a clerk's exports. The request carries the session's CSRF token and is
held to ``upload_max_bytes``; the screening and the load are ``etl.exchange_upload``'s. The answer is
the import page with the result in Chinese and English (browsers) or JSON (scripts); every upload and
every refusal is audited.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, make_response, request
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.intake_routes import (
    FORM_OVERHEAD,
    PREFIX,
    _bad_request,
    _csrf_ok,
    _error,
    _render_page,
    _too_large,
)
from dashboard.security import audit_event, current_principal
from etl.exchange_upload import accepts_packages, receive_package
from etl.intake import IntakeError, clean_name

pages = Blueprint("exchange_upload", __name__)
STATUS_CODES = {"loaded": 200, "ignored": 200, "rejected": 422}


def register_exchange_routes(server: Flask) -> None:
    """Add ``/import/exchange`` to the Flask server (the guard installed after it covers it)."""
    server.register_blueprint(pages)


@pages.post(f"{PREFIX}/exchange")
def upload_package():
    settings = current_app.config["COCKPIT_SETTINGS"]
    request.max_content_length = settings.upload_max_bytes + FORM_OVERHEAD
    try:
        storage = request.files.get("package")
    except RequestEntityTooLarge:
        return _too_large()
    if not _csrf_ok():
        return _bad_request()
    principal = current_principal()
    name = clean_name(storage.filename) if storage is not None and storage.filename else None
    try:
        if not accepts_packages(settings):
            raise IntakeError("exchange_web.error.not_upper", status=403, code=settings.root_region)
        if principal is None or principal.role != "admin":
            raise IntakeError("exchange_web.error.admin_only", status=403)
        if name is None:
            raise IntakeError("exchange_web.error.no_file")
        outcome = receive_package(settings, name, storage.stream, scope=principal.region_code)
    except IntakeError as exc:
        audit_event("exchange.upload_refused", file=name, reason=exc.key)
        return _error(exc)
    result = outcome.result
    audit_event(
        "exchange.upload",
        file=outcome.name,
        sha256=outcome.sha256,
        size=outcome.size,
        status=result.status,
        region_code=result.region_code,
        snapshot_version=result.snapshot_version,
        published_version=outcome.published_version,
    )
    status = STATUS_CODES[result.status]
    if "text/html" in request.headers.get("Accept", ""):
        return make_response(_render_page(package_result=outcome), status)
    body = {
        "file": outcome.name,
        "sha256": outcome.sha256,
        "status": result.status,
        "region_code": result.region_code,
        "snapshot_version": result.snapshot_version,
        "published_version": outcome.published_version,
        "message": result.message,
    }
    return make_response(jsonify(body), status)
