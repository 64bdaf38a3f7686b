"""Region levels in the query layer: a city roll-up of three districts (包头市: 东河区, 昆都仑区, 石拐区).

``Filters.region`` restricts every query to the townships under a region and to the records without a
township of its counties (district-wide suggestions, cases, points and activities such as standing-
committee sessions), so a district's figures read at the city equal its own cockpit's.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date

import duckdb
import pytest

from dashboard import context, wall_data
from dashboard.components import lead_layout as L
from dashboard.components import lead_view
from dashboard.components.lead_format import fmt_kpi
from dashboard.components.lead_map import map_click_code, township_codes
from tests.integration.test_exchange import _rewrite
from tests.support.city import CITY_DISTRICTS, build_city
from tests.unit.test_lead_components import texts, walk
from warehouse import query
from warehouse.exchange import MANIFEST, load_packages
from warehouse.regions import region_table
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader

START, END = date(2000, 1, 1), date(2099, 12, 31)
EVERYTHING = query.Filters(START, END)
# Marts whose district_code column a package from before the column did not carry.
DISTRICT_NAMES = [name for _code, name, _seed in CITY_DISTRICTS]
# Baotou's county-level units in the packaged region table (150271 is a statistical zone, drawn as a tile).
BAOTOU_CODES = (
    "150202",
    "150203",
    "150204",
    "150205",
    "150206",
    "150207",
    "150221",
    "150222",
    "150223",
    "150271",
)
BAOTOU_UNITS = ("东河区", "昆都仑区", "青山区", "石拐区", "白云鄂博矿区", "九原区", "土默特右旗", "固阳县")
DISTRICT_COLUMN_MARTS = (
    "mart_activity_daily",
    "mart_suggestion_district_daily",
    "mart_case_district_daily",
    "mart_points_district_daily",
)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return build_city(tmp_path_factory.mktemp("region-levels"))


def _kpis(settings: Settings, f: query.Filters) -> dict:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return query.kpis.uncached(con, f)
    finally:
        con.close()


def test_a_region_shows_its_districts_own_figures(city):
    whole = _kpis(city.settings, EVERYTHING)
    for code, _name, _seed in CITY_DISTRICTS:
        own = _kpis(city.districts[code], EVERYTHING)
        # The district has records without a township (else this test would not tell them apart).
        assert own["csc_observations"] > 0
        assert _kpis(city.settings, query.Filters(START, END, region=code)) == own, code
        assert _kpis(city.settings, query.Filters(START, END, region=f"{code}000000")) == own, code
        assert own["activities_total"] < whole["activities_total"]
    assert _kpis(city.settings, query.Filters(START, END, region="1502")) == whole
    assert _kpis(city.settings, query.Filters(START, END, region="15")) == whole


def test_a_township_filter_inside_a_region_keeps_its_meaning(city):
    township = "150203001000"
    alone = _kpis(city.settings, query.Filters(START, END, townships=(township,)))
    assert _kpis(city.settings, query.Filters(START, END, townships=(township,), region="150203")) == alone
    assert _kpis(city.settings, query.Filters(START, END, region=township)) == alone
    # A township outside the region does not widen it: the region's own figures.
    assert _kpis(city.settings, query.Filters(START, END, townships=(township,), region="150202")) == _kpis(
        city.districts["150202"], EVERYTHING
    )


def test_district_wide_marts_carry_the_county(city):
    con = duckdb.connect(str(city.settings.published_db), read_only=True)
    try:
        for mart in DISTRICT_COLUMN_MARTS:
            codes = {c for (c,) in con.execute(f"select distinct district_code from {mart}").fetchall()}
            assert codes == {code for code, _n, _s in CITY_DISTRICTS}, mart
    finally:
        con.close()


@pytest.fixture
def region_scope():
    """A caller limited to 东河区, as the dashboard's security module hands it down."""
    registered = query._scope_provider  # the dashboard's, when imported: restored afterwards
    query.set_scope_provider(lambda: query.RegionScope("150202"))
    query.clear_memo()
    yield
    query.set_scope_provider(registered)
    query.clear_memo()


def test_a_region_scoped_caller_sees_exactly_their_district(city, region_scope):
    own = _kpis(city.districts["150202"], EVERYTHING)
    assert _kpis(city.settings, EVERYTHING) == own
    # Another district, the whole city, or another district's township: still 东河区's own figures.
    assert _kpis(city.settings, query.Filters(START, END, region="150203")) == own
    assert _kpis(city.settings, query.Filters(START, END, region="1502")) == own
    assert _kpis(city.settings, query.Filters(START, END, townships=("150203001000",))) == own
    # Within the scope a township still narrows it.
    inside = _kpis(city.settings, query.Filters(START, END, townships=("150202001000",)))
    assert inside["activities_total"] < own["activities_total"]


def _without_district_code(source, target, tmp_path):
    """A package as exported before the marts carried district_code (checksums recomputed)."""
    stripped = {}
    con = duckdb.connect()
    with zipfile.ZipFile(source) as archive:
        for mart in DISTRICT_COLUMN_MARTS:
            archive.extract(f"{mart}.parquet", tmp_path)
            out = tmp_path / f"{mart}.old.parquet"
            con.execute(
                f"copy (select * exclude (district_code) from read_parquet('{tmp_path / f'{mart}.parquet'}')) "
                f"to '{out}' (format parquet)"
            )
            stripped[f"{mart}.parquet"] = out.read_bytes()
    con.close()

    def change(name, data):
        if name in stripped:
            return stripped[name]
        if name == MANIFEST:
            manifest = json.loads(data)
            for member, content in stripped.items():
                manifest["tables"][member.removesuffix(".parquet")]["sha256"] = hashlib.sha256(
                    content
                ).hexdigest()
            return json.dumps(manifest).encode()
        return data

    return _rewrite(source, target, change)


def test_a_package_from_before_the_column_still_loads(city, tmp_path):
    district = city.districts["150203"]
    package = city.settings.data_dir.parent / "packages" / "150203.zip"
    old = _without_district_code(package, tmp_path / "old.zip", tmp_path)
    settings = Settings(data_dir=tmp_path / "city", root_region="1502")
    results, version = load_packages(settings, [old])
    assert [r.status for r in results] == ["loaded"], [r.message for r in results]
    own = _kpis(district, EVERYTHING)
    assert _kpis(settings, query.Filters(START, END, region="150203")) == own


def _units(settings: Settings, f: query.Filters, level: str):
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return query.unit_summary.uncached(con, f, level, region_table(settings.region_table))
    finally:
        con.close()


def test_unit_summary_of_the_city_has_one_row_per_district_with_its_own_figures(city):
    units = _units(city.settings, EVERYTHING, "county")
    assert units["unit_code"].tolist() == [f"{code}000000" for code, _n, _s in CITY_DISTRICTS]
    assert units["unit_name"].tolist() == [name for _c, name, _s in CITY_DISTRICTS]
    for row in units.to_dict("records"):
        own = _kpis(city.districts[row["unit_code"][:6]], EVERYTHING)
        assert row["activities"] == own["activities_total"]
        assert row["deputies"] == own["deputies_total"]
        assert row["homes"] == own["homes_total"]
        assert row["petition_cases"] == own["petition_cases"]
        assert row["mediation_cases"] == own["mediation_cases"]
        assert row["mediation_success"] == own["mediation_success"]
        assert row["mediation_success_rate"] == pytest.approx(own["mediation_success_rate"])
        assert row["suggestions"] == own["suggestions_collected"]
    # The city level: one unit, the whole city; its rate recomputed from the summed parts.
    city_row = _units(city.settings, EVERYTHING, "city").to_dict("records")
    whole = _kpis(city.settings, EVERYTHING)
    assert [r["unit_code"] for r in city_row] == ["150200000000"]
    assert city_row[0]["unit_name"] == "包头市"
    assert city_row[0]["mediation_success"] == units["mediation_success"].sum() == whole["mediation_success"]
    assert city_row[0]["mediation_success_rate"] == pytest.approx(whole["mediation_success_rate"])
    parts = units["mediation_success"].sum() / units["mediation_cases"].sum()
    assert city_row[0]["mediation_success_rate"] == pytest.approx(parts)


def test_unit_summary_below_a_county_is_its_townships(city):
    townships = _units(city.settings, query.Filters(START, END, region="150203"), "township")
    assert townships["unit_code"].str.startswith("150203").all() and len(townships) > 1
    con = duckdb.connect(str(city.districts["150203"].published_db), read_only=True)
    try:
        own = query.township_summary.uncached(con, EVERYTHING)
    finally:
        con.close()
    assert townships["unit_code"].tolist() == own["township_code"].tolist()
    assert townships["activities"].tolist() == own["activities"].tolist()
    assert townships["points"].tolist() == own["points"].tolist()


# ---- the leadership view at the city ------------------------------------------------------------

# A view's period is bounded (warehouse.bounds); the demo's records are of 2023 and 2024.
Y_START, Y_END = date(2023, 1, 1), date(2023, 12, 31)
PERIOD = f"?from={Y_START}&to={Y_END}"
YEAR = query.Filters(Y_START, Y_END)


@pytest.fixture
def city_view(city):
    city_settings = city.settings.with_(default_start=Y_START, default_end=Y_END)
    reader = SnapshotReader(city_settings.published_db)
    context.configure(city_settings, reader)
    lead_view.clear_caches()
    query.clear_memo()
    yield city
    reader.close()


def _panel(out, key: str) -> dict:
    return out[1][list(lead_view.CHART_KEYS).index(key)]


def _crumbs(out) -> list[tuple[str, str | None]]:
    nav = out[5][0]
    return [
        (texts(item), getattr(item.children, "href", None) if not isinstance(item.children, str) else None)
        for item in nav.children.children
    ]


def test_the_city_view_compares_its_districts_and_drills_down(city_view):
    out = lead_view.render(PERIOD)
    bars = _panel(out, "townships")["data"][0]
    assert list(bars["x"]) == [name for _c, name, _s in CITY_DISTRICTS]
    assert list(bars["customdata"]) == [f"{code}000000" for code, _n, _s in CITY_DISTRICTS]
    assert [label for label, _href in _crumbs(out)] == ["包头市全市"]
    assert lead_view.units_title(PERIOD) == "各区县进家活动"
    assert lead_view.units_title(PERIOD + "&region=150202&lang=en") == "Activities at homes by township"
    # The map draws the city's county-level units from their real outlines (every unit named, those
    # without records too); no "schematic partition" note, only the key to the statistical zone's tile.
    drawn = {trace.get("name") for trace in out[9]["data"]}
    assert set(BAOTOU_UNITS) <= drawn
    notes = [a.get("text") for a in out[9]["layout"]["annotations"]]
    assert "方块为无独立辖区的统计区（示意）" in notes and "示意分区，非法定界线" not in notes

    # A click on 东河区's bar drills into it: the URL names the region, the view shows its townships.
    search = lead_view.sync_controls(
        "bar",
        PERIOD,
        "custom",
        START.isoformat(),
        END.isoformat(),
        [],
        [],
        [],
        "150202000000",
        (START, END),
        END,
    )[0]
    assert "region=150202" in search
    out = lead_view.render(search)
    assert kpi_values(out[0]) == kpi_values(lead_view.render(PERIOD + "&region=150202")[0])
    crumbs = _crumbs(out)
    assert [label for label, _href in crumbs] == ["包头市全市", "东河区"]
    assert crumbs[0][1] is not None and "region" not in crumbs[0][1]
    bars = _panel(out, "townships")["data"][0]
    assert bars["customdata"] and all(code.startswith("150202") for code in bars["customdata"])

    # Then a township: the township filter inside the region, three crumbs, each above it a link.
    township = bars["customdata"][0]
    search = lead_view.sync_controls(
        "bar", search, "custom", str(Y_START), str(Y_END), [], [], [], township, (Y_START, Y_END), Y_END
    )[0]
    assert f"township={township}" in search and "region=150202" in search
    crumbs = _crumbs(lead_view.render(search))
    assert len(crumbs) == 3 and crumbs[1][0] == "东河区" and "region=150202" in crumbs[1][1]


def kpi_values(cards) -> dict:
    return {
        getattr(c, "data-kpi"): c.children for card in cards for c in walk(card) if hasattr(c, "data-kpi")
    }


def _find(component, id_: str):
    if getattr(component, "id", None) == id_:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str) and (found := _find(child, id_)) is not None:
            return found
    return None


def test_the_city_township_filter_names_each_townships_district(city_view):
    from dashboard.components import lead_layout

    options = _find(lead_view.page_layout(), lead_layout.TOWNSHIP).options
    with context.reader().cursor() as con:
        townships = query.township_options(con)
    names = dict(zip(townships["township_code"], townships["township_name"], strict=True))
    assert [o["value"] for o in options] == sorted(names)
    district = {code: name for code, name, _seed in CITY_DISTRICTS}
    assert [o["label"] for o in options] == [f"{district[c[:6]]} · {names[c]}" for c in sorted(names)]


def test_the_citys_latest_activities_name_each_townships_district(city_view):
    rows = lead_view.render(PERIOD)[2][list(lead_view.TABLE_KEYS).index("activities")]
    with context.reader().cursor() as con:
        names = set(query.township_options(con)["township_name"])
    districts = {name for _code, name, _seed in CITY_DISTRICTS}
    labels = [row["township_name"].split(" · ") for row in rows if row["township_name"]]
    assert labels and all(len(parts) == 2 for parts in labels), rows[:3]
    assert all(district in districts and name in names for district, name in labels)
    assert len({district for district, _ in labels}) > 1  # the city's latest span its districts


def test_the_district_view_shows_the_districts_own_kpis(city_view):
    district = lead_view.render(PERIOD + "&region=150203")
    with context.reader().cursor() as con:
        values = query.kpis(con, query.Filters(Y_START, Y_END, region="150203"))
    assert values == _kpis(city_view.districts["150203"], YEAR)
    assert kpi_values(district[0])["csc_observations"] == fmt_kpi(
        "csc_observations", values["csc_observations"]
    )


def test_a_region_outside_the_root_is_the_root(city_view):
    out = lead_view.render(PERIOD + "&region=1503")
    assert [label for label, _href in _crumbs(out)] == ["包头市全市"]
    assert kpi_values(out[0]) == kpi_values(lead_view.render(PERIOD)[0])


# ---- the wall at the city -----------------------------------------------------------------------


def test_the_city_wall_compares_its_districts_and_ranks_the_whole_city(city_view):
    settings = context.settings()
    params = {"start": str(Y_START), "end": str(Y_END), "lang": "zh-CN"}
    with context.reader().cursor() as con:
        content = wall_data.plain(wall_data.load_townships(con, params, settings))
        ranking = wall_data.load_ranking(con, params, settings)
        units = query.unit_summary(con, YEAR, "county")
    entries = content[wall_data.Ids.FOCUS_DATA]["entries"]
    assert sorted(e["code"] for e in entries) == [f"{code}000000" for code, _n, _s in CITY_DISTRICTS]
    assert {e["name"] for e in entries} == set(DISTRICT_NAMES)
    table = json.dumps(wall_data.json_tree(content["wall-towns-table"]), ensure_ascii=False)
    assert all(name in table for name in DISTRICT_NAMES)
    assert '"区县"' in table and "乡镇街道" not in table
    assert units["activities"].sum() == _kpis(city_view.settings, YEAR)["activities_total"]
    assert all(name in json.dumps(content["wall-towns-bars"], ensure_ascii=False) for name in DISTRICT_NAMES)
    # The wall's map draws the city's units from their real outlines, the loaded districts with their count.
    labels = [a.get("text") for a in content["wall-map"]["layout"]["annotations"]]
    assert all(any(label.startswith(f"{name} ") for label in labels) for name in DISTRICT_NAMES)
    assert "青山区" in labels and "示意分区，非法定界线" not in labels
    # The ranking spans the city: the top deputies come from more than one district.
    ranked = json.dumps(wall_data.json_tree(ranking["wall-ranking"]), ensure_ascii=False)
    with context.reader().cursor() as con:
        top = query.points_ranking(con, YEAR, limit=settings.wall_ranking_top)
    assert top["deputy_name"].iloc[0] in ranked
    assert top["deputy_id"].str[:6].nunique() > 1


def test_the_city_wall_titles_name_its_districts(city_view):
    layout = wall_data.build_layout(context.settings(), context.reader(), start=str(Y_START), end=str(Y_END))
    shown = texts(layout)
    assert "各区县对比" in shown and "各区县一览" in shown
    assert "乡镇街道对比" not in shown
    assert wall_data.unit_titles(context.settings().with_(root_region="150205")) == {}


def test_a_levels_geometry_draws_its_units_and_a_click_drills(city_view):
    """The city's map is region_geometry's: its units in drawing order, a click on one drills into it."""
    figure = lead_view.render(PERIOD)[9]
    codes = township_codes(lead_view.map_units(PERIOD))
    table = region_table(context.settings().region_table)
    assert sorted(codes) == sorted(f"{code}000000" for code in BAOTOU_CODES)
    drawn = [trace.get("name") for trace in figure["data"][: len(codes)]]
    assert drawn == [table.get(code).name for code in codes]
    # A click on 昆都仑区's polygon drills into it.
    clicked = map_click_code({"points": [{"curveNumber": codes.index("150203000000")}]}, codes)
    search = lead_view.sync_controls(
        L.MAP_GRAPH, PERIOD, "custom", str(Y_START), str(Y_END), [], [], [], clicked, (Y_START, Y_END), Y_END
    )[0]
    assert "region=150203" in search
