"""Wall KPI builders: formatting, tiles, rings, counters."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dashboard.components import wall_kpi
from tests.support.wall_tree import attr, by_class, text

# A KPI's as-of is its source's export date (a date); without one, a load time, shown in the zone.
AS_OF = {
    "deputies_total": date(2024, 1, 19),
    "mediation_success_rate": datetime(2024, 1, 18, 1, 0, tzinfo=UTC),
}


def test_rates_are_percentages_with_one_decimal_and_null_is_a_dash():
    assert wall_kpi.format_rate(0.9017) == "90.2%"
    assert wall_kpi.format_rate(1.0) == "100.0%"
    assert wall_kpi.format_rate(0.0) == "0.0%"
    assert wall_kpi.format_rate(None) == "—"


def test_counts_get_thousands_separators():
    assert wall_kpi.format_count(2735) == "2,735"
    assert wall_kpi.format_count(0) == "0"
    assert wall_kpi.format_count(None) == "—"
    assert wall_kpi.format_kpi("visitors_total", 2735) == "2,735"
    assert wall_kpi.format_kpi("mediation_success_rate", 0.9017) == "90.2%"


def test_count_span_carries_the_value_it_counts_up_to():
    span = wall_kpi.count_span("mediation_success_rate", 0.9017)
    assert span.children == "90.2%"
    assert attr(span, "data-kpi") == "mediation_success_rate"
    assert attr(span, "data-kind") == "pct"
    assert float(attr(span, "data-value")) == 90.17
    null = wall_kpi.count_span("deputies_total", None)
    assert null.children == "—"
    assert attr(null, "data-value") == ""


def test_tile_shows_name_value_unit_and_its_own_as_of_time():
    tile = wall_kpi.kpi_tile("deputies_total", 243, AS_OF, "zh-CN", unit_key="people")
    assert text(by_class(tile, "wall-tile-name")) == "代表人数"
    assert text(by_class(tile, "wall-count")) == "243"
    assert text(by_class(tile, "wall-unit")) == "人"
    assert text(by_class(tile, "wall-asof")) == "截至 2024-01-19"
    english = wall_kpi.kpi_tile("deputies_total", 243, AS_OF, "en", unit_key="people")
    assert text(by_class(english, "wall-tile-name")) == "Deputies"
    assert text(by_class(english, "wall-unit")) == ""
    assert text(by_class(english, "wall-asof")) == "as of 2024-01-19"
    unknown = wall_kpi.kpi_tile("visitors_total", 5, AS_OF, "zh-CN")
    assert text(by_class(unknown, "wall-asof")) == ""
    # 01:00 UTC is 09:00 in Asia/Shanghai: what the hall's clock says too.
    assert wall_kpi.format_as_of(AS_OF["mediation_success_rate"]) == "2024-01-18 09:00"
    assert wall_kpi.format_as_of("2024-01-18") == "2024-01-18"  # rendered by wall_data already


def test_ring_fill_follows_the_rate_and_null_is_an_empty_ring():
    ring = wall_kpi.rate_ring("mediation_success_rate", 0.9017, AS_OF, "zh-CN")
    dial = by_class(ring, "wall-ring-dial")[0]
    assert dial.style["--wall-p"] == "90.17"
    assert "is-null" not in dial.className
    null = wall_kpi.rate_ring("petition_satisfaction_rate", None, AS_OF, "zh-CN")
    dial = by_class(null, "wall-ring-dial")[0]
    assert "is-null" in dial.className
    assert dial.style["--wall-p"] == "0.00"
    assert text(by_class(null, "wall-count")) == "—"


def test_homes_tile_splits_homes_by_level_and_counts_stations():
    homes = [
        {"home_level": level} for level in ["区级"] + ["苏木镇街道级"] * 7 + ["嘎查村级"] * 17 + ["企业"] * 2
    ]
    levels = wall_kpi.homes_by_level(homes + [{"home_level": "代表工作站"}])
    assert levels["嘎查村级"] == 17
    values = {"homes_total": 27, "stations_total": 3, "liaison_points_total": 16}
    tiles = wall_kpi.kpi_tiles(values, {}, levels, "zh-CN")
    homes_tile = [t for t in tiles if text(by_class(t, "wall-tile-name")) == "代表之家数"][0]
    sub = text(by_class(homes_tile, "wall-tile-sub"))
    assert "区级1" in sub and "镇级7" in sub and "村级17" in sub and "企业2" in sub
    assert "工作站3" in sub and "联络站16" in sub


def test_rate_rings_and_counters_cover_their_kpis():
    values = {k: 0.5 for k in wall_kpi.RATE_RINGS}
    rings = wall_kpi.rate_rings(values, {}, "zh-CN", prefix="c-")
    assert [attr(by_class(r, "wall-count")[0], "data-kpi") for r in rings] == list(wall_kpi.RATE_RINGS)
    assert by_class(rings[0], "wall-count")[0].id == "c-kpi-suggestion_closure_rate"
    counters = wall_kpi.counter_tiles({"legislative_suggestions": 148}, {}, "zh-CN")
    assert text(by_class(counters[0], "wall-count")) == "148"
    assert text(by_class(counters[1], "wall-count")) == "—"
