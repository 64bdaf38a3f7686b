"""Pure builders of the leadership view: formatting, KPI cards, figures, tables, clicks, URL sync."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from dash import no_update

from dashboard.components import lead_figures as figs
from dashboard.components import lead_layout as L
from dashboard.components.lead_format import delta, fmt_kpi
from dashboard.components.lead_kpi import kpi_card, kpi_grid, kpi_value_id
from dashboard.components.lead_map import bar_click_code, map_click_code
from dashboard.components.lead_panels import PANELS, idle_homes, panel
from dashboard.components.lead_view import sync_controls
from warehouse.i18n import catalog
from warehouse.query import KPI_IDS

DEFAULT = (date(2023, 1, 1), date(2023, 12, 31))
ANCHOR = date(2023, 12, 31)


def walk(component):
    """Every component of a Dash tree, depth first."""
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, str):
        yield children
    elif isinstance(children, list | tuple):
        for child in children:
            yield from walk(child)
    elif children is not None and hasattr(children, "to_plotly_json"):
        yield from walk(children)


def texts(component) -> str:
    return " ".join(c for c in walk(component) if isinstance(c, str))


# ---- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kpi", "value", "shown"),
    [
        ("visitors_total", 2735, "2,735"),
        ("mediation_success_rate", 156 / 173, "90.2%"),
        ("petition_satisfaction_rate", 1.0, "100.0%"),
        ("suggestion_closure_rate", None, "—"),
        ("activities_total", None, "—"),
        ("activities_total", 0, "0"),
    ],
)
def test_kpi_values_are_formatted_as_the_domain_says(kpi, value, shown):
    assert fmt_kpi(kpi, value) == shown


def test_deltas_counts_relative_rates_in_points_and_none_without_a_base():
    assert delta("activities_total", 146, 100) == ("+46.0%", 1)
    assert delta("activities_total", 80, 100) == ("-20.0%", -1)
    assert delta("activities_total", 5, 0) is None
    assert delta("activities_total", 5, None) is None
    assert delta("mediation_success_rate", 0.902, 0.85) == ("+5.2pp", 1)
    assert delta("mediation_success_rate", None, 0.85) is None


def test_kpi_card_shows_value_deltas_and_definition():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # Loaded at 01:30 UTC is 09:30 in the settings' zone (Asia/Shanghai): that is what a person sees.
    card = kpi_card(
        "activities_total", 146, 120, 146, "zh-CN", datetime(2024, 1, 19, 1, 30, tzinfo=ZoneInfo("UTC"))
    )
    text = texts(card)
    assert "进家活动场次" in text and "146" in text
    assert "同比" in text and "+21.7%" in text and "环比" in text and "+0.0%" in text
    value = next(c for c in walk(card) if getattr(c, "id", None) == kpi_value_id("activities_total"))
    assert value.children == "146" and getattr(value, "data-value") == "146.0"
    assert "活动日期在期间内" in text and "数据截至 2024-01-19 09:30" in text  # the 口径 popover
    # An export date (how current the source is) shows as a date.
    assert "数据截至 2024-01-20" in texts(
        kpi_card("activities_total", 146, 120, 146, "zh-CN", date(2024, 1, 20))
    )


def test_static_kpis_have_no_period_deltas_and_english_works():
    text = texts(kpi_card("deputies_total", 243, 240, 243, "en"))
    assert "Deputies" in text and "243" in text and "not period-dependent" in text and "YoY" not in text


def test_grid_has_a_card_per_kpi():
    assert len(kpi_grid({}, {}, {}, "zh-CN")) == len(KPI_IDS)


# ---- catalog ------------------------------------------------------------------------------------


def test_every_panel_has_title_and_definition_in_both_languages():
    entries = catalog()
    for p in PANELS:
        for key in (p.title_key, p.def_key):
            assert entries[key]["zh"] and entries[key]["en"], key


# ---- figures ------------------------------------------------------------------------------------


def test_trend_figure_draws_a_line_per_measure_visitors_on_the_second_axis():
    months = [date(2023, 1, 1), date(2023, 2, 1)]
    merged = pd.DataFrame({"month": months, "activities": [3, 4], "visitors": [30, 40]})
    fig = figs.trend_figure(merged, "zh-CN")
    assert [tr.name for tr in fig.data] == ["活动场次", "接待群众人次"]
    assert list(fig.data[0].x) == ["2023-01-01", "2023-02-01"] and fig.data[1].yaxis == "y2"
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.tickformat == "%Y-%m"


def test_empty_rows_draw_a_no_data_note_not_zeros():
    fig = figs.trend_figure(pd.DataFrame(columns=["month", "activities"]), "zh-CN")
    assert not fig.data and fig.layout.annotations[0].text == "本期暂无数据"


def test_township_bars_carry_codes_for_clicks_and_mark_the_selection():
    df = pd.DataFrame(
        {
            "township_code": ["150205001000", "150205002000"],
            "township_name": ["石拐街道", "大发街道"],
            "activities": [5, 7],
        }
    )
    fig = figs.township_figure(df, "zh-CN", selected=("150205002000",))
    assert list(fig.data[0].customdata) == ["150205001000", "150205002000"]
    colors = list(fig.data[0].marker.color)
    assert colors[0] != colors[1]


def test_funnel_counts_suggestions_that_reached_each_stage():
    df = pd.DataFrame(
        {
            "status": ["已提交", "已交办", "办理中", "已答复", "已办结", "不予立案"],
            "suggestions": [2, 1, 1, 0, 5, 3],
        }
    )
    reached = figs.with_reached(df)
    assert reached["reached"].tolist()[:5] == [12, 7, 6, 5, 5]
    assert pd.isna(reached["reached"].iloc[5])
    # A status nobody is at still appears, with 0, so the funnel always shows the whole workflow.
    partial = figs.with_reached(pd.DataFrame({"status": ["已办结"], "suggestions": [4]}))
    assert partial["status"].tolist()[:5] == ["已提交", "已交办", "办理中", "已答复", "已办结"]
    assert (
        partial["suggestions"].tolist() == [0, 0, 0, 0, 4, 0] and partial["reached"].tolist()[:5] == [4] * 5
    )
    fig = figs.funnel_figure(reached, "zh-CN")
    assert list(fig.data[0].y) == ["已提交", "已交办", "办理中", "已答复", "已办结"]
    assert list(fig.data[0].x) == [12, 7, 6, 5, 5]
    assert "不予立案: 3" in fig.layout.annotations[0].text


def test_handling_units_show_rates_in_percent_with_missing_rates_empty():
    df = pd.DataFrame(
        {
            "unit": ["甲局", "乙局"],
            "suggestions": [2, 9],
            "on_time_rate": [0.5, 1.0],
            "satisfaction_rate": [None, 0.9],
        }
    )
    fig = figs.handling_units_figure(df, "zh-CN")
    assert list(fig.data[0].y) == ["乙局（9）", "甲局（2）"]
    assert list(fig.data[0].x) == [100.0, 50.0] and list(fig.data[1].x) == [90.0, None]


def test_idle_homes_are_homes_without_activity():
    homes = pd.DataFrame(
        {
            "home_id": ["H1", "H2", "S1"],
            "township_code": ["1", "2", "2"],
            "is_home": [True, True, False],
            "activities": [3, 0, 0],
        }
    )
    assert idle_homes(homes)["home_id"].tolist() == ["H2"]


def test_panel_columns_select_and_order():
    ranking = panel("ranking")
    frame = pd.DataFrame({"points": [1], "deputy_id": ["D1"], "extra": [0], "rank": [1]})
    assert ranking.select(frame).columns.tolist() == ["rank", "deputy_id", "points"]


# ---- tables -------------------------------------------------------------------------------------


def test_links_escape_record_text():
    df = pd.DataFrame({"deputy_id": ["D 1", None], "deputy_name": ["[x](javascript:alert(1))", None]})
    out = L.link_column(df, "deputy_name", "/deputy", "deputy_id", "?from=2023-01-01")
    assert out["deputy_name_link"].tolist()[0] == (
        "[\\[x\\]\\(javascript:alert\\(1\\)\\)](/deputy?id=D%201&from=2023-01-01)"
    )
    assert out["deputy_name_link"].tolist()[1] == ""


def test_column_defs_label_and_format():
    df = pd.DataFrame({"unit": ["x"], "suggestions": [3], "on_time_rate": [0.5]})
    defs = L.column_defs(df, "zh-CN")
    assert [d["headerName"] for d in defs] == ["承办单位", "建议件数", "按期办理率 (%)"]
    assert defs[1]["type"] == "numericColumn"
    assert not any("function" in str(d) for d in defs)  # no eval under the page's CSP
    assert L.records(df)[0]["on_time_rate"] == 50.0


def test_grid_columns_fit_dates_names_and_headers():
    df = pd.DataFrame(
        {
            "activity_date": ["2023-12-31"],
            "title": ["石拐区人大代表之家开展“代表接待日”暨民法典宣传活动（第十二期）"],
            "home_name": ["大发街道代表联络站"],
            "visitors": [12345],
        }
    )
    defs = {d["field"]: d for d in L.column_defs(df, "zh-CN")}
    assert defs["activity_date"]["minWidth"] >= L.text_px("2023-12-31") + L.CELL_PADDING_PX
    assert defs["home_name"]["minWidth"] >= 9 * L.WIDE_CHAR_PX  # the whole name
    assert defs["title"]["minWidth"] <= L.TEXT_MAX_PX + L.CELL_PADDING_PX  # capped: the tooltip has it all
    assert defs["title"]["tooltipField"] == "title" and "tooltipField" not in defs["visitors"]
    assert defs["visitors"]["type"] == "numericColumn"  # right-aligned
    grid = L.data_grid("g", df, "zh-CN")
    assert grid.defaultColDef["wrapHeaderText"] and grid.defaultColDef["autoHeaderHeight"]


def test_records_are_json_safe():
    df = pd.DataFrame({"d": [date(2023, 1, 2)], "n": [pd.NA], "x": [float("nan")]}, dtype=object)
    assert L.records(df) == [{"d": "2023-01-02", "n": None, "x": None}]


# ---- clicks and URL sync ------------------------------------------------------------------------


def test_click_parsing():
    assert bar_click_code({"points": [{"customdata": "150205002000"}]}) == "150205002000"
    assert bar_click_code(None) is None
    codes = ["150205001000", "150205002000"]
    assert map_click_code({"points": [{"curveNumber": 1}]}, codes) == "150205002000"
    assert (
        map_click_code({"points": [{"curveNumber": 7, "customdata": ["150205001000"]}]}, codes)
        == "150205001000"
    )
    assert map_click_code({"points": [{"curveNumber": 9}]}, codes) is None


def sync(trigger, search="?from=2023-01-01&to=2023-12-31", **controls):
    values = {
        "preset": "year",
        "date_from": "2023-01-01",
        "date_to": "2023-12-31",
        "townships": [],
        "home_levels": [],
        "deputy_levels": [],
        "clicked_code": None,
    }
    values.update(controls)
    return sync_controls(
        trigger,
        search,
        values["preset"],
        values["date_from"],
        values["date_to"],
        values["townships"],
        values["home_levels"],
        values["deputy_levels"],
        values["clicked_code"],
        DEFAULT,
        ANCHOR,
    )


def test_a_preset_writes_its_dates_to_the_url():
    out = sync(L.PRESET, preset="last_year")
    assert out[0] == "?from=2022-01-01&to=2022-12-31"
    assert out[1:4] == ("last_year", "2022-01-01", "2022-12-31")


def test_a_township_click_filters_and_reset_undoes_it():
    clicked = sync({"type": L.GRAPH_TYPE, "panel": "townships"}, clicked_code="150205002000")
    assert clicked[0] == "?from=2023-01-01&to=2023-12-31&township=150205002000"
    assert clicked[4] == ["150205002000"]
    reset = sync(L.RESET, search=clicked[0], townships=["150205002000"])
    assert reset[0] == "?from=2023-01-01&to=2023-12-31" and reset[4] == []


def test_back_button_moves_controls_to_the_url():
    out = sync(L.LOCATION, search="?from=2023-10-01&to=2023-12-31&home_level=village&lang=en")
    assert out[0] is no_update
    assert out[1:4] == ("quarter", "2023-10-01", "2023-12-31") and out[5] == ["village"]


def test_custom_dates_and_unchanged_state():
    out = sync(L.DATE_FROM, date_from="2023-03-01", date_to="2023-03-31")
    assert out[0] == "?from=2023-03-01&to=2023-03-31" and out[1] == "month" or out[1] == "custom"
    assert sync(L.TOWNSHIP)[0] is no_update


def test_map_points_carry_township_codes_for_clicks():
    from dashboard.components.lead_map import lead_map_figure

    square = {
        "type": "Feature",
        "properties": {"township_code": "150205002000", "township_name": "大发街道"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[110, 40], [110, 41], [111, 41], [111, 40], [110, 40]]],
        },
    }
    townships = {"type": "FeatureCollection", "features": [square]}
    homes = pd.DataFrame(
        {
            "home_name": ["家"],
            "home_level": ["区级"],
            "is_home": [True],
            "township_code": ["150205002000"],
            "lon": [110.5],
            "lat": [40.5],
            "activities": [3],
        }
    )
    summary = pd.DataFrame(
        {"township_code": ["150205002000"], "township_name": ["大发街道"], "activities": [3]}
    )
    traces = lead_map_figure(None, townships, homes, summary, "zh-CN", ("150205002000",))["data"]
    assert traces[0]["hoveron"] == "fills" and traces[0]["name"] == "大发街道"
    labels = next(tr for tr in traces if tr.get("mode") == "text")
    markers = next(tr for tr in traces if tr.get("mode") == "markers")
    assert labels["customdata"] == ["150205002000"] and markers["customdata"] == ["150205002000"]
    assert (
        map_click_code({"points": [{"curveNumber": 2, "customdata": "150205002000"}]}, []) == "150205002000"
    )


def test_map_labels_of_the_demo_townships_do_not_overlap_and_all_carry_their_codes():
    from dashboard.components import map as district_map
    from dashboard.components.lead_map import CALLOUT_SIZE, label_frame, lead_map_figure
    from etl import geo

    townships = geo.township_feature_collection()
    district = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": geo.district_outline().__geo_interface__}
        ],
    }
    codes = [district_map.feature_code(f) for f in townships["features"]]
    names = {district_map.feature_code(f): district_map.feature_name(f) for f in townships["features"]}
    summary = pd.DataFrame(
        {"township_code": codes, "township_name": [names[c] for c in codes], "activities": range(len(codes))}
    )
    fig = lead_map_figure(district, townships, pd.DataFrame(), summary, "zh-CN")
    frame = label_frame(district, townships)
    boxes, labelled = [], []
    texts = [tr for tr in fig["data"] if tr.get("mode") == "text"]
    for trace in texts:
        sizes = trace["textfont"]["size"]
        for index, (x, y, text, code) in enumerate(
            zip(trace["x"], trace["y"], trace["text"], trace["customdata"], strict=True)
        ):
            size = sizes[index] if isinstance(sizes, list | tuple) else sizes
            text = text.replace("<br>", "\n")
            assert text.startswith(names[code])  # the point under a name says which township it is
            boxes.append(district_map.label_box(*frame.point(x, y), text, size))
            labelled.append(code)
    assert sorted(labelled) == sorted(codes)  # every township is named, and clickable by its name
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if district_map._boxes_meet(a, b)]
    assert not overlaps
    callouts = next(tr for tr in texts if tr["textfont"]["size"] == CALLOUT_SIZE)
    leaders = next(tr for tr in fig["data"] if tr.get("mode") == "lines" and tr["x"] and None in tr["x"])
    assert len(callouts["x"]) >= 4 and leaders["x"].count(None) == len(callouts["x"])  # one line per callout
    annotations = fig["layout"]["annotations"]
    assert not [a for a in annotations if a.get("showarrow")] and "width" not in fig["layout"]
