"""Downloads: XLSX/CSV carry the 口径, filters and as-of time and exactly the query layer's rows; PNG/SVG
through kaleido; the report ZIP; the Flask route."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from datetime import date

import flask
import pytest
from openpyxl import load_workbook

from dashboard import context
from dashboard.auth_store import Principal
from dashboard.components.lead_format import fmt_kpi
from dashboard.components.lead_panels import PANELS, panel
from dashboard.components.lead_view import clear_caches
from dashboard.downloads import register_download_routes, serve_download
from dashboard.filters import filters_from_state, parse_search
from warehouse import query
from warehouse.query import KPI_IDS, Filters
from warehouse.snapshot import SnapshotReader

YEAR = "?from=2023-01-01&to=2023-12-31"
DAFA = "150205002000"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def lead_context(snapshot, tmp_settings):
    settings = tmp_settings.with_(default_start=date(2023, 1, 1), default_end=date(2023, 12, 31))
    reader = SnapshotReader(snapshot)
    context.configure(settings, reader)
    clear_caches()
    yield settings
    reader.close()


def download(panel_key: str, fmt: str, search: str = YEAR):
    state = parse_search(search, (date(2023, 1, 1), date(2023, 12, 31)))
    return serve_download(panel_key, fmt, state, filters_from_state(state))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    return struct.unpack(">II", data[16:24])


def sheet_table(sheet) -> tuple[list[str], list[list]]:
    """(header rows' first cells, data rows) of a sheet written by build_xlsx (5 header rows)."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return [r[0] for r in rows[:4]], rows[5:]


def test_xlsx_holds_the_rows_of_the_query_layer_headed_by_definition_filters_and_as_of(lead_context):
    built = download("ranking", "xlsx", f"{YEAR}&township={DAFA}")
    assert built.filename == "履职积分排名_2023-01-01至2023-12-31.xlsx"
    sheet = load_workbook(io.BytesIO(built.content)).active
    head, table = sheet_table(sheet)
    assert head[0] == "履职积分排名"
    assert head[1].startswith("口径：期间内每位代表的积分之和")
    assert "苏木镇街道 大发街道" in head[2] and "2023-01-01 – 2023-12-31" in head[2]
    assert head[3].startswith("数据截至：2024-01-19")
    assert table[0] == ["排名", "代表编号", "代表姓名", "苏木镇街道", "代表层级", "积分", "无故缺席次数"]
    with context.reader().cursor() as con:
        rows = query.points_ranking(con, Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(DAFA,)))
    assert [r[1] for r in table[1:]] == rows["deputy_id"].tolist()
    assert [r[5] for r in table[1:]] == rows["points"].tolist()


def test_csv_is_utf8_with_bom_and_matches_the_query_layer(lead_context):
    built = download("townships", "csv")
    assert built.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(built.content.decode("utf-8-sig"))))
    assert lines[0] == ["各苏木镇街道进家活动"]
    assert lines[1][0].startswith("口径：") and lines[2][0].startswith(
        "筛选条件：期间 2023-01-01 – 2023-12-31"
    )
    header, body = lines[5], lines[6:]
    assert header[:3] == ["乡镇代码", "苏木镇街道", "代表之家数"]
    with context.reader().cursor() as con:
        summary = query.township_summary(con, Filters(date(2023, 1, 1), date(2023, 12, 31)))
    activities = header.index("活动场次")
    assert [int(r[activities]) for r in body] == summary["activities"].tolist()


def test_png_is_scale_2_and_svg_is_svg(lead_context):
    png = download("trend", "png")
    assert png.mimetype == "image/png" and png.filename.endswith(".png")
    width, height = png_size(png.content)
    assert width == 2400 and height >= 840
    map_png = download("map", "png", f"{YEAR}&township={DAFA}")
    assert (
        map_png.filename == "代表之家分布与活动_2023-01-01至2023-12-31.png"
        and png_size(map_png.content)[0] == 2400
    )
    svg = download("townships", "svg")
    assert svg.content.lstrip().startswith(b"<svg") and "大发街道".encode() in svg.content


def test_report_zip_has_every_chart_a_workbook_and_captions(lead_context):
    built = download("report", "zip", f"{YEAR}&township={DAFA}")
    archive = zipfile.ZipFile(io.BytesIO(built.content))
    names = archive.namelist()
    charts = [p for p in PANELS if p.is_chart]
    pngs = [n for n in names if n.endswith(".png")]
    assert len(pngs) == len(charts)
    for name in pngs:
        width, height = png_size(archive.read(name))
        assert width == 2400 and height > 0 and len(archive.read(name)) > 5000
    workbook = load_workbook(io.BytesIO(archive.read(next(n for n in names if n.endswith(".xlsx")))))
    assert len(workbook.sheetnames) == len(PANELS) + 1
    head, table = sheet_table(workbook[workbook.sheetnames[0]])
    with context.reader().cursor() as con:
        values = query.kpis(con, Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(DAFA,)))
    kpi_values = {row[0]: row[2] for row in table[1:]}
    assert table[0][-1] == "数据截至" and any(row[-1] is not None for row in table[1:])
    assert set(kpi_values) == set(KPI_IDS)
    for kpi in KPI_IDS:
        assert fmt_kpi(kpi, kpi_values[kpi]) == fmt_kpi(kpi, values[kpi])
    caption = archive.read(next(n for n in names if n.endswith(".txt"))).decode("utf-8-sig")
    assert "大发街道" in caption and "口径：" in caption and "数据截至" in caption


def test_unknown_panels_and_formats_are_refused(lead_context):
    with pytest.raises(KeyError):
        download("nope", "csv")
    with pytest.raises(KeyError):
        download("ranking", "png")  # a table has no image
    with pytest.raises(KeyError):
        download("trend", "exe")


def route_client(principal: Principal):
    """A bare Flask app with the download routes, every request acting for ``principal``."""
    app = flask.Flask(__name__)
    app.before_request(lambda: setattr(flask.g, "cockpit_principal", principal))
    register_download_routes(app)
    return app.test_client()


def test_route_serves_an_attachment_with_a_chinese_file_name(lead_context):
    client = route_client(Principal("user", "leader", "leader"))
    response = client.get(f"/download/watchlist.csv{YEAR}&lang=en")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="watchlist_2023-01-01_2023-12-31.csv";')
    assert "filename*=UTF-8''" in disposition
    assert response.data.decode("utf-8-sig").splitlines()[0] == "Low-points watchlist"
    assert client.get(f"/download/nope.csv{YEAR}").status_code == 404
    assert client.get(f"/download/ranking.svg{YEAR}").status_code == 404
    assert panel("watchlist").columns  # the watchlist exports its curated columns


def test_route_applies_the_township_scope(lead_context):
    client = route_client(Principal("user", "shiguai", "township", "150205001000"))
    body = client.get(f"/download/townships.csv{YEAR}&township={DAFA}").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert "石拐街道" in lines[2][0] and "大发街道" not in body
    assert [row[0] for row in lines[6:]] == ["150205001000"]
