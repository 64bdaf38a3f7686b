"""Figure builders of the leadership view: pure functions, DataFrame in, plotly figure out.

Column names come from the query layer; each builder picks the first of a few accepted names
(:func:`pick`) so that a renamed column fails loudly in one place (``KeyError``) instead of drawing
an empty chart.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.components.wall_charts import merged
from warehouse.i18n import catalog, t

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = ("#1f5fa8", "#d9822b", "#2e8b57", "#b03a48", "#6f42c1", "#0f9fb0", "#8c6d1f", "#5a6270")
CHART_HEIGHT = 340


def label(column: str, lang: str | None) -> str:
    """The display name of a column: ``leadership.col.<column>`` (or ``region_view.col.<column>``) if
    catalogued, else the name itself."""
    for key in (f"leadership.col.{column}", f"region_view.col.{column}"):
        if key in catalog():
            return t(key, lang)
    return column


def pick(df: pd.DataFrame, *names: str, required: bool = True) -> str | None:
    """The first of ``names`` that is a column of ``df``."""
    for name in names:
        if name in df.columns:
            return name
    if required:
        raise KeyError(f"none of {names} in columns {list(df.columns)}")
    return None


# A small template of our own: plotly's named templates are deep-copied into every figure, which
# cost more than the queries (≈0.1 s a figure); this one holds only what the charts use.
TEMPLATE = {
    "layout": {
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "xaxis": {
            "gridcolor": "#eef0f4",
            "linecolor": "#c9ced6",
            "zerolinecolor": "#dfe3ea",
            "automargin": True,
        },
        "yaxis": {
            "gridcolor": "#eef0f4",
            "linecolor": "#c9ced6",
            "zerolinecolor": "#dfe3ea",
            "automargin": True,
        },
        "font": {"color": "#2a3442"},
    }
}


def figure(traces: list[dict], layout: dict | None = None, height: int = CHART_HEIGHT) -> go.Figure:
    """One unvalidated figure from plain dicts on :data:`TEMPLATE`, with the view's common layout.

    Every chart is assembled as dicts first and turned into a figure once: each ``update_layout`` or
    ``update_traces`` on a ``go.Figure`` walks plotly's property machinery (several ms a call, most of an
    uncached render over a dozen charts), whereas this costs well under a millisecond per chart.
    Unvalidated: plotly's per-element validation of values known to be good cost seconds per view at
    district scale (thousands of bars); the JSON sent is the same.
    """
    common = {
        "template": TEMPLATE,
        "font": {"family": FONT, "size": 13},
        "height": height,
        "margin": {"l": 48, "r": 16, "t": 24, "b": 40},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "colorway": list(PALETTE),
        "hoverlabel": {"font": {"family": FONT}},
        "separators": ".,",
    }
    return go.Figure(data=traces, layout=merged(common, layout or {}), _validate=False)


def empty_figure(lang: str | None, height: int = CHART_HEIGHT, message: str = "period.empty") -> go.Figure:
    """A blank chart saying "本期暂无数据" (never a misleading zero or an empty axis)."""
    note = {
        "text": t(message, lang),
        "showarrow": False,
        "font": {"size": 15, "color": "#6c757d"},
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
    }
    hidden = {"visible": False}
    return figure([], {"annotations": [note], "xaxis": hidden, "yaxis": hidden}, height)


def with_title(fig: go.Figure, title: str) -> go.Figure:
    """A copy of ``fig`` carrying ``title`` (for exported images, where no card header frames it)."""
    out = go.Figure(fig, skip_invalid=False)
    out.update_layout(title={"text": title, "x": 0.01, "font": {"size": 16}}, margin={"t": 60})
    return out


def _month_starts(values: pd.Series) -> list[str]:
    """Months as ISO dates of their first day (a date axis thins its ticks on narrow screens)."""
    out = []
    for value in values:
        text = value.strftime("%Y-%m") if hasattr(value, "strftime") else str(value)[:7]
        out.append(f"{text}-01")
    return out


TREND_MEASURES = ("activities", "visitors", "suggestions", "cases", "petition_cases", "mediation_cases")


def trend_figure(df: pd.DataFrame, lang: str | None) -> go.Figure:
    """Monthly lines for each measure the query returns; visitors on a second axis (larger scale)."""
    if df.empty:
        return empty_figure(lang)
    month = pick(df, "month", "month_start", "period")
    x = _month_starts(df[month])
    traces = [
        {
            "type": "scatter",
            "x": x,
            "y": df[measure].fillna(0).tolist(),
            "name": label(measure, lang),
            "mode": "lines+markers",
            "yaxis": "y2" if measure == "visitors" else "y",
            "line": {"color": PALETTE[i % len(PALETTE)], "width": 2.5},
        }
        for i, measure in enumerate(m for m in TREND_MEASURES if m in df.columns)
    ]
    layout = {
        "yaxis": {"rangemode": "tozero", "title": {"text": t("leadership.axis_count", lang)}},
        "yaxis2": {
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "title": {"text": label("visitors", lang)},
        },
        # Every month ticked only when few (a date axis thins its ticks on narrow screens).
        "xaxis": {"type": "date", "tickformat": "%Y-%m", "hoverformat": "%Y-%m"}
        | ({"dtick": "M1"} if len(x) <= 6 else {}),
        "hovermode": "x unified",
    }
    return figure(traces, layout)


def bar_figure(
    df: pd.DataFrame,
    category: str,
    value: str,
    lang: str | None,
    *,
    horizontal: bool = False,
    key: str | None = None,
    color: str | list[str] = PALETTE[0],
    text_format: str = "%{value:,}",
    hovertemplate: str | None = None,
    layout: dict | None = None,
) -> go.Figure:
    """A single-series bar chart; ``key`` goes to customdata so a click can identify the bar.
    ``color`` is one colour or one per bar; ``layout`` is merged over the chart's own."""
    if df.empty:
        return empty_figure(lang)
    cats, vals = df[category].astype(str).tolist(), df[value].fillna(0).tolist()
    bar = {
        "type": "bar",
        "x": vals if horizontal else cats,
        "y": cats if horizontal else vals,
        "orientation": "h" if horizontal else "v",
        "marker": {"color": color},
        "name": label(value, lang),
        "texttemplate": text_format.replace("value", "x" if horizontal else "y"),
        "textposition": "outside",
        "cliponaxis": False,
    }
    if key:
        bar["customdata"] = df[key].astype(str).tolist()
    if hovertemplate:
        bar["hovertemplate"] = hovertemplate
    if horizontal:
        own = {
            "yaxis": {"autorange": "reversed", "automargin": True},
            "xaxis": {"title": {"text": label(value, lang)}, "rangemode": "tozero"},
            "margin": {"l": 8},
        }
        height = max(CHART_HEIGHT, 28 * len(cats) + 80)
    else:
        own = {
            "yaxis": {"title": {"text": label(value, lang)}, "rangemode": "tozero"},
            "xaxis": {"automargin": True},
        }
        height = CHART_HEIGHT
    return figure([bar], merged(own, layout or {}), height)


def township_figure(df: pd.DataFrame, lang: str | None, selected: tuple[str, ...] = ()) -> go.Figure:
    """Activities at homes per township; click a bar to filter the view to that township."""
    if df.empty:
        return empty_figure(lang)
    code = pick(df, "township_code", "unit_code")  # units above the township level (region_view)
    name = pick(df, "township_name", "unit_name")
    value = pick(df, "activities", "activities_total")
    colors = [PALETTE[1] if c in selected else PALETTE[0] for c in df[code].astype(str)]
    return bar_figure(
        df,
        name,
        value,
        lang,
        key=code,
        color=colors,
        hovertemplate="%{x}<br>%{y:,}<extra></extra>",
        layout={"clickmode": "event"},
    )


SUGGESTION_FLOW = ("已提交", "已交办", "办理中", "已答复", "已办结")
SIDE_EXIT = "不予立案"


def with_reached(df: pd.DataFrame) -> pd.DataFrame:
    """Every workflow status (absent ones with 0) plus ``reached``: suggestions at this stage or later.

    Statuses are current (one per suggestion), so the funnel's width at a stage is the number that got
    at least that far; the side exit 不予立案 reached only 已提交 (its ``reached`` is empty).
    """
    if "status" not in df.columns:
        return df
    value = pick(df, "suggestions", "count", "n") if not df.empty else "suggestions"
    counts = (
        dict(zip(df["status"].astype(str), df[value].fillna(0).astype(int), strict=True))
        if not df.empty
        else {}
    )
    if not counts:
        return df
    statuses = [*SUGGESTION_FLOW, SIDE_EXIT] + [s for s in counts if s not in (*SUGGESTION_FLOW, SIDE_EXIT)]
    reached = {
        stage: sum(counts.get(s, 0) for s in SUGGESTION_FLOW[i:]) for i, stage in enumerate(SUGGESTION_FLOW)
    }
    reached[SUGGESTION_FLOW[0]] += counts.get(SIDE_EXIT, 0)
    return pd.DataFrame(
        {
            "status": statuses,
            value: [counts.get(s, 0) for s in statuses],
            "reached": pd.array([reached.get(s) for s in statuses], dtype="Int64"),
        }
    )


def funnel_figure(df: pd.DataFrame, lang: str | None) -> go.Figure:
    """Suggestions through the workflow: how many reached each stage; 不予立案 noted beside."""
    if df.empty:
        return empty_figure(lang)
    if "reached" not in df.columns:
        df = with_reached(df)
    flow = df[df["status"].isin(SUGGESTION_FLOW)]
    funnel = {
        "type": "funnel",
        "y": flow["status"].astype(str).tolist(),
        "x": flow["reached"].fillna(0).astype(int).tolist(),
        "textinfo": "value+percent initial",
        "marker": {"color": PALETTE[0]},
    }
    layout: dict = {"margin": {"l": 90}}
    value = pick(df, "suggestions", "count", "n")
    side = df.loc[df["status"] == SIDE_EXIT, value]
    if not side.empty:
        layout["annotations"] = [
            {
                "text": f"{SIDE_EXIT}: {int(side.iloc[0])}",
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 0,
                "showarrow": False,
                "font": {"color": PALETTE[3]},
            }
        ]
    return figure([funnel], layout)


def grouped_bar_figure(df: pd.DataFrame, x: str, group: str, value: str, lang: str | None) -> go.Figure:
    """Bars of ``value`` by ``x``, one colour per ``group`` (stacked)."""
    if df.empty:
        return empty_figure(lang)
    traces = [
        {
            "type": "bar",
            "x": part[x].astype(str).tolist(),
            "y": part[value].fillna(0).tolist(),
            "name": str(name),
            "marker": {"color": PALETTE[i % len(PALETTE)]},
        }
        for i, (name, part) in enumerate(df.groupby(group, sort=False))
    ]
    return figure(
        traces, {"barmode": "stack", "yaxis": {"title": {"text": label(value, lang)}, "rangemode": "tozero"}}
    )


def multi_bar_figure(df: pd.DataFrame, category: str, measures: list[str], lang: str | None) -> go.Figure:
    """Side-by-side bars of several measures per category (e.g. projects, elected, completed)."""
    if df.empty or not measures:
        return empty_figure(lang)
    categories = df[category].astype(str).tolist()
    traces = [
        {
            "type": "bar",
            "x": categories,
            "y": df[measure].fillna(0).tolist(),
            "name": label(measure, lang),
            "marker": {"color": PALETTE[i % len(PALETTE)]},
        }
        for i, measure in enumerate(measures)
    ]
    axis = {"rangemode": "tozero", "title": {"text": t("leadership.axis_count", lang)}}
    return figure(traces, {"barmode": "group", "yaxis": axis})


def handling_units_figure(df: pd.DataFrame, lang: str | None, top: int = 15) -> go.Figure:
    """Handling units (most suggestions first): on-time rate and satisfaction side by side, in %."""
    if df.empty:
        return empty_figure(lang)
    unit = pick(df, "handling_unit", "unit")
    count = pick(df, "suggestions", "count", "n")
    rows = df.sort_values(count, ascending=False, kind="stable").head(top)
    labels = [f"{u}（{int(n)}）" for u, n in zip(rows[unit].astype(str), rows[count].fillna(0), strict=True)]
    traces = [
        {
            "type": "bar",
            "y": labels,
            "x": [None if pd.isna(v) else round(float(v) * 100, 1) for v in rows[rate]],
            "orientation": "h",
            "name": label(rate, lang),
            "marker": {"color": PALETTE[i * 2]},
            "texttemplate": "%{x:.1f}%",
            "textposition": "outside",
            "cliponaxis": False,
        }
        for i, rate in enumerate(r for r in ("on_time_rate", "satisfaction_rate") if r in rows.columns)
    ]
    layout = {
        "barmode": "group",
        "bargap": 0.25,
        "xaxis": {"range": [0, 115], "ticksuffix": "%"},
        "yaxis": {"autorange": "reversed", "automargin": True},
    }
    return figure(traces, layout, max(CHART_HEIGHT, 40 * len(labels) + 80))


def histogram_figure(df: pd.DataFrame, value: str, lang: str | None) -> go.Figure:
    """Distribution of ``value`` (e.g. each deputy's points) as a histogram."""
    if df.empty:
        return empty_figure(lang)
    # Binned here, not in the browser: sending every deputy's value (tens of thousands) to draw 20 bars
    # cost hundreds of KB and seconds of figure validation.
    values = pd.to_numeric(df[value], errors="coerce").fillna(0).to_numpy(dtype=float)
    counts, edges = np.histogram(values, bins=_bin_edges(values))
    bars = {
        "type": "bar",
        "x": ((edges[:-1] + edges[1:]) / 2).tolist(),
        "y": counts.tolist(),
        "width": ((edges[1:] - edges[:-1]) * 0.95).tolist(),
        "customdata": [
            f"{_fmt_edge(lo)}–{_fmt_edge(hi)}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        ],
        "hovertemplate": "%{customdata}: %{y}<extra></extra>",
        "marker": {"color": PALETTE[0]},
        "name": "",
    }
    layout = {
        "xaxis": {"title": {"text": label(value, lang)}},
        "yaxis": {"title": {"text": t("leadership.axis_deputies", lang)}},
        "bargap": 0.05,
    }
    return figure([bars], layout)


def _bin_edges(values, bins: int = 20):
    """About ``bins`` equal-width bins with round edges over ``values`` (one unit-wide bin if constant)."""
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 0.0)
    if high <= low:
        return np.array([low - 0.5, low + 0.5])
    raw = (high - low) / bins
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    count = max(1, math.ceil((high - start) / step + 1e-9))
    if start + count * step <= high:
        count += 1
    return start + step * np.arange(count + 1)


def _fmt_edge(value: float) -> str:
    return f"{value:g}"
