"""Downloads and export packs built from hostile names (issue 17 items 3 and 4): formulas are never live,
Plotly markup is shown as text, negative numbers stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import duckdb
import pytest
from openpyxl import load_workbook

from dashboard import context
from dashboard.components.lead_view import clear_caches
from dashboard.downloads import serve_download
from dashboard.filters import filters_from_state, parse_search
from warehouse import query
from warehouse.snapshot import SnapshotReader
from warehouse.spreadsheet import csv_safe, is_formula_like

YEAR = "?from=2023-01-01&to=2023-12-31"
FORMULA = '=HYPERLINK("https://evil.example/x","点我")'
HOSTILE = {
    "D1": FORMULA,
    "D2": "=cmd|' /C calc'!A0",
    "D3": '<a href="https://evil.example/">链接</a><b>粗</b><br>',
    "D4": "@SUM(1+1)",
}
HOME_NAME = '+<a href="https://evil.example/">家</a>'


@pytest.fixture
def hostile_context(snapshot, tmp_settings):
    con = duckdb.connect(str(snapshot))
    for deputy_id, name in HOSTILE.items():
        con.execute("update dim_deputy set deputy_name = ? where deputy_id = ?", [name, deputy_id])
    con.execute("update dim_home set home_name = ? where home_id = 'H1'", [HOME_NAME])
    con.execute("update dim_township set township_name = '-<i>镇</i>' where township_name = '石拐街道'")
    # Edited after the publish: the preset periods' stored panel results still hold the old names.
    con.execute("drop table preset_panels")
    con.close()
    settings = tmp_settings.with_(default_start=date(2023, 1, 1), default_end=date(2023, 12, 31))
    reader = SnapshotReader(snapshot)
    context.configure(settings, reader)
    query.clear_memo()
    clear_caches()
    yield settings
    reader.close()
    query.clear_memo()


def download(panel_key: str, fmt: str):
    state = parse_search(YEAR, (date(2023, 1, 1), date(2023, 12, 31)))
    return serve_download(panel_key, fmt, state, filters_from_state(state))


def test_csv_safe_touches_only_formula_like_text():
    assert csv_safe(FORMULA) == "'" + FORMULA
    for text in ("+1", "-x", "@a", "\tx", "\rx"):
        assert csv_safe(text) == "'" + text
    assert csv_safe(-5) == -5 and csv_safe(-2.5) == -2.5
    assert csv_safe("代表甲") == "代表甲" and csv_safe("a=b") == "a=b"


def _formula_cells(workbook) -> list[str]:
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def test_xlsx_keeps_hostile_names_as_text_and_numbers_as_numbers(hostile_context):
    workbook = load_workbook(io.BytesIO(download("ranking", "xlsx").content))
    assert _formula_cells(workbook) == []
    values = [cell.value for row in workbook.active.iter_rows() for cell in row]
    for name in HOSTILE.values():
        assert name in values  # nothing lost: the name is there, as text
    points = [row[5].value for row in workbook.active.iter_rows(min_row=7)]
    assert points and all(isinstance(p, int) for p in points)


def test_csv_neutralises_hostile_names(hostile_context):
    for panel in ("ranking", "map", "townships"):
        text = download(panel, "csv").content.decode("utf-8-sig")
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert not [c for c in cells if is_formula_like(c)], panel
    ranking = download("ranking", "csv").content.decode("utf-8-sig")
    assert "'" + FORMULA.replace('"', '""') in ranking


def test_report_pack_workbook_has_no_formula(hostile_context):
    with zipfile.ZipFile(io.BytesIO(download("report", "zip").content)) as pack:
        books = [n for n in pack.namelist() if n.endswith(".xlsx")]
        assert len(books) == 1
        workbook = load_workbook(io.BytesIO(pack.read(books[0])))
    assert _formula_cells(workbook) == []
    assert any(
        cell.value == FORMULA for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
    )


def test_escape_figure_shows_data_markup_as_text_and_keeps_templates():
    import plotly.graph_objects as go

    from dashboard.components.figure_text import MARKUP_SAFE, escape_figure

    fig = go.Figure(
        [
            go.Bar(x=[HOSTILE["D3"], "普通"], y=[1, -2], name="<b>n</b>", hovertemplate="%{x}<br>%{y}"),
            go.Scatter(x=[0], y=[0], text=["a<br>b"], meta=MARKUP_SAFE),
        ]
    )
    fig.add_annotation(text=HOME_NAME, showarrow=False)
    plain = escape_figure(fig)
    bar, labels = plain["data"]
    assert bar["x"][0] == HOSTILE["D3"].replace("<", "&lt;").replace(">", "&gt;")
    assert list(bar["y"]) == [1, -2] and bar["name"] == "&lt;b&gt;n&lt;/b&gt;"
    assert bar["hovertemplate"] == "%{x}<br>%{y}"  # ours, markup kept
    assert list(labels["text"]) == ["a<br>b"]  # escaped at its source, left alone
    assert "<" not in plain["layout"]["annotations"][0]["text"]


def test_svg_export_shows_names_from_the_data_as_text(hostile_context):
    svg = download("townships", "svg").content.decode("utf-8")
    assert "-&#60;i&#62;镇&#60;/i&#62;" in svg  # the township name is written out, as text
    assert "font-style:italic" not in svg and "font-style: italic" not in svg


def test_wall_figures_carry_no_markup_from_the_data(hostile_context):
    from dashboard import wall_data

    root = wall_data.build_layout(hostile_context, context.reader(), lang="zh-CN")

    def figures(node):
        if isinstance(node, dict):
            if "data" in node and "layout" in node:
                yield node
            for value in node.values():
                yield from figures(value)
        elif isinstance(node, list):
            for value in node:
                yield from figures(value)
        elif hasattr(node, "to_plotly_json"):
            yield from figures(node.to_plotly_json())

    found = list(figures(root))
    assert found
    text = repr([f["data"] for f in found]) + repr([f["layout"].get("annotations") for f in found])
    assert "<a href" not in text and "<i>" not in text
    assert "&lt;i&gt;" in text  # the hostile township name is there, as text
