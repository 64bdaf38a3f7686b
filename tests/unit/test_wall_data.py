"""The wall's data side on a real (fixture) snapshot: URL parsing, loaders, layout, failing refresh."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import orjson
import pandas as pd
import pytest
from dash import no_update
from plotly.io.json import to_json_plotly

from dashboard import wall_data
from dashboard.components import wall_kpi, wall_layout
from dashboard.components.wall_layout import Ids
from tests.support.wall_tree import attr, by_class, by_id, text
from warehouse import query
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader

PERIOD = (date(2023, 1, 1), date(2023, 12, 31))


@pytest.fixture
def reader(session_snapshot: Path):
    snapshot_reader = SnapshotReader(session_snapshot)
    yield snapshot_reader
    snapshot_reader.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    geo = tmp_path / "geo"
    geo.mkdir()
    ring = [[110.2, 40.6], [110.2, 40.7], [110.3, 40.7], [110.3, 40.6], [110.2, 40.6]]
    feature = {
        "type": "Feature",
        "properties": {"code": "150205001000", "name": "石拐街道", "schematic": True},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    (geo / "townships.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return Settings(data_dir=tmp_path, default_start=PERIOD[0], default_end=PERIOD[1])


def test_parse_period_falls_back_per_bound_and_orders_the_dates():
    default = (date(2023, 1, 1), date(2023, 12, 31))
    assert wall_data.parse_period(None, None, default) == default
    assert wall_data.parse_period("2023-03-01", "bad", default) == (date(2023, 3, 1), date(2023, 12, 31))
    assert wall_data.parse_period("2023-05-01", "2023-02-01", default) == (date(2023, 2, 1), date(2023, 5, 1))


def test_trends_compare_with_the_same_period_last_year_up_to_29_february(monkeypatch):
    seen = []
    monkeypatch.setattr(wall_data, "_fetch", lambda con, fn, filters, *a, **k: seen.append(filters) or None)
    params = {"start": "2024-01-01", "end": "2024-02-29", "lang": "zh-CN"}
    wall_data.load_trends(None, params, None)
    assert {(f.start, f.end) for f in seen} == {
        (date(2024, 1, 1), date(2024, 2, 29)),
        (date(2023, 1, 1), date(2023, 2, 28)),
    }


def test_rows_turn_frames_into_records_with_none_for_missing():
    frame = pd.DataFrame({"a": [1.0, math.nan], "b": ["x", None]})
    assert wall_data.rows(frame) == [{"a": 1.0, "b": "x"}, {"a": None, "b": None}]
    assert wall_data.rows(None) == []
    assert wall_data.rows([{"a": pd.NA}]) == [{"a": None}]


def test_layout_kpis_equal_the_query_layer_formatted(settings, reader):
    root = wall_data.build_layout(settings, reader)
    with reader.cursor() as con:
        values = query.kpis(con, query.Filters(start=PERIOD[0], end=PERIOD[1]))
    overview = by_id(root, "wall-screen-overview")
    shown = {attr(span, "data-kpi"): span.children for span in by_class(overview, "wall-count")}
    assert shown, "no KPI on the overview"
    for kpi_id, value in shown.items():
        assert value == wall_kpi.format_kpi(kpi_id, values[kpi_id]), kpi_id
    assert by_id(root, Ids.VERSION).data == reader.version
    assert "2023-01-01" in text(by_class(root, "wall-period"))


def test_layout_fills_every_panel(settings, reader):
    root = wall_data.build_layout(settings, reader, lang="en", screens="cases")
    lazy = by_id(root, Ids.LAZY).data
    for panel in by_class(root, "wall-panel"):
        body = panel.children[1]
        if hasattr(body, "figure"):
            # The first screen's graphs are drawn with the page; the others wait in the lazy store.
            on_first_screen = body.id in wall_layout.graph_ids("cases")
            content = body.figure if on_first_screen else lazy.get(body.id)
            assert content is not None and content["data"], f"{attr(panel, 'data-panel')} has no figure"
        else:
            content = body.children
        assert content, f"{attr(panel, 'data-panel')} is empty"
    assert text(by_class(root, "wall-title")) == "石拐区 People's Congress Deputy Work Data Cockpit"
    assert attr(by_id(root, Ids.CANVAS), "data-screens") == "cases"
    config = json.loads(attr(root, "data-config"))
    assert config["weekdays"][0] == "Sunday"
    assert "{time}" in config["offline"]


def test_map_labels_schematic_partition(settings, reader):
    with reader.cursor() as con:
        content = wall_data.load_townships(con, wall_data._params(*PERIOD, "zh-CN"), settings)
    notes = [a.text for a in content["wall-map"].layout.annotations]
    assert notes == ["示意分区，非法定界线"]
    assert set(content[Ids.FOCUS_DATA]["outlines"]) == {"150205001000"}


def test_a_failing_loader_keeps_every_output(settings, reader, caplog):
    def broken(con, params, settings):
        raise RuntimeError("boom")

    update = wall_data.refresh(broken, ["wall-a", "wall-b"], lambda: settings, lambda: reader)
    assert update("v2", wall_data._params(*PERIOD, "zh-CN")) == [no_update, no_update]
    assert "boom" in caplog.text
    working = wall_data.refresh(wall_data.load_ranking, ["wall-ranking"], lambda: settings, lambda: reader)
    assert working("v2", wall_data._params(*PERIOD, "zh-CN"))[0] is not no_update
    assert working(None, None) == [no_update]


def test_first_paint_survives_a_broken_snapshot(settings, tmp_path):
    class Unreadable:
        version = None

        def cursor(self):
            raise RuntimeError("no snapshot")

    root = wall_data.build_layout(settings, Unreadable())
    assert by_id(root, Ids.VERSION).data is None  # the first successful poll will fill the panels
    assert text(by_id(root, Ids.AS_OF)) == "数据时间未知"
    # Placeholders, never blank panels: every KPI shows "—", lists say there is no data.
    counts = by_class(by_id(root, "wall-kpi-tiles"), "wall-count")
    assert len(counts) == 6 and {c.children for c in counts} == {"—"}
    assert text(by_id(root, "wall-ranking")) == "本期暂无数据"
    assert by_id(root, "wall-map").figure["data"]  # the district outline is drawn without any data


def test_first_paint_is_sent_as_plain_data_identical_to_dashs_own_json(settings, reader):
    root = wall_data.build_layout(settings, reader)
    tree = wall_data.json_tree(root)
    # Plain dicts and lists only (orjson serialises them directly), and exactly what Dash would send.
    assert json.loads(to_json_plotly(tree)) == json.loads(to_json_plotly(root))
    assert tree["namespace"] == "dash_html_components" and tree["props"]["id"] == Ids.ROOT
    assert json.loads(orjson.dumps(tree)) == json.loads(to_json_plotly(root))


def test_the_wall_payload_carries_only_the_top_of_the_ranking(settings, reader):
    with reader.cursor() as con:
        full = query.points_ranking(con, query.Filters(*PERIOD))
    assert len(full) == 4  # the fixture's active deputies
    top = settings.with_(wall_ranking_top=2)
    root = wall_data.build_layout(top, reader, lang="zh-CN")
    payload = orjson.dumps(root.to_plotly_json(), default=lambda o: o.to_plotly_json()).decode()
    names = full["deputy_name"].tolist()
    assert all(name in payload for name in names[:2])
    assert not [name for name in names[2:] if name in payload]  # the bottom never reaches a kiosk
    assert Settings().wall_ranking_top == 20
    extreme = wall_data.parse_period("0002-01-01", "9999-12-31", PERIOD)
    assert extreme == PERIOD


def test_the_wall_polls_for_freshness_in_its_own_language(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert wall_data.client_config(settings, "en", ["overview"], 30)["version_url"] == "/wall/version?lang=en"
    assert wall_data.client_config(settings, "zh-CN", ["overview"], 30)["version_url"] == "/wall/version"


def test_walls_of_the_default_period_have_missing_images_drawn_others_not(settings, reader, monkeypatch):
    queued = []
    monkeypatch.setattr(
        wall_data.wall_preview,
        "render_later",
        lambda _s, figures, version: queued.append((sorted(figures), version)),
    )
    wall_data.build_layout(settings, reader, start="2023-03-01", end="2023-03-31", draw_missing_images=True)
    assert queued == []  # a one-off period: drawn by plotly.js only
    wall_data.build_layout(settings, reader, screens="cases")  # not a wall's request (a test, a download)
    assert queued == []
    wall_data.build_layout(settings, reader, screens="cases", draw_missing_images=True)
    expected = sorted(wall_layout.graph_ids("cases"))
    assert queued == [(expected, reader.version)]
