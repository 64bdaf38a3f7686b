"""The leadership view and its drill-down pages on the hand-made snapshot (``tests/support/raw_fixture.py``).

The callbacks' functions run as plain functions; numbers on screen must be the query layer's.
"""

from __future__ import annotations

from datetime import date

import pytest

from dashboard import context
from dashboard.components import lead_layout as L
from dashboard.components.lead_deputy import deputy_page
from dashboard.components.lead_format import fmt_kpi
from dashboard.components.lead_home import home_page
from dashboard.components.lead_metrics import metrics_page
from dashboard.components.lead_panels import PANELS
from dashboard.components.lead_township import township_page
from dashboard.components.lead_view import (
    CHART_KEYS,
    DOWNLOAD_KEYS,
    TABLE_KEYS,
    clear_caches,
    page_layout,
    render,
)
from tests.unit.test_lead_components import texts, walk
from warehouse import query
from warehouse.query import KPI_IDS, Filters
from warehouse.snapshot import SnapshotReader

YEAR = "?from=2023-01-01&to=2023-12-31"
DAFA = "150205002000"
SHIGUAI = "150205001000"


@pytest.fixture
def lead_context(snapshot, tmp_settings):
    """The dashboard's context on the fixture snapshot, default period calendar 2023."""
    settings = tmp_settings.with_(default_start=date(2023, 1, 1), default_end=date(2023, 12, 31))
    reader = SnapshotReader(snapshot)
    context.configure(settings, reader)
    clear_caches()
    yield settings
    reader.close()


def kpi_texts(cards) -> dict[str, str]:
    return {
        getattr(c, "data-kpi"): c.children
        for card in cards
        for c in walk(card)
        if getattr(c, "className", None) == "lead-kpi-value"
    }


def expected(filters: Filters) -> dict[str, str]:
    with context.reader().cursor() as con:
        values = query.kpis(con, filters)
    return {k: fmt_kpi(k, values[k]) for k in KPI_IDS}


def test_render_shows_the_query_layers_kpis(lead_context):
    out = render(YEAR)
    assert kpi_texts(out[0]) == expected(Filters(date(2023, 1, 1), date(2023, 12, 31)))


def test_township_filter_changes_every_kpi_to_that_townships(lead_context):
    whole = kpi_texts(render(YEAR)[0])
    out = render(f"{YEAR}&township={DAFA}")
    dafa = kpi_texts(out[0])
    assert dafa == expected(Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(DAFA,)))
    assert dafa != whole
    assert "大发街道" in out[7]  # the scope line
    assert out[6] == {"display": "inline-block"}  # "返回全区" shown
    assert "查看大发街道详情" in texts(out[5][1])


def test_render_fills_every_panel_and_download_link(lead_context):
    figures, rows, cols, hrefs = render(YEAR)[1:5]
    assert len(figures) == len(CHART_KEYS) and len(rows) == len(cols) == len(TABLE_KEYS)
    assert all(fig["data"] or fig["layout"].get("annotations") for fig in figures)
    assert len(hrefs) == len(DOWNLOAD_KEYS)
    assert hrefs[0] == "/download/trend.png?from=2023-01-01&to=2023-12-31"
    ranking = rows[TABLE_KEYS.index("ranking")]
    with context.reader().cursor() as con:
        expected_points = query.points_ranking(con, Filters(date(2023, 1, 1), date(2023, 12, 31)))[
            "points"
        ].tolist()
    assert [r["points"] for r in ranking] == expected_points
    assert ranking[0]["deputy_name_link"].startswith("[")


def test_english(lead_context):
    out = render(YEAR + "&lang=en")
    assert "Activities at homes" in texts(out[0][4])
    assert out[7].startswith("2023-01-01 to 2023-12-31")


def test_layout_reproduces_the_url(lead_context):
    tree = page_layout(**{"from": "2022-01-01", "to": "2022-12-31", "township": DAFA})
    location = next(c for c in walk(tree) if getattr(c, "id", None) == L.LOCATION)
    assert location.search == f"?from=2022-01-01&to=2022-12-31&township={DAFA}"
    preset = next(c for c in walk(tree) if getattr(c, "id", None) == L.PRESET)
    assert preset.value == "last_year"
    township = next(c for c in walk(tree) if getattr(c, "id", None) == L.TOWNSHIP)
    assert township.value == [DAFA] and {o["value"] for o in township.options} >= {DAFA, SHIGUAI}
    panels = [c for c in walk(tree) if isinstance(getattr(c, "id", None), dict)]
    assert {c.id["panel"] for c in panels} >= {p.key for p in PANELS}


def test_township_page(lead_context):
    tree = township_page(code=DAFA, **{"from": "2023-01-01", "to": "2023-12-31"})
    text = texts(tree)
    assert "大发街道履职概况" in text and "石拐区全区" in text
    cards = [c for c in walk(tree) if getattr(c, "className", None) == "lead-kpi-value"]
    assert kpi_texts(cards) == expected(Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(DAFA,)))
    assert "未找到" in texts(township_page(code="999999999999"))


def test_home_and_deputy_pages(lead_context):
    home = texts(home_page(id="H1", **{"from": "2023-01-01", "to": "2023-12-31"}))
    assert "测试区级代表之家" in home and "石拐街道" in home and "进驻代表" in home
    deputy = texts(deputy_page(id="D1", **{"from": "2023-01-01", "to": "2023-12-31"}))
    assert "测试代表甲" in deputy and "第 1 / 4 名" in deputy and "积分构成（按规则）" in deputy
    assert "未找到" in texts(deputy_page(id="nobody"))
    assert "未找到" in texts(home_page(id=None))


def test_township_scope_hides_other_townships(lead_context, monkeypatch):
    monkeypatch.setattr(query, "_scope_provider", lambda: (SHIGUAI,))
    # A user scoped to 石拐街道 asking for 大发街道 sees 石拐街道's numbers, never 大发街道's.
    out = render(f"{YEAR}&township={DAFA}")
    assert kpi_texts(out[0]) == expected(Filters(date(2023, 1, 1), date(2023, 12, 31), townships=(SHIGUAI,)))
    assert "未找到" in texts(township_page(code=DAFA))
    assert "未找到" in texts(home_page(id="H2"))  # H2 is in 大发街道
    assert "测试区级代表之家" in texts(home_page(id="H1"))


def test_metric_dictionary_lists_every_kpi(lead_context):
    text = texts(metrics_page())
    for kpi in KPI_IDS:
        assert kpi in text
    assert "调解成功率" in text and "成功化解 ÷ 诉前调解案件。" in text
    assert "Mediation success rate" in texts(metrics_page(lang="en"))


class CountingReader:
    """A reader that counts the cursors it hands out."""

    def __init__(self, reader):
        self.reader, self.cursors = reader, 0

    @property
    def version(self):
        return self.reader.version

    def cursor(self):
        self.cursors += 1
        return self.reader.cursor()


def test_a_view_seen_before_costs_no_query(lead_context):
    from dashboard.period_default import current_default_period

    counting = CountingReader(context.reader())
    context.configure(lead_context, counting)
    current_default_period()  # read once per snapshot version and day, not per view
    counting.cursors = 0
    search = f"{YEAR}&township={SHIGUAI}&deputy_level=town"
    first = kpi_texts(render(search)[0])
    used = counting.cursors
    assert used >= 1
    assert kpi_texts(render(search)[0]) == first and counting.cursors == used
    render(f"{YEAR}&township={DAFA}&deputy_level=town")
    assert counting.cursors == 2 * used  # a new view costs what the first one did


def test_a_capped_grid_says_how_many_rows_it_shows(lead_context, monkeypatch):
    from dashboard.components import lead_view

    _, rows, _, _, _, notes = lead_view.render_panels(YEAR)
    assert len(notes) == len(rows) and not any(notes)  # every row fits: nothing to say
    monkeypatch.setattr(lead_view, "GRID_ROWS", 2)
    clear_caches()
    _, rows, _, _, _, notes = lead_view.render_panels(YEAR + "&lang=en")
    capped = [(r, n) for r, n in zip(rows, notes, strict=True) if n]
    assert capped, "no grid has more than 2 rows in the fixture"
    for grid_rows, note in capped:
        assert len(grid_rows) == 2
        assert note.startswith("Showing the first 2 of ") and "download XLSX/CSV" in note
    assert lead_view.grid_note(12345, "zh-CN") == lead_view.t(
        "leadership.grid.capped", "zh-CN", shown="2", total="12,345"
    )
    assert "显示前 2 条，共 12,345 条" in lead_view.grid_note(12345, "zh-CN")
