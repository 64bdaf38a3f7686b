"""Incremental publish (issue 16): after each incremental day, the snapshot equals a full rebuild of the
same raw store, table by table; a failure mid-build leaves the published snapshot as it was.

The demo is loaded once (module fixture, a full build); each test copies that data directory and drops
the day's exports (written here as the platform writes them) into its inbox.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from etl.demo.generator import generate
from etl.demo.writers import write_csv
from etl.run import run_etl
from tests.support.snapshot_compare import is_sorted_by, snapshot_differences
from warehouse import incremental, publish
from warehouse.build_state import DAYS_KEY, FULL, INCREMENTAL, MODE_KEY
from warehouse.incremental import SORTED_BY_KEY, plan_build, publish_incremental
from warehouse.points import load_points_rules
from warehouse.publish import build_snapshot_file, published_version
from warehouse.settings import Settings

pytestmark = pytest.mark.slow
DEMO_RUN_DATE = date(2024, 1, 20)
RUN_DATE = date(2024, 2, 1)
ACTIVITY_HEADER = [
    "活动编号",
    "活动阵地编号",
    "活动日期",
    "活动类型",
    "活动主题",
    "接待群众人次",
    "参加代表编号",
    "缺席代表编号",
]
SUGGESTION_HEADER = [
    "编号", "渠道", "代表编号", "代表之家编号", "所属乡镇", "建议类别", "内容摘要", "收集日期",
    "承办单位", "办理期限", "答复日期", "办结日期", "办理状态", "满意度", "法规名称", "是否采纳",
]  # fmt: skip
CASE_HEADER = [
    "案件编号", "类型", "所属乡镇", "代表之家编号", "代表编号", "受理日期", "办结日期", "办理状态",
    "办理结果", "回访满意度", "当事人", "当事人电话",
]  # fmt: skip
HOME_HEADER = ["阵地编号", "代表之家名称", "级别", "所属乡镇代码", "经度", "纬度", "建成日期"]
DEPUTY_HEADER = [
    "代表编号",
    "姓名",
    "性别",
    "民族",
    "代表层级",
    "所属乡镇",
    "进驻代表之家编号",
    "联系电话",
    "状态",
]
OLD_ACTIVITIES = "履职活动_2022年_20230110.csv"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    settings = Settings(data_dir=root / "data")
    settings.inbox.mkdir(parents=True)
    generate(settings.inbox)
    summary = run_etl(settings, trigger="demo", run_date=DEMO_RUN_DATE)
    assert summary.status == "succeeded"
    assert _meta(settings.published_db)[MODE_KEY] == FULL
    return settings.data_dir


@pytest.fixture
def settings(demo_dir: Path, tmp_path: Path) -> Settings:
    data_dir = tmp_path / "data"
    shutil.copytree(demo_dir, data_dir)
    return Settings(data_dir=data_dir)


def _meta(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("select key, value from snapshot_meta").fetchall())


def _raw_rows(settings: Settings, sql: str, params: list) -> list[tuple]:
    with duckdb.connect(str(settings.raw_db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _full_rebuild(settings: Settings, target: Path) -> Path:
    """A full build of the same raw store, with the run id of the published snapshot."""
    run_id = _meta(settings.published_db)["run_id"]
    with duckdb.connect(str(settings.raw_db), read_only=True) as con:
        build_snapshot_file(con, target, settings, run_id, "reference")
    return target


def _run_day(settings: Settings, files: dict[str, tuple[list[str], list[list]]]) -> dict[str, str]:
    for name, (header, rows) in files.items():
        write_csv(settings.inbox / name, [], header, rows)
    summary = run_etl(settings, trigger="cli", run_date=RUN_DATE)
    assert summary.status == "succeeded", summary.message
    return _meta(settings.published_db)


def _assert_equals_full_rebuild(settings: Settings, tmp_path: Path, label: str) -> None:
    reference = _full_rebuild(settings, tmp_path / f"reference-{label}.duckdb")
    assert snapshot_differences(settings.published_db, reference) == [], label
    for table in SORTED_BY_KEY:
        assert is_sorted_by(settings.published_db, table, "activity_date"), (label, table)


def test_incremental_days_equal_a_full_rebuild(settings: Settings, tmp_path: Path):
    # Day 1: new records of a new day (activities, a suggestion, a closed case).
    meta = _run_day(
        settings,
        {
            "履职活动_增量_20240121.csv": (
                ACTIVITY_HEADER,
                [
                    [
                        "HD2024N0001",
                        "JD002",
                        "2024-01-21",
                        "接待选民",
                        "接待：供暖",
                        "12",
                        "DB0001;DB0002",
                        "DB0003",
                    ],
                    ["HD2024N0002", "JD011", "2024-01-21", "学习", "学习：条例", "0", "DB0057;DB0058", ""],
                ],
            ),
            "意见建议_增量_20240121.csv": (
                SUGGESTION_HEADER,
                [
                    [
                        "JY2024N0001",
                        "代表之家",
                        "DB0074",
                        "JD005",
                        "白狐沟街道",
                        "农牧业",
                        "关于饲草料的建议",
                        "2024-01-21",
                        "区农牧局",
                        "2024-03-21",
                        "",
                        "",
                        "办理中",
                        "",
                        "",
                        "",
                    ],
                ],
            ),  # fmt: skip
            "案件_增量_20240121.csv": (
                CASE_HEADER,
                [
                    [
                        "XF2024N0001",
                        "信访代办",
                        "大发街道",
                        "",
                        "DB0046",
                        "2024-01-21",
                        "2024-01-21",
                        "已办结",
                        "化解成功",
                        "满意",
                        "示例群众",
                        "13900000000",
                    ],
                ],
            ),  # fmt: skip
        },
    )
    assert meta[MODE_KEY] == INCREMENTAL
    assert 1 <= int(meta[DAYS_KEY]) <= 3
    _assert_equals_full_rebuild(settings, tmp_path, "new records")

    # Day 2: updates; one activity moves from January 2022 in 石拐街道 (JD002) to June 2023 in 大发街道
    # (JD003); a case gets a later closing day (its points move to another day); a suggestion is answered.
    before = _raw_rows(
        settings, "select activity_date, home_id from activities where activity_id = ?", ["HD202200002"]
    )
    assert before == [(date(2022, 1, 5), "JD002")]
    meta = _run_day(
        settings,
        {
            "履职活动_更正_20240122.csv": (
                ACTIVITY_HEADER,
                [["HD202200002", "JD003", "2023-06-15", "调研", "调研：供热供水", "0", "DB0004;DB0005", ""]],
            ),
            "案件_更正_20240122.csv": (
                CASE_HEADER,
                [
                    [
                        "XF20230001",
                        "信访代办",
                        "大发街道",
                        "",
                        "DB0046",
                        "2023-01-04",
                        "2023-03-20",
                        "已办结",
                        "化解成功",
                        "满意",
                        "示例群众0196",
                        "13900000196",
                    ],
                ],
            ),  # fmt: skip
            "意见建议_更正_20240122.csv": (
                SUGGESTION_HEADER,
                [
                    [
                        "JY2024N0001",
                        "代表之家",
                        "DB0074",
                        "JD005",
                        "白狐沟街道",
                        "农牧业",
                        "关于饲草料的建议",
                        "2024-01-21",
                        "区农牧局",
                        "2024-03-21",
                        "2024-01-22",
                        "",
                        "已答复",
                        "",
                        "",
                        "",
                    ],
                ],
            ),  # fmt: skip
        },
    )
    assert meta[MODE_KEY] == INCREMENTAL
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        moved = con.execute(
            "select activity_date, township_code from fct_activity where activity_id = 'HD202200002'"
        ).fetchall()
    assert moved == [(date(2023, 6, 15), "150205002000")]
    _assert_equals_full_rebuild(settings, tmp_path, "updates")

    # Day 3: an older file dropped again under another name (already loaded), and an older re-export
    # with one changed row: that row updates, the moved activity's old version there is not applied.
    shutil.copyfile(settings.inbox / OLD_ACTIVITIES, settings.inbox / "履职活动_2022年_再次导出_20230110.csv")
    old = (
        (settings.inbox / OLD_ACTIVITIES)
        .read_bytes()
        .decode("gb18030")
        .replace("值班：道路交通安全,26,", "值班：道路交通安全,27,")
    )
    (settings.inbox / "履职活动_2022年_重新导出_20230111.csv").write_bytes(old.encode("gb18030"))
    summary = run_etl(settings, trigger="cli", run_date=RUN_DATE)
    assert summary.rows_updated == 1 and summary.rows_older >= 1
    assert _meta(settings.published_db)[MODE_KEY] == INCREMENTAL
    _assert_equals_full_rebuild(settings, tmp_path, "re-export")

    # Day 4: a dimension change that facts carry: a place moves to another township and level.
    home = _raw_rows(
        settings,
        "select home_id, home_name, home_level, township_code, lon, lat, opened_on from homes where trim(home_id) = ?",
        ["JD011"],
    )[0]
    assert home[3] != "150205002000"
    moved_home = [home[0].strip(), home[1], "嘎查村级", "150205002000", home[4], home[5], home[6].isoformat()]
    meta = _run_day(settings, {"代表之家及站点_更正_20240123.csv": (HOME_HEADER, [moved_home])})
    assert meta[MODE_KEY] == INCREMENTAL
    assert int(meta[DAYS_KEY]) > 3
    _assert_equals_full_rebuild(settings, tmp_path, "home moved")

    # Day 5: a deputy's levels and township change: the days of their points and the years of their
    # home visits are rebuilt.
    deputy = _raw_rows(
        settings,
        "select deputy_id, name, gender, ethnicity, levels, home_id, phone, status from deputies where deputy_id = ?",
        ["DB0002"],
    )[0]
    meta = _run_day(
        settings,
        {
            "代表名册_更正_20240124.csv": (
                DEPUTY_HEADER,
                [
                    [
                        deputy[0],
                        deputy[1],
                        deputy[2],
                        deputy[3],
                        "市;区",
                        "大发街道",
                        deputy[5],
                        deputy[6],
                        deputy[7],
                    ]
                ],
            )
        },
    )
    assert meta[MODE_KEY] == INCREMENTAL
    _assert_equals_full_rebuild(settings, tmp_path, "deputy changed")

    # And the next day of records.
    meta = _run_day(
        settings,
        {
            "履职活动_增量_20240125.csv": (
                ACTIVITY_HEADER,
                [["HD2024N0003", "JD003", "2024-01-25", "议事", "议事：停车", "3", "DB0002;DB0010", ""]],
            )
        },
    )
    assert meta[MODE_KEY] == INCREMENTAL
    _assert_equals_full_rebuild(settings, tmp_path, "after full")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failure_mid_incremental_leaves_the_published_snapshot(
    settings: Settings, tmp_path: Path, monkeypatch
):
    published_before = published_version(settings)
    digest_before = _digest(settings.published_db)
    refresh = incremental._refresh_partitions
    refreshed = []

    def failing(con, name, *args):
        refreshed.append(name)
        if name == "fct_points":
            raise RuntimeError("disk full (injected)")
        refresh(con, name, *args)

    monkeypatch.setattr(incremental, "_refresh_partitions", failing)
    write_csv(
        settings.inbox / "履职活动_增量_20240121.csv",
        [],
        ACTIVITY_HEADER,
        [["HD2024N0001", "JD002", "2024-01-21", "接待选民", "接待：供暖", "12", "DB0001;DB0002", ""]],
    )
    summary = run_etl(settings, trigger="cli", run_date=RUN_DATE)
    assert summary.status == "failed" and "disk full" in summary.message
    assert "fct_activity" in refreshed  # the build had patched partitions of its copy before failing
    assert published_version(settings) == published_before
    assert _digest(settings.published_db) == digest_before
    assert not list(settings.snapshots_dir.glob("*.tmp*"))

    # The next publish picks up the failed run's changes (they are after the snapshot's anchor run).
    monkeypatch.setattr(incremental, "_refresh_partitions", refresh)
    plans = []
    publish_incremental(settings.raw_db, settings, "retry", on_plan=plans.append)
    assert plans[0].mode == INCREMENTAL and plans[0].days == (date(2024, 1, 21),)
    _assert_equals_full_rebuild(settings, tmp_path, "retry")


def _activities_per_year(con: duckdb.DuckDBPyConnection, _settings: Settings) -> None:
    con.execute(
        "create or replace table activities_per_year as "
        "select year(activity_date) as year, count(*) as activities from fct_activity group by all"
    )


def test_derived_steps_after_the_marts_are_rerun_by_the_incremental_build(
    settings: Settings, tmp_path: Path, monkeypatch
):
    monkeypatch.setitem(publish.DERIVED_TABLES, "activities_per_year", _activities_per_year)
    plans = []
    publish_incremental(settings.raw_db, settings, "with-step", on_plan=plans.append)
    assert plans[-1].mode == FULL  # a new step changes the fingerprint: rebuilt once
    meta = _run_day(
        settings,
        {
            "履职活动_增量_20240121.csv": (
                ACTIVITY_HEADER,
                [["HD2024N0001", "JD002", "2024-01-21", "学习", "学习：条例", "0", "DB0001", ""]],
            )
        },
    )
    assert meta[MODE_KEY] == INCREMENTAL
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        per_year = dict(con.execute("select year, activities from activities_per_year").fetchall())
        in_2024 = con.execute("select count(*) from fct_activity where year(activity_date) = 2024").fetchall()
    assert per_year[2024] == in_2024[0][0]
    _assert_equals_full_rebuild(settings, tmp_path, "derived step")


def test_plan_falls_back_to_a_full_build_when_the_snapshot_cannot_be_patched(settings: Settings):
    rules = load_points_rules(None)
    with duckdb.connect(str(settings.raw_db), read_only=True) as con:
        plan = plan_build(con, settings, rules)
        assert (plan.mode, plan.days, plan.deputies) == (INCREMENTAL, (), ())
        changed = [replace(rules[0], points=rules[0].points + 1), *rules[1:]]
        assert plan_build(con, settings, changed).mode == FULL  # other points rules: every day's points
        other = settings.with_(data_dir=settings.data_dir / "elsewhere")
        assert plan_build(con, other, rules).reason == "no published snapshot"
    with duckdb.connect(str(settings.raw_db)) as con:
        con.execute("delete from etl_runs")  # a raw store that never saw the snapshot's anchor run
        assert plan_build(con, settings, rules).reason == "anchor run not in the raw store"
