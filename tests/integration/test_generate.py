"""The demo generator: calibrated records, messy but reproducible exports, and --scale."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point

from cockpit.cli import main
from etl.demo.calibration import (
    PERIODS,
    ROSTER,
    SEED_2023_KPIS,
    SEED_PROJECTS_2022_2023,
    TARGETS,
    reference_kpis,
)
from etl.demo.generator import ENTITIES, export_plan, generate
from etl.demo.records import apportion, build_records, partition
from etl.geo import township_polygons
from warehouse.query import KPI_IDS


@pytest.fixture(scope="module")
def records():
    return build_records()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    generate(out)
    return out


def read_rows(path) -> list[list[str]]:
    """Every row of an export as text (xlsx values stringified, csv decoded as GB18030)."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).active
        return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(path.read_bytes().decode("gb18030"))))


# -- calibration ----------------------------------------------------------------------------------
@pytest.mark.parametrize("period", list(PERIODS))
def test_records_hit_every_target_of_the_period(records, period):
    start, end = PERIODS[period]
    got = reference_kpis(records.tables, start, end)
    assert set(got) == set(KPI_IDS)
    expected = {k: v for k, v in TARGETS[period].items() if k in KPI_IDS and k != "livelihood_projects_voted"}
    assert {k: got[k] for k in expected} == expected
    assert got["livelihood_projects_voted"] == TARGETS[period]["livelihood_projects_voted"]
    assert got["home_visit_rate"] == TARGETS[period]["home_visit_deputies"] / ROSTER["deputies_total"]


def test_records_reproduce_the_seed_2023_figures(records):
    got = reference_kpis(records.tables, date(2023, 1, 1), date(2023, 12, 31))
    assert {k: got[k] for k in SEED_2023_KPIS} == SEED_2023_KPIS
    assert got["mediation_success_rate"] == pytest.approx(0.9017, abs=1e-4)
    both_years = reference_kpis(records.tables, date(2022, 1, 1), date(2023, 12, 31))
    assert both_years["livelihood_projects_voted"] == SEED_PROJECTS_2022_2023 == 85


def test_free_rates_are_plausible(records):
    got = reference_kpis(records.tables, date(2023, 1, 1), date(2023, 12, 31))
    assert 0.8 <= got["suggestion_closure_rate"] <= 0.9
    assert 0.85 <= got["home_visit_rate"] <= 0.95
    assert 0.85 <= got["suggestion_satisfaction_rate"] < 1
    last_year = reference_kpis(records.tables, date(2022, 1, 1), date(2022, 12, 31))
    assert last_year["activities_total"] < got["activities_total"]
    assert last_year["petition_satisfaction_rate"] < 1


def test_roster_homes_by_level(records):
    levels = records["homes"]["home_level"].value_counts().to_dict()
    assert levels == {
        "区级": 1,
        "苏木镇街道级": 7,
        "嘎查村级": 17,
        "企业": 2,
        "代表工作站": 3,
        "立法联络站": 16,
    }
    assert len(records["townships"]) == 8
    assert set(records["deputies"]["levels"]) == {"区", "镇", "区;镇", "市;区"}


def test_excluded_records_exist(records):
    cases = records["cases"]
    assert (cases["status"] == "不予受理").sum() > 0
    assert (records["suggestions"]["status"] == "不予立案").sum() > 0
    petitions = cases[(cases["case_type"] == "信访代办") & (cases["period"] == "2023")]
    assert (petitions["satisfaction"] == "未回访").sum() == TARGETS["2023"]["petition_not_revisited"]
    assert (records["deputies"]["status"] == "终止").sum() == ROSTER["deputies_terminated"]


def test_trainings_at_homes_count_as_home_activities(records):
    acts = records["activities"]
    home_trainings = acts[(acts["activity_type"] == "培训") & (acts["home_id"] == "JD001")]
    assert home_trainings.groupby("period").size().to_dict() == {"2022": 4, "2023": 6}


def test_personal_data_is_fake_and_names_synthetic(records):
    deputies = records["deputies"]
    assert deputies["name"].str.fullmatch(r"代表[甲乙丙丁戊己庚辛壬癸]\d{3}").all()
    assert deputies["phone"].str.fullmatch(r"1380000\d{4}").all()
    cases = records["cases"]
    assert cases["party_name"].str.fullmatch(r"示例群众\d{4}").all()
    assert cases["party_phone"].str.fullmatch(r"1390000\d{4}").all()


def test_references_resolve_and_homes_sit_in_their_township(records):
    deputy_ids = set(records["deputies"]["deputy_id"])
    home_ids = set(records["homes"]["home_id"])
    acts = records["activities"]
    for column in ("deputy_ids", "absent_deputy_ids"):
        ids = {x for v in acts[column].dropna() for x in v.split(";")}
        assert ids <= deputy_ids
    for entity in ("suggestions", "cases"):
        frame = records[entity]
        assert set(frame["deputy_id"].dropna()) <= deputy_ids
        assert set(frame["home_id"].dropna()) <= home_ids
    assert set(acts["home_id"].dropna()) <= home_ids
    polygons = township_polygons()
    for home in records["homes"].itertuples():
        assert polygons[home.township_code].contains(Point(home.lon, home.lat)), home.home_name


def test_all_dates_within_the_demo_range(records):
    last = date(2024, 1, 19)
    for entity, columns in (("activities", ["activity_date"]), ("cases", ["accepted_on", "closed_on"])):
        for column in columns:
            assert records[entity][column].dropna().max() <= last
    sug = records["suggestions"]
    for column in ("submitted_on", "replied_on", "closed_on"):
        assert sug[column].dropna().max() <= last
    closed = sug.dropna(subset=["closed_on"])
    assert (closed["closed_on"] >= closed["submitted_on"]).all()


def test_apportion_and_partition_are_exact():
    assert apportion(146, [8, 6, 3, 2]).sum() == 146
    parts = partition(512, 18, np.random.default_rng(1), low=15)
    assert parts.sum() == 512 and parts.min() >= 15 and len(parts) == 18
    with pytest.raises(ValueError):
        partition(10, 5, np.random.default_rng(1), low=3)


# -- the export files -----------------------------------------------------------------------------
def test_one_file_per_entity_and_period_with_export_date(demo_dir):
    names = sorted(p.name for p in demo_dir.iterdir())
    assert len(names) == 16
    assert all(re.search(r"_20\d{6}\.(xlsx|csv)$", n) for n in names)
    assert {n.rsplit(".", 1)[1] for n in names} == {"xlsx", "csv"}
    assert "履职活动_2023上半年_20230705.xlsx" in names


def test_csv_files_are_gb18030(demo_dir):
    for path in demo_dir.glob("*.csv"):
        data = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert re.search("编号|代码", data.decode("gb18030").splitlines()[0])


def test_xlsx_files_have_title_rows_above_the_header(demo_dir):
    rows = read_rows(demo_dir / "代表名册_20240120.xlsx")
    assert rows[0][0].startswith("石拐区人大代表履职平台导出")
    assert rows[1][0] == "导出时间：2024-01-20"
    assert rows[2][:2] == ["代表编号", "姓名"]


def test_exports_carry_the_expected_mess(demo_dir):
    first = read_rows(demo_dir / "履职活动_2023上半年_20230705.xlsx")
    second = read_rows(demo_dir / "履职活动_2023下半年_20240105.csv")
    text = "\n".join(",".join(r) for r in first + second)
    assert first[-1][0] == "合计" and second[-1][0] == "合计"
    assert any(all(v == "" for v in row) for row in second)
    assert re.search(r"[０-９]", text), "full-width digits"
    assert re.search(r"(^|,) \S+ (,|$)", text, re.M), "stray spaces"
    assert re.search(r"2023年\d{1,2}月\d{1,2}日", text)
    assert re.search(r",4[45]\d{3},", text), "Excel serial dates"
    assert "活动日期" in first[2] and "日期" in second[0] and "活动日期" not in second[0]
    body = [tuple(r) for r in second[1:] if r and r[0].startswith("HD")]
    assert len(body) > len(set(body)), "duplicated rows"
    assert "-5" in text and "DB9999" in text and "JD999" in text


def test_bad_rows_are_extra_to_the_calibrated_records(records):
    plan = export_plan(records)
    for entity in ENTITIES:
        specs = [s for s in plan if s.entity == entity]
        key = records[entity].columns[0]
        good = pd.concat([s.frame for s in specs])
        assert set(good[key]) == set(records[entity][key])
        bad = {row[key] for s in specs for row in s.bad_rows}
        assert not bad & set(records[entity][key])


def test_later_export_moves_suggestions_to_closed(demo_dir, records):
    early = {r[0].strip(): r for r in read_rows(demo_dir / "意见建议_2023上半年_20230705.csv")[1:] if r}
    update = read_rows(demo_dir / "意见建议_2023年度更新_20240119.csv")
    status = update[0].index("状态")
    moved = [r for r in update[1:] if r[0].strip() in early and r[status] == "已办结"]
    assert moved
    b_status = read_rows(demo_dir / "意见建议_2023上半年_20230705.csv")[0].index("办理状态")
    assert {early[r[0].strip()][b_status] for r in moved} <= {"办理中", "已答复"}
    assert "意见建议_2023上半年_20230705.csv" < "意见建议_2023年度更新_20240119.csv"


def test_same_seed_gives_byte_identical_exports(tmp_path, demo_dir):
    again = tmp_path / "again"
    generate(again)
    for path in demo_dir.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    other = tmp_path / "other"
    generate(other, seed=7, entities=("activities",))
    first = sorted(other.iterdir())[0]
    assert first.read_bytes() != (demo_dir / first.name).read_bytes()


def test_xlsx_metadata_carries_no_clock(demo_dir):
    with zipfile.ZipFile(demo_dir / "代表名册_20240120.xlsx") as archive:
        assert {i.date_time for i in archive.infolist()} == {(2024, 1, 20, 8, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2024-01-20T08:00:00Z</dcterms:modified>" in core
    assert "2024-01-20T08:00:00Z</dcterms:created>" in core


# -- --scale --------------------------------------------------------------------------------------
def test_scale_replicates_everything_with_unique_ids(tmp_path, records):
    paths = generate(tmp_path, scale=3, entities=("townships", "homes", "deputies", "activities"))
    assert all(p.suffix == ".csv" for p in paths)

    def load(name):
        frame = pd.read_csv(tmp_path / name, encoding="gb18030", dtype=str, skip_blank_lines=True)
        return frame[frame.iloc[:, 0].notna() & (frame.iloc[:, 0] != "合计")]

    townships = load("乡镇区划_20240120.csv")
    assert len(townships) == 24 and townships["乡镇代码"].is_unique
    assert townships["乡镇代码"].str.fullmatch(r"\d{12}").all()
    deputies = load("代表名册_20240120.csv")
    ids = deputies["代表编号"].str.strip()
    assert ids.nunique() == 3 * len(records["deputies"]) + 2  # + the two bad rows
    activities = pd.concat(load(p.name) for p in paths if p.name.startswith("履职活动"))
    good = activities[~activities["活动编号"].str.contains("X9")]
    assert good["活动编号"].str.strip().nunique() == 3 * len(records["activities"])
    participants = {x.strip() for v in good.iloc[:, 6].dropna() for x in v.split(";")}
    assert participants <= set(ids)


def test_scale_output_is_reproducible_and_split_in_parts(tmp_path, monkeypatch):
    import etl.demo.generator as gen

    monkeypatch.setattr(gen, "PART_ROWS", 500)
    a = generate(tmp_path / "a", scale=4, entities=("activities",))
    b = generate(tmp_path / "b", scale=4, entities=("activities",))
    assert [p.name for p in a] == [p.name for p in b]
    assert any(p.name.endswith("_002.csv") for p in a)
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
    last_part = [p for p in a if "2023下半年" in p.name][-1]
    assert read_rows(last_part)[-1][0] == "合计"


def test_scale_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, scale=0)


# -- CLI ------------------------------------------------------------------------------------------
def test_cli_generate_writes_the_files(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path), "--entities", "townships,homes"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "乡镇区划_20240120.csv",
        "代表之家及站点_20240120.xlsx",
    ]
    assert "已生成 2 个文件，规模 1 倍" in capsys.readouterr().out


def test_cli_generate_rejects_unknown_entities(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path), "--entities", "nonsense"]) == 2
    assert "nonsense" in capsys.readouterr().err
