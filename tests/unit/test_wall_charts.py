"""Wall charts: fixed-size figures from plain rows."""

from __future__ import annotations

from datetime import date

from dashboard.components import wall_charts


def test_monthly_series_places_values_by_month_and_leaves_gaps_none():
    rows = [{"month": date(2023, 1, 1), "value": 5}, {"month": 3, "value": 7}, {"month": 13, "value": 1}]
    series = wall_charts.monthly_series(rows, "value")
    assert series[:4] == [5, None, 7, None]
    assert len(series) == 12


def test_trend_compares_this_year_with_last_year_at_a_fixed_size():
    fig = wall_charts.trend_figure(
        [1] * 12, [2] * 12, [str(m) for m in range(1, 13)], ("2023年", "2022年"), 400, 300
    )
    assert [trace.name for trace in fig.data] == ["2022年", "2023年"]
    assert list(fig.data[1].y) == [1] * 12
    assert (fig.layout.width, fig.layout.height) == (400, 300)
    assert fig.layout.xaxis.type == "category"


def test_township_bars_put_each_measure_in_its_own_panel_top_down():
    fig = wall_charts.township_bars_figure(
        ["甲", "乙"], [("活动", [3, None]), ("人次", [30, 10])], width=470, height=300
    )
    assert len(fig.data) == 2
    assert list(fig.data[0].y) == ["乙", "甲"]  # reversed: the first township is drawn on top
    assert list(fig.data[0].x) == [0, 3]  # None counts as zero
    assert fig.data[1].xaxis == "x2"
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]


def test_hbar_sorts_largest_on_top_and_shortens_long_labels():
    fig = wall_charts.hbar_figure(["短", "一个非常非常非常非常长的法规名称"], [1, 9], 600, 400, max_label=8)
    assert list(fig.data[0].x) == [1, 9]
    assert fig.data[0].y[1] == "一个非常非常非…"
    assert fig.layout.yaxis.range == (-4.5, 1.5)  # two bars keep a bar's thickness, at the top
    empty = wall_charts.hbar_figure([], [], 600, 400, empty_message="暂无数据")
    assert empty.layout.annotations[0].text == "暂无数据"


def test_stacked_outcomes_one_trace_per_outcome_with_pinned_colours():
    counts = {("信访代办", "化解成功"): 39, ("诉前调解", "调解成功"): 156, ("诉前调解", "撤回"): 5}
    fig = wall_charts.stacked_outcomes_figure(
        ["信访代办", "诉前调解"], ["化解成功", "调解成功", "撤回"], counts, 600, 400, colors={"撤回": "#888"}
    )
    assert [t.name for t in fig.data] == ["化解成功", "调解成功", "撤回"]
    assert list(fig.data[1].x) == [0, 156]
    assert fig.data[2].marker.color == "#888"
    assert fig.layout.barmode == "stack"
    assert wall_charts.stacked_outcomes_figure([], [], {}, 600, 400).layout.annotations
