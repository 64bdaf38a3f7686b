"""``/wall``: the unattended wall display (大屏).

URL alone configures it: ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (default: ``settings.default_period()``),
``?screens=overview,townships,cases`` (the playlist), ``?dwell=30`` (seconds per screen), ``?lang=en``.

Data flow: the layout renders every panel with data (first paint is complete, never blank). Then a
clientside callback polls ``/wall/version`` (a few bytes) every ``settings.wall_poll_seconds``; only when the
snapshot version changes does it write the ``wall-version`` store, and only that re-runs the panel
callbacks below. A failed poll shows the "connection lost" badge and leaves the panels as they are. Every
panel callback catches its own failure (logged) and returns ``no_update``: the panel keeps its last value.
The loaders and the layout live in :mod:`dashboard.wall_data`.
"""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, html

from dashboard import context, wall_data, wall_routes
from dashboard.components.wall_layout import PANELS, Ids
from dashboard.freshness import WALL_BANNER_ID, wall_banner
from warehouse.i18n import t


def page_title(**_) -> str:
    """The browser tab's title (the wall's title in Chinese; the tab is rarely seen on a wall)."""
    return t("wall.title", district=context.settings().district_name)


dash.register_page(__name__, path="/wall", title=page_title, name="wall")


def layout(lang: str | None = None, screens: str | None = None, dwell: str | None = None, **query_args):
    wall = wall_data.build_layout(
        context.settings(),
        context.reader(),
        lang=lang,
        screens=screens,
        dwell=dwell,
        start=query_args.get("from"),
        end=query_args.get("to"),
        draw_missing_images=True,
    )
    # Amber banner over the canvas when the data is stale or the last run failed (dashboard/freshness.py);
    # its inputs are the ones the wall's poll reads, cached per snapshot version and status file.
    try:
        fresh = wall_routes.cached_freshness()
    except Exception:  # the banner is a courtesy: read it the plain way
        fresh = None
    return wall_data.json_tree(html.Div([wall, wall_banner(lang, fresh)]))


for _name, _outputs in wall_data.PANEL_CALLBACKS.items():
    callback(
        [Output(i, wall_data.output_prop(i)) for i in _outputs],
        Input(Ids.VERSION, "data"),
        State(Ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(wall_data.refresh(wall_data.LOADERS[_name], _outputs, context.settings, context.reader))

# Polling: fetch /wall/version in the browser; write the store only when the version changed, and show,
# change or hide the freshness banner when the answer's freshness changed.
clientside_callback(
    ClientsideFunction(namespace="wall", function_name="poll"),
    Output(Ids.VERSION, "data"),
    Output(Ids.BADGE, "children"),
    Output(Ids.BADGE, "className"),
    Output(WALL_BANNER_ID, "children"),
    Output(WALL_BANNER_ID, "className"),
    Output(WALL_BANNER_ID, "hidden"),
    Input(Ids.POLL, "n_intervals"),
    State(Ids.CONFIG, "data"),
    State(Ids.VERSION, "data"),
    prevent_initial_call=True,
)

# The township in focus rotates in the browser: card text and map outline, no server call.
clientside_callback(
    ClientsideFunction(namespace="wall", function_name="focus"),
    Output("wall-focus", "children"),
    Output("wall-focus-big", "children"),
    Output("wall-map", "figure", allow_duplicate=True),
    Output("wall-map-big", "figure", allow_duplicate=True),
    Input(Ids.FOCUS_TICK, "n_intervals"),
    State(Ids.FOCUS_DATA, "data"),
    State("wall-map", "figure"),
    State("wall-map-big", "figure"),
    prevent_initial_call=True,
)

# The screens after the first are drawn once the first is up: wall.js sets ``wall-drawn``, and this hands
# each graph still showing its placeholder the figure waiting in ``wall-lazy`` (wall_layout.lazy_split).
_LAZY_GRAPHS = [p.id for panels in PANELS.values() for p in panels if p.graph]
clientside_callback(
    ClientsideFunction(namespace="wall", function_name="fill"),
    [Output(i, "figure", allow_duplicate=True) for i in _LAZY_GRAPHS],
    Input(Ids.DRAWN, "data"),
    State(Ids.LAZY, "data"),
    [State(i, "figure") for i in _LAZY_GRAPHS],
    prevent_initial_call=True,
)
