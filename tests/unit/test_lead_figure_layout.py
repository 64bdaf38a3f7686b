"""The leadership figures are assembled as plain dicts and built once (``lead_figures.figure``): the JSON
is what plotly's own ``update_layout`` on a figure of the view's template gave, with every axis title an
object (plotly.js 3 ignores a bare string title)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.components import lead_figures as figs


def _their_base(traces, height=figs.CHART_HEIGHT) -> go.Figure:
    fig = go.Figure(data=traces, layout={"template": figs.TEMPLATE})
    fig.update_layout(
        font={"family": figs.FONT, "size": 13},
        height=height,
        margin={"l": 48, "r": 16, "t": 24, "b": 40},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        colorway=list(figs.PALETTE),
        hoverlabel={"font": {"family": figs.FONT}},
        separators=".,",
    )
    return fig


def test_figure_merges_its_layout_over_the_common_one_like_update_layout():
    traces = [go.Scatter(x=[1, 2], y=[3, 4]), go.Scatter(x=[1, 2], y=[5, 6], yaxis="y2")]
    changes = {"margin": {"l": 8}, "legend": {"x": 1}, "yaxis2": {"overlaying": "y"}, "barmode": "group"}
    ours = figs.figure([t.to_plotly_json() for t in traces], changes, 400)
    theirs = _their_base(traces, 400)
    theirs.update_layout(**changes)
    assert ours.to_plotly_json() == theirs.to_plotly_json()
    assert ours.layout.margin.r == 16 and ours.layout.margin.l == 8


def test_bar_figure_is_the_validated_figure_plotly_would_build():
    df = pd.DataFrame({"name": ["甲", "乙"], "n": [3, 5], "code": ["1", "2"]})
    ours = figs.bar_figure(df, "name", "n", "zh-CN", horizontal=True, key="code")
    theirs = _their_base(
        [
            go.Bar(
                x=[3, 5],
                y=["甲", "乙"],
                orientation="h",
                marker={"color": figs.PALETTE[0]},
                customdata=["1", "2"],
                name="n",
                texttemplate="%{x:,}",
                textposition="outside",
                cliponaxis=False,
            )
        ],
        max(figs.CHART_HEIGHT, 28 * 2 + 80),
    )
    theirs.update_yaxes(autorange="reversed", automargin=True)
    theirs.update_xaxes(title="n", rangemode="tozero")
    theirs.update_layout(margin={"l": 8})
    assert ours.to_plotly_json() == theirs.to_plotly_json()
    assert ours.layout.xaxis.title.text == "n"


def test_every_axis_title_is_an_object():
    monthly = pd.DataFrame({"month": ["2023-01", "2023-02"], "activities": [1, 2], "visitors": [10, 20]})
    df = pd.DataFrame({"category": ["甲"], "suggestions": [3], "points": [2.0]})
    built = [
        figs.trend_figure(monthly, "zh-CN"),
        figs.bar_figure(df, "category", "suggestions", "zh-CN"),
        figs.histogram_figure(df, "points", "zh-CN"),
        figs.multi_bar_figure(df, "category", ["suggestions"], "zh-CN"),
        figs.grouped_bar_figure(df, "category", "category", "suggestions", "zh-CN"),
    ]
    for fig in built:
        layout = fig.to_plotly_json()["layout"]
        titles = [v["title"] for k, v in layout.items() if k.startswith(("xaxis", "yaxis")) and "title" in v]
        assert titles and all(isinstance(title, dict) and title["text"] for title in titles)
