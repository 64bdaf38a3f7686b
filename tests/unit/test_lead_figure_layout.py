"""The leadership figures' layout helpers give the JSON plotly's own ``update_layout`` /
``update_xaxes`` / ``update_yaxes`` give (they only skip its per-property machinery)."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.components import lead_figures as figs


def _pair():
    traces = [go.Scatter(x=[1, 2], y=[3, 4]), go.Scatter(x=[1, 2], y=[5, 6], yaxis="y2")]
    return figs.new_figure(traces), figs.new_figure(traces)


def test_relayout_merges_nested_dicts_like_update_layout():
    ours, theirs = _pair()
    for fig in (ours, theirs):
        fig.layout.margin = {"l": 1, "r": 2}
    figs.relayout(ours, margin={"l": 8}, legend={"x": 0}, yaxis2={"overlaying": "y"}, barmode="group")
    theirs.update_layout(margin={"l": 8}, legend={"x": 0}, yaxis2={"overlaying": "y"}, barmode="group")
    assert ours.to_plotly_json() == theirs.to_plotly_json()
    assert ours.layout.margin.r == 2 and ours.layout.margin.l == 8


def test_update_axes_reaches_every_axis_of_its_kind():
    ours, theirs = _pair()
    for fig in (ours, theirs):
        fig.layout.yaxis2 = {"side": "right"}
    figs.update_axes(ours, "y", rangemode="tozero", title="n")
    figs.update_axes(ours, "x", visible=False)
    theirs.update_yaxes(rangemode="tozero", title="n")
    theirs.update_xaxes(visible=False)
    assert ours.to_plotly_json() == theirs.to_plotly_json()
    assert ours.layout.yaxis2.rangemode == "tozero" and ours.layout.yaxis2.side == "right"


def test_base_layout_is_what_update_layout_gave():
    ours, theirs = _pair()
    figs.base_layout(ours, 400)
    theirs.update_layout(
        font={"family": figs.FONT, "size": 13},
        height=400,
        margin={"l": 48, "r": 16, "t": 24, "b": 40},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        colorway=list(figs.PALETTE),
        hoverlabel={"font": {"family": figs.FONT}},
        separators=".,",
    )
    assert ours.to_plotly_json() == theirs.to_plotly_json()
