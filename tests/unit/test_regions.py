"""Region levels: every township's path province -> city -> county -> township from the region table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from warehouse.errors import UserError
from warehouse.regions import full_code, is_within, level_of, prefix_of, read_region_table, region_table
from warehouse.settings import Settings

SHARED_TABLE = Path(__file__).resolve().parents[3] / "shared" / "geo" / "regions_150000.csv"


@pytest.fixture(scope="module")
def table():
    return region_table(Settings().region_table)


def test_default_root_is_the_demo_district():
    assert Settings().root_region == "150205"


def test_township_path_names_every_level(table):
    path = table.path("150205001000")
    assert [(r.level, r.prefix, r.name) for r in path] == [
        ("province", "15", "内蒙古自治区"),
        ("city", "1502", "包头市"),
        ("county", "150205", "石拐区"),
        ("township", "150205001", "石拐街道"),
    ]
    assert [r.name for r in table.path("1502")] == ["内蒙古自治区", "包头市"]


def test_levels_and_prefixes_from_the_digits():
    assert level_of("150000000000") == "province"
    assert level_of("1502") == "city"
    assert level_of("150205") == "county"
    assert level_of("150205101") == "township"
    assert prefix_of("150200000000") == "1502"
    assert full_code("150205") == "150205000000"
    assert is_within("150205001000", "1502")
    assert is_within("150205", "150205")
    assert not is_within("150302000000", "1502")


def test_children_of_baotou_are_its_county_units(table):
    codes = [r.prefix for r in table.children("1502")]
    assert codes == [
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
    ]
    assert {r.level for r in table.children("1502")} == {"county"}


def test_packaged_table_matches_the_shared_source(table):
    """The package ships the code/name/level/parent columns of the NBS 2023 table, row for row."""
    with SHARED_TABLE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(table) == len(rows) == 1346
    for row in rows:
        region = table.get(row["code"])
        assert (region.name, region.level, region.parent_code or "") == (
            row["name"],
            row["level"],
            row["parent_code"],
        )


def test_bad_codes_are_clear_errors_in_both_languages(table):
    with pytest.raises(UserError, match="无效.*Invalid region code"):
        full_code("15020")
    with pytest.raises(UserError, match="没有代码.*not in the region table"):
        table.get("159999")


def test_a_region_table_row_must_agree_with_its_code(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text(
        "code,name,level,parent_code\n150000000000,内蒙古自治区,province,\n150200000000,包头市,county,150000000000\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError, match="第 3 行.*Line 3"):
        read_region_table(path)
    path.write_text("code,name\n150000000000,内蒙古自治区\n", encoding="utf-8")
    with pytest.raises(UserError, match="缺少列.*lacks the columns: level, parent_code"):
        read_region_table(path)
    with pytest.raises(UserError, match="无法读取.*Cannot read"):
        read_region_table(tmp_path / "missing.csv")


def test_zone_units_are_told_from_townships(table):
    park = table.get("150302400000")
    assert park.is_zone_unit
    assert not table.get("150302101000").is_zone_unit  # 千里山镇
    shiguai = table.children("150205")
    assert [t.code for t in shiguai if t.is_zone_unit] == ["150205400000"]  # 石拐产业园
    assert len([t for t in shiguai if not t.is_zone_unit]) == 8  # the district's eight townships


@pytest.mark.parametrize(
    ("name", "kind", "whole"),
    [
        ("石拐区", "district", "全区"),
        ("包头市", "city", "全市"),
        ("锡林郭勒盟", "league", "全盟"),
        ("达尔罕茂明安联合旗", "banner", "全旗"),
        ("内蒙古自治区", "region", "全区"),
        ("某县", "county", "全县"),
        ("Shiguai", "district", "全区"),
    ],
)
def test_the_whole_of_a_unit_is_named_after_its_kind(name, kind, whole):
    from warehouse.i18n import t
    from warehouse.regions import unit_kind

    assert unit_kind(name) == kind
    assert t(f"region_view.whole.{kind}") == whole
