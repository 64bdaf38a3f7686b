"""The wall's design canvas: component ids, panel geometry, screens, header and ticker. Pure builders.

One screen is a 1920×1080 design: a 100 px header, a 920 px body, a 60 px ticker. Panels are placed at
fixed pixel positions inside the body, and figures are built at their panel's exact inner size, so what is
designed is what every wall shows: ``assets/wall.js`` scales the whole canvas to the viewport (letterboxed,
centred). On a very wide screen (an LED strip) the canvas widens to N screens side by side (N = how many
16:9 designs fit), under one header and one ticker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from dash import dcc, html

from warehouse.i18n import t

SCREEN_W = 1920
SCREEN_H = 1080
HEADER_H = 100
TICKER_H = 60
BODY_H = SCREEN_H - HEADER_H - TICKER_H
PANEL_TITLE_H = 44
PANEL_PAD = 14

SCREENS = ("overview", "townships", "cases")
GRAPH_CONFIG = {"displayModeBar": False, "staticPlot": True, "responsive": False}
# The server-drawn image over a first-screen graph until plotly.js has drawn it (wall.js removes it).
PREVIEW_CLASS = "wall-preview"
# ``layout.meta`` of a graph whose figure waits in the ``wall-lazy`` store (see :func:`lazy_split`).
LAZY_META = "wall-lazy"


class Ids:
    """Component ids of the wall (one place, used by layout, callbacks, wall.js and the tests)."""

    ROOT = "wall-root"
    CANVAS = "wall-canvas"
    VERSION = "wall-version"
    PARAMS = "wall-params"
    CONFIG = "wall-config"
    POLL = "wall-poll"
    FOCUS_TICK = "wall-focus-tick"
    FOCUS_DATA = "wall-focus-data"
    BADGE = "wall-badge"
    AS_OF = "wall-asof"
    TICKER = "wall-ticker"
    LAZY = "wall-lazy"
    DRAWN = "wall-drawn"


@dataclass(frozen=True)
class Panel:
    """A panel on one screen: id, title key, position and size in design pixels, graph or html body."""

    id: str
    title_key: str
    x: int
    y: int
    w: int
    h: int
    graph: bool = False
    overlay_id: str | None = None

    @property
    def body_size(self) -> tuple[int, int]:
        """(width, height) of the panel's body: the size its figure is built at."""
        return self.w - 2 * PANEL_PAD, self.h - PANEL_TITLE_H - PANEL_PAD


PANELS: dict[str, tuple[Panel, ...]] = {
    "overview": (
        Panel("wall-kpi-tiles", "panel.kpis", 16, 12, 470, 508),
        Panel("wall-towns-bars", "panel.townships", 16, 532, 470, 376, graph=True),
        Panel("wall-map", "panel.map", 502, 12, 916, 540, graph=True, overlay_id="wall-focus"),
        Panel("wall-rings", "panel.rates", 502, 564, 916, 204),
        Panel("wall-counters", "panel.counters", 502, 780, 916, 128),
        Panel("wall-ranking", "panel.ranking", 1434, 12, 470, 528),
        Panel("wall-trend", "panel.trend", 1434, 552, 470, 356, graph=True),
    ),
    "townships": (
        Panel("wall-map-big", "panel.map", 16, 12, 1100, 896, graph=True, overlay_id="wall-focus-big"),
        Panel("wall-towns-bars-big", "panel.townships", 1132, 12, 772, 440, graph=True),
        Panel("wall-towns-table", "panel.township_table", 1132, 464, 772, 444),
    ),
    "cases": (
        Panel("wall-rings-big", "panel.rates", 16, 12, 620, 440),
        Panel("wall-case-counts", "panel.cases", 16, 464, 620, 444),
        Panel("wall-case-outcomes", "panel.case_outcomes", 652, 12, 616, 440, graph=True),
        Panel("wall-sugg-trend", "panel.suggestion_trend", 652, 464, 616, 444, graph=True),
        Panel("wall-regulations", "panel.regulations", 1284, 12, 620, 440, graph=True),
        Panel("wall-projects", "panel.projects", 1284, 464, 620, 444, graph=True),
    ),
}


def panel_by_id(panel_id: str) -> Panel:
    for panels in PANELS.values():
        for panel in panels:
            if panel.id == panel_id:
                return panel
    raise KeyError(panel_id)


def parse_screens(value: str | None) -> list[str]:
    """``"overview,cases"`` -> ``["overview", "cases"]``; unknown names dropped; empty -> all screens."""
    names = [s.strip().lower() for s in (value or "").split(",") if s.strip()]
    chosen = [s for s in dict.fromkeys(names) if s in SCREENS]
    return chosen or list(SCREENS)


def parse_dwell(value: str | None, default: int = 30) -> int:
    """Seconds each screen stays up: an integer between 5 and 3600 (else ``default``)."""
    try:
        seconds = int(str(value))
    except (TypeError, ValueError):
        return default
    return seconds if 5 <= seconds <= 3600 else default


def panel(
    p: Panel,
    lang: str,
    content=None,
    titles: Mapping[str, str] | None = None,
    preview: str | None = None,
) -> html.Div:
    """A titled panel at its design position; ``content`` is the initial body (figure or children).

    ``titles`` maps a title key to the catalog key shown instead (a city's wall compares districts).
    ``preview``: the URL of the server-drawn image of the panel's figure, shown over the graph until
    plotly.js has drawn it (:mod:`dashboard.wall_preview`).
    """
    if p.graph:
        width, height = p.body_size
        body = dcc.Graph(
            id=p.id,
            figure=content if content is not None else {},
            config=GRAPH_CONFIG,
            style={"width": f"{width}px", "height": f"{height}px"},
        )
    else:
        body = html.Div(content if content is not None else [], id=p.id, className="wall-panel-content")
    title = (titles or {}).get(p.title_key, f"wall.{p.title_key}")
    children = [html.Div(t(title, lang), className="wall-panel-title"), body]
    if p.graph and preview:
        width, height = p.body_size
        children.append(
            html.Img(
                src=preview,
                alt="",
                className=PREVIEW_CLASS,
                width=width,
                height=height,
                style={"left": f"{PANEL_PAD}px", "top": f"{PANEL_TITLE_H}px"},
                **{"data-graph": p.id},
            )
        )
    if p.overlay_id:
        children.append(html.Div(id=p.overlay_id, className="wall-focus"))
    return html.Div(
        children,
        className=f"wall-panel wall-panel--{p.id.removeprefix('wall-')}",
        style={"left": f"{p.x}px", "top": f"{p.y}px", "width": f"{p.w}px", "height": f"{p.h}px"},
        **{"data-panel": p.id},
    )


def screen(
    name: str,
    lang: str,
    content: Mapping[str, object],
    titles: Mapping[str, str] | None = None,
    previews: Mapping[str, str] | None = None,
) -> html.Section:
    """One 1920×920 body screen with its panels (initial content by panel id; ``titles`` and image URLs
    by graph id, ``previews``, as in :func:`panel`)."""
    name_key = (titles or {}).get(f"screen.{name}", f"wall.screen.{name}")
    previews = previews or {}
    return html.Section(
        [html.Div(t(name_key, lang), className="wall-screen-name")]
        + [panel(p, lang, content.get(p.id), titles, previews.get(p.id)) for p in PANELS[name]],
        id=f"wall-screen-{name}",
        className="wall-screen",
        **{"data-screen": name},
    )


def as_of_block(as_of_text: str | None, built_at_ms: int | None, stale_after_ms: int, lang: str) -> html.Span:
    """The header's data time: text plus the numbers wall.js needs to colour the status dot."""
    text = t("wall.as_of", lang, time=as_of_text) if as_of_text else t("wall.as_of_unknown", lang)
    return html.Span(
        text,
        className="wall-asof-text",
        **{"data-built": str(built_at_ms or ""), "data-stale-ms": str(stale_after_ms)},
    )


# Text that ``assets/wall.js`` fits to its box: it shrinks the font from the CSS size down to this share of
# it, (the title) then takes two lines, and only then cuts with an ellipsis, the whole text in ``title``.
FIT = "data-wall-fit"


def title_block(title: str, title_secondary: str = "") -> html.Div:
    """The header's middle: the title (fitted by wall.js), under an optional line in a second script.

    ``title_secondary`` (``settings.title_secondary``) is set horizontally above the Chinese title, as the
    bilingual signboards of Inner Mongolia's public bodies set traditional Mongolian over Chinese: the
    header is 100 px high, so a vertical column could hold only a word or two.
    """
    children = []
    if title_secondary:
        children.append(
            html.Div(
                title_secondary,
                className="wall-title-secondary",
                lang="mn-Mong",
                **{FIT: "0.7"},
            )
        )
    children.append(html.H1(title, className="wall-title", **{FIT: "0.55", "data-wall-fit-lines": "2"}))
    return html.Div(children, className="wall-title-box" + (" has-secondary" if title_secondary else ""))


def header(title: str, period_text: str, as_of, lang: str, title_secondary: str = "") -> html.Header:
    """Three columns: data time and period on the left, title in the middle, live clock on the right.

    The side columns have fixed, equal widths so the title stays centred and never runs into them; every
    line of text shrinks to its column (wall.js) instead of spilling over a neighbour.
    """
    return html.Header(
        [
            html.Div(
                [
                    html.Div(
                        [html.Span(className="wall-dot"), html.Span(as_of, id=Ids.AS_OF, **{FIT: "0.6"})],
                        className="wall-status",
                    ),
                    html.Div(
                        [
                            html.Span(period_text, className="wall-period-text", **{FIT: "0.7"}),
                            html.Span(className="wall-screen-tag"),
                        ],
                        className="wall-period",
                    ),
                    html.Div(id=Ids.BADGE, className="wall-badge"),
                ],
                className="wall-header-left",
            ),
            title_block(title, title_secondary),
            html.Div(
                [
                    html.Div(
                        [html.Span(className="wall-clock-date"), html.Span(className="wall-clock-weekday")],
                        className="wall-clock-day",
                    ),
                    html.Div(className="wall-clock-time"),
                ],
                className="wall-header-right",
            ),
        ],
        className="wall-header",
    )


def graph_ids(screen_name: str) -> list[str]:
    return [p.id for p in PANELS[screen_name] if p.graph]


def lazy_placeholder(panel_id: str) -> dict:
    """An empty, transparent figure at the panel's size: next to nothing for plotly.js to draw."""
    width, height = panel_by_id(panel_id).body_size
    hidden = {"visible": False}
    return {
        "data": [],
        "layout": {
            "meta": LAZY_META,
            "width": width,
            "height": height,
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "xaxis": hidden,
            "yaxis": hidden,
        },
    }


def lazy_split(content: Mapping[str, object], screens: list[str]) -> tuple[dict, dict]:
    """The first paint draws the graphs of the playlist's first screen only.

    Returns ``(content, lazy)``: ``content`` with every other screen's figures replaced by
    :func:`lazy_placeholder`, and ``lazy`` those figures by graph id. ``assets/wall.js`` hands them to
    the graphs (the ``wall.fill`` clientside callback) once the first screen has drawn: plotly.js then
    draws 3 graphs before the wall is up instead of 9, and the rest while the first screen is on show.
    """
    eager = set(graph_ids(screens[0] if screens else SCREENS[0]))
    content = dict(content)
    lazy = {}
    for name in SCREENS:
        for panel_id in graph_ids(name):
            if panel_id not in eager and content.get(panel_id) is not None:
                lazy[panel_id] = content[panel_id]
                content[panel_id] = lazy_placeholder(panel_id)
    return content, lazy


def wall_layout(
    *,
    title: str,
    period_text: str,
    as_of,
    content: Mapping[str, object],
    ticker_children: list,
    screens: list[str],
    config: Mapping,
    params: Mapping,
    version: str | None,
    focus_data: Mapping | None,
    poll_seconds: int,
    lang: str,
    title_secondary: str = "",
    titles: Mapping[str, str] | None = None,
    previews: Mapping[str, str] | None = None,
) -> html.Div:
    """The whole wall: stores and timers, then the scaled canvas (header, screens, ticker).

    ``previews``: server-drawn images of the first screen's graphs by graph id (:mod:`dashboard.wall_preview`).
    """
    content, lazy = lazy_split(content, screens)
    return html.Div(
        [
            dcc.Store(id=Ids.VERSION, data=version),
            dcc.Store(id=Ids.LAZY, data=lazy),
            dcc.Store(id=Ids.DRAWN),
            dcc.Store(id=Ids.PARAMS, data=dict(params)),
            dcc.Store(id=Ids.CONFIG, data=dict(config)),
            dcc.Store(id=Ids.FOCUS_DATA, data=focus_data or {}),
            dcc.Interval(id=Ids.POLL, interval=max(2, poll_seconds) * 1000),
            dcc.Interval(id=Ids.FOCUS_TICK, interval=int(config.get("focus_seconds", 8)) * 1000),
            html.Div(
                [
                    header(title, period_text, as_of, lang, title_secondary),
                    # Every screen is always in the page (callbacks need their outputs); the playlist only
                    # decides which are shown, in which order.
                    html.Div(
                        [screen(name, lang, content, titles, previews) for name in SCREENS],
                        className="wall-body",
                    ),
                    html.Footer(ticker_children, id=Ids.TICKER, className="wall-ticker"),
                ],
                id=Ids.CANVAS,
                className="wall-canvas",
                **{"data-screens": ",".join(screens), "data-dwell": str(config.get("dwell", 30))},
            ),
        ],
        id=Ids.ROOT,
        className="wall-root",
        lang="en" if lang == "en" else "zh-CN",
        **{"data-config": json.dumps(dict(config), ensure_ascii=False)},
    )
