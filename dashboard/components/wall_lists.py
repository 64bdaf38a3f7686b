"""Wall lists: points ranking, activity ticker, township focus and table. Pure functions: rows in, components out.

Scrolling (the ranking beyond the top 10, the ticker) steps an ``overflow: hidden`` box one item at a time
(``data-wall-step`` read by ``assets/wall.js``), with a short smooth scroll between still frames. Measured
in software-rendered Chromium: a continuously animated track of a few hundred rows drops the whole wall to
under one frame per second; stepping a scroll box costs nothing between steps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from dash import html

from dashboard.components.wall_kpi import format_count
from warehouse.i18n import t

TOP = 10
# Milliseconds each position of the stepping lists stays still.
RANK_STEP_MS = 2500
TICKER_STEP_MS = 6000


def _rank_row(row: Mapping, lang: str) -> html.Div:
    rank = row.get("rank")
    top_class = f" is-top{rank}" if isinstance(rank, int) and rank <= 3 else ""
    name, town = row.get("deputy_name") or "", row.get("township_name") or ""
    return html.Div(
        [
            html.Span(str(rank) if rank is not None else "", className="wall-rank-no"),
            # Cut with an ellipsis when long (wall.css); the title keeps the whole name readable.
            html.Span(name, className="wall-rank-name", title=name),
            html.Span(town, className="wall-rank-town", title=town),
            html.Span(
                [format_count(row.get("points")), html.Small(t("wall.rank.points", lang))],
                className="wall-rank-points",
            ),
        ],
        className="wall-rank-row" + top_class,
    )


def _stepper(children: list, axis: str, step_ms: int, class_name: str) -> html.Div:
    """A box that wall.js scrolls one child further every ``step_ms`` (back to the start at the end)."""
    return html.Div(
        children, className=class_name, **{"data-wall-step": axis, "data-wall-step-ms": str(step_ms)}
    )


def ranking_list(rows: Sequence[Mapping], lang: str) -> list:
    """Top 10 as a fixed list, then the rest stepping through, one row at a time.

    The rest (hundreds of deputies) travels as one JSON attribute that ``assets/wall.js`` turns into rows
    with the same markup as the top 10: five Dash components per row cost the browser about a second of
    renderer work on a district's 240 deputies, a plain attribute costs nothing.
    """
    if not rows:
        return [html.Div(t("period.empty", lang), className="wall-empty")]
    top = [_rank_row(r, lang) for r in rows[:TOP]]
    rest = [_rank_cells(r) for r in rows[TOP:]]
    children = [html.Div(top, className="wall-rank-top")]
    if rest:
        children.append(html.Div(t("wall.rank.rest", lang), className="wall-rank-rest-title"))
        children.append(
            html.Div(
                className="wall-rank-rest",
                **{
                    "data-wall-step": "y",
                    "data-wall-step-ms": str(RANK_STEP_MS),
                    "data-wall-rows": json.dumps(rest, ensure_ascii=False, separators=(",", ":")),
                    "data-wall-unit": t("wall.rank.points", lang),
                },
            )
        )
    return children


def _rank_cells(row: Mapping) -> list[str]:
    """``[rank, name, township, points]`` as text: one row of the stepping part (built by wall.js)."""
    rank = row.get("rank")
    return [
        str(rank) if rank is not None else "",
        row.get("deputy_name") or "",
        row.get("township_name") or "",
        format_count(row.get("points")),
    ]


def _short_date(value) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%m-%d")
    return str(value or "")[5:10]


def ticker_items(rows: Sequence[Mapping]) -> list[str]:
    """``"01-19 大发街道代表之家 · 接待选民 · 主题"`` per activity, newest first as given."""
    items = []
    for row in rows:
        parts = [row.get("home_name"), row.get("activity_type"), row.get("title")]
        text = " · ".join(str(p) for p in parts if p)
        items.append(f"{_short_date(row.get('activity_date'))}  {text}".strip())
    return items


def ticker(rows: Sequence[Mapping], lang: str) -> list:
    """The bottom ticker: a label and the latest activities, stepping right to left one at a time."""
    items = ticker_items(rows)
    if not items:
        items = [t("wall.no_data", lang)]
    # An item longer than the ticker is cut with an ellipsis (wall.css); its title holds the whole text.
    spans = [html.Span(text, className="wall-ticker-item", title=text) for text in items]
    return [
        html.Div(t("wall.panel.ticker", lang), className="wall-ticker-label"),
        _stepper(spans, "x", TICKER_STEP_MS, "wall-ticker-window"),
    ]


FOCUS_MEASURES: tuple[tuple[str, str], ...] = (
    ("homes", "focus.homes"),
    ("deputies", "focus.deputies"),
    ("activities", "focus.activities"),
    ("visitors", "focus.visitors"),
    ("suggestions", "focus.suggestions"),
    ("cases", "focus.cases"),
)


def focus_entries(rows: Sequence[Mapping], lang: str) -> list[dict]:
    """Per township, what the rotating focus card shows: ``{code, name, items: [[label, text], ...]}``.

    Plain data (JSON) so the client rotates through it without asking the server.
    """
    entries = []
    for row in rows:
        items = [
            [t(f"wall.{key}", lang), format_count(row.get(measure))]
            for measure, key in FOCUS_MEASURES
            if measure in row
        ]
        entries.append(
            {"code": row.get("township_code"), "name": row.get("township_name") or "", "items": items}
        )
    return entries


def focus_card(entry: Mapping | None) -> list:
    """The focus card's children for one entry (the client builds the same structure when rotating)."""
    if not entry:
        return []
    return [
        html.Div(entry.get("name", ""), className="wall-focus-name", title=entry.get("name", "")),
        html.Div(
            [
                html.Div(
                    [
                        html.Span(label, className="wall-focus-label", title=label),
                        html.Span(value, className="wall-focus-value"),
                    ],
                    className="wall-focus-item",
                )
                for label, value in entry.get("items", [])
            ],
            className="wall-focus-items",
        ),
    ]


TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("homes", "focus.homes"),
    ("deputies", "focus.deputies"),
    ("activities", "focus.activities"),
    ("visitors", "focus.visitors"),
    ("suggestions", "focus.suggestions"),
    ("cases", "focus.cases"),
)


def township_table(rows: Sequence[Mapping], lang: str, name_key: str = "wall.township.name") -> html.Table:
    """Every township (or unit: ``name_key`` heads its name column) with its figures, one row each
    (columns the rows carry)."""
    columns = [(m, k) for m, k in TABLE_COLUMNS if any(m in r for r in rows)]
    head = html.Tr(
        [html.Th(t(name_key, lang))]
        + [html.Th(t(f"wall.{k}", lang), title=t(f"wall.{k}", lang)) for _, k in columns]
    )
    body = [
        html.Tr(
            [
                html.Td(
                    r.get("township_name") or "", className="wall-td-name", title=r.get("township_name") or ""
                )
            ]
            + [html.Td(format_count(r.get(m))) for m, _ in columns],
            **{"data-code": str(r.get("township_code") or "")},
        )
        for r in rows
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="wall-table")
