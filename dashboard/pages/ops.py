"""The operators' page (``/ops``, admin only): runs, files, rejects and snapshots.

What was loaded, what was rejected and why, so the source data can be fixed:

- the last run (``data_dir/last_run.json``) and the recent runs;
- for the chosen run (or all kept runs): each file's outcome (loaded / already loaded / rejected),
  rejected rows counted by reason, and every rejected row with file, row, column and message
  (dash-ag-grid), downloadable as XLSX;
- the kept snapshots, with a rollback action (``warehouse.publish.rollback`` under the run lock, the same
  as ``cockpit snapshots rollback``).

Everything comes from the operators' copy ``data_dir/ops.duckdb`` (``warehouse.ops_store``, refreshed after each
run) and the status file, never from the raw store, which the ETL holds read-write while it runs.
Component ids start with ``ops-``: the security guard maps those callbacks to the admin-only area.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import context, security
from dashboard.security import note_download
from warehouse import ops_query, snapshot_actions
from warehouse.i18n import catalog, normalize_lang, t
from warehouse.publish import list_snapshots
from warehouse.run_status import COUNT_KEYS, RunStatus, read_status
from warehouse.spreadsheet import csv_safe
from warehouse.timefmt import show

log = logging.getLogger("cockpit.ops")

dash.register_page(__name__, path="/ops", name="ops", title="运维 / Operations")

ID_PREFIX = "ops-"
LANG = "ops-lang"
RUN = "ops-run"
RUNS_GRID = "ops-runs-grid"
FILES_GRID = "ops-files-grid"
REASONS_GRID = "ops-reasons-grid"
REJECTS_GRID = "ops-rejects-grid"
REJECTS_NOTE = "ops-rejects-note"
DOWNLOAD_BUTTON = "ops-download-button"
DOWNLOAD = "ops-download"
SNAPSHOTS = "ops-snapshots"
ROLLBACK = "ops-rollback"  # pattern-matching: {"type": ROLLBACK, "version": ...}
CONFIRM = "ops-confirm"
PENDING = "ops-pending"
MESSAGE = "ops-message"
ALL_RUNS = "__all__"
GRID_ROWS = 5000

RUN_COLUMNS = (
    "started_at",
    "status",
    "trigger",
    "files_seen",
    "rows_read",
    "rows_loaded",
    "rows_updated",
    "rows_rejected",
    "rows_duplicate",
    "snapshot_version",
    "run_id",
    "message",
)
FILE_COLUMNS = (
    "file_name",
    "status",
    "entity",
    "rows_read",
    "rows_loaded",
    "rows_updated",
    "rows_rejected",
    "rows_duplicate",
    "reason",
    "run_id",
)
REJECT_COLUMNS = ("file_name", "source_row", "column_name", "reason", "message", "raw_value", "run_id")


# ---- pure builders -----------------------------------------------------------------------------


def label(key: str, lang: str) -> str:
    """A catalog entry if it exists, else the key itself (statuses, reason codes from other areas)."""
    return t(key, lang) if key in catalog() else key.rsplit(".", 1)[-1]


def grid_locale(lang: str) -> dict:
    """AG Grid's own words (pager, filters) in the page's language."""
    keys = ("page", "of", "to", "more", "noRowsToShow", "filterOoo", "contains", "equals", "loadingOoo")
    return {k: t(f"ops.grid.{k}", lang) for k in keys}


def reason_label(code: str | None, lang: str) -> str:
    return label(f"etl.reason.{code}", lang) if code else ""


def status_label(status: str | None, lang: str) -> str:
    if status == "already_loaded":
        status = "skipped"
    return label(f"ops.status.{status}", lang) if status else ""


def local_text(value, zone: ZoneInfo) -> str:
    """A time in the one on-screen form (:func:`warehouse.timefmt.show`: ``YYYY-MM-DD HH:MM`` in the zone).

    Text that is not a time is shown as it is rather than as a dash: on the operators' page a malformed
    value in the status file is itself worth seeing.
    """
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return value
    return show(value, zone)


# Wider columns for long text (file names carry the export's date; messages name the column and value).
COLUMN_WIDTHS = {
    "started_at": 170,
    "file_name": 260,
    "message": 320,
    "reason": 160,
    "run_id": 190,
    "snapshot_version": 210,
}


def column_defs(columns: tuple[str, ...], lang: str) -> list[dict]:
    defs = []
    for c in columns:
        spec = {"field": c, "headerName": t(f"ops.col.{c}", lang)}
        if c in COLUMN_WIDTHS:
            spec.update(minWidth=COLUMN_WIDTHS[c], tooltipField=c)
        defs.append(spec)
    return defs


def entity_label(entity: str | None, lang: str) -> str:
    return label(f"ops.entity.{entity}", lang) if entity else ""


def run_rows(runs: list[dict], lang: str, zone: ZoneInfo) -> list[dict]:
    return [
        {
            **{c: r.get(c) for c in RUN_COLUMNS},
            "started_at": local_text(r.get("started_at"), zone),
            "status": status_label(r.get("status"), lang),
        }
        for r in runs
    ]


def file_rows(files: list[dict], lang: str) -> list[dict]:
    rows = []
    for f in files:
        message = f.get("message_en") if lang == "en" else f.get("message_zh")
        rows.append(
            {
                **{c: f.get(c) for c in FILE_COLUMNS},
                "status": status_label(f.get("status"), lang),
                "entity": entity_label(f.get("entity"), lang),
                "reason": message or reason_label(f.get("reason_code"), lang),
            }
        )
    return rows


def reason_rows(reasons: list[dict], lang: str) -> list[dict]:
    return [
        {
            "reason": reason_label(r["reason_code"], lang),
            "reason_code": r["reason_code"],
            "count": r["count_rows"],
        }
        for r in reasons
    ]


def reject_rows(rejects: list[dict], lang: str) -> list[dict]:
    return [
        {
            **{c: r.get(c) for c in REJECT_COLUMNS},
            "reason": reason_label(r.get("reason_code"), lang),
            "message": r.get("message_en") if lang == "en" else r.get("message_zh"),
        }
        for r in rejects
    ]


def rejects_xlsx(rejects: list[dict], lang: str) -> bytes:
    """The rejected rows as an XLSX workbook (one sheet, localised headers, both messages)."""
    columns = (
        "file_name",
        "source_row",
        "column_name",
        "reason_code",
        "message_zh",
        "message_en",
        "raw_value",
        "run_id",
    )
    headers = {
        "reason_code": t("ops.col.reason_code", lang),
        "message_zh": f"{t('ops.col.message', lang)} (中文)",
        "message_en": f"{t('ops.col.message', lang)} (English)",
    }
    # Imported here: openpyxl (~5 MB) is needed for this rare download, not in every dashboard worker.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(t("ops.page.rejects", lang)[:31])
    sheet.append([headers.get(c) or t(f"ops.col.{c}", lang) for c in columns])
    for row in rejects:
        sheet.append([_cell(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    # A write-only sheet cannot retype a cell after the fact: formula-like text gets the apostrophe.
    return csv_safe(value)


def last_run_card(status: RunStatus | None, lang: str, zone: ZoneInfo):
    if status is None:
        return dbc.Alert(t("ops.page.no_data", lang), color="secondary")
    color = {"succeeded": "success", "failed": "danger"}.get(status.status, "secondary")
    counts = ", ".join(
        f"{t(f'ops.col.{k}', lang)} {status.counts[k]}"
        for k in COUNT_KEYS
        if k in status.counts and f"ops.col.{k}" in catalog()
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(
                    [
                        t("ops.page.last_run", lang),
                        " ",
                        dbc.Badge(status_label(status.status, lang), color=color, className="ms-1"),
                    ]
                ),
                html.P(
                    f"{local_text(status.started_at, zone)} → {local_text(status.finished_at, zone)}"
                    f" · {status.trigger} · {status.run_id}",
                    className="mb-1",
                ),
                html.P(counts, className="mb-1"),
                html.P(
                    f"{t('ops.col.snapshot_version', lang)}: {status.snapshot_version or '—'}",
                    className="mb-1",
                ),
                html.P(status.message, className="mb-0 text-danger") if status.message else None,
            ]
        ),
        className="mb-3",
    )


def grid(id_: str, columns: tuple[str, ...], rows: list[dict], lang: str, page_size: int = 10):
    return dag.AgGrid(
        id=id_,
        rowData=rows,
        columnDefs=column_defs(columns, lang),
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 90, "flex": 1},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": page_size,
            "paginationPageSizeSelector": False,
            "domLayout": "autoHeight",
            "localeText": grid_locale(lang),
            "tooltipShowDelay": 300,
        },
        style={"width": "100%"},
    )


def snapshot_table(entries, lang: str, zone: ZoneInfo):
    header = html.Thead(
        html.Tr([html.Th(t(f"ops.col.{c}", lang)) for c in ("version", "built_at", "size")] + [html.Th("")])
    )
    body = []
    for entry in reversed(entries):
        action = (
            dbc.Badge(t("ops.page.current", lang), color="success")
            if entry.is_published
            else dbc.Button(
                t("ops.page.rollback", lang),
                id={"type": ROLLBACK, "version": entry.version},
                size="sm",
                color="warning",
                outline=True,
            )
        )
        body.append(
            html.Tr(
                [
                    html.Td(entry.version),
                    html.Td(local_text(entry.built_at, zone)),
                    html.Td(f"{entry.size_bytes / 1e6:.1f} MB"),
                    html.Td(action),
                ]
            )
        )
    return dbc.Table([header, html.Tbody(body)], size="sm", striped=True, className="mb-0")


# ---- data --------------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(context.settings().timezone)


def load_snapshots():
    return list_snapshots(context.settings())


def run_details(run_id: str | None, lang: str, limit: int = GRID_ROWS) -> dict:
    """Files, reasons and rejects (first ``limit``) of a run, or of all kept runs for None."""
    with ops_query.ops_connection(context.settings()) as con:
        if con is None:
            return {"files": [], "reasons": [], "rejects": [], "total": 0}
        reasons = ops_query.reject_reasons(con, run_id)
        return {
            "files": file_rows(ops_query.run_files(con, run_id), lang),
            "reasons": reason_rows(reasons, lang),
            "rejects": reject_rows(ops_query.rejects(con, run_id, limit), lang),
            "total": sum(r["count_rows"] for r in reasons),
        }


def default_run(runs: list[dict]) -> str:
    """The run shown first: the newest that read any rows (half-hourly runs often skip everything)."""
    for run in runs:
        if run.get("rows_read"):
            return run["run_id"]
    return runs[0]["run_id"] if runs else ALL_RUNS


def truncation_note(total: int, lang: str):
    return t("ops.page.truncated", lang, n=GRID_ROWS) if total > GRID_ROWS else ""


# ---- layout ------------------------------------------------------------------------------------


def layout(lang: str | None = None, **_):
    lang = normalize_lang(lang)
    settings = context.settings()
    zone = ZoneInfo(settings.timezone)
    runs, copy_at = [], None
    with ops_query.ops_connection(settings) as con:
        if con is not None:
            runs = ops_query.recent_runs(con)
            copy_at = ops_query.exported_at(con)
    first = default_run(runs)
    details = run_details(None if first == ALL_RUNS else first, lang)
    options = [{"label": "—", "value": ALL_RUNS}] + [
        {
            "label": f"{local_text(r['started_at'], zone)} · {status_label(r['status'], lang)} · {r['run_id']}",
            "value": r["run_id"],
        }
        for r in runs
    ]
    section = "mt-4 mb-2"
    return dbc.Container(
        [
            dcc.Store(id=LANG, data=lang),
            dcc.Store(id=PENDING),
            dcc.ConfirmDialog(id=CONFIRM),
            dcc.Download(id=DOWNLOAD),
            html.H1(t("ops.page.title", lang), className="h3 mt-3"),
            html.P(t("ops.page.copy_as_of", lang, at=local_text(copy_at, zone)), className="text-muted small")
            if copy_at
            else None,
            last_run_card(read_status(settings), lang, zone),
            html.H2(t("ops.page.runs", lang), className=f"h5 {section}"),
            grid(RUNS_GRID, RUN_COLUMNS, run_rows(runs, lang, zone), lang),
            html.Div(
                [
                    dbc.Label(t("ops.page.rejects_run", lang), html_for=RUN, className="me-2 mb-0"),
                    dcc.Dropdown(
                        id=RUN, options=options, value=first, clearable=False, style={"minWidth": "28rem"}
                    ),
                ],
                className="d-flex align-items-center mt-4",
            ),
            html.H2(t("ops.page.files", lang), className=f"h5 {section}"),
            grid(FILES_GRID, FILE_COLUMNS, details["files"], lang),
            html.H2(t("ops.page.reasons", lang), className=f"h5 {section}"),
            grid(REASONS_GRID, ("reason", "reason_code", "count"), details["reasons"], lang),
            html.Div(
                [
                    html.H2(t("ops.page.rejects", lang), className="h5 mb-0 me-3"),
                    dbc.Button(
                        [html.I(className="bi bi-download"), " ", t("ops.page.download", lang)],
                        id=DOWNLOAD_BUTTON,
                        size="sm",
                        color="primary",
                        outline=True,
                    ),
                ],
                className=f"d-flex align-items-center {section}",
            ),
            html.Div(truncation_note(details["total"], lang), id=REJECTS_NOTE, className="text-muted small"),
            grid(REJECTS_GRID, REJECT_COLUMNS, details["rejects"], lang, page_size=20),
            html.H2(t("ops.page.snapshots", lang), className=f"h5 {section}"),
            html.Div(id=MESSAGE),
            html.Div(snapshot_table(load_snapshots(), lang, zone), id=SNAPSHOTS, className="mb-5"),
        ],
        fluid=True,
    )


# ---- callbacks ---------------------------------------------------------------------------------


@callback(
    Output(FILES_GRID, "rowData"),
    Output(REASONS_GRID, "rowData"),
    Output(REJECTS_GRID, "rowData"),
    Output(REJECTS_NOTE, "children"),
    Input(RUN, "value"),
    State(LANG, "data"),
    prevent_initial_call=True,
)
def show_run(run_id, lang):
    details = run_details(None if run_id in (None, ALL_RUNS) else run_id, normalize_lang(lang))
    return details["files"], details["reasons"], details["rejects"], truncation_note(details["total"], lang)


@callback(
    Output(DOWNLOAD, "data"),
    Input(DOWNLOAD_BUTTON, "n_clicks"),
    State(RUN, "value"),
    State(LANG, "data"),
    prevent_initial_call=True,
)
def download_rejects(_clicks, run_id, lang):
    lang = normalize_lang(lang)
    run_id = None if run_id in (None, ALL_RUNS) else run_id
    with ops_query.ops_connection(context.settings()) as con:
        rows = ops_query.rejects(con, run_id) if con is not None else []
    note_download("ops_rejects")
    name = f"rejects-{run_id or 'all'}.xlsx"
    return dcc.send_bytes(rejects_xlsx(rows, lang), name)


@callback(
    Output(CONFIRM, "displayed"),
    Output(CONFIRM, "message"),
    Output(PENDING, "data"),
    Input({"type": ROLLBACK, "version": ALL}, "n_clicks"),
    State(LANG, "data"),
    prevent_initial_call=True,
)
def ask_rollback(clicks, lang):
    if not ctx.triggered_id or not any(clicks or ()):
        return no_update, no_update, no_update
    version = ctx.triggered_id["version"]
    return True, t("ops.page.rollback_confirm", normalize_lang(lang), version=version), version


@callback(
    Output(MESSAGE, "children"),
    Output(SNAPSHOTS, "children"),
    Input(CONFIRM, "submit_n_clicks"),
    State(PENDING, "data"),
    State(LANG, "data"),
    prevent_initial_call=True,
)
def do_rollback(_submitted, version, lang):
    lang = normalize_lang(lang)
    if not version:
        return no_update, no_update
    try:
        roll_back(version)
        alert = dbc.Alert(
            t("ops.page.rollback_done", lang, version=version), color="success", dismissable=True
        )
    except Exception as exc:  # LockBusy, SnapshotNotFound, I/O: say so, keep the page
        log.warning("rollback to %s refused: %s", version, type(exc).__name__)
        # LockBusy carries its catalog key: say it in the page's language only.
        error = t(exc.key, lang) if isinstance(getattr(exc, "key", None), str) else str(exc)
        alert = dbc.Alert(t("ops.page.rollback_failed", lang, error=error), color="danger", dismissable=True)
    return alert, snapshot_table(load_snapshots(), lang, _zone())


def roll_back(version: str) -> str:
    """Publish a kept snapshot again (``warehouse.snapshot_actions``) and audit who asked."""
    done = snapshot_actions.roll_back(context.settings(), version)
    security.audit_event("snapshot.rollback", version=done)
    return done
