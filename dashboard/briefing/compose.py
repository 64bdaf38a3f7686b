"""Figures -> document: every number comes from the query layer for one period and scope.

:func:`gather` runs the queries (the same ones as ``cockpit kpis`` and the leadership view's panels);
:func:`compose` turns what it gathered into a :class:`~dashboard.briefing.document.Briefing`. Both are
free of I/O beyond the cursor, so a test can check the words against ``query.kpis`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard.briefing import periods
from dashboard.briefing.document import Briefing, Chart, Paragraph, Section, Table
from dashboard.briefing.narrative import change_text, fmt_int, fmt_pct, relative_change, yoy
from dashboard.components.lead_panels import PANELS_BY_KEY
from warehouse import query
from warehouse.i18n import normalize_lang, t
from warehouse.levels import HOME_LEVELS, HOME_TIER_KEYS
from warehouse.query import Filters
from warehouse.regions import RegionTable

# Home levels (values of the data) and their catalogue keys, in the newsletter's order.
# The four home tiers (代表之家), by the value the data carries -> their catalog key.
HOME_TIER_BY_VALUE = {HOME_LEVELS[key]: key for key in HOME_TIER_KEYS}
# Counts of the current roster: a year-on-year change of these says nothing about the period.
ROSTER_KPIS = frozenset({"deputies_total", "homes_total", "stations_total", "liaison_points_total"})
# The KPIs each section cites; the appendix defines exactly these.
SECTION_KPIS: dict[str, tuple[str, ...]] = {
    "homes": ("homes_total", "stations_total", "liaison_points_total", "deputies_total"),
    "activities": ("activities_total", "visitors_total", "home_visit_rate"),
    "suggestions": ("suggestions_collected", "suggestion_closure_rate", "suggestion_satisfaction_rate"),
    "cases": (
        "petition_cases",
        "petition_completed",
        "petition_completion_rate",
        "petition_satisfaction_rate",
        "mediation_cases",
        "mediation_success",
        "mediation_success_rate",
        "mediators_total",
    ),
    "legislation": ("legislative_suggestions", "regulations_consulted"),
    "supervision": ("supervision_suggestions", "csc_observations"),
    "projects": ("livelihood_projects_voted",),
    "training": ("trainings_total", "training_attendance"),
}
TOP_DEPUTIES_TEXT = 3
TOP_ROWS = 10
# (panel of the leadership view, caption key): the briefing's charts, drawn by the view's own builders.
CHARTS = (
    ("trend", "briefing.chart.trend"),
    ("townships", "briefing.chart.townships"),
    ("suggestion_status", "briefing.chart.status"),
    ("handling_units", "briefing.chart.units"),
)


@dataclass
class Figures:
    """What one briefing cites, for one period and scope."""

    start: date
    end: date
    township: str | None
    scope_name: str
    kpis: dict
    previous: dict
    home_levels: dict[str, int]
    townships: pd.DataFrame
    units: pd.DataFrame
    top: pd.DataFrame
    watchlist: pd.DataFrame
    watchlist_applies: bool
    version: str
    as_of: str
    data_end: date | None
    # A province, city or county under the root ("" = the root): the scope of a region-limited reader.
    region: str = ""
    # The level of the units ``townships`` compares: townships in a district, districts in a city,
    # cities in a province (the leadership view's units panel).
    unit_level: str = "township"


def gather(
    con,
    start: date,
    end: date,
    township: str | None,
    lang: str | None = None,
    *,
    region: str = "",
    region_name: str | None = None,
    unit_level: str = "township",
    regions: RegionTable | None = None,
) -> Figures:
    """Run the queries of one briefing (``township`` None = the whole ``region``, "" = the root).

    The briefing may be written outside the request that asked for it (a worker thread has no caller
    scope), so the scope travels in the arguments: ``region`` (significant digits) and ``township``.
    ``unit_level``: the units the table compares (``query.unit_summary``, named from ``regions``).

    Raises:
        KeyError: ``township`` is not a township code of the snapshot under ``region``.
    """
    options = query.township_options(con)
    names = {
        code: name
        for code, name in zip(
            options["township_code"].astype(str), options["township_name"].astype(str), strict=True
        )
        if code.startswith(region)
    }
    if township is not None and township not in names:
        raise KeyError(township)
    scope = (township,) if township else ()
    filters = Filters(start, end, townships=scope, region=region)
    prev_start, prev_end = periods.same_period_last_year(start, end)
    homes = query.home_map(con, filters)
    homes = homes[homes["is_home"].astype(bool)]
    levels = {level: int((homes["home_level"] == level).sum()) for level in HOME_TIER_BY_VALUE}
    info = query.snapshot_info(con)
    stamps = [v for v in info.as_of.values() if v is not None]
    newest = max(stamps) if stamps else info.built_at
    return Figures(
        start=start,
        end=end,
        township=township,
        scope_name=names[township]
        if township
        else (
            region_name
            or region
            or t("briefing.scope_district", lang, whole=t("region_view.whole.district", lang))
        ),
        kpis=query.kpis(con, filters),
        previous=query.kpis(con, Filters(prev_start, prev_end, townships=scope, region=region)),
        home_levels=levels,
        townships=_units(con, filters, unit_level, regions),
        units=query.handling_units(con, filters),
        top=query.points_ranking(con, filters, limit=TOP_ROWS),
        watchlist=query.low_points_watchlist(con, filters),
        watchlist_applies=query.spans_months(start, end, query.WATCHLIST_MIN_MONTHS),
        version=info.version,
        as_of=newest.strftime("%Y-%m-%d %H:%M"),
        data_end=query.data_period(con)[1],
        region=region,
        unit_level=unit_level,
    )


def _units(con, filters: Filters, level: str, regions: RegionTable | None) -> pd.DataFrame:
    """The units compared, with the township summary's column names whatever their level."""
    if level == "township":
        return query.township_summary(con, filters)
    units = query.unit_summary(con, filters, level, regions)
    return units.rename(columns={"unit_code": "township_code", "unit_name": "township_name"})


def render_charts(con, fig: Figures, lang: str | None, render_png) -> dict[str, bytes]:
    """The charts of the briefing as PNG by panel key (``render_png(figure) -> bytes``), drawn by the
    leadership view's own builders from the same rows."""
    filters = Filters(
        fig.start, fig.end, townships=(fig.township,) if fig.township else (), region=fig.region
    )
    images = {}
    for key, _ in CHARTS:
        if key == "townships" and fig.township:  # one bar says nothing
            continue
        panel = PANELS_BY_KEY[key]
        images[key] = render_png(panel.figure(panel.rows(con, filters), lang, filters))
    return images


# ---- sections --------------------------------------------------------------------------------------


def _homes(fig: Figures, lang, end_text: str) -> Paragraph:
    k = fig.kpis
    common = dict(
        end=end_text,
        scope=fig.scope_name,
        stations=fmt_int(k["stations_total"], lang),
        liaison=fmt_int(k["liaison_points_total"], lang),
        deputies=fmt_int(k["deputies_total"], lang),
    )
    if not k["homes_total"]:
        return Paragraph(t("briefing.text.homes_none", lang, **common))
    levels = _join(
        lang,
        [
            t(
                "briefing.text.level",
                lang,
                level=t(f"leadership.home_level.{HOME_TIER_BY_VALUE[level]}", lang),
                count=fmt_int(n, lang),
            )
            for level, n in fig.home_levels.items()
            if n
        ],
    )
    return Paragraph(
        t("briefing.text.homes", lang, homes=fmt_int(k["homes_total"], lang), levels=levels, **common)
    )


def _join(lang, items) -> str:
    """A list in running text: 、 in Chinese, commas in English."""
    return t("briefing.list_sep", lang).join(items)


def _rate(key: str, value: float | None, lang) -> str:
    return (
        t(f"briefing.text.{key}_none", lang)
        if value is None
        else t(f"briefing.text.{key}", lang, rate=fmt_pct(value))
    )


def _activities(fig: Figures, lang, period: str) -> list[Paragraph]:
    k, p = fig.kpis, fig.previous
    if not k["activities_total"]:
        out = [Paragraph(t("briefing.text.activities_none", lang, period=period, scope=fig.scope_name))]
    else:
        out = [
            Paragraph(
                t(
                    "briefing.text.activities",
                    lang,
                    period=period,
                    scope=fig.scope_name,
                    homes=fmt_int(k["homes_total"], lang),
                    activities=fmt_int(k["activities_total"], lang),
                    visitors=fmt_int(k["visitors_total"], lang),
                    change=yoy(k, p, ("activities_total", "visitors_total"), lang),
                )
            )
        ]
    if k["home_visit_rate"] is not None:
        out.append(Paragraph(t("briefing.text.visit_rate", lang, rate=fmt_pct(k["home_visit_rate"]))))
    return out


def _suggestions(fig: Figures, lang, period: str) -> Paragraph:
    k = fig.kpis
    if not k["suggestions_collected"]:
        return Paragraph(t("briefing.text.suggestions_none", lang, period=period, scope=fig.scope_name))
    return Paragraph(
        t(
            "briefing.text.suggestions",
            lang,
            period=period,
            scope=fig.scope_name,
            suggestions=fmt_int(k["suggestions_collected"], lang),
            change=yoy(k, fig.previous, ("suggestions_collected",), lang),
            closure=_rate("closure", k["suggestion_closure_rate"], lang),
            satisfaction=_rate("satisfaction", k["suggestion_satisfaction_rate"], lang),
        )
    )


def _cases(fig: Figures, lang) -> list[Paragraph]:
    k = fig.kpis
    if k["petition_cases"]:
        petitions = t(
            "briefing.text.petitions",
            lang,
            cases=fmt_int(k["petition_cases"], lang),
            completed=fmt_int(k["petition_completed"], lang),
            completion=_rate("completion", k["petition_completion_rate"], lang),
            satisfaction=_rate("satisfaction", k["petition_satisfaction_rate"], lang),
        )
    else:
        petitions = t("briefing.text.petitions_none", lang)
    mediators = fmt_int(k["mediators_total"], lang)
    if k["mediation_cases"]:
        mediation = t(
            "briefing.text.mediation",
            lang,
            cases=fmt_int(k["mediation_cases"], lang),
            success=fmt_int(k["mediation_success"], lang),
            rate=_rate("success", k["mediation_success_rate"], lang),
            mediators=mediators,
        )
    else:
        mediation = t("briefing.text.mediation_none", lang, mediators=mediators)
    return [Paragraph(petitions), Paragraph(mediation)]


def _simple(fig: Figures, lang, period: str, key: str, main: str, **numbers: str) -> Paragraph:
    """A one-sentence section: the ``_none`` text when its main KPI is zero."""
    k = fig.kpis
    if not k[main]:
        return Paragraph(t(f"briefing.text.{key}_none", lang, period=period, scope=fig.scope_name))
    values = {name: fmt_int(k[kpi_id], lang) for name, kpi_id in numbers.items()}
    change = yoy(k, fig.previous, (main,), lang)
    return Paragraph(t(f"briefing.text.{key}", lang, period=period, change=change, **values))


def _points(fig: Figures, lang, period: str, watchlist_names: bool) -> list[Paragraph]:
    top = fig.top[fig.top["points"] > 0].head(TOP_DEPUTIES_TEXT)
    if top.empty:
        out = [Paragraph(t("briefing.text.points_none", lang, period=period, scope=fig.scope_name))]
    else:
        names = _join(
            lang,
            [
                t(
                    "briefing.text.top_entry",
                    lang,
                    name=r.deputy_name,
                    township=r.township_name,
                    points=fmt_int(r.points, lang),
                )
                for r in top.itertuples()
            ],
        )
        out = [Paragraph(t("briefing.text.top_points", lang, names=names))]
    if not fig.watchlist_applies:
        out.append(Paragraph(t("briefing.text.watchlist_short", lang)))
        return out
    text = t("briefing.text.watchlist", lang, count=fmt_int(len(fig.watchlist), lang))
    if watchlist_names and not fig.watchlist.empty:
        text += t(
            "briefing.text.watchlist_names", lang, names=_join(lang, fig.watchlist["deputy_name"].astype(str))
        )
    out.append(Paragraph(text))
    return out


def _per_home(row) -> float:
    return row.activities / row.homes


def _fmt_ratio(value: float) -> str:
    return f"{value:.1f}"


def highlights(fig: Figures, lang) -> list[Paragraph]:
    """The three largest changes on a year earlier, the leading and lagging township per home, and
    every 口径 note (rates without a denominator, a period running past the data)."""
    k, p = fig.kpis, fig.previous
    changes = []
    for kpi_id in query.KPI_IDS:
        if kpi_id in ROSTER_KPIS or kpi_id in query.RATE_KPIS:
            continue
        change = relative_change(k[kpi_id], p[kpi_id])
        if change is not None and change != 0:
            changes.append((abs(change), kpi_id))
    out = []
    for _, kpi_id in sorted(changes, reverse=True)[:3]:
        out.append(
            Paragraph(
                t(
                    "briefing.hl.change",
                    lang,
                    name=t(f"kpi.{kpi_id}.name", lang),
                    value=fmt_int(k[kpi_id], lang),
                    change=change_text(k[kpi_id], p[kpi_id], lang),
                    previous=fmt_int(p[kpi_id], lang),
                ),
                bullet=True,
            )
        )
    with_homes = [r for r in fig.townships.itertuples() if r.homes]
    if len(with_homes) >= 2:
        ranked = sorted(with_homes, key=lambda r: (-_per_home(r), r.township_code))
        lead, lag = ranked[0], ranked[-1]
        out.append(
            Paragraph(
                t(
                    "briefing.hl.leading",
                    lang,
                    lead=lead.township_name,
                    lead_value=_fmt_ratio(_per_home(lead)),
                    lag=lag.township_name,
                    lag_value=_fmt_ratio(_per_home(lag)),
                ),
                bullet=True,
            )
        )
    idle = [str(r.township_name) for r in fig.townships.itertuples() if not r.activities]
    if idle and (fig.township or len(idle) < len(fig.townships)):
        out.append(Paragraph(t("briefing.hl.idle_township", lang, names=_join(lang, idle)), bullet=True))
    missing = [
        t(f"kpi.{k_id}.name", lang) for k_id in query.KPI_IDS if k_id in query.RATE_KPIS and k[k_id] is None
    ]
    if missing:
        out.append(Paragraph(t("briefing.hl.no_rate", lang, names=_join(lang, missing)), bullet=True))
    if fig.data_end is not None and fig.data_end < fig.end:
        out.append(
            Paragraph(t("briefing.hl.beyond_data", lang, data_end=fig.data_end.isoformat()), bullet=True)
        )
    return out or [Paragraph(t("briefing.hl.none", lang), bullet=True)]


# ---- tables ----------------------------------------------------------------------------------------


# Catalog suffixes of the units table's title and first column, and of the units chart, by unit level.
UNIT_KEYS = {
    "township": ("townships", "township"),
    "county": ("counties", "county"),
    "city": ("cities", "city"),
}


def township_table(fig: Figures, lang) -> Table:
    """The units compared (townships, or a city's districts, or a province's cities)."""
    table_key, col_key = UNIT_KEYS[fig.unit_level]
    cols = tuple(
        t(f"briefing.col.{c}", lang)
        for c in (col_key, "homes", "activities", "visitors", "per_home", "suggestions")
    )
    rows = tuple(
        (
            str(r.township_name),
            fmt_int(r.homes, lang),
            fmt_int(r.activities, lang),
            fmt_int(r.visitors, lang),
            _fmt_ratio(_per_home(r)) if r.homes else "—",
            fmt_int(r.suggestions, lang),
        )
        for r in fig.townships.itertuples()
    )
    return Table(t(f"briefing.table.{table_key}", lang), cols, rows, t("briefing.empty_table", lang))


def _opt_pct(value) -> str:
    return "—" if value is None or pd.isna(value) else fmt_pct(float(value))


def units_table(fig: Figures, lang) -> Table:
    cols = tuple(
        t(f"briefing.col.{c}", lang) for c in ("unit", "suggestions", "closed", "on_time", "satisfaction")
    )
    units = fig.units.sort_values(["suggestions", "unit"], ascending=[False, True]).head(TOP_ROWS)
    rows = tuple(
        (
            str(r.unit),
            fmt_int(r.suggestions, lang),
            fmt_int(r.closed, lang),
            _opt_pct(r.on_time_rate),
            _opt_pct(r.satisfaction_rate),
        )
        for r in units.itertuples()
    )
    return Table(t("briefing.table.units", lang), cols, rows, t("briefing.empty_table", lang))


def points_table(fig: Figures, lang) -> Table:
    cols = tuple(t(f"briefing.col.{c}", lang) for c in ("rank", "deputy", "township", "points"))
    rows = tuple(
        (str(int(r.rank)), str(r.deputy_name), str(r.township_name), fmt_int(r.points, lang))
        for r in fig.top.itertuples()
        if r.points > 0
    )
    return Table(t("briefing.table.points", lang), cols, rows, t("briefing.empty_table", lang))


# ---- the document ----------------------------------------------------------------------------------


def compose(
    fig: Figures,
    district: str,
    lang: str | None = None,
    charts: dict[str, bytes] | None = None,
    watchlist_names: bool = False,
) -> Briefing:
    """The briefing of ``fig``. ``watchlist_names``: print the names on the low-points watchlist (only
    for a reader whose role sees them; the count is always given)."""
    lang = normalize_lang(lang)
    charts = charts or {}
    period = periods.period_name(fig.start, fig.end, lang)
    end_text = f"{fig.end.year}年{fig.end.month}月{fig.end.day}日" if lang != "en" else fig.end.isoformat()
    captions = {**dict(CHARTS), "townships": f"briefing.chart.{UNIT_KEYS[fig.unit_level][0]}"}
    numbered: list[Chart] = []

    def chart(key: str) -> list[Chart]:
        """The chart of panel ``key`` with its number in the document, or nothing when not rendered."""
        if key not in charts:
            return []
        numbered.append(Chart(t(captions[key], lang, n=len(numbered) + 1), charts[key]))
        return [numbered[-1]]

    k = fig.kpis
    sections = [
        Section(t("briefing.section.highlights", lang), highlights(fig, lang)),
        Section(t("briefing.section.homes", lang), [_homes(fig, lang, end_text)]),
        Section(
            t("briefing.section.activities", lang),
            [
                *_activities(fig, lang, period),
                *chart("trend"),
                *chart("townships"),
            ]
            + ([township_table(fig, lang)] if not fig.township else []),
        ),
        Section(
            t("briefing.section.suggestions", lang),
            [
                _suggestions(fig, lang, period),
                *chart("suggestion_status"),
                *chart("handling_units"),
                units_table(fig, lang),
            ],
        ),
        Section(t("briefing.section.cases", lang), _cases(fig, lang)),
        Section(
            t("briefing.section.legislation", lang),
            [
                _simple(
                    fig,
                    lang,
                    period,
                    "legislation",
                    "legislative_suggestions",
                    suggestions="legislative_suggestions",
                    regulations="regulations_consulted",
                )
            ],
        ),
        Section(
            t("briefing.section.supervision", lang),
            [
                Paragraph(
                    t(
                        "briefing.text.supervision",
                        lang,
                        suggestions=fmt_int(k["supervision_suggestions"], lang),
                        change=yoy(k, fig.previous, ("supervision_suggestions",), lang),
                        csc=fmt_int(k["csc_observations"], lang),
                    )
                )
            ],
        ),
        Section(
            t("briefing.section.projects", lang),
            [
                _simple(
                    fig,
                    lang,
                    period,
                    "projects",
                    "livelihood_projects_voted",
                    projects="livelihood_projects_voted",
                )
            ],
        ),
        Section(
            t("briefing.section.training", lang),
            [
                _simple(
                    fig,
                    lang,
                    period,
                    "training",
                    "trainings_total",
                    trainings="trainings_total",
                    attendance="training_attendance",
                )
            ],
        ),
        Section(
            t("briefing.section.points", lang),
            [*_points(fig, lang, period, watchlist_names), points_table(fig, lang)],
        ),
        Section(t("briefing.section.appendix", lang), appendix(lang)),
    ]
    return Briefing(
        lang=lang,
        org=t("briefing.org", lang, district=district),
        title=t("briefing.title", lang),
        issue=periods.issue_label(fig.start, fig.end, lang),
        as_of=t("briefing.as_of", lang, as_of=fig.as_of),
        meta=t("briefing.meta", lang, period=period, scope=fig.scope_name, version=fig.version),
        sections=sections,
    )


def appendix(lang) -> list[Paragraph]:
    """The 口径 of every KPI the briefing cites, in the order the sections cite them."""
    cited = [kpi_id for ids in SECTION_KPIS.values() for kpi_id in ids]
    return [Paragraph(f"{t(f'kpi.{k}.name', lang)}：{t(f'kpi.{k}.def', lang)}") for k in cited]
