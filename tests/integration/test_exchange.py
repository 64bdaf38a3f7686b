"""Federation: three district cockpits export exchange packages, a city cockpit (包头市, root 1502) rolls
them up; its KPIs equal the districts' sums, and its rates are recomputed from numerators and
denominators (never averaged).

The districts' data is the demo generator's (three seeds, scale 1), loaded by the real ETL; the
generator only writes Shiguai's codes, so each district's raw store is recoded to a real Baotou
district code (150202 东河区, 150203 昆都仑区, 150205 石拐区) just before its snapshot is built.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cockpit.cli import main
from etl.demo.generator import generate
from etl.run import run_etl
from warehouse import query
from warehouse.errors import UserError
from warehouse.exchange import (
    FORMAT_VERSION,
    MANIFEST,
    PERSONAL_COLUMNS,
    current_districts,
    export_package,
    load_packages,
)
from warehouse.kpi_report import collect_kpis
from warehouse.publish import publish_snapshot
from warehouse.settings import Settings

DISTRICTS = (("150202", "东河区", 11), ("150203", "昆都仑区", 12), ("150205", "石拐区", 13))
RAW_TABLES = ("townships", "homes", "deputies", "activities", "suggestions", "cases", "projects")
START, END = date(2000, 1, 1), date(2099, 12, 31)
# KPIs that are not additive over districts: distinct counts of shared names, and the rates.
DISTINCT_KPIS = frozenset({"regulations_consulted"})


def _recoding_publish(code: str):
    """A publish step that moves the generated Shiguai rows to district ``code`` first."""

    def publish(con, settings, run_id):
        tables = con.execute(
            "select table_name from duckdb_columns() where database_name = current_database() "
            "and column_name = 'township_code' and table_name = any(?)",
            [list(RAW_TABLES)],
        ).fetchall()
        for (table,) in tables:
            con.execute(
                f"update {table} set township_code = ? || substr(township_code, 7) "
                "where township_code like '150205%'",
                [code],
            )
        return publish_snapshot(con, settings, run_id)

    return publish


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    root = tmp_path_factory.mktemp("federation")
    districts = {}
    for code, name, seed in DISTRICTS:
        exports = root / f"exports-{code}"
        generate(exports, seed=seed)
        settings = Settings(data_dir=root / code, root_region=code, district_code=code, district_name=name)
        summary = run_etl(settings, inbox=exports, publish=_recoding_publish(code))
        assert summary.snapshot_version, summary.message
        package = root / "packages" / f"{code}.zip"
        manifest = export_package(settings, package)
        districts[code] = {"settings": settings, "package": package, "manifest": manifest}
    city = Settings(data_dir=root / "city", root_region="1502")
    results, version = load_packages(city, [d["package"] for d in districts.values()])
    assert [r.status for r in results] == ["loaded"] * 3, [r.message for r in results]
    assert version
    return {"root": root, "districts": districts, "city": city, "version": version}


def _kpis(settings: Settings, township: str | None = None) -> dict:
    return collect_kpis(settings, START, END, township)["kpis"]


def _suggestion_parts(settings: Settings) -> dict[str, int]:
    """Numerators and denominators of the suggestion rates, straight from a district's mart."""
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        row = con.execute(
            """
            select
                sum(suggestions) filter (where status = '已办结'),
                sum(suggestions) filter (where status <> '不予立案'),
                sum(suggestions) filter (where satisfaction in ('满意', '基本满意')),
                sum(suggestions) filter (where satisfaction in ('满意', '基本满意', '不满意'))
            from mart_suggestion_district_daily
            """
        ).fetchall()[0]
    finally:
        con.close()
    return dict(zip(("closed", "filed", "satisfied", "evaluated"), (int(v or 0) for v in row), strict=True))


def test_package_manifest_checksums_and_no_personal_data(federation):
    district = federation["districts"]["150202"]
    manifest = district["manifest"]
    assert manifest["format_version"] == FORMAT_VERSION
    assert (manifest["region_code"], manifest["region_name"], manifest["level"]) == (
        "150202",
        "东河区",
        "county",
    )
    assert [d["code"] for d in manifest["districts"]] == ["150202"]
    assert manifest["districts"][0]["snapshot_version"] == manifest["snapshot_version"]
    assert manifest["snapshot_version"] and manifest["exported_at"]
    assert manifest["period"]["start"] <= manifest["period"]["end"]
    assert "snapshot_meta" not in manifest["tables"]
    with zipfile.ZipFile(district["package"]) as archive:
        assert json.loads(archive.read(MANIFEST)) == manifest
        assert sorted(archive.namelist()) == sorted(
            [MANIFEST, *(e["file"] for e in manifest["tables"].values())]
        )
    folder = federation["root"] / "unpacked"
    with zipfile.ZipFile(district["package"]) as archive:
        archive.extractall(folder)
    con = duckdb.connect()
    try:
        for name, entry in manifest["tables"].items():
            path = str(folder / entry["file"])
            assert (
                con.execute("select count(*) from read_parquet(?)", [path]).fetchall()[0][0] == entry["rows"]
            )
            columns = {
                c.lower()
                for c, *_ in con.execute("describe select * from read_parquet(?)", [path]).fetchall()
            }
            assert not columns & PERSONAL_COLUMNS, name
        assert manifest["tables"]["fct_activity"]["rows"] > 0
    finally:
        con.close()


def test_city_kpis_are_the_sums_of_its_districts(federation):
    city = _kpis(federation["city"])
    per_district = [_kpis(d["settings"]) for d in federation["districts"].values()]
    additive = [k for k in query.KPI_IDS if k not in query.RATE_KPIS and k not in DISTINCT_KPIS]
    for kpi in additive:
        assert city[kpi] == sum(d[kpi] for d in per_district), kpi
    assert city["activities_total"] > max(d["activities_total"] for d in per_district)
    # Regulations are names shared across districts: the city counts each once.
    assert max(d["regulations_consulted"] for d in per_district) <= city["regulations_consulted"]
    assert city["regulations_consulted"] <= sum(d["regulations_consulted"] for d in per_district)


def test_city_rates_are_recomputed_not_averaged(federation):
    city = _kpis(federation["city"])
    per_district = [_kpis(d["settings"]) for d in federation["districts"].values()]

    def ratio(numerator: str, denominator: str) -> float:
        return sum(d[numerator] for d in per_district) / sum(d[denominator] for d in per_district)

    assert city["petition_completion_rate"] == pytest.approx(ratio("petition_completed", "petition_cases"))
    assert city["mediation_success_rate"] == pytest.approx(ratio("mediation_success", "mediation_cases"))
    # Deputies who visited a home: distinct per district (ids are namespaced by district code in the roll-up).
    visited = sum(round(d["home_visit_rate"] * d["deputies_total"]) for d in per_district)
    assert city["home_visit_rate"] == pytest.approx(visited / sum(d["deputies_total"] for d in per_district))
    parts = [_suggestion_parts(d["settings"]) for d in federation["districts"].values()]
    total = {key: sum(p[key] for p in parts) for key in parts[0]}
    assert city["suggestion_closure_rate"] == pytest.approx(total["closed"] / total["filed"])
    assert city["suggestion_satisfaction_rate"] == pytest.approx(total["satisfied"] / total["evaluated"])
    averaged = sum(d["suggestion_closure_rate"] for d in per_district) / len(per_district)
    weighted = total["closed"] / total["filed"]
    if averaged != pytest.approx(weighted):
        assert city["suggestion_closure_rate"] != pytest.approx(averaged)


def test_a_township_of_the_city_shows_its_district_figures(federation):
    district = federation["districts"]["150203"]["settings"]
    assert _kpis(federation["city"], "150203001000") == _kpis(district, "150203001000")
    meta = collect_kpis(federation["city"], START, END, None)
    assert meta["snapshot_version"] == federation["version"]


def test_newer_package_replaces_older_is_ignored(federation, tmp_path):
    district = federation["districts"]["150205"]
    settings = district["settings"]
    city = Settings(data_dir=tmp_path / "city", root_region="1502")
    first, _ = load_packages(city, [p["package"] for p in federation["districts"].values()])
    assert [r.status for r in first] == ["loaded"] * 3
    before = _kpis(city)
    publish_snapshot(settings.raw_db, settings, "run-again")
    newer = tmp_path / "150205-newer.zip"
    newer_manifest = export_package(settings, newer)
    assert newer_manifest["snapshot_version"] > district["manifest"]["snapshot_version"]
    results, version = load_packages(city, [newer])
    assert [r.status for r in results] == ["loaded"] and version
    assert current_districts(city)["150205"]["version"] == newer_manifest["snapshot_version"]
    assert len(list((city.exchange_dir / "districts").iterdir())) == 3
    results, version = load_packages(city, [district["package"]])
    assert results[0].status == "ignored" and version is None
    assert "已忽略" in results[0].message and "ignored" in results[0].message
    assert current_districts(city)["150205"]["version"] == newer_manifest["snapshot_version"]
    assert _kpis(city) == before


def _rewrite(source: Path, target: Path, change) -> Path:
    """Copy a package, letting ``change(name, data) -> data`` alter its members."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            new.writestr(name, change(name, old.read(name)))
    return target


def test_bad_packages_are_rejected_clearly_and_change_nothing(federation, tmp_path):
    package = federation["districts"]["150202"]["package"]
    city = Settings(data_dir=tmp_path / "city", root_region="1502")
    load_packages(city, [federation["districts"]["150203"]["package"]])
    published = city.published_db.read_bytes()
    state = current_districts(city)

    def manifest_with(**changes):
        def change(name, data):
            if name != MANIFEST:
                return data
            return json.dumps({**json.loads(data), **changes}).encode()

        return change

    tampered = _rewrite(
        package,
        tmp_path / "tampered.zip",
        lambda name, data: data[:-20] + bytes(20) if name == "dim_township.parquet" else data,
    )
    future = _rewrite(package, tmp_path / "future.zip", manifest_with(format_version=99))
    foreign = _rewrite(package, tmp_path / "foreign.zip", manifest_with(region_code="150302"))
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip")
    results, version = load_packages(city, [tampered, future, foreign, garbage])
    assert [r.status for r in results] == ["rejected"] * 4 and version is None
    expected = [
        ("校验值", "checksum"),
        ("格式版本 99", "unknown format version 99"),
        ("不在本级 1502", "not a unit this cockpit's root 1502 rolls up"),
        ("不是交换包", "not an exchange package"),
    ]
    for result, (zh, en) in zip(results, expected, strict=True):
        assert zh in result.message and en in result.message, result.message
    assert city.published_db.read_bytes() == published
    assert current_districts(city) == state


def test_a_package_outside_the_root_city_is_rejected(federation, tmp_path):
    wuhai = Settings(data_dir=tmp_path / "wuhai", root_region="1503")
    results, version = load_packages(wuhai, [federation["districts"]["150202"]["package"]])
    assert results[0].status == "rejected" and version is None
    assert "1503" in results[0].message
    assert not wuhai.published_db.exists()


def test_levels_are_checked(federation, tmp_path):
    province = Settings(data_dir=tmp_path / "province", root_region="15")
    with pytest.raises(UserError, match="区县级或市级.*district-level or city-level"):
        export_package(province, tmp_path / "province.zip")
    with pytest.raises(UserError, match="市级或省级.*city or province"):
        load_packages(federation["districts"]["150202"]["settings"], [])


def test_cli_export_and_inbox_load(federation, tmp_path, capsys):
    district = federation["districts"]["150203"]["settings"]
    city_dir = tmp_path / "city"
    inbox = city_dir / "exchange" / "inbox"
    inbox.mkdir(parents=True)
    package = inbox / "150203.zip"
    district_config = tmp_path / "district.toml"
    district_config.write_text('root_region = "150203"\n', encoding="utf-8")
    city_config = tmp_path / "city.toml"
    city_config.write_text('root_region = "1502"\n', encoding="utf-8")
    argv = ["--config", str(district_config), "--data-dir", str(district.data_dir)]
    assert main([*argv, "exchange", "export", "--out", str(package)]) == 0
    assert "150203" in capsys.readouterr().out
    shutil.copyfile(package, inbox / "broken.zip")
    (inbox / "broken.zip").write_bytes(b"broken")
    settings = Settings(data_dir=city_dir, root_region="1502")
    code = main(["--config", str(city_config), "--data-dir", str(city_dir), "exchange", "load", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1  # one package was rejected
    assert sorted(p["status"] for p in doc["packages"]) == ["loaded", "rejected"]
    assert doc["published_version"]
    assert not list(inbox.iterdir())
    assert (city_dir / "exchange" / "archive" / "150203.zip").is_file()
    assert (city_dir / "exchange" / "rejected" / "broken.zip").is_file()
    assert current_districts(settings).keys() == {"150203"}
    # The same package dropped again: ignored, and archived beside the first copy (nothing is lost).
    shutil.copyfile(city_dir / "exchange" / "archive" / "150203.zip", inbox / "150203.zip")
    assert main(["--config", str(city_config), "--data-dir", str(city_dir), "exchange", "load"]) == 0
    out = capsys.readouterr().out
    assert "ignored" in out and "已忽略" in out
    assert len(list((city_dir / "exchange" / "archive").glob("150203*.zip"))) == 2


def test_export_refuses_personal_data(federation, tmp_path):
    source = federation["districts"]["150202"]["settings"]
    settings = Settings(data_dir=tmp_path / "d", root_region="150202")
    settings.data_dir.mkdir()
    shutil.copyfile(source.published_db, settings.published_db)
    con = duckdb.connect(str(settings.published_db))
    con.execute("alter table dim_deputy add column phone varchar")
    con.close()
    with pytest.raises(UserError, match="个人信息.*personal-data columns \\(dim_deputy.phone\\)"):
        export_package(settings, tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


def test_a_package_with_townships_of_another_region_is_rejected(federation, tmp_path):
    """A consistent package (checksums recomputed) whose townships lie outside its own region."""
    package = federation["districts"]["150202"]["package"]
    with zipfile.ZipFile(package) as archive:
        archive.extract("dim_township.parquet", tmp_path)
    moved = tmp_path / "moved.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select * replace ('150302' || substr(township_code, 7) as township_code) "
        f"from read_parquet('{tmp_path / 'dim_township.parquet'}')) to '{moved}' (format parquet)"
    )
    con.close()

    def change(name, data):
        if name == "dim_township.parquet":
            return moved.read_bytes()
        if name == MANIFEST:
            manifest = json.loads(data)
            manifest["tables"]["dim_township"]["sha256"] = hashlib.sha256(moved.read_bytes()).hexdigest()
            return json.dumps(manifest).encode()
        return data

    city = Settings(data_dir=tmp_path / "city", root_region="1502")
    results, version = load_packages(city, [_rewrite(package, tmp_path / "moved.zip", change)])
    assert results[0].status == "rejected" and version is None
    assert "不属于区划 150202" in results[0].message and "outside region 150202" in results[0].message


# --- upward: a city exports its roll-up, a province rolls up cities and districts ------------------


def _ids(settings: Settings, table: str, column: str) -> set[str]:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return {row[0] for row in con.execute(f"select {column} from {table}").fetchall()}
    finally:
        con.close()


def _city_package(federation, tmp_path: Path, codes: tuple[str, ...], name: str) -> tuple[Path, dict]:
    """A city cockpit (包头市) rolled up from the named districts' packages, exported as a package."""
    city = Settings(data_dir=tmp_path / name, root_region="1502")
    results, _ = load_packages(city, [federation["districts"][c]["package"] for c in codes])
    assert {r.status for r in results} == {"loaded"}, [r.message for r in results]
    package = tmp_path / f"{name}.zip"
    return package, export_package(city, package)


@pytest.fixture(scope="module")
def wuhai(federation):
    """A fourth district cockpit, 150302 海勃湾区 of another city (乌海市), exported as a package."""
    root = federation["root"]
    exports = root / "exports-150302"
    generate(exports, seed=14)
    settings = Settings(data_dir=root / "150302", root_region="150302", district_code="150302")
    assert run_etl(settings, inbox=exports, publish=_recoding_publish("150302")).snapshot_version
    package = root / "packages" / "150302.zip"
    return {"settings": settings, "package": package, "manifest": export_package(settings, package)}


def test_city_package_lists_its_districts_and_a_province_equals_the_sums(federation, tmp_path):
    package = tmp_path / "1502.zip"
    manifest = export_package(federation["city"], package)
    assert (manifest["region_code"], manifest["level"], manifest["format_version"]) == ("1502", "city", 2)
    assert manifest["snapshot_version"] == federation["version"]
    listed = {d["code"]: d for d in manifest["districts"]}
    assert listed.keys() == {code for code, _, _ in DISTRICTS}
    for code, district in federation["districts"].items():
        assert listed[code]["snapshot_version"] == district["manifest"]["snapshot_version"]
        assert listed[code]["exported_at"] == district["manifest"]["exported_at"]
    province = Settings(data_dir=tmp_path / "province", root_region="15")
    results, version = load_packages(province, [package])
    assert [r.status for r in results] == ["loaded"] and version, results[0].message
    figures = _kpis(province)
    per_district = [_kpis(d["settings"]) for d in federation["districts"].values()]
    for kpi in (k for k in query.KPI_IDS if k not in query.RATE_KPIS and k not in DISTINCT_KPIS):
        assert figures[kpi] == sum(d[kpi] for d in per_district), kpi
    assert figures == _kpis(federation["city"])
    parts = [_suggestion_parts(d["settings"]) for d in federation["districts"].values()]
    total = {key: sum(p[key] for p in parts) for key in parts[0]}
    assert figures["suggestion_closure_rate"] == pytest.approx(total["closed"] / total["filed"])
    assert figures["petition_completion_rate"] == pytest.approx(
        sum(d["petition_completed"] for d in per_district) / sum(d["petition_cases"] for d in per_district)
    )
    # The city's ids carry their district prefix once; the province takes them as they are.
    ids = _ids(province, "fct_activity", "activity_id")
    assert ids == _ids(federation["city"], "fct_activity", "activity_id")
    assert all(i.count(":") == 1 and i.split(":")[0] in federation["districts"] for i in ids)


def test_province_rolls_up_a_city_package_and_a_district_of_another_city(federation, wuhai, tmp_path):
    package, manifest = _city_package(federation, tmp_path, ("150202", "150203"), "baotou")
    assert [d["code"] for d in manifest["districts"]] == ["150202", "150203"]
    province = Settings(data_dir=tmp_path / "province", root_region="15")
    results, version = load_packages(province, [package, wuhai["package"]])
    assert [r.status for r in results] == ["loaded", "loaded"] and version
    assert current_districts(province).keys() == {"1502", "150302"}
    figures = _kpis(province)
    parts = [_kpis(federation["districts"][c]["settings"]) for c in ("150202", "150203")]
    parts.append(_kpis(wuhai["settings"]))
    for kpi in (k for k in query.KPI_IDS if k not in query.RATE_KPIS and k not in DISTINCT_KPIS):
        assert figures[kpi] == sum(d[kpi] for d in parts), kpi
    assert figures["mediation_success_rate"] == pytest.approx(
        sum(d["mediation_success"] for d in parts) / sum(d["mediation_cases"] for d in parts)
    )
    assert _kpis(province, "150302001000") == _kpis(wuhai["settings"], "150302001000")
    prefixes = {i.split(":")[0] for i in _ids(province, "fct_activity", "activity_id")}
    assert prefixes == {"150202", "150203", "150302"}
    # A city cockpit does not take another city's package, nor a city package at all.
    city = Settings(data_dir=tmp_path / "city", root_region="1502")
    refused, _ = load_packages(city, [package, wuhai["package"]])
    assert [r.status for r in refused] == ["rejected", "rejected"]


def test_a_city_package_supersedes_its_districts_and_never_counts_one_twice(federation, tmp_path):
    shiguai = federation["districts"]["150205"]
    province = Settings(data_dir=tmp_path / "province", root_region="15")
    results, _ = load_packages(province, [shiguai["package"], federation["districts"]["150202"]["package"]])
    assert [r.status for r in results] == ["loaded", "loaded"]
    package, _ = _city_package(federation, tmp_path, ("150202", "150203", "150205"), "baotou")
    results, version = load_packages(province, [package])
    assert results[0].status == "loaded" and version
    assert "取代" in results[0].message and "150202, 150205" in results[0].message
    assert current_districts(province).keys() == {"1502"}
    assert _kpis(province) == _kpis(federation["city"])
    assert len(list((province.exchange_dir / "districts").iterdir())) == 1
    # The same district package again: covered by the city's copy, ignored.
    results, version = load_packages(province, [shiguai["package"]])
    assert results[0].status == "ignored" and version is None
    assert (
        "已包含在市级交换包 1502" in results[0].message
        and "contained in city package 1502" in results[0].message
    )
    # A newer district package of a district the city reports: refused, the city's figures stay.
    publish_snapshot(shiguai["settings"].raw_db, shiguai["settings"], "run-province")
    newer = tmp_path / "150205-newer.zip"
    export_package(shiguai["settings"], newer)
    published = province.published_db.read_bytes()
    results, version = load_packages(province, [newer])
    assert results[0].status == "rejected" and version is None
    assert (
        "由市级交换包 1502 上报" in results[0].message
        and "reported through city package 1502" in results[0].message
    )
    assert province.published_db.read_bytes() == published
    # That newer district loaded directly first, then a city package with the older copy: refused.
    other = Settings(data_dir=tmp_path / "province2", root_region="15")
    assert load_packages(other, [newer])[0][0].status == "loaded"
    results, version = load_packages(other, [package])
    assert results[0].status == "rejected" and version is None
    assert "比本级已直接载入的" in results[0].message and "older than the" in results[0].message
    assert current_districts(other).keys() == {"150205"}


def test_format_1_district_packages_still_load(federation, tmp_path):
    def version_1(name, data):
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        for key in ("level", "districts"):
            manifest.pop(key)
        return json.dumps({**manifest, "format_version": 1}).encode()

    old = _rewrite(federation["districts"]["150203"]["package"], tmp_path / "v1.zip", version_1)
    city = Settings(data_dir=tmp_path / "city", root_region="1502")
    results, version = load_packages(city, [old])
    assert results[0].status == "loaded" and version, results[0].message
    assert _kpis(city) == _kpis(federation["districts"]["150203"]["settings"])
    # A format-1 city package cannot exist (format 1 had no district list): refused.
    package = tmp_path / "1502.zip"
    export_package(federation["city"], package)
    province = Settings(data_dir=tmp_path / "province", root_region="15")
    results, _ = load_packages(province, [_rewrite(package, tmp_path / "1502-v1.zip", version_1)])
    assert results[0].status == "rejected"


def test_a_city_package_with_townships_outside_its_listed_districts_is_rejected(federation, tmp_path):
    package, _ = _city_package(federation, tmp_path, ("150202", "150203"), "baotou")

    def drop_district(name, data):
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["districts"] = [d for d in manifest["districts"] if d["code"] != "150203"]
        return json.dumps(manifest).encode()

    province = Settings(data_dir=tmp_path / "province", root_region="15")
    results, version = load_packages(province, [_rewrite(package, tmp_path / "short.zip", drop_district)])
    assert results[0].status == "rejected" and version is None
    assert "乡镇" in results[0].message and "townships outside" in results[0].message


def test_a_city_exports_only_a_roll_up(federation, tmp_path):
    settings = Settings(data_dir=tmp_path / "city", root_region="1502")
    settings.data_dir.mkdir()
    shutil.copyfile(federation["districts"]["150202"]["settings"].published_db, settings.published_db)
    with pytest.raises(UserError, match="不是区县交换包的汇总.*not a roll-up"):
        export_package(settings, tmp_path / "city.zip")
    assert not (tmp_path / "city.zip").exists()
