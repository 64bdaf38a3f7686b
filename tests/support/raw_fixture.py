"""A tiny hand-made raw store: every row written out, so expected figures can be computed by hand.

Used by the ``raw_store`` / ``snapshot`` fixtures in ``conftest.py``. Hand-computed figures for the
period 2023-01-01..2023-12-31 (no filter) are in :data:`EXPECTED_KPIS_2023` and
:data:`EXPECTED_POINTS_2023`; the comments on each row say what it exercises.

Personal data values (:data:`PERSONAL_VALUES`) are planted so tests can prove they never reach a
snapshot.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from warehouse.publish import SQL_DIR

T1, T2, T3 = "150205001000", "150205002000", "150205101000"  # T3 has no records at all
PERSONAL_VALUES = ("13800000001", "13800000002", "13900000009", "张测试当事人", "13900000008", "李测试当事人")

TOWNSHIPS = [
    (T1, "石拐街道", "街道"),
    (T2, "大发街道", "街道"),
    (T3, "五当召镇", "镇"),
]
# home_id, name, level, township, lon, lat, opened_on
HOMES = [
    ("H1", "测试区级代表之家", "区级", T1, 110.27, 40.69, date(2020, 1, 1)),
    ("H2", "测试街道代表之家", "苏木镇街道级", T2, 110.30, 40.70, None),
    ("H3", "测试嘎查村代表之家", "嘎查村级", T2, 110.31, 40.71, None),
    ("S1", "测试代表工作站", "代表工作站", T1, 110.28, 40.68, None),  # not a home
    ("L1", "测试立法联络站", "立法联络站", T2, None, None, None),  # not a home
]
# deputy_id, name, gender, ethnicity, levels, township, home_id, phone, status
DEPUTIES = [
    ("D1", "测试代表甲", "男", "汉族", "区;镇", T1, "H1", "13800000001", "正常"),
    ("D2", "测试代表乙", "女", "蒙古族", "区", T1, "H1", "13800000002", None),  # null status = active
    ("D3", "测试代表丙", "男", "汉族", "镇", T2, "H2", None, "正常"),
    ("D4", "测试代表丁", "女", "汉族", "市", T2, None, None, "正常"),
    ("D5", "测试代表戊", "男", "汉族", "区", T2, "H3", None, "终止"),  # inactive: counted nowhere
]
# activity_id, home_id, date, type, title, visitors, deputy_ids, absent_deputy_ids
ACTIVITIES = [
    ("A1", "H1", date(2023, 1, 10), "学习", "学习会", 10, "D1;D2", "D3"),
    ("A2", "H2", date(2023, 2, 15), "接待选民", "接待日", 25, "D3", None),
    ("A3", "H3", date(2023, 3, 20), "议事", "议事会", 0, "D1; D3", None),
    ("A4", "S1", date(2023, 4, 1), "值班", "工作站值班", 7, "D2", None),  # at a station: not at home
    ("A5", None, date(2023, 5, 5), "培训", "履职培训", None, "D1;D2;D3;D4", None),
    ("A6", None, date(2023, 6, 6), "列席常委会", "常委会第十次会议", None, "D1;D4", None),
    ("A7", "H1", date(2022, 12, 31), "学习", "去年的学习", 99, "D4", None),  # outside 2023
    ("A8", "H1", date(2023, 7, 7), "视察", "视察", 5, "D2;", None),  # trailing ';' is ignored
    # September: a points tie (D3, D4, D2 on 5; D2 has an absence, D3 < D4 by id)
    ("A9", "H2", date(2023, 9, 9), "学习", "九月学习", 3, "D1;D2", None),
    ("A10", None, date(2023, 9, 19), "培训", "九月培训", None, "D1;D3;D4", "D2"),
    ("A11", "S1", date(2023, 9, 29), "视察", "九月视察", 0, "D2", None),
]
# suggestion_id, channel, deputy_id, home_id, township, category, title, submitted_on, handling_unit,
# due_on, replied_on, closed_on, status, satisfaction, regulation, adopted
SUGGESTIONS = [
    (
        "S01",
        "代表之家",
        "D1",
        "H1",
        T1,
        "城建",
        "修路",
        date(2023, 1, 12),
        "区住建局",
        date(2023, 2, 12),
        date(2023, 2, 1),
        date(2023, 2, 10),
        "已办结",
        "满意",
        None,
        True,
    ),
    (
        "S02",
        "代表之家",
        "D3",
        "H2",
        T2,
        "民生",
        "路灯",
        date(2023, 3, 1),
        "区民政局",
        date(2023, 4, 1),
        None,
        None,
        "办理中",
        "未评价",
        None,
        None,
    ),
    (
        "S03",
        "代表之家",
        "D3",
        "H2",
        T2,
        "民生",
        "不予立案的",
        date(2023, 3, 5),
        None,
        None,
        None,
        None,
        "不予立案",
        None,
        None,
        None,
    ),
    (
        "S04",
        "平台",
        "D2",
        None,
        T1,
        "城建",
        "供暖",
        date(2023, 5, 1),
        "区住建局",
        date(2023, 5, 20),
        None,
        date(2023, 6, 1),
        "已办结",
        "不满意",
        None,
        None,
    ),  # late
    (
        "S05",
        "立法联系点",
        None,
        "L1",
        T2,
        "立法",
        "物业条例意见",
        date(2023, 6, 1),
        None,
        None,
        None,
        None,
        "已答复",
        "基本满意",
        "包头市物业管理条例",
        None,
    ),
    (
        "S06",
        "立法联系点",
        None,
        "L1",
        T2,
        "立法",
        "物业条例意见二",
        date(2023, 6, 2),
        None,
        None,
        None,
        None,
        "已提交",
        None,
        "包头市物业管理条例",
        None,
    ),
    (
        "S07",
        "立法联系点",
        None,
        "L1",
        T2,
        "立法",
        "养犬条例意见",
        date(2023, 6, 3),
        None,
        None,
        None,
        None,
        "已提交",
        None,
        "包头市养犬管理条例",
        None,
    ),
    (
        "S08",
        "联动监督",
        None,
        None,
        T1,
        "监督",
        "联动监督",
        date(2023, 8, 8),
        "区环保局",
        date(2023, 9, 8),
        None,
        None,
        "已交办",
        None,
        None,
        None,
    ),
    (
        "S09",
        "代表之家",
        "D1",
        "H1",
        T1,
        "城建",
        "去年的建议",
        date(2022, 11, 11),
        "区住建局",
        None,
        None,
        date(2022, 12, 1),
        "已办结",
        "满意",
        None,
        None,
    ),  # outside 2023
]
# case_id, type, township, home, deputy, accepted_on, closed_on, status, outcome, satisfaction,
# party_name, party_phone
CASES = [
    (
        "C1",
        "信访代办",
        T1,
        "H1",
        "D1",
        date(2023, 2, 1),
        date(2023, 3, 1),
        "已办结",
        "已答复",
        "满意",
        "张测试当事人",
        "13900000009",
    ),
    (
        "C2",
        "信访代办",
        T2,
        None,
        "D3",
        date(2023, 4, 1),
        None,
        "办理中",
        None,
        "未回访",
        "李测试当事人",
        None,
    ),
    ("C3", "信访代办", T2, None, None, date(2023, 5, 1), None, "不予受理", None, None, None, "13900000008"),
    (
        "C4",
        "诉前调解",
        T1,
        None,
        "D2",
        date(2023, 6, 1),
        date(2023, 6, 20),
        "已办结",
        "调解成功",
        None,
        None,
        None,
    ),
    (
        "C5",
        "诉前调解",
        T2,
        None,
        "D3",
        date(2023, 7, 1),
        date(2023, 7, 30),
        "已办结",
        "调解不成",
        None,
        None,
        None,
    ),
    (
        "C6",
        "诉前调解",
        T2,
        None,
        "D2",
        date(2023, 8, 1),
        date(2023, 8, 15),
        "已办结",
        "调解成功",
        None,
        None,
        None,
    ),
    (
        "C7",
        "信访代办",
        T1,
        None,
        "D1",
        date(2022, 6, 1),
        date(2022, 6, 20),
        "已办结",
        "已答复",
        "满意",
        None,
        None,
    ),  # outside 2023
]
# project_id, year, township, name, for, against, abstain, elected, status, completion_pct
PROJECTS = [
    ("P1", 2023, T1, "老旧小区改造", 40, 2, 1, True, "实施中", 60.0),
    ("P2", 2023, T2, "未当选项目", 10, 30, 3, False, None, None),
    ("P3", 2022, T2, "去年项目", 38, 1, 0, True, "已完成", 100.0),
    ("P4", 2023, T2, "街道路灯", 41, 0, 2, True, "已完成", 100.0),
]
LOADED_AT = {
    "townships": datetime(2024, 1, 19, 8, 0),
    "activities": datetime(2024, 1, 19, 9, 30),
    "cases": datetime(2024, 1, 18, 17, 0),
}

EXPECTED_KPIS_2023: dict[str, int | float | None] = {
    "deputies_total": 4,  # D5 inactive
    "homes_total": 3,
    "stations_total": 1,
    "liaison_points_total": 1,
    "activities_total": 5,  # A1 A2 A3 A8 A9
    "visitors_total": 43,
    "suggestions_collected": 3,  # S01 S02 S03
    "suggestion_closure_rate": 2 / 7,  # S01 S04 of all but S03
    "suggestion_satisfaction_rate": 2 / 3,  # S01 满意, S05 基本满意 of S01 S04 S05
    "petition_cases": 2,  # C1 C2 (C3 不予受理)
    "petition_completed": 1,
    "petition_completion_rate": 0.5,
    "petition_satisfaction_rate": 1.0,  # C1 of C1 (C2 未回访)
    "mediation_cases": 3,
    "mediation_success": 2,
    "mediation_success_rate": 2 / 3,
    "mediators_total": 2,  # D2 D3
    "legislative_suggestions": 3,
    "regulations_consulted": 2,
    "supervision_suggestions": 1,
    "livelihood_projects_voted": 2,  # P1 P4
    "home_visit_rate": 0.75,  # D1 D2 D3 of 4
    "trainings_total": 2,  # A5 A10
    "training_attendance": 7,
    "csc_observations": 2,
}
# deputy_id -> (points, absences) in 2023
EXPECTED_POINTS_2023 = {"D1": (45, 0), "D2": (38, 1), "D3": (22, 1), "D4": (15, 0)}


def create_raw_store(path: Path, *, with_etl_files: bool = True) -> Path:
    """Write the fixture rows into a new raw store at ``path`` (schema from ``sql/ddl/raw.sql``)."""
    con = duckdb.connect(str(path))
    try:
        con.execute((SQL_DIR / "ddl" / "raw.sql").read_text(encoding="utf-8"))
        tail = ["h", "f", 1, "run0"]
        con.executemany(
            "insert into townships values (?, ?, ?, ?, ?, ?, ?)", [[*r, *tail] for r in TOWNSHIPS]
        )
        con.executemany(
            "insert into homes values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [[*r, *tail] for r in HOMES]
        )
        con.executemany(
            "insert into deputies values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[*r, *tail] for r in DEPUTIES],
        )
        con.executemany(
            "insert into activities values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[*r, *tail] for r in ACTIVITIES],
        )
        con.executemany(
            "insert into suggestions values (" + ", ".join(["?"] * 20) + ")",
            [[*r, *tail] for r in SUGGESTIONS],
        )
        con.executemany(
            "insert into cases values (" + ", ".join(["?"] * 16) + ")", [[*r, *tail] for r in CASES]
        )
        con.executemany(
            "insert into projects values (" + ", ".join(["?"] * 14) + ")", [[*r, *tail] for r in PROJECTS]
        )
        if with_etl_files:
            con.executemany(
                "insert into etl_files (file_id, run_id, file_name, entity, status, loaded_at) "
                "values (?, 'run0', ?, ?, 'loaded', ?)",
                [[f"f{i}", f"{entity}.csv", entity, ts] for i, (entity, ts) in enumerate(LOADED_AT.items())],
            )
            # An older file of the same entity and a rejected file must not win.
            con.execute(
                "insert into etl_files (file_id, run_id, file_name, entity, status, loaded_at) values "
                "('old', 'run0', 'activities-old.csv', 'activities', 'loaded', '2024-01-01 00:00:00'), "
                "('bad', 'run0', 'activities-bad.csv', 'activities', 'rejected', '2024-02-01 00:00:00')"
            )
    finally:
        con.close()
    return path
