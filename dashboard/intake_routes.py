"""The clerk's import page (``/import``, 数据导入): upload, check, confirm, fix, history.

Plain Flask pages (no Dash callback: a multi-megabyte upload does not belong in a callback's JSON body),
in the app's Bootstrap style, working without JavaScript; ``assets/intake/intake.js`` adds the upload
progress bar and the live run status. Every route is under ``/import``: the security guard maps it to
the import area (``admin`` and ``clerk`` only) before any of this code runs; each POST also carries the
session's CSRF token. The work itself is in ``etl.intake``; the confirmed run is a separate process.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import quote

from flask import (
    Flask,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template_string,
    request,
    session,
)
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.security import audit_event, csrf_token, current_principal, user_menu  # noqa: F401
from etl import header_proposals, intake, templates
from etl.intake import IntakeError
from warehouse.i18n import t
from warehouse.query import KPI_IDS, RATE_KPIS

log = logging.getLogger("cockpit.intake")

PREFIX = "/import"
# A request may carry several files; each is held to ``upload_max_bytes`` by ``etl.intake``.
REQUEST_FILES = 10
FORM_OVERHEAD = 1024 * 1024


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


def register_intake_routes(server: Flask) -> None:  # noqa: C901 (split into a blueprint: follow-up)
    """Add the ``/import`` routes to the Flask server (the guard installed after them covers them)."""

    @server.route(PREFIX, methods=["GET"])
    def intake_index():
        return _render_page()

    @server.route(f"{PREFIX}/upload", methods=["POST"])
    def intake_upload():
        settings = _settings()
        request.max_content_length = settings.upload_max_bytes * REQUEST_FILES + FORM_OVERHEAD
        try:
            files = request.files.getlist("files")
        except RequestEntityTooLarge:
            return _too_large()
        if not _csrf_ok():
            return _error(IntakeError("security.error.bad_request.text", status=400))
        files = [f for f in files if f and f.filename]
        if not files:
            return _error(IntakeError("intake.error.no_file"))
        principal = current_principal()
        upload = intake.new_upload(settings, principal.name)
        for storage in files:
            intake.add_file(settings, upload, storage.filename, storage.stream)
        audit_event(
            "intake.upload",
            upload_id=upload.upload_id,
            files=[
                {"name": f.name, "sha256": f.sha256, "size": f.size, "status": f.status, "reason": f.reason}
                for f in upload.files
            ],
        )
        if upload.staged:
            try:
                intake.check_upload(settings, upload)
                audit_event(
                    "intake.check", upload_id=upload.upload_id, rows_rejected=upload.check["rows_rejected"]
                )
            except IntakeError as exc:
                upload.message = f"{exc.zh} / {exc.en}"
        return redirect(f"{PREFIX}/{upload.upload_id}{_suffix()}", code=303)

    @server.route(f"{PREFIX}/<upload_id>", methods=["GET"])
    def intake_show(upload_id: str):
        try:
            upload = intake.refresh_upload(_settings(), upload_id)
        except IntakeError as exc:
            return _error(exc)
        return _render_page(upload=upload)

    @server.route(f"{PREFIX}/<upload_id>/status", methods=["GET"])
    def intake_status(upload_id: str):
        try:
            upload = intake.refresh_upload(_settings(), upload_id)
        except IntakeError as exc:
            return _error(exc)
        return jsonify(
            {
                "state": upload.state,
                "state_text": t(f"intake.state.{upload.state}", _lang()),
                "run_id": upload.run_id,
                "snapshot_version": upload.snapshot_version,
                "message": upload.message,
            }
        )

    @server.route(f"{PREFIX}/<upload_id>/mapping", methods=["POST"])
    def intake_mapping(upload_id: str):
        """An admin accepts proposed fields for unknown headers: saved to ``mapping_file``, check rerun."""
        if not _csrf_ok():
            return _error(IntakeError("security.error.bad_request.text", status=400))
        principal = current_principal()
        if principal is None or principal.role != "admin":
            return _error(IntakeError("intake.error.admin_only", status=403))
        settings = _settings()
        choices = []
        for raw in request.form.getlist("map"):
            try:
                header, entity, column = json.loads(raw)
            except (ValueError, TypeError):
                continue
            if all(isinstance(x, str) and x for x in (header, entity, column)):
                choices.append((entity, column, header[:200]))
        try:
            upload = intake.load_upload(settings, upload_id)
            if upload.state not in intake.OPEN_STATES:
                raise IntakeError("intake.error.not_open", status=409)
            if choices:
                header_proposals.accept(settings, choices)
                audit_event("intake.mapping_accept", upload_id=upload_id, choices=choices)
            intake.check_upload(settings, upload)
        except header_proposals.MappingError as exc:
            return _error(IntakeError(exc.key, status=409))
        except IntakeError as exc:
            return _error(exc)
        return redirect(f"{PREFIX}/{upload_id}{_suffix()}", code=303)

    @server.route(f"{PREFIX}/<upload_id>/<action>", methods=["POST"])
    def intake_action(upload_id: str, action: str):
        if not _csrf_ok():
            return _error(IntakeError("security.error.bad_request.text", status=400))
        settings = _settings()
        try:
            upload = intake.load_upload(settings, upload_id)
            if action == "check":
                intake.check_upload(settings, upload)
            elif action == "confirm":
                intake.confirm_upload(
                    settings, upload, start=current_app.config.get("COCKPIT_INTAKE_START", True)
                )
            elif action == "cancel":
                intake.cancel_upload(settings, upload)
            else:
                return make_response(jsonify({"error": "not_found"}), 404)
        except IntakeError as exc:
            return _error(exc)
        audit_event(
            f"intake.{action}",
            upload_id=upload_id,
            files=[{"name": f.name, "sha256": f.sha256} for f in upload.staged],
        )
        return redirect(f"{PREFIX}/{upload_id}{_suffix()}", code=303)

    @server.route(f"{PREFIX}/<upload_id>/rejects/<sha256>.xlsx", methods=["GET"])
    def intake_rejects(upload_id: str, sha256: str):
        settings = _settings()
        try:
            upload = intake.load_upload(settings, upload_id)
            body = intake.rejects_workbook(settings, upload, sha256)
        except IntakeError as exc:
            return _error(exc)
        item = next(f for f in upload.staged if f.sha256 == sha256)
        audit_event("intake.rejects_download", upload_id=upload_id, sha256=sha256)
        return _xlsx(body, f"拒收行_{item.name.rsplit('.', 1)[0]}.xlsx")

    @server.route(f"{PREFIX}/template/<entity>.xlsx", methods=["GET"])
    def intake_template(entity: str):
        settings = _settings()
        if entity not in templates.template_entities(settings):
            return _error(IntakeError("intake.error.bad_entity", status=404))
        return _xlsx(templates.build_template(settings, entity), templates.template_path_name(entity))

    @server.errorhandler(RequestEntityTooLarge)
    def intake_too_large(exc):
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


def _render_page(upload=None, error: IntakeError | None = None) -> str:
    lang = _lang()
    settings = _settings()
    return render_template_string(
        PAGE_TEMPLATE,
        lang=lang,
        html_lang="en" if lang == "en" else "zh-CN",
        suffix=_suffix(),
        t=lambda key, **kw: t(key, lang, **kw),
        district=settings.district_name,
        upload=upload,
        error=error,
        is_en=lang == "en",
        kpis=_kpi_rows(upload.check, lang) if upload is not None and upload.check else [],
        history=intake.upload_history(settings, 20) if upload is None else [],
        entities=templates.template_entities(settings) if upload is None else [],
        csrf=csrf_token(),
        limit=intake._mb(settings.upload_max_bytes),
        principal=current_principal(),
        is_admin=getattr(current_principal(), "role", None) == "admin",
        as_json=lambda *parts: json.dumps(list(parts), ensure_ascii=False),
        active=intake.ACTIVE_STATES,
        open_states=intake.OPEN_STATES,
    )


PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ html_lang }}" data-bs-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t('intake.page.title') }} · {{ district }}</title>
<link rel="stylesheet" href="/vendor/bootstrap.min.css">
<link rel="stylesheet" href="/vendor/bootstrap-icons.min.css">
{% if upload and upload.state in active %}<noscript><meta http-equiv="refresh" content="3"></noscript>{% endif %}
<script src="/assets/intake/intake.js" defer></script>
</head>
<body class="bg-body-tertiary">
<nav class="navbar bg-body border-bottom mb-3">
  <div class="container-lg">
    <a class="navbar-brand" href="/import{{ suffix }}">{{ district }} · {{ t('intake.page.title') }}</a>
    <div class="d-flex align-items-center gap-3">
      <a href="/ops{{ suffix }}">{{ t('intake.page.ops_link') }}</a>
      {% if principal %}<span class="small text-body-secondary">{{ principal.name }}</span>{% endif %}
      <form method="post" action="/logout{{ suffix }}" class="d-inline">
        <input type="hidden" name="csrf_token" value="{{ csrf }}">
        <button class="btn btn-sm btn-outline-secondary" type="submit">{{ t('security.logout') }}</button>
      </form>
    </div>
  </div>
</nav>
<main class="container-lg" id="intake-main">
{% if error %}
  <div class="alert alert-danger" role="alert" id="intake-error">{{ error.zh if not is_en else error.en }}</div>
{% endif %}
{% if upload is none %}
  <section class="card mb-4"><div class="card-body">
    <h1 class="h5">{{ t('intake.page.upload_title') }}</h1>
    <p class="text-body-secondary small">{{ t('intake.page.upload_help', limit=limit) }}</p>
    <form id="intake-upload-form" method="post" action="/import/upload{{ suffix }}" enctype="multipart/form-data">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <label id="intake-drop" class="d-block border border-2 border-dashed rounded p-4 text-center mb-3" style="border-style: dashed !important;">
        <i class="bi bi-cloud-upload fs-2 d-block"></i>
        <span>{{ t('intake.page.drop') }}</span>
        <input class="form-control mt-3" type="file" id="intake-files" name="files" multiple
               accept=".xlsx,.csv,.jsonl,.zip">
      </label>
      <div class="progress mb-3 d-none" id="intake-progress" role="progressbar"><div class="progress-bar" style="width: 0%"></div></div>
      <button class="btn btn-primary" type="submit" id="intake-submit">{{ t('intake.page.upload_submit') }}</button>
    </form>
  </div></section>
  <section class="card mb-4"><div class="card-body">
    <h2 class="h5">{{ t('intake.page.templates') }}</h2>
    <p class="text-body-secondary small">{{ t('intake.page.templates_help') }}</p>
    <div class="d-flex flex-wrap gap-2" id="intake-templates">
    {% for e in entities %}
      <a class="btn btn-sm btn-outline-secondary" href="/import/template/{{ e }}.xlsx"><i class="bi bi-file-earmark-spreadsheet"></i> {{ t('intake.entity.' + e) }}</a>
    {% endfor %}
    </div>
  </div></section>
  <section class="card mb-4"><div class="card-body">
    <h2 class="h5">{{ t('intake.page.history') }}</h2>
    <table class="table table-sm small" id="intake-history">
      <thead><tr><th>{{ t('intake.page.when') }}</th><th>{{ t('intake.page.who') }}</th><th>{{ t('intake.page.files') }}</th>
      <th>{{ t('intake.page.state') }}</th><th>{{ t('intake.page.run_id') }}</th><th>{{ t('intake.page.snapshot') }}</th></tr></thead>
      <tbody>
      {% for h in history %}
        <tr><td><a href="/import/{{ h.upload_id }}{{ suffix }}">{{ h.created_at[:19].replace('T', ' ') }}</a></td><td>{{ h.actor }}</td>
        <td>{% for f in h.files %}<div>{{ f.name }} <code class="text-body-secondary" title="sha256 {{ f.sha256 }}">{{ (f.sha256 or '')[:12] }}</code></div>{% endfor %}</td>
        <td>{{ t('intake.state.' + h.state) }}</td><td><code>{{ h.run_id or '' }}</code></td><td><code>{{ h.snapshot_version or '' }}</code></td></tr>
      {% else %}
        <tr><td colspan="6" class="text-body-secondary">{{ t('intake.page.no_history') }}</td></tr>
      {% endfor %}
      </tbody>
    </table>
  </div></section>
{% else %}
  <p><a href="/import{{ suffix }}">← {{ t('intake.page.back') }}</a></p>
  <section class="card mb-3"><div class="card-body">
    <h1 class="h5">{{ t('intake.page.upload_of', who=upload.actor, when=upload.created_at[:19].replace('T', ' ')) }}</h1>
    <p class="mb-1">{{ t('intake.page.state') }}: <strong id="intake-state" data-state="{{ upload.state }}"
       data-status-url="/import/{{ upload.upload_id }}/status{{ suffix }}">{{ t('intake.state.' + upload.state) }}</strong></p>
    {% if upload.state in active %}
      <div class="progress mb-2" role="progressbar" id="intake-run-progress">
        <div class="progress-bar progress-bar-striped progress-bar-animated" style="width: 100%">{{ t('intake.state.' + upload.state) }}</div>
      </div>
      <p class="small text-body-secondary">{{ t('intake.page.run_background') }}</p>
    {% endif %}
    {% if upload.state == 'succeeded' %}
      <div class="alert alert-success" id="intake-outcome">{{ t('intake.page.succeeded', version=upload.snapshot_version or '—', run_id=upload.run_id) }}</div>
    {% elif upload.state == 'failed' %}
      <div class="alert alert-danger" id="intake-outcome">{{ t('intake.page.failed') }} {{ upload.message }}</div>
    {% elif upload.message %}
      <div class="alert alert-warning" id="intake-message">{{ upload.message }}</div>
    {% endif %}
    {% set refused = upload.files | selectattr('status', 'equalto', 'refused') | list %}
    {% if refused %}
      <div class="alert alert-warning" id="intake-refused"><strong>{{ t('intake.page.refused') }}</strong>
        <ul class="mb-0">{% for f in refused %}<li>{{ f.message_en if is_en else f.message_zh }}</li>{% endfor %}</ul></div>
    {% endif %}
    {% if upload.state in open_states %}
      <div class="d-flex gap-2">
      {% if upload.state == 'checked' %}
        <form method="post" action="/import/{{ upload.upload_id }}/confirm{{ suffix }}">
          <input type="hidden" name="csrf_token" value="{{ csrf }}">
          <button class="btn btn-primary" type="submit" id="intake-confirm">{{ t('intake.page.confirm') }}</button>
        </form>
      {% elif upload.staged %}
        <form method="post" action="/import/{{ upload.upload_id }}/check{{ suffix }}">
          <input type="hidden" name="csrf_token" value="{{ csrf }}">
          <button class="btn btn-primary" type="submit" id="intake-check">{{ t('intake.page.check') }}</button>
        </form>
      {% endif %}
        <form method="post" action="/import/{{ upload.upload_id }}/cancel{{ suffix }}">
          <input type="hidden" name="csrf_token" value="{{ csrf }}">
          <button class="btn btn-outline-danger" type="submit" id="intake-cancel">{{ t('intake.page.cancel') }}</button>
        </form>
      </div>
    {% endif %}
  </div></section>
  {% if upload.check %}
  {% set c = upload.check %}
  <section class="card mb-3"><div class="card-body">
    <h2 class="h5">{{ t('intake.page.check_title') }}</h2>
    <p class="small text-body-secondary">{{ t('intake.page.check_help', seconds=c.seconds) }}</p>
    <table class="table table-sm" id="intake-totals"><tbody>
      <tr><th>{{ t('intake.count.rows_read') }}</th><td data-count="rows_read">{{ c.rows_read }}</td>
          <th>{{ t('intake.count.rows_new') }}</th><td data-count="rows_new">{{ c.rows_new }}</td>
          <th>{{ t('intake.count.rows_updated') }}</th><td data-count="rows_updated">{{ c.rows_updated }}</td>
          <th>{{ t('intake.count.rows_duplicate') }}</th><td data-count="rows_duplicate">{{ c.rows_duplicate }}</td>
          <th>{{ t('intake.count.rows_rejected') }}</th><td data-count="rows_rejected">{{ c.rows_rejected }}</td></tr>
    </tbody></table>
    {% if kpis %}
    <h3 class="h6">{{ t('intake.page.kpis') }}</h3>
    <table class="table table-sm small" id="intake-kpis"><thead><tr><th></th><th>{{ t('intake.page.before') }}</th><th>{{ t('intake.page.after') }}</th></tr></thead><tbody>
      {% for k in kpis %}<tr data-kpi="{{ k.id }}" class="{{ 'table-warning' if k.changed else '' }}"><td>{{ k.name }}</td><td>{{ k.before }}</td><td class="kpi-after">{{ k.after }}</td></tr>{% endfor %}
    </tbody></table>
    {% endif %}
  </div></section>
  {% for f in c.files %}
  <section class="card mb-3 intake-file" data-file="{{ f.file_name }}"><div class="card-body">
    <h3 class="h6">{{ f.file_name }} <span class="badge text-bg-{{ 'success' if f.status == 'loaded' else ('secondary' if f.status == 'already_loaded' else 'danger') }}">{{ t('intake.file_status.' + f.status) }}</span></h3>
    {% if f.entity %}<p class="small mb-1">{{ t('intake.page.entity') }}: <strong>{{ t('intake.entity.' + f.entity) }}</strong>
      {% if f.sheet %} · {{ t('intake.page.sheet') }}: {{ f.sheet }}{% endif %}
      {% if f.header_row %} · {{ t('intake.page.header_row') }}: {{ f.header_row }}{% endif %}
      {% if f.encoding %} · {{ f.encoding }}{% endif %}</p>{% endif %}
    {% if f.message_zh and f.status != 'loaded' %}<div class="alert alert-danger py-1 small">{{ f.message_en if is_en else f.message_zh }}</div>{% endif %}
    {% if f.status == 'loaded' %}
    <p class="small">
      {{ t('intake.count.rows_read') }} <strong data-count="rows_read">{{ f.rows_read }}</strong> ·
      {{ t('intake.count.rows_new') }} <strong data-count="rows_new">{{ f.rows_new }}</strong> ·
      {{ t('intake.count.rows_updated') }} <strong data-count="rows_updated">{{ f.rows_updated }}</strong> ·
      {{ t('intake.count.rows_duplicate') }} <strong data-count="rows_duplicate">{{ f.rows_duplicate }}</strong> ·
      {{ t('intake.count.rows_rejected') }} <strong data-count="rows_rejected">{{ f.rows_rejected }}</strong>
    </p>
    {% endif %}
    {% if f.update_sample %}
    <div class="small mb-2 intake-updates"><strong>{{ t('intake.page.update_sample') }}</strong>
      <ul class="mb-0">{% for u in f.update_sample %}<li><code>{{ u.id }}</code>:
        {% for c in u.changes %}{{ c.label }} {{ c.before or '—' }} → {{ c.after or '—' }}{{ '；' if not loop.last }}{% endfor %}</li>{% endfor %}</ul>
    </div>
    {% endif %}
    {% if f.columns %}
    <details class="small mb-2"><summary>{{ t('intake.page.columns') }}</summary>
      <table class="table table-sm"><thead><tr><th>{{ t('intake.page.source_header') }}</th><th>{{ t('intake.page.field') }}</th></tr></thead><tbody>
      {% for col in f.columns %}<tr class="{{ '' if col.field else 'table-warning' }}"><td>{{ col.header }}</td><td>{{ col.field or t('intake.page.unrecognised') }}</td></tr>{% endfor %}
      </tbody></table>
      {% if f.absent_optional %}<p>{{ t('intake.page.absent_optional') }}: {{ f.absent_optional | join('、') }}</p>{% endif %}
    </details>
    {% endif %}
    {% if f.proposals %}
    <div class="border rounded p-2 mb-2 small intake-proposals">
      <strong>{{ t('intake.page.proposals') }}</strong>
      {% if is_admin and upload.state in open_states %}
      <form method="post" action="/import/{{ upload.upload_id }}/mapping{{ suffix }}">
        <input type="hidden" name="csrf_token" value="{{ csrf }}">
        {% for header, options in f.proposals.items() %}
        <div class="d-flex align-items-center gap-2 my-1"><span class="text-nowrap">{{ header }} →</span>
          <select class="form-select form-select-sm w-auto" name="map">
            <option value="">{{ t('intake.page.proposal_skip') }}</option>
            {% for p in options %}<option value="{{ as_json(header, p.entity, p.column) }}">{{ t('intake.entity.' + p.entity) }} · {{ p.header }} ({{ p.column }})</option>{% endfor %}
          </select></div>
        {% endfor %}
        <button class="btn btn-sm btn-outline-primary mt-1" type="submit">{{ t('intake.page.accept_mapping') }}</button>
      </form>
      {% else %}
      <ul class="mb-1">{% for header, options in f.proposals.items() %}<li>{{ header }} → {{ options | map(attribute='header') | join(' / ') }}</li>{% endfor %}</ul>
      <span class="text-body-secondary">{{ t('intake.page.ask_admin') }}</span>
      {% endif %}
    </div>
    {% endif %}
    {% if f.first_rejects %}
    <table class="table table-sm small intake-rejects"><thead><tr><th>{{ t('intake.page.row') }}</th><th>{{ t('intake.page.column') }}</th><th>{{ t('intake.page.reason') }}</th></tr></thead><tbody>
      {% for r in f.first_rejects %}<tr><td>{{ r.source_row or '' }}</td><td>{{ r.column_name or '' }}</td><td>{{ r.message_en if is_en else r.message_zh }}</td></tr>{% endfor %}
    </tbody></table>
    {% if f.rows_rejected and upload.state != 'cancelled' %}
      <a class="btn btn-sm btn-outline-primary intake-rejects-download" href="/import/{{ upload.upload_id }}/rejects/{{ f.file_id }}.xlsx">
        <i class="bi bi-download"></i> {{ t('intake.page.download_rejects') }}</a>
    {% endif %}
    {% endif %}
  </div></section>
  {% endfor %}
  {% endif %}
{% endif %}
</main>
</body>
</html>
"""
