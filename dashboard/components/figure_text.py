"""Text from the data is shown as text in Plotly charts, never as markup.

Plotly renders a pseudo-HTML subset in every label, tick, hover and annotation (``<a href>``, ``<b>``,
``<br>``, ``<span style>``...). A township or home name holding ``<a href="https://...">`` would be a live
link on the wall, in the leadership charts and in SVG exports. Every figure the dashboard sends or exports
goes through :func:`escape_figure`, which writes ``<`` and ``>`` of data strings as the entities Plotly
shows literally. Templates (``hovertemplate``, titles from the catalog) are ours and keep their markup; a
trace whose text was escaped at its source (because it adds its own line breaks) is marked with
``meta = MARKUP_SAFE`` and left alone.
"""

from __future__ import annotations

from plotly.basedatatypes import BaseFigure

MARKUP_SAFE = "cockpit:markup-escaped"
# Trace properties that carry data shown as text (directly, on category axes or through a template).
TEXT_PROPERTIES = ("x", "y", "text", "hovertext", "customdata", "labels", "parents", "name", "legendgroup")


def escape_markup(text: str) -> str:
    """``text`` with Plotly's markup characters written as entities (shown as ``<`` and ``>``)."""
    if "<" not in text and ">" not in text:
        return text
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _escape(value):
    if isinstance(value, str):
        return escape_markup(value)
    if isinstance(value, list | tuple):
        # Coordinates (thousands of numbers per map outline) are passed through without a copy.
        if not any(isinstance(v, str | list | tuple) for v in value):
            return value
        return [_escape(v) for v in value]
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind in ("O", "U", "S"):
        return [_escape(v) for v in value.tolist()]
    return value


def escape_figure(figure):
    """The figure as a JSON-ready dict with data strings escaped (anything not a figure as it is)."""
    if isinstance(figure, BaseFigure):
        figure = figure.to_plotly_json()
    if not isinstance(figure, dict) or "data" not in figure:
        return figure
    traces = []
    for trace in figure.get("data") or []:
        if not isinstance(trace, dict) or trace.get("meta") == MARKUP_SAFE:
            traces.append(trace)
            continue
        traces.append({k: _escape(v) if k in TEXT_PROPERTIES else v for k, v in trace.items()})
    layout = figure.get("layout")
    if isinstance(layout, dict):
        layout = _escape_layout(layout)
    return {**figure, "data": traces, "layout": layout}


def _escape_layout(layout: dict) -> dict:
    """Annotations and axis ticks: the wall's township bars write cut names as ``ticktext`` over the full
    names as ``tickvals``, which must stay equal to the (escaped) category values of the traces."""
    escaped = dict(layout)
    if layout.get("annotations"):
        escaped["annotations"] = [
            {**a, "text": _escape(a["text"])} if isinstance(a, dict) and "text" in a else a
            for a in layout["annotations"]
        ]
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            escaped[key] = {k: _escape(v) if k in ("ticktext", "tickvals") else v for k, v in axis.items()}
    return escaped
