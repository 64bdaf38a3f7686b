"""Downloads of the leadership view: every chart as PNG/SVG, every panel's rows as XLSX/CSV, a report ZIP.

Routes: ``/download/<panel>.<fmt>?<the page's query string>`` and ``/download/report.zip?…``. Each request
becomes filters through :func:`dashboard.filters.filters_from_state` (the user's scope is applied there)
and then passes through :func:`serve_download`, the single function a security layer wraps to guard and
audit downloads. The builders below are pure: rows in, bytes out.

Every data file is headed by the panel's 口径, the filters and the data-as-of time; the rows are exactly
the ones the on-screen panel draws (same query-layer call, same filters).
"""

from __future__ import annotations

import csv
import io
import re
import threading
import warnings
import zipfile
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
from flask import Response, abort, request

from dashboard import context, region_view
from dashboard.components.figure_text import escape_figure
from dashboard.components.lead_figures import label, with_title
from dashboard.components.lead_format import kpi_dict
from dashboard.components.lead_panels import (
    PANELS,
    PANELS_BY_KEY,
    Panel,
    as_frame,
    as_of_text,
    fetch_all,
    township_names,
)
from dashboard.filters import ViewState, filters_from_state, parse_search
from dashboard.period_default import current_default_period
from dashboard.security import current_principal, note_download
from warehouse import query, timefmt
from warehouse.i18n import normalize_lang, t
from warehouse.query import Filters
from warehouse.spreadsheet import csv_safe, xlsx_text_cells

IMAGE_FORMATS = ("png", "svg")
DATA_FORMATS = ("xlsx", "csv")
MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}
IMAGE_WIDTH, IMAGE_HEIGHT, IMAGE_SCALE = 1200, 600, 2
REPORT = "report"

_kaleido_lock = threading.RLock()
_kaleido_started = False


@dataclass(frozen=True)
class Download:
    """A built download: bytes, file name (Chinese allowed) and MIME type."""

    content: bytes
    filename: str
    mimetype: str
    # For clients that ignore RFC 5987's filename*: e.g. "ranking_2023-01-01_2023-12-31.xlsx".
    ascii_filename: str = "download"


@dataclass(frozen=True)
class Context:
    """What heads every exported file: language, filters in words, data-as-of time."""

    lang: str
    filters_text: str
    as_of: str
    period: str


# ---- headers -----------------------------------------------------------------------------------


def describe_filters(state: ViewState, filters: Filters, township_names: dict[str, str], lang: str) -> str:
    """The filters in words: ``期间 2023-01-01 至 2023-12-31；苏木镇街道 大发街道；…``."""
    parts = [f"{t('leadership.period', lang)} {filters.start} – {filters.end}"]
    townships = "、".join(township_names.get(c, c) for c in filters.townships) or t(
        "leadership.all_townships", lang, **region_view.whole_words(lang)
    )
    parts.append(f"{t('leadership.township', lang)} {townships}")
    homes = "、".join(t(f"leadership.home_level.{k}", lang) for k in state.home_levels) or t(
        "leadership.all", lang
    )
    parts.append(f"{t('leadership.home_level', lang)} {homes}")
    deputies = "、".join(t(f"leadership.deputy_level.{k}", lang) for k in state.deputy_levels) or t(
        "leadership.all", lang
    )
    parts.append(f"{t('leadership.deputy_level', lang)} {deputies}")
    return "；".join(parts)


def header_rows(panel: Panel, ctx: Context) -> list[list[str]]:
    """The rows above the data: title, 口径, filters, data as of, then a blank line."""
    return [
        [t(panel.title_key, ctx.lang)],
        [f"{t('leadership.definition', ctx.lang)}：{t(panel.def_key, ctx.lang)}"],
        [f"{t('leadership.dl_filters', ctx.lang)}：{ctx.filters_text}"],
        [f"{t('leadership.dl_as_of', ctx.lang)}：{ctx.as_of}"],
        [],
    ]


def file_name(panel: Panel, ctx: Context, fmt: str) -> str:
    """``月度趋势_2023-01-01至2023-12-31.png`` (no characters a file system refuses)."""
    title = re.sub(r'[\\/:*?"<>|\s]+', "_", t(panel.title_key, ctx.lang)).strip("_")
    return f"{title}_{ctx.period}.{fmt}"


def _cell(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones
    if hasattr(value, "item"):
        return value.item()
    return value


# ---- builders -----------------------------------------------------------------------------------


def build_csv(panel: Panel, df: pd.DataFrame, ctx: Context) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese correctly), header rows, then the panel's rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[csv_safe(v) for v in row] for row in header_rows(panel, ctx)])
    writer.writerow([csv_safe(label(c, ctx.lang)) for c in df.columns])
    for row in df.itertuples(index=False):
        writer.writerow(["" if _cell(v) is None else csv_safe(_cell(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _write_sheet(workbook, panel: Panel, df: pd.DataFrame, ctx: Context, title: str | None = None):
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(title=(title or t(panel.title_key, ctx.lang))[:31])
    for row in header_rows(panel, ctx):
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=13)
    header_row = sheet.max_row + 1
    sheet.append([label(c, ctx.lang) for c in df.columns])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    rate_columns = [i + 1 for i, c in enumerate(df.columns) if str(c).endswith("_rate")]
    for row in df.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    xlsx_text_cells(sheet)  # names from the data stay text, never live formulas
    for col in rate_columns:
        for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=col, max_col=col):
            cell.number_format = "0.0%"
    for i, column in enumerate(df.columns, start=1):
        width = max([len(str(label(column, ctx.lang)))] + [len(str(v)) for v in df[column].head(200)]) + 4
        sheet.column_dimensions[sheet.cell(row=header_row, column=i).column_letter].width = min(
            width * 1.3, 60
        )
    return sheet


def build_xlsx(items: list[tuple[Panel, pd.DataFrame]], ctx: Context) -> bytes:
    """One workbook, a sheet per panel (header rows, then the rows)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for panel, df in items:
        title = t(panel.title_key, ctx.lang)[:28]
        name, n = title, 2
        while name in used:
            name, n = f"{title[:26]}_{n}", n + 1
        used.add(name)
        _write_sheet(workbook, panel, df, ctx, name)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _ensure_kaleido() -> None:
    """Start kaleido's browser once per process (≈0.25 s per image afterwards instead of ≈3.5 s)."""
    global _kaleido_started
    if _kaleido_started:
        return
    with _kaleido_lock:
        if _kaleido_started:
            return
        import kaleido
        import plotly.io as pio

        pio.defaults.mathjax = False
        kaleido.start_sync_server(silence_warnings=True)
        _kaleido_started = True


def kaleido_running() -> bool:
    return _kaleido_started


def stop_kaleido() -> None:
    """Stop kaleido's browser (the next image starts it again)."""
    global _kaleido_started
    with _kaleido_lock:
        if _kaleido_started:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
            _kaleido_started = False


def _to_image(fig, **options) -> bytes:
    import plotly.io as pio

    _ensure_kaleido()
    # One browser per process serves every image: requests take turns rather than interleave.
    with _kaleido_lock, warnings.catch_warnings():
        # plotly passes its default kaleido options even to the running server, which ignores them.
        warnings.filterwarnings("ignore", message="The kopts argument is ignored", category=UserWarning)
        return pio.to_image(fig, **options)


def build_image(fig: go.Figure, fmt: str) -> bytes:
    """The figure as PNG (scale 2) or SVG through kaleido and the system Chromium."""
    height = fig.layout.height or IMAGE_HEIGHT
    return _to_image(fig, format=fmt, width=IMAGE_WIDTH, height=max(height, 420), scale=IMAGE_SCALE)


def render_svg(figure, width: int, height: int) -> bytes:
    """A figure (or its JSON dict) as SVG at exactly its size, as plotly.js draws it in a browser."""
    return _to_image(figure, format="svg", width=width, height=height)


def chart_for_export(panel: Panel, df: pd.DataFrame, filters: Filters, ctx: Context) -> go.Figure:
    fig = panel.figure(df, ctx.lang, filters)
    titled = with_title(fig, f"{t(panel.title_key, ctx.lang)}（{ctx.period}）")
    # Names from the data are text in the exported image too (no live links in an SVG).
    return go.Figure(escape_figure(titled), skip_invalid=True)


def build_caption(items: list[tuple[Panel, pd.DataFrame]], ctx: Context) -> bytes:
    """The caption file of the report pack: per chart, its title, 口径, filters and data-as-of time."""
    lines = [
        t("leadership.report", ctx.lang),
        ctx.filters_text,
        f"{t('leadership.dl_as_of', ctx.lang)}：{ctx.as_of}",
        "",
    ]
    for panel, df in items:
        lines.append(f"【{t(panel.title_key, ctx.lang)}】")
        lines.append(f"{t('leadership.definition', ctx.lang)}：{t(panel.def_key, ctx.lang)}")
        lines.append(t("leadership.dl_rows", ctx.lang, rows=len(df)))
        if panel.is_chart:
            lines.append(t("leadership.dl_image", ctx.lang, name=file_name(panel, ctx, "png")))
        lines.append("")
    return ("\ufeff" + "\r\n".join(lines)).encode("utf-8")


def build_report_zip(
    items: list[tuple[Panel, pd.DataFrame]],
    filters: Filters,
    ctx: Context,
    kpi_rows: pd.DataFrame | None = None,
) -> bytes:
    """All charts as PNG, one XLSX workbook (a sheet per panel, KPIs first) and a caption file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for panel, df in items:
            if panel.is_chart:
                png = build_image(chart_for_export(panel, df, filters, ctx), "png")
                archive.writestr(file_name(panel, ctx, "png"), png)
        sheets = ([(KPI_PANEL, kpi_rows)] if kpi_rows is not None else []) + items
        archive.writestr(
            f"{t('leadership.dl_workbook', ctx.lang)}_{ctx.period}.xlsx", build_xlsx(sheets, ctx)
        )
        archive.writestr(
            f"{t('leadership.dl_caption', ctx.lang)}_{ctx.period}.txt", build_caption(items, ctx)
        )
    return buffer.getvalue()


# A pseudo-panel for the KPI sheet of the workbook (it has a title and 口径 like the others).
KPI_PANEL = Panel("kpis", lambda con, filters: pd.DataFrame())


def kpi_frame(values: dict, lang: str, as_of: dict | None = None) -> pd.DataFrame:
    """KPIs as rows: id, name, value (rates as fractions), 口径, and the as-of time of its source."""
    as_of = as_of or {}
    return pd.DataFrame(
        [
            {
                "kpi_id": k,
                "kpi_name": t(f"kpi.{k}.name", lang),
                "value": values.get(k),
                "kpi_def": t(f"kpi.{k}.def", lang),
                "as_of": timefmt.show(as_of[k], context.settings()) if as_of.get(k) else None,
            }
            for k in query.KPI_IDS
        ]
    )


# ---- the one path every download takes ---------------------------------------------------------


def _context(con, state: ViewState, filters: Filters, lang: str) -> Context:
    names = township_names(as_frame(query.township_options(con)))
    as_of = as_of_text(query.snapshot_info(con), context.settings(), lang) or "—"
    return Context(
        lang=lang,
        filters_text=describe_filters(state, filters, names, lang),
        as_of=as_of,
        period=f"{filters.start}至{filters.end}",
    )


def serve_download(panel_key: str, fmt: str, state: ViewState, filters: Filters) -> Download:
    """Build the download ``panel_key``.``fmt`` for ``filters``: the single path of every download.

    Raises:
        KeyError: unknown panel or a format the panel does not offer.
    """
    lang = normalize_lang(state.lang)
    if panel_key == REPORT:
        if fmt != "zip":
            raise KeyError(fmt)
    else:
        panel = PANELS_BY_KEY[panel_key]
        if fmt not in DATA_FORMATS and not (panel.is_chart and fmt in IMAGE_FORMATS):
            raise KeyError(fmt)
    with context.reader().cursor() as con:
        ctx = _context(con, state, filters, lang)
        if panel_key == REPORT:
            frames = fetch_all(con, filters)
            values = kpi_dict(query.kpis(con, filters))
            items = [(p, frames[p.key] if frames[p.key] is not None else pd.DataFrame()) for p in PANELS]
            content = build_report_zip(items, filters, ctx, kpi_frame(values, lang, query.kpi_as_of(con)))
            name = f"{t('leadership.report', lang)}_{ctx.period}.zip"
            return Download(content, name, MIME["zip"], ascii_name(REPORT, filters, "zip"))
        df = panel.rows(con, filters)
    if fmt == "csv":
        content = build_csv(panel, df, ctx)
    elif fmt == "xlsx":
        content = build_xlsx([(panel, df)], ctx)
    else:
        content = build_image(chart_for_export(panel, df, filters, ctx), fmt)
    return Download(content, file_name(panel, ctx, fmt), MIME[fmt], ascii_name(panel_key, filters, fmt))


def ascii_name(key: str, filters: Filters, fmt: str) -> str:
    return f"{key}_{filters.start}_{filters.end}.{fmt}"


def attachment(download: Download) -> Response:
    """A Flask response with an RFC 5987 file name (Chinese names survive every browser)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", download.ascii_filename) or "download"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(download.filename)}"
    response = Response(download.content, mimetype=download.mimetype)
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "no-store"
    return response


class HeavyLimiter:
    """At most one heavy download (report pack, PNG/SVG through kaleido) in flight per user, and at most
    ``slots`` per process, refused at once rather than queued.

    A queued request holds a server thread while it waits for the one kaleido browser: a few users
    pressing "export" would take every thread, and ``/healthz`` and the wall's poll would wait behind
    them. With gunicorn's four threads a worker, two slots always leave two threads free.
    """

    def __init__(self, slots: int = 2):
        self.slots = slots
        self._lock = threading.Lock()
        self._busy: set[str] = set()

    def try_acquire(self, user: str) -> bool:
        with self._lock:
            if user in self._busy or len(self._busy) >= self.slots:
                return False
            self._busy.add(user)
            return True

    def release(self, user: str) -> None:
        with self._lock:
            self._busy.discard(user)


HEAVY = HeavyLimiter()
HEAVY_RETRY_SECONDS = 10


def is_heavy(panel_key: str, fmt: str) -> bool:
    return panel_key == REPORT or fmt in IMAGE_FORMATS


def busy_response(lang: str) -> Response:
    response = Response(t("security_limits.error.busy.text", lang), status=429, mimetype="text/plain")
    response.headers["Retry-After"] = str(HEAVY_RETRY_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_download_routes(server) -> None:
    """Add ``/download/<panel>.<fmt>`` to the Flask ``server``."""

    @server.route("/download/<string:name>")
    def download(name: str):
        panel_key, _, fmt = name.rpartition(".")
        if not panel_key or (panel_key != REPORT and panel_key not in PANELS_BY_KEY):
            abort(404)
        state = parse_search(request.args.to_dict(flat=False), current_default_period().as_tuple())
        filters = filters_from_state(state)
        principal = current_principal()
        user = principal.name if principal is not None else request.remote_addr or "-"
        heavy = is_heavy(panel_key, fmt)
        if heavy and not HEAVY.try_acquire(user):
            return busy_response(normalize_lang(state.lang))
        try:
            built = serve_download(panel_key, fmt, state, filters)
        except KeyError:
            abort(404)
        finally:
            if heavy:
                HEAVY.release(user)
        # The audit records what was served and with which (scoped) filters.
        note_download(f"{panel_key}.{fmt}", filters)
        return attachment(built)
