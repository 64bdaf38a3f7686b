"""``write_briefing``: one period and scope of the published snapshot to a PDF or DOCX file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dashboard.briefing import compose, render
from dashboard.briefing.document import Briefing
from warehouse.errors import UserError
from warehouse.i18n import both, normalize_lang, t
from warehouse.regions import RegionTable, child_level, level_of, region_table, unit_kind
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader, SnapshotUnavailable

FORMATS = ("pdf", "docx")
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class BriefingError(ValueError):
    """Bad input or no snapshot: ``str()`` is one line in Chinese and English."""

    def __init__(self, key: str, **params) -> None:
        zh, en = both(f"briefing.error.{key}", **params)
        super().__init__(f"{zh} / {en}")
        self.key = key


@dataclass(frozen=True)
class Built:
    content: bytes
    version: str
    briefing: Briefing


def _png(figure) -> bytes:
    from dashboard.downloads import build_image

    return build_image(figure, "png")


def build_briefing(
    con,
    settings: Settings,
    start: date,
    end: date,
    township: str | None = None,
    *,
    lang: str | None = None,
    charts: bool = True,
    watchlist_names: bool = False,
    region: str = "",
) -> Briefing:
    """The document model of one briefing, read through ``con`` (a cursor on the published snapshot).

    ``region``: a province, city or county under the root (significant digits; "" = the root) that the
    briefing covers, e.g. the scope of a region-limited reader; ``township`` must lie in it.

    Raises:
        BriefingError: ``start`` after ``end``, or a township code unknown under ``region``.
    """
    if start > end:
        raise BriefingError("bad_period", start=start.isoformat(), end=end.isoformat())
    lang = normalize_lang(lang)
    table = _regions(settings)
    level = "township" if township else child_level(level_of(region or settings.root_region))
    try:
        figures = compose.gather(
            con,
            start,
            end,
            township,
            lang,
            region=region,
            region_name=_scope_label(settings, table, region, lang),
            unit_level=level,
            regions=table,
        )
    except KeyError as exc:
        raise BriefingError("unknown_township", code=township) from exc
    images = compose.render_charts(con, figures, lang, _png) if charts else {}
    return compose.compose(figures, settings.district_name, lang, images, watchlist_names=watchlist_names)


def _regions(settings: Settings) -> RegionTable | None:
    try:
        return region_table(settings.region_table)
    except UserError:
        return None  # regions are then named by their codes


def _scope_label(settings: Settings, table: RegionTable | None, region: str, lang: str) -> str:
    """What the briefing covers, in words: ``region``'s name; at a city or province root the root's; at a
    county root "全区" (全县, 全旗: as the office writes it)."""
    if not region:
        root = settings.root_region
        if not root or level_of(root) == "county":
            whole = t(f"region_view.whole.{unit_kind(settings.district_name)}", lang)
            return t("briefing.scope_district", lang, whole=whole)
        region = root
    return table.get(region).name if table is not None and region in table else region


def render_bytes(doc: Briefing, fmt: str) -> bytes:
    if fmt == "pdf":
        try:
            return render.to_pdf(doc)
        except render.RenderError as exc:
            raise BriefingError("pdf_failed", detail=str(exc)) from exc
    if fmt == "docx":
        return render.to_docx(doc)
    raise BriefingError("bad_format", fmt=fmt)


def briefing_bytes(
    settings: Settings,
    start: date,
    end: date,
    township: str | None,
    fmt: str,
    *,
    lang: str | None = None,
    charts: bool = True,
    watchlist_names: bool = False,
    reader: SnapshotReader | None = None,
    region: str = "",
) -> Built:
    """The briefing file's bytes and the snapshot version it was written from.

    ``reader``: the process's snapshot reader (the dashboard's); None opens ``settings.published_db``.
    ``region``: as for :func:`build_briefing`.
    """
    if fmt not in FORMATS:
        raise BriefingError("bad_format", fmt=fmt)
    own = reader is None
    reader = reader or SnapshotReader(settings.published_db)
    try:
        try:
            cursor = reader.cursor()
        except SnapshotUnavailable as exc:
            raise BriefingError("no_snapshot", path=str(settings.published_db)) from exc
        with cursor as con:
            doc = build_briefing(
                con,
                settings,
                start,
                end,
                township,
                lang=lang,
                charts=charts,
                watchlist_names=watchlist_names,
                region=region,
            )
            version = reader.version or ""
    finally:
        if own:
            reader.close()
    return Built(render_bytes(doc, fmt), version, doc)


def default_name(start: date, end: date, township: str | None, fmt: str) -> str:
    return f"briefing_{start}_{end}{'_' + township if township else ''}.{fmt}"


def write_briefing(
    settings: Settings,
    start: date,
    end: date,
    township: str | None,
    fmt: str,
    out: Path | None = None,
    *,
    lang: str | None = None,
    charts: bool = True,
    watchlist_names: bool = False,
) -> Path:
    """Write the briefing of ``start..end`` for the district (``township`` None) or one township.

    Args:
        settings: Settings (the published snapshot and the district's name).
        start, end: The period, inclusive.
        township: A 12-digit township code, or None for the district.
        fmt: ``pdf`` or ``docx``.
        out: File to write; default ``briefing_<start>_<end>[_<township>].<fmt>`` in the working directory.
        lang: ``zh-CN`` (default) or ``en``.
        charts: Render the charts (kaleido); False writes text and tables only.
        watchlist_names: Print the names on the low-points watchlist (the count is always printed).

    Returns:
        The path written.

    Raises:
        BriefingError: Bad format, period or township, no published snapshot, or the PDF printer failed.
    """
    built = briefing_bytes(
        settings, start, end, township, fmt, lang=lang, charts=charts, watchlist_names=watchlist_names
    )
    path = Path(out) if out is not None else Path(default_name(start, end, township, fmt))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(built.content)
    tmp.replace(path)  # a reader never sees half a file
    return path
