"""Wall charts: plotly figures for a dark, fixed-size design canvas. Pure functions: rows in, figure out.

Sizes are explicit pixels of the 1920×1080 canvas (the canvas is scaled as a whole by CSS), so a figure
never depends on the viewport and never re-lays itself out when the wall scales.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from dashboard.components.text_fit import elide

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"
TEXT = "#d8e8ff"
MUTED = "#7f98bd"
GRID = "rgba(120,160,220,0.15)"
ACCENT = "#35c3e8"
ACCENT_2 = "#ffc34d"
MIN_BAR_SLOTS = 6
SERIES = ("#35c3e8", "#ffc34d", "#5be38f", "#ff7b7b", "#b58cff", "#7fa7ff", "#ff9f43", "#a3e635")


def merged(base: Mapping, updates: Mapping) -> dict:
    """``base`` updated with ``updates``, nested dicts merged (plotly's ``update_layout`` semantics)."""
    out = dict(base)
    for key, value in updates.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def figure(traces: Sequence[Mapping], layout: Mapping) -> go.Figure:
    """One unvalidated construction from plain dicts.

    Each ``add_trace``/``update_layout`` on a ``go.Figure`` walks plotly's property machinery (about
    10 ms per chart on this machine, a quarter of an uncached wall); building the dicts first and the
    figure once costs about 1 ms.
    """
    return go.Figure(data=list(traces), layout=dict(layout), _validate=False)


def base_layout(width: int, height: int, **extra) -> dict:
    """Transparent, big-type layout shared by every wall chart."""
    layout = {
        "width": width,
        "height": height,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "color": TEXT, "size": 18},
        "margin": {"l": 56, "r": 20, "t": 16, "b": 40},
        "showlegend": False,
        "hovermode": False,
        "dragmode": False,
        "xaxis": {"fixedrange": True, "gridcolor": GRID, "zeroline": False, "tickfont": {"size": 18}},
        "yaxis": {"fixedrange": True, "gridcolor": GRID, "zeroline": False, "tickfont": {"size": 18}},
        "legend": {
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 18},
            "bgcolor": "rgba(0,0,0,0)",
        },
    }
    layout.update(extra)
    return layout


def empty_figure(width: int, height: int, message: str) -> go.Figure:
    """A figure that says there is nothing to show (never a blank panel)."""
    layout = merged(
        base_layout(width, height),
        {
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {
                    "text": message,
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "font": {"size": 24, "color": MUTED},
                }
            ],
        },
    )
    return figure([], layout)


def monthly_series(rows: Sequence[Mapping], measure: str) -> list[float | None]:
    """Twelve monthly values (January first) of ``measure`` from rows with a ``month`` (1-12 or a date)."""
    values: list[float | None] = [None] * 12
    for row in rows:
        month = row.get("month")
        month = getattr(month, "month", month)
        if month is None or not 1 <= int(month) <= 12:
            continue
        value = row.get(measure)
        if value is not None:
            values[int(month) - 1] = (values[int(month) - 1] or 0) + value
    return values


def trend_figure(
    this_year: Sequence[float | None],
    last_year: Sequence[float | None],
    month_labels: Sequence[str],
    names: tuple[str, str],
    width: int,
    height: int,
    x_title: str | None = None,
) -> go.Figure:
    """This year (bright area line) against the same months last year (muted dashed line)."""
    traces = [
        {
            "type": "scatter",
            "x": list(month_labels),
            "y": list(last_year),
            "name": names[1],
            "mode": "lines+markers",
            "line": {"color": MUTED, "width": 3, "dash": "dot"},
            "marker": {"size": 7},
        },
        {
            "type": "scatter",
            "x": list(month_labels),
            "y": list(this_year),
            "name": names[0],
            "mode": "lines+markers",
            "line": {"color": ACCENT, "width": 4},
            "marker": {"size": 9},
            "fill": "tozeroy",
            "fillcolor": "rgba(53,195,232,0.18)",
        },
    ]
    xaxis = {"type": "category", "tickangle": 0}
    if x_title:
        xaxis["title"] = {"text": x_title, "font": {"size": 16, "color": MUTED}, "standoff": 4}
    layout = merged(
        base_layout(width, height, showlegend=True),
        {
            "margin": {"l": 48, "r": 16, "t": 40, "b": 44 if x_title else 32},
            "xaxis": xaxis,
            "yaxis": {"rangemode": "tozero"},
        },
    )
    return figure(traces, layout)


# Left margin of the township bars: room for a township name of six or seven characters at 18 px.
TOWNSHIP_LABEL_W = 132


def township_bars_figure(
    names: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    width: int,
    height: int,
) -> go.Figure:
    """Horizontal bars per township, one panel per measure side by side (measures differ in magnitude)."""
    if not names:
        return empty_figure(width, height, "—")
    count = len(series)
    layout = base_layout(width, height, showlegend=False)
    traces, annotations = [], []
    gap = 0.06
    span = (1 - gap * (count - 1)) / max(count, 1)
    order = list(reversed(range(len(names))))
    for index, (label, values) in enumerate(series):
        axis = "" if index == 0 else str(index + 1)
        domain = [index * (span + gap), index * (span + gap) + span]
        clean = [v or 0 for v in values]
        traces.append(
            {
                "type": "bar",
                "y": [names[i] for i in order],
                "x": [clean[i] for i in order],
                "orientation": "h",
                "marker": {"color": SERIES[index % len(SERIES)]},
                "text": [f"{clean[i]:,.0f}" for i in order],
                "textposition": "outside",
                "textfont": {"size": 18, "color": TEXT},
                "cliponaxis": False,
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "name": label,
            }
        )
        top = max(clean, default=0) or 1
        yaxis = {
            "anchor": f"x{axis}",
            "showticklabels": index == 0,
            "fixedrange": True,
            "tickfont": {"size": 18},
            # The full names stay the categories (two long names cut alike must not merge); only the
            # text drawn in the left margin is cut to fit it.
            "tickvals": list(names),
            "ticktext": [elide(name, TOWNSHIP_LABEL_W - 8, 18) for name in names],
        }
        if index:
            yaxis["matches"] = "y"
        layout = merged(
            layout,
            {
                f"xaxis{axis}": {
                    "domain": domain,
                    "range": [0, top * 1.3],
                    "visible": False,
                    "fixedrange": True,
                },
                f"yaxis{axis}": yaxis,
            },
        )
        annotations.append(
            {
                "text": label,
                "xref": "paper",
                "yref": "paper",
                "x": domain[0] + span / 2,
                "y": 1.0,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 18, "color": MUTED},
            }
        )
    layout = merged(layout, {"margin": {"l": TOWNSHIP_LABEL_W, "r": 24, "t": 32, "b": 8}, "bargap": 0.3})
    layout["annotations"] = annotations
    return figure(traces, layout)


def hbar_figure(
    labels: Sequence[str],
    values: Sequence[float | None],
    width: int,
    height: int,
    *,
    color: str = ACCENT,
    label_width: int = 260,
    max_label: int = 14,
    empty_message: str = "—",
) -> go.Figure:
    """Ranked horizontal bars (largest on top), long labels shortened with an ellipsis."""
    if not labels:
        return empty_figure(width, height, empty_message)
    pairs = sorted(zip(labels, [v or 0 for v in values], strict=True), key=lambda p: p[1])
    short = [lbl if len(lbl) <= max_label else lbl[: max_label - 1] + "…" for lbl, _ in pairs]
    trace = {
        "type": "bar",
        "y": short,
        "x": [v for _, v in pairs],
        "orientation": "h",
        "marker": {"color": color},
        "text": [f"{v:,.0f}" for _, v in pairs],
        "textposition": "outside",
        "textfont": {"size": 18, "color": TEXT},
        "cliponaxis": False,
    }
    top = max((v for _, v in pairs), default=0) or 1
    # At least MIN_BAR_SLOTS rows of height: one or two bars stay bars, not blocks filling the panel.
    slots = max(len(pairs), MIN_BAR_SLOTS)
    layout = merged(
        base_layout(width, height),
        {
            "margin": {"l": label_width, "r": 24, "t": 8, "b": 8},
            "bargap": 0.3,
            "xaxis": {"visible": False, "range": [0, top * 1.2], "fixedrange": True},
            "yaxis": {
                "fixedrange": True,
                "tickfont": {"size": 18},
                "automargin": False,
                "range": [len(pairs) - slots - 0.5, len(pairs) - 0.5],
            },
        },
    )
    return figure([trace], layout)


def stacked_outcomes_figure(
    groups: Sequence[str],
    outcomes: Sequence[str],
    counts: Mapping[tuple[str, str], float],
    width: int,
    height: int,
    empty_message: str = "—",
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """One horizontal stacked bar per group (case type), one colour per outcome, counts in the bars.

    ``colors`` pins an outcome's colour (success green, failure red...); others take the series colours.
    """
    if not groups or not outcomes:
        return empty_figure(width, height, empty_message)
    traces = []
    for index, outcome in enumerate(outcomes):
        xs = [counts.get((g, outcome), 0) for g in groups]
        traces.append(
            {
                "type": "bar",
                "y": list(groups),
                "x": xs,
                "name": outcome,
                "orientation": "h",
                "marker": {"color": (colors or {}).get(outcome, SERIES[index % len(SERIES)])},
                "text": [f"{x:,.0f}" if x else "" for x in xs],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"size": 20, "color": "#0b1a33"},
            }
        )
    layout = merged(
        base_layout(width, height, showlegend=True, barmode="stack"),
        {
            "margin": {"l": 150, "r": 16, "t": 64, "b": 16},
            "bargap": 0.35,
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {
                "fixedrange": True,
                "tickfont": {"size": 20},
                "autorange": "reversed",
                "ticksuffix": "  ",
            },
            "legend": {"x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom", "font": {"size": 18}},
        },
    )
    return figure(traces, layout)
