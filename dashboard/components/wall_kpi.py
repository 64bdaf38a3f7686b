"""Wall KPI builders: number tiles, rate rings, counters. Pure functions: values in, components out.

Every number is a ``span.wall-count`` carrying its value in ``data-value``: ``assets/wall.js`` counts it up
from the previous value when the attribute changes, and always ends on the server-formatted text, so what
the wall finally shows is exactly :func:`format_kpi`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from dash import html

from warehouse import timefmt
from warehouse.i18n import catalog, normalize_lang, t
from warehouse.levels import HOME_LEVELS, HOME_TIER_KEYS

DASH = "—"


def format_count(value: float | None) -> str:
    """``2735`` -> ``"2,735"``; ``None`` -> ``"—"``."""
    if value is None:
        return DASH
    return f"{int(round(value)):,}"


def format_rate(value: float | None) -> str:
    """A fraction as a percentage with one decimal: ``0.9017`` -> ``"90.2%"``; ``None`` -> ``"—"``."""
    if value is None:
        return DASH
    return f"{value * 100:.1f}%"


def format_kpi(kpi_id: str, value: float | None) -> str:
    """The text the wall shows for a KPI: rates (ids ending ``_rate``) as percentages, others as counts."""
    return format_rate(value) if kpi_id.endswith("_rate") else format_count(value)


def format_as_of(when: date | datetime | str | None, zone: str = "Asia/Shanghai") -> str | None:
    """A KPI source's as-of (export date, else load time in ``zone``) as every screen shows it; a string
    is already rendered (``wall_data`` renders in the installation's zone) and stays as it is."""
    if when is None or isinstance(when, str):
        return when or None
    return timefmt.show(when, zone)


def count_span(kpi_id: str, value: float | None, *, prefix: str = "") -> html.Span:
    """The animated number: text = :func:`format_kpi`, ``data-value`` = the number counted up to."""
    is_rate = kpi_id.endswith("_rate")
    numeric = "" if value is None else (round(value * 100, 4) if is_rate else value)
    return html.Span(
        format_kpi(kpi_id, value),
        id=f"{prefix}kpi-{kpi_id}",
        className="wall-count",
        **{"data-kpi": kpi_id, "data-value": str(numeric), "data-kind": "pct" if is_rate else "int"},
    )


def _as_of_line(kpi_id: str, as_of: Mapping[str, datetime | None], lang: str) -> html.Div:
    text = format_as_of(as_of.get(kpi_id))
    return html.Div(t("wall.as_of_short", lang, time=text) if text else "", className="wall-asof")


def wall_names(kpi_id: str, lang: str) -> tuple[str, str]:
    """(name shown on the wall, full name) of a KPI.

    The wall's tiles and rings have room for about two dozen Latin letters: ``assets/i18n/wall_short.toml``
    holds English names written for that room where the catalog's full name is longer (the Chinese is the
    same four to six characters either way). The full name goes into the element's title.
    """
    full = t(f"kpi.{kpi_id}.name", lang)
    short = catalog().get(f"wall_short.{kpi_id}", {}).get("en") if normalize_lang(lang) == "en" else None
    return short or full, full


def kpi_tile(
    kpi_id: str,
    value: float | None,
    as_of: Mapping[str, datetime | None],
    lang: str,
    *,
    unit_key: str | None = None,
    sub: list[str] | None = None,
    prefix: str = "",
) -> html.Div:
    """A number tile: name, the animated value with its unit, an optional sub-line, its own as-of time."""
    # Chinese counts carry a measure word (人, 个, 件); English needs none.
    unit = t(f"wall.unit.{unit_key}", lang) if unit_key and normalize_lang(lang) != "en" else ""
    name, full_name = wall_names(kpi_id, lang)
    return html.Div(
        [
            html.Div(name, className="wall-tile-name", title=full_name),
            html.Div(
                [count_span(kpi_id, value, prefix=prefix), html.Span(unit, className="wall-unit")],
                className="wall-tile-value",
            ),
            # A line too long for the tile is cut with an ellipsis (wall.css); its title keeps it whole.
            html.Div([html.Div(line, title=line) for line in sub or []], className="wall-tile-sub"),
            _as_of_line(kpi_id, as_of, lang),
        ],
        className="wall-tile",
    )


def rate_ring(
    kpi_id: str, value: float | None, as_of: Mapping[str, datetime | None], lang: str, *, prefix: str = ""
) -> html.Div:
    """A rate as a ring (CSS conic gradient driven by ``--wall-p``; ``—`` and an empty ring when null)."""
    percent = 0.0 if value is None else max(0.0, min(100.0, value * 100))
    name, full_name = wall_names(kpi_id, lang)
    return html.Div(
        [
            html.Div(
                html.Div(count_span(kpi_id, value, prefix=prefix), className="wall-ring-hole"),
                className="wall-ring-dial" + (" is-null" if value is None else ""),
                style={"--wall-p": f"{percent:.2f}"},
            ),
            html.Div(name, className="wall-ring-name", title=full_name),
            _as_of_line(kpi_id, as_of, lang),
        ],
        className="wall-ring",
    )


def homes_by_level(homes: list[Mapping]) -> dict[str, int]:
    """Count homes per level from home records (``home_level``)."""
    counts: dict[str, int] = {}
    for home in homes:
        level = home.get("home_level")
        counts[level] = counts.get(level, 0) + 1
    return counts


def homes_sub_lines(
    level_counts: Mapping[str, int], values: Mapping[str, float | None], lang: str
) -> list[str]:
    """The homes tile's sub-lines: the split by level, then the stations and liaison stations."""
    parts = {key: level_counts.get(HOME_LEVELS[key], 0) for key in HOME_TIER_KEYS}
    stations = t(
        "wall.homes.stations",
        lang,
        stations=format_count(values.get("stations_total")),
        liaison=format_count(values.get("liaison_points_total")),
    )
    return [t("wall.homes.by_level", lang, **parts), stations]


KPI_TILES: tuple[tuple[str, str], ...] = (
    ("deputies_total", "people"),
    ("homes_total", "homes"),
    ("activities_total", "times"),
    ("visitors_total", "person_times"),
    ("suggestions_collected", "items"),
    ("mediation_cases", "items"),
)
RATE_RINGS: tuple[str, ...] = (
    "suggestion_closure_rate",
    "suggestion_satisfaction_rate",
    "petition_completion_rate",
    "petition_satisfaction_rate",
    "mediation_success_rate",
)
COUNTERS: tuple[tuple[str, str], ...] = (
    ("legislative_suggestions", "items"),
    ("regulations_consulted", "items"),
    ("supervision_suggestions", "items"),
    ("livelihood_projects_voted", "items"),
)
CASE_COUNTS: tuple[tuple[str, str], ...] = (
    ("petition_cases", "items"),
    ("petition_completed", "items"),
    ("mediation_cases", "items"),
    ("mediation_success", "items"),
    ("mediators_total", "people"),
    ("suggestions_collected", "items"),
)


def kpi_tiles(
    values: Mapping[str, float | None],
    as_of: Mapping[str, datetime | None],
    level_counts: Mapping[str, int],
    lang: str,
) -> list[html.Div]:
    """The overview's six number tiles (the homes tile carries its split by level)."""
    tiles = []
    for kpi_id, unit in KPI_TILES:
        sub = homes_sub_lines(level_counts, values, lang) if kpi_id == "homes_total" else None
        tiles.append(kpi_tile(kpi_id, values.get(kpi_id), as_of, lang, unit_key=unit, sub=sub))
    return tiles


def rate_rings(
    values: Mapping[str, float | None], as_of: Mapping[str, datetime | None], lang: str, *, prefix: str = ""
) -> list[html.Div]:
    """The five rate rings (suggestions, petitions, mediation)."""
    return [rate_ring(k, values.get(k), as_of, lang, prefix=prefix) for k in RATE_RINGS]


def counter_tiles(
    values: Mapping[str, float | None],
    as_of: Mapping[str, datetime | None],
    lang: str,
    ids: tuple[tuple[str, str], ...] = COUNTERS,
    *,
    prefix: str = "",
) -> list[html.Div]:
    """Compact tiles for the legislative / supervision / livelihood counters (or any id list)."""
    return [kpi_tile(k, values.get(k), as_of, lang, unit_key=u, prefix=prefix) for k, u in ids]
