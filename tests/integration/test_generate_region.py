"""``cockpit generate --region``: a real city (乌海市, three county-level units) as one demo district per
county, with the counties' real township codes and names; each loads, and the same seed gives the
same bytes."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import pytest

from etl.demo.generator import generate_region
from etl.run import run_etl
from warehouse.errors import UserError
from warehouse.kpi_report import collect_kpis
from warehouse.regions import region_table
from warehouse.settings import Settings

CITY = "1503"  # 乌海市: 150302 海勃湾区 (8 townships), 150303 海南区 (5), 150304 乌达区 (9)


@pytest.fixture(scope="module")
def table():
    return region_table(Settings().region_table)


@pytest.fixture(scope="module")
def city_exports(tmp_path_factory, table):
    out = tmp_path_factory.mktemp("wuhai")
    return out, generate_region(out / "exports", table, CITY)


def _digests(paths) -> dict[str, str]:
    return {f"{p.parent.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_one_district_per_county_with_real_townships_and_kpis(city_exports, table):
    out, paths = city_exports
    counties = sorted({p.parent.name for p in paths})
    assert counties == ["150302", "150303", "150304"]
    ids = {}
    for county in counties:
        region = table.get(county)
        settings = Settings(
            data_dir=out / county, root_region=county, district_code=county, district_name=region.name
        )
        summary = run_etl(settings, inbox=out / "exports" / county)
        assert summary.snapshot_version, summary.message
        con = duckdb.connect(str(settings.published_db), read_only=True)
        try:
            townships = con.execute("select township_code, township_name from dim_township").fetchall()
            ids[county] = {r[0] for r in con.execute("select deputy_id from dim_deputy").fetchall()}
        finally:
            con.close()
        real = {t.code: t.name for t in table.children(county) if not t.is_zone_unit}
        # Every township is one of the county's real ones, under its real name; at most the demo's 8.
        assert townships and all(real.get(code) == name for code, name in townships), townships
        assert len(townships) == min(len(real), 8)
        kpis = collect_kpis(settings, date(2000, 1, 1), date(2099, 12, 31), None)["kpis"]
        assert kpis["activities_total"] > 0 and kpis["deputies_total"] > 0
    # Ids are prefixed per district: no deputy id is shared between two counties of the city.
    assert not ids["150302"] & ids["150303"] and not ids["150303"] & ids["150304"]
    assert all(i.startswith("150303-") for i in ids["150303"])


def test_same_seed_same_bytes(city_exports, table, tmp_path):
    _, paths = city_exports
    again = generate_region(tmp_path / "again", table, CITY)
    assert _digests(again) == _digests(paths)
    other = generate_region(tmp_path / "other", table, "150303", seed=7, entities=("deputies",))
    assert _digests(other) != {k: v for k, v in _digests(paths).items() if k in _digests(other)}


def test_a_township_code_is_refused(table, tmp_path):
    with pytest.raises(UserError, match="is a township"):
        generate_region(tmp_path, table, "150303001000")


def test_cli_refuses_region_with_scale_in_both_languages(tmp_path, capsys):
    from cockpit.cli import main

    code = main(["generate", "--out", str(tmp_path / "x"), "--region", CITY, "--scale", "2"])
    captured = capsys.readouterr()
    assert code == 2
    assert (
        "不能同时使用" in captured.out + captured.err and "cannot be combined" in captured.out + captured.err
    )
    assert not (tmp_path / "x").exists()
