"""The demo/scale data generator: writes the platform's exports as a real deployment would receive them.

``generate(out_dir)`` writes one file per entity and period (``.xlsx`` with title rows, GB18030 ``.csv``
with varying header synonyms), the export date in every file name, and realistic mess *on top of*
the calibrated records (``etl.demo.records``): blank rows, a trailing 合计 row, full-width digits,
stray spaces, dates in every form, duplicated rows, rows pointing at unknown deputies or homes, a
negative count, a close date before its accept date, and a later export that moves suggestions from
办理中 to 已办结. Every bad row is extra, so the good rows alone reproduce ``etl.demo.calibration.TARGETS``.

``--scale N`` replicates the district N times (ids suffixed ``-k``, synthetic township codes
``1592<k:07d><j>``) and writes CSV only, in parts of at most ``PART_ROWS`` rows, by filling
placeholders in a GB18030-encoded template per replica (memory-lean, no per-row Python work), for
benchmarks. The same seed always gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from etl.demo.records import DemoRecords, build_records
from etl.demo.writers import write_csv, write_csv_rows, write_xlsx
from etl.geo import TOWNSHIP_CODES, TOWNSHIPS
from warehouse.errors import user_error
from warehouse.regions import Region, RegionTable

DEFAULT_SEED = 20240120
PART_ROWS = 1_000_000
ENTITIES = ("townships", "homes", "deputies", "activities", "suggestions", "cases", "projects")
PLATFORM = "石拐区人大代表履职平台导出"

DATE_COLUMNS = frozenset(
    {"opened_on", "activity_date", "submitted_on", "due_on", "replied_on", "closed_on", "accepted_on"}
)
COUNT_COLUMNS = frozenset({"visitors", "votes_for", "votes_against", "votes_abstain"})
BOOL_COLUMNS = frozenset({"elected", "adopted"})
# Columns whose values get a replica suffix at --scale; township codes get synthetic codes instead.
ID_COLUMNS = frozenset({"home_id", "deputy_id", "activity_id", "suggestion_id", "case_id", "project_id"})
ID_LIST_COLUMNS = frozenset({"deputy_ids", "absent_deputy_ids"})
NAME_COLUMNS = frozenset({"township_name", "home_name"})
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
EXCEL_EPOCH = date(1899, 12, 30)

TOWNSHIP_COLS = (("乡镇代码", "township_code"), ("乡镇", "township_name"), ("类型", "kind"))
HOME_COLS = (
    ("阵地编号", "home_id"),
    ("代表之家名称", "home_name"),
    ("级别", "home_level"),
    ("所属乡镇代码", "township_code"),
    ("经度", "lon"),
    ("纬度", "lat"),
    ("建成日期", "opened_on"),
)
DEPUTY_COLS = (
    ("代表编号", "deputy_id"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("民族", "ethnicity"),
    ("代表层级", "levels"),
    ("所属乡镇", "township_name"),
    ("进驻代表之家编号", "home_id"),
    ("联系电话", "phone"),
    ("状态", "status"),
)
ACTIVITY_COLS_A = (
    ("活动编号", "activity_id"),
    ("活动阵地编号", "home_id"),
    ("活动日期", "activity_date"),
    ("活动类型", "activity_type"),
    ("活动主题", "title"),
    ("接待群众人次", "visitors"),
    ("参加代表编号", "deputy_ids"),
    ("缺席代表编号", "absent_deputy_ids"),
)
ACTIVITY_COLS_B = (
    ("活动编号", "activity_id"),
    ("阵地编号", "home_id"),
    ("日期", "activity_date"),
    ("活动类型", "activity_type"),
    ("主题", "title"),
    ("接待人数", "visitors"),
    ("参加代表", "deputy_ids"),
    ("无故缺席代表编号", "absent_deputy_ids"),
)
SUGGESTION_COLS_A = (
    ("建议编号", "suggestion_id"),
    ("来源", "channel"),
    ("提出代表编号", "deputy_id"),
    ("阵地编号", "home_id"),
    ("所属乡镇代码", "township_code"),
    ("类别", "category"),
    ("标题", "title"),
    ("提出日期", "submitted_on"),
    ("承办单位", "handling_unit"),
    ("办理期限", "due_on"),
    ("答复日期", "replied_on"),
    ("办结日期", "closed_on"),
    ("状态", "status"),
    ("评价", "satisfaction"),
    ("征求意见法规", "regulation"),
    ("是否采纳", "adopted"),
)
SUGGESTION_COLS_B = (
    ("编号", "suggestion_id"),
    ("渠道", "channel"),
    ("代表编号", "deputy_id"),
    ("代表之家编号", "home_id"),
    ("所属乡镇", "township_name"),
    ("建议类别", "category"),
    ("内容摘要", "title"),
    ("收集日期", "submitted_on"),
    ("承办单位", "handling_unit"),
    ("办理期限", "due_on"),
    ("答复日期", "replied_on"),
    ("办结日期", "closed_on"),
    ("办理状态", "status"),
    ("满意度", "satisfaction"),
    ("法规名称", "regulation"),
    ("是否采纳", "adopted"),
)
CASE_COLS_A = (
    ("案件编号", "case_id"),
    ("案件类型", "case_type"),
    ("所属乡镇代码", "township_code"),
    ("阵地编号", "home_id"),
    ("代表编号", "deputy_id"),
    ("受理日期", "accepted_on"),
    ("办结日期", "closed_on"),
    ("状态", "status"),
    ("结果", "outcome"),
    ("回访满意度", "satisfaction"),
    ("当事人", "party_name"),
    ("当事人电话", "party_phone"),
)
CASE_COLS_B = (
    ("案件编号", "case_id"),
    ("类型", "case_type"),
    ("所属乡镇", "township_name"),
    ("代表之家编号", "home_id"),
    ("代表编号", "deputy_id"),
    ("受理日期", "accepted_on"),
    ("办结日期", "closed_on"),
    ("办理状态", "status"),
    ("办理结果", "outcome"),
    ("回访满意度", "satisfaction"),
    ("当事人", "party_name"),
    ("当事人电话", "party_phone"),
)
PROJECT_COLS = (
    ("项目编号", "project_id"),
    ("年度", "year"),
    ("所属乡镇", "township_name"),
    ("项目名称", "name"),
    ("赞成票", "votes_for"),
    ("反对票", "votes_against"),
    ("弃权票", "votes_abstain"),
    ("是否当选", "elected"),
    ("实施状态", "status"),
    ("完成进度", "completion_pct"),
)


@dataclass
class ExportFile:
    """One export file: its name, entity, layout, good rows (canonical) and the mess added on top."""

    name: str
    entity: str
    columns: tuple[tuple[str, str], ...]
    frame: pd.DataFrame
    title: str | None = None
    date_style: str = "iso"
    # Extra rows, canonical dicts (values may be raw strings): all must be rejected by the ETL.
    bad_rows: list[dict] = field(default_factory=list)
    duplicates: int = 0
    blank_rows: int = 0
    total_row: bool = False
    # Township names by code when the district is recoded onto a real county (``generate_region``).
    township_names: dict[str, str] | None = None

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0]

    @property
    def fmt(self) -> str:
        return self.name.rsplit(".", 1)[1]


# -- suggestion snapshots (the earlier export shows an older state) -------------------------------
def suggestions_as_of(frame: pd.DataFrame, day: date) -> pd.DataFrame:
    """The suggestions as an export taken on ``day`` shows them (later replies/closures not yet made)."""
    out = frame.copy()
    closed_later = out["closed_on"].notna() & (out["closed_on"] > day)
    replied_later = out["replied_on"].notna() & (out["replied_on"] > day)
    out.loc[closed_later, ["closed_on", "satisfaction", "adopted"]] = None
    out.loc[closed_later, "status"] = np.where(replied_later[closed_later], "办理中", "已答复")
    out.loc[replied_later, "replied_on"] = None
    return out


def _changed(before: pd.DataFrame, after: pd.DataFrame) -> pd.Series:
    changed = pd.Series(False, index=before.index)
    for col in ("status", "replied_on", "closed_on", "satisfaction", "adopted"):
        same = (before[col].isna() & after[col].isna()) | (
            before[col].astype(object) == after[col].astype(object)
        )
        changed |= ~same
    return changed


def export_plan(records: DemoRecords) -> list[ExportFile]:
    """The export files of one district: names, layouts, good rows and mess (see the module doc)."""
    act, sug, cas, prj = (records[e] for e in ("activities", "suggestions", "cases", "projects"))
    by = {e: {p: f for p, f in t.groupby("period")} for e, t in (("a", act), ("s", sug), ("c", cas))}
    a = by["a"]
    h1 = a["2023"]["activity_date"] <= date(2023, 6, 30)
    s23 = by["s"]["2023"]
    s23_h1 = s23[s23["submitted_on"] <= date(2023, 6, 30)]
    s23_h2 = s23[s23["submitted_on"] > date(2023, 6, 30)]
    snapshots = [
        ("2022年_20230110", suggestions_as_of(by["s"]["2022"], date(2023, 1, 10)), by["s"]["2022"]),
        ("2023上半年_20230705", suggestions_as_of(s23_h1, date(2023, 7, 5)), s23_h1),
        ("2023下半年_20240105", suggestions_as_of(s23_h2, date(2024, 1, 5)), s23_h2),
    ]
    updated = pd.concat([final[_changed(snap, final)] for _, snap, final in snapshots])
    station = "JD030"
    plan = [
        ExportFile("乡镇区划_20240120.csv", "townships", TOWNSHIP_COLS, records["townships"]),
        ExportFile(
            "代表之家及站点_20240120.xlsx",
            "homes",
            HOME_COLS,
            records["homes"],
            title="代表之家（站）名录",
            date_style="datetime",
            blank_rows=1,
            bad_rows=[
                {
                    "home_id": "JD901",
                    "home_name": "示例未知乡镇代表之家",
                    "home_level": "嘎查村级",
                    "township_code": "150205999000",
                    "lon": 110.3,
                    "lat": 40.7,
                    "opened_on": date(2021, 5, 1),
                }
            ],
        ),
        ExportFile(
            "代表名册_20240120.xlsx",
            "deputies",
            DEPUTY_COLS,
            records["deputies"],
            title="代表名册",
            duplicates=1,
            blank_rows=1,
            bad_rows=[
                {
                    "deputy_id": "DB9001",
                    "name": "",
                    "gender": "男",
                    "levels": "区",
                    "township_code": "150205001000",
                    "status": "正常",
                },
                {
                    "deputy_id": "DB9002",
                    "name": "代表癸9002",
                    "gender": "女",
                    "levels": "省",
                    "township_code": "150205002000",
                    "status": "正常",
                },
            ],
        ),
        ExportFile(
            "履职活动_2022年_20230110.csv",
            "activities",
            ACTIVITY_COLS_A,
            a["2022"],
            date_style="slash",
            total_row=True,
            bad_rows=[
                {
                    "activity_id": "HD2022X9001",
                    "home_id": station,
                    "activity_date": date(2022, 8, 3),
                    "activity_type": "聚餐",
                    "title": "不在活动类型内",
                    "visitors": 0,
                    "deputy_ids": "DB0001",
                }
            ],
        ),
        ExportFile(
            "履职活动_2023上半年_20230705.xlsx",
            "activities",
            ACTIVITY_COLS_A,
            a["2023"][h1],
            title="2023年上半年代表履职活动",
            date_style="serial",
            duplicates=1,
            blank_rows=2,
            total_row=True,
            bad_rows=[
                {
                    "activity_id": "HD2023X9001",
                    "home_id": "JD999",
                    "activity_date": date(2023, 3, 8),
                    "activity_type": "接待选民",
                    "title": "阵地编号不存在",
                    "visitors": 12,
                    "deputy_ids": "DB0002",
                },
                {
                    "activity_id": "HD2023X9002",
                    "home_id": station,
                    "activity_date": date(2023, 4, 12),
                    "activity_type": "接待选民",
                    "title": "接待人数为负",
                    "visitors": -5,
                    "deputy_ids": "DB0003",
                },
                {
                    "activity_id": "HD2023X9003",
                    "home_id": station,
                    "activity_date": "2023-02-30",
                    "activity_type": "议事",
                    "title": "日期不存在",
                    "visitors": 0,
                    "deputy_ids": "DB0004",
                },
            ],
        ),
        ExportFile(
            "履职活动_2023下半年_20240105.csv",
            "activities",
            ACTIVITY_COLS_B,
            a["2023"][~h1],
            date_style="cn",
            duplicates=2,
            blank_rows=1,
            total_row=True,
            bad_rows=[
                {
                    "activity_id": "HD2023X9004",
                    "home_id": station,
                    "activity_date": date(2023, 9, 9),
                    "activity_type": "调研",
                    "title": "参加代表编号不存在",
                    "visitors": 0,
                    "deputy_ids": "DB0005;DB9999",
                },
                {
                    "activity_id": "HD2023X9005",
                    "home_id": station,
                    "activity_date": date(2023, 10, 10),
                    "activity_type": "",
                    "title": "缺少活动类型",
                    "visitors": 0,
                    "deputy_ids": "DB0006",
                },
            ],
        ),
        ExportFile(
            "履职活动_2024年1月_20240120.xlsx",
            "activities",
            ACTIVITY_COLS_B,
            a["2024-01"],
            title="2024年1月代表履职活动",
            date_style="datetime",
            total_row=True,
        ),
        ExportFile(
            "意见建议_2022年_20230110.xlsx",
            "suggestions",
            SUGGESTION_COLS_A,
            snapshots[0][1],
            title="2022年度意见建议办理台账",
            date_style="dot",
        ),
        ExportFile(
            "意见建议_2023上半年_20230705.csv",
            "suggestions",
            SUGGESTION_COLS_B,
            snapshots[1][1],
            date_style="slash",
            duplicates=1,
            blank_rows=1,
            bad_rows=[
                {
                    "suggestion_id": "JY2023X9001",
                    "channel": "平台",
                    "township_code": "150205001000",
                    "title": "办结日期早于提出日期",
                    "submitted_on": date(2023, 5, 20),
                    "closed_on": date(2023, 5, 2),
                    "replied_on": date(2023, 5, 1),
                    "status": "已办结",
                    "satisfaction": "满意",
                },
                {
                    "suggestion_id": "JY2023X9002",
                    "channel": "平台",
                    "deputy_id": "DB9998",
                    "township_code": "150205002000",
                    "title": "提出代表不存在",
                    "submitted_on": date(2023, 6, 1),
                    "status": "已提交",
                },
            ],
        ),
        ExportFile(
            "意见建议_2023下半年_20240105.xlsx",
            "suggestions",
            SUGGESTION_COLS_A,
            snapshots[2][1],
            title="2023年下半年意见建议办理台账",
            date_style="cn",
            total_row=True,
            bad_rows=[
                {
                    "suggestion_id": "JY2023X9003",
                    "channel": "平台",
                    "home_id": "JD998",
                    "township_code": "150205003000",
                    "title": "阵地编号不存在",
                    "submitted_on": date(2023, 8, 8),
                    "status": "已提交",
                }
            ],
        ),
        ExportFile(
            "意见建议_2023年度更新_20240119.csv",
            "suggestions",
            SUGGESTION_COLS_A,
            updated,
            date_style="iso",
        ),
        ExportFile(
            "意见建议_2024年1月_20240120.csv",
            "suggestions",
            SUGGESTION_COLS_B,
            by["s"]["2024-01"],
            date_style="iso",
        ),
        ExportFile(
            "案件_2022年_20240120.xlsx",
            "cases",
            CASE_COLS_A,
            by["c"]["2022"],
            title="2022年信访代办及诉前调解案件",
            date_style="datetime",
        ),
        ExportFile(
            "案件_2023年_20240120.csv",
            "cases",
            CASE_COLS_B,
            by["c"]["2023"],
            date_style="dot",
            duplicates=1,
            blank_rows=2,
            total_row=True,
            bad_rows=[
                {
                    "case_id": "TJ2023X9001",
                    "case_type": "诉前调解",
                    "township_code": "150205001000",
                    "deputy_id": "DB0010",
                    "accepted_on": date(2021, 12, 20),
                    "closed_on": date(2021, 12, 1),
                    "status": "已办结",
                    "outcome": "调解成功",
                    "party_name": "示例群众9001",
                    "party_phone": "13900009001",
                },
                {
                    "case_id": "XF2023X9001",
                    "case_type": "信访代办",
                    "township_code": "150205001000",
                    "home_id": "JD997",
                    "deputy_id": "DB0011",
                    "accepted_on": date(2021, 12, 15),
                    "status": "受理",
                    "party_name": "示例群众9002",
                    "party_phone": "13900009002",
                },
            ],
        ),
        ExportFile(
            "案件_2024年1月_20240120.xlsx",
            "cases",
            CASE_COLS_A,
            by["c"]["2024-01"],
            title="2024年1月案件",
            date_style="serial",
        ),
        ExportFile(
            "民生实事_2022-2023_20240120.xlsx",
            "projects",
            PROJECT_COLS,
            prj,
            title="民生实事项目票决结果",
            total_row=True,
            bad_rows=[
                {
                    "project_id": "MS2023X901",
                    "year": 2023,
                    "township_code": "150205001000",
                    "name": "赞成票为负",
                    "votes_for": -3,
                    "votes_against": 1,
                    "votes_abstain": 0,
                    "elected": False,
                }
            ],
        ),
    ]
    return plan


# -- row formatting (scale 1, the messy way) ------------------------------------------------------
def _format_date(value: date, style: str, fmt: str) -> object:
    if style == "serial" and fmt == "xlsx":
        return (value - EXCEL_EPOCH).days
    if style == "datetime" and fmt == "xlsx":
        return datetime(value.year, value.month, value.day)
    if style == "slash":
        return f"{value.year}/{value.month}/{value.day}"
    if style == "dot":
        return f"{value.year}.{value.month:02d}.{value.day:02d}"
    if style == "cn":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def _cell(column: str, value, rng: np.random.Generator, spec: ExportFile, messy: bool) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column == "township_name_from_code":
        if spec.township_names is not None:
            return spec.township_names.get(value, value)
        return TOWNSHIPS[value][0] if value in TOWNSHIPS else value
    if isinstance(value, str):
        if messy and column in ID_COLUMNS and rng.random() < 0.06:
            return f" {value} "
        if messy and column == "deputy_ids" and ";" in value and rng.random() < 0.1:
            return value.replace(";", "; ")
        if messy and column == "name" and rng.random() < 0.05:
            return f"{value}  "
        return value
    if column in DATE_COLUMNS:
        style = spec.date_style
        if messy and rng.random() < 0.2:
            style = str(rng.choice(["iso", "slash", "dot", "cn", "serial", "datetime"]))
        return _format_date(value, style, spec.fmt)
    if column in BOOL_COLUMNS:
        return "是" if value else "否"
    if column in COUNT_COLUMNS or column == "year":
        number = int(value)
        if messy and number >= 0 and rng.random() < 0.1:
            return str(number).translate(FULL_WIDTH)
        return number if spec.fmt == "xlsx" else str(number)
    if isinstance(value, float | np.floating):
        return (
            float(value)
            if spec.fmt == "xlsx"
            else f"{float(value):g}"
            if column == "completion_pct"
            else f"{value:.6f}"
        )
    return value


def _source_column(canonical: str, frame_columns) -> str:
    return "township_code" if canonical == "township_name" and canonical not in frame_columns else canonical


def format_rows(spec: ExportFile, rng: np.random.Generator, *, messy: bool = True) -> list[list]:
    """The data rows of a file as written: good rows, then (if messy) the extra bad rows and mess.

    Duplicated rows repeat a good row verbatim; blank rows are inserted between rows; the 合计 row
    comes last.
    """
    frame = spec.frame
    getters: list[tuple[str, str]] = []
    for _, canonical in spec.columns:
        source = _source_column(canonical, frame.columns)
        kind = "township_name_from_code" if source != canonical else canonical
        getters.append((kind, source))
    records = frame.to_dict("records")
    rows = [[_cell(kind, r.get(src), rng, spec, messy) for kind, src in getters] for r in records]
    if not messy:
        return rows
    for bad in spec.bad_rows:
        rows.append([_cell(kind, bad.get(src), rng, spec, False) for kind, src in getters])
    for _ in range(spec.duplicates):
        rows.insert(int(rng.integers(0, len(rows))), list(rows[int(rng.integers(0, len(records)))]))
    for _ in range(spec.blank_rows):
        rows.insert(int(rng.integers(1, len(rows))), [None] * len(getters))
    if spec.total_row:
        total: list = [None] * len(getters)
        total[0] = "合计"
        for i, (_, src) in enumerate(getters):
            if src in COUNT_COLUMNS:
                total[i] = int(frame[src].fillna(0).sum())
        if all(v is None for v in total[1:]):
            total[1] = f"共{len(frame)}条"
        rows.append(total)
    return rows


def _title_rows(spec: ExportFile) -> list[list]:
    if not spec.title:
        return []
    export_day = spec.stem.rsplit("_", 1)[-1]
    stamp = f"{export_day[:4]}-{export_day[4:6]}-{export_day[6:]}"
    return [[f"{PLATFORM} {spec.title}"], [f"导出时间：{stamp}"]]


# -- scale > 1: replicate the district, vectorised -----------------------------------------------
_ENCODING = "gb18030"
_CSV_SPECIAL = (",", '"', "\r", "\n")
# Placeholders in the encoded template: control bytes never occur inside GB18030 text, so replacing
# them per replica cannot touch real content.
_ID_MARK, _NAME_MARK, _TOWNSHIP_MARK = "\x00", "\x01", "\x02"


def _csv_field(value: str | None) -> str:
    if value is None:
        return ""
    if any(c in value for c in _CSV_SPECIAL):
        return '"' + value.replace('"', '""') + '"'
    return value


def _template_bytes(spec: ExportFile, clean: list[list[str | None]]) -> bytes:
    """The clean template rows as GB18030 CSV lines, with placeholders where a replica differs.

    Ids get ``-k`` after them, township and home names ``·k``, and a township code becomes the
    synthetic ``1592<k:07d><j>`` (j: index of the real township it copies).
    """
    lines = []
    for row in clean:
        fields = []
        for (_, canonical), value in zip(spec.columns, row, strict=True):
            if value is None:
                fields.append("")
            elif canonical == "township_code":
                fields.append(_TOWNSHIP_MARK + str(TOWNSHIP_CODES.index(value)))
            elif canonical in ID_COLUMNS:
                fields.append(value + _ID_MARK)
            elif canonical in NAME_COLUMNS:
                fields.append(value + _NAME_MARK)
            elif canonical in ID_LIST_COLUMNS:
                fields.append(";".join(x + _ID_MARK for x in value.split(";")))
            else:
                fields.append(_csv_field(value))
        lines.append(",".join(fields) + "\r\n")
    return "".join(lines).encode(_ENCODING)


def _replica_bytes(template: bytes, k: int) -> bytes:
    """Replica ``k`` of the encoded template (placeholders filled in)."""
    return (
        template.replace(b"\x00", b"-%d" % k)
        .replace(b"\x01", f"·{k}".encode(_ENCODING))
        .replace(b"\x02", b"1592%07d" % k)
    )


def _to_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def _write_scaled(spec: ExportFile, out_dir: Path, scale: int, rng: np.random.Generator) -> list[Path]:
    header = [h for h, _ in spec.columns]
    csv_spec = ExportFile(**{**spec.__dict__, "name": f"{spec.stem}.csv"})
    first = [[_to_text(v) for v in row] for row in format_rows(csv_spec, rng, messy=True)]
    # The 合计 row closes the last part and sums every replica.
    total = first.pop() if spec.total_row else None
    if total is not None:
        total = [str(int(v) * scale) if v is not None and v.isdigit() else v for v in total]
    clean = [[_to_text(v) for v in row] for row in format_rows(csv_spec, rng, messy=False)]
    template = _template_bytes(spec, clean)
    total_rows = len(first) + len(clean) * (scale - 1)
    parts = max(1, -(-total_rows // PART_ROWS))
    paths: list[Path] = []
    batch = max(1, PART_ROWS // max(1, len(clean)) // 4)
    replicas = np.arange(1, scale)
    per_part = -(-len(replicas) // parts) if parts > 1 else len(replicas)
    for p in range(parts):
        name = f"{spec.stem}.csv" if parts == 1 else f"{spec.stem}_{p + 1:03d}.csv"
        path = write_csv(out_dir / name, [], header, first if p == 0 else [])
        with path.open("ab") as fh:
            chunk_ks = replicas[p * per_part : (p + 1) * per_part]
            for start in range(0, len(chunk_ks), batch):
                fh.write(b"".join(_replica_bytes(template, int(k)) for k in chunk_ks[start : start + batch]))
        if total is not None and p == parts - 1:
            write_csv_rows(path, [total])
        paths.append(path)
    return paths


# -- entry points ---------------------------------------------------------------------------------
def generate(
    out_dir: Path, *, scale: int = 1, seed: int = DEFAULT_SEED, entities: tuple[str, ...] = ENTITIES
) -> list[Path]:
    """Write the demo exports into ``out_dir``.

    Args:
        out_dir: Target directory (created if missing), e.g. the inbox.
        scale: Replicate the district this many times (deputies, homes, townships and records);
            above 1 every file is CSV, split into parts of at most ``PART_ROWS`` rows.
        seed: Random seed; the same seed gives byte-identical files.
        entities: Restrict the output to these entities (for benchmarks).

    Returns:
        The files written, in name order.
    """
    if scale < 1:
        raise ValueError("scale must be >= 1")
    return _write_plan(export_plan(build_records(seed)), Path(out_dir), scale, seed, entities)


def _write_plan(
    plan: list[ExportFile], out_dir: Path, scale: int, seed: int, entities: tuple[str, ...]
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for index, spec in enumerate(plan):
        if spec.entity not in entities:
            continue
        rng = np.random.default_rng([seed, index])
        if scale > 1:
            written += _write_scaled(spec, out_dir, scale, rng)
            continue
        writer: Callable = write_xlsx if spec.fmt == "xlsx" else write_csv
        header = [h for h, _ in spec.columns]
        written.append(writer(out_dir / spec.name, _title_rows(spec), header, format_rows(spec, rng)))
    return sorted(written)


# -- a real city or province: one district per county-level unit ---------------------------------
# Kinds a township's name ends with (the demo's kind is kept for any other name).
_KINDS_BY_SUFFIX = ("街道", "苏木", "镇", "乡")


def county_units(table: RegionTable, code: str) -> tuple[Region, ...]:
    """The county-level units under ``code`` (itself if a county) that have townships in ``table``."""
    region = table.get(code)
    if region.level == "township":
        raise user_error("generate_region.level", code=code)
    units = [region]
    while units and units[0].level != "county":
        units = [child for unit in units for child in table.children(unit.code)]
    return tuple(u for u in units if table.children(u.code))


def _recode(value: str, mapping: dict[str, str], prefix: str) -> str:
    """A township code moved onto the county: a demo township's real counterpart, an unknown one kept
    unknown (the same last six digits under the county)."""
    return mapping.get(value) or prefix + value[6:]


def recode_plan(plan: list[ExportFile], county: Region, townships: tuple[Region, ...]) -> list[ExportFile]:
    """``plan`` (the demo district's exports) moved onto a real county: each demo township becomes one of
    the county's real townships (in code order, cycling when the county has fewer), with its real name;
    every id gets the county's code in front so that districts of one city never share an id."""
    mapping = {demo: townships[i % len(townships)].code for i, demo in enumerate(TOWNSHIP_CODES)}
    names = {t.code: t.name for t in townships}
    prefix, id_prefix = county.prefix, f"{county.prefix}-"

    def ids(value):
        if not isinstance(value, str):
            return value
        return ";".join(id_prefix + part if part else part for part in value.split(";"))

    def row(values: dict) -> dict:
        out = dict(values)
        for column, value in values.items():
            if column == "township_code" and isinstance(value, str):
                out[column] = _recode(value, mapping, prefix)
            elif column in ID_COLUMNS and isinstance(value, str) and value:
                out[column] = id_prefix + value
            elif column in ID_LIST_COLUMNS:
                out[column] = ids(value)
        if "township_name" in values and isinstance(out.get("township_code"), str):
            out["township_name"] = names.get(out["township_code"], values["township_name"])
        return out

    recoded = []
    for spec in plan:
        frame = spec.frame.copy()
        if "township_code" in frame.columns:
            frame["township_code"] = frame["township_code"].map(
                lambda v: _recode(v, mapping, prefix) if isinstance(v, str) else v
            )
            if "township_name" in frame.columns:
                frame["township_name"] = [
                    names.get(code, name)
                    for code, name in zip(frame["township_code"], frame["township_name"], strict=True)
                ]
        for column in frame.columns:
            if column in ID_COLUMNS:
                frame[column] = frame[column].map(lambda v: id_prefix + v if isinstance(v, str) and v else v)
            elif column in ID_LIST_COLUMNS:
                frame[column] = frame[column].map(ids)
        if spec.entity == "townships":
            # A county with fewer townships than the demo: one row per real township.
            frame = frame.drop_duplicates("township_code").reset_index(drop=True)
            frame["kind"] = [
                next((k for k in _KINDS_BY_SUFFIX if name.endswith(k)), kind)
                for name, kind in zip(frame["township_name"], frame["kind"], strict=True)
            ]
        recoded.append(
            replace(spec, frame=frame, bad_rows=[row(b) for b in spec.bad_rows], township_names=names)
        )
    return recoded


def generate_region(
    out_dir: Path,
    table: RegionTable,
    code: str,
    *,
    seed: int = DEFAULT_SEED,
    entities: tuple[str, ...] = ENTITIES,
) -> list[Path]:
    """Write one district's exports per county-level unit under ``code`` (a county, city or province),
    into ``out_dir/<6-digit county code>/``, with the counties' real township codes and names.

    Each county gets its own records (seed ``seed + i`` for the i-th county in code order), so the
    same seed always gives byte-identical files.

    Raises:
        UserError: ``code`` is not in the table, is a township, or has no county with townships.
    """
    counties = county_units(table, code)
    if not counties:
        raise user_error("generate_region.empty", code=code)
    written: list[Path] = []
    for i, county in enumerate(counties):
        townships = tuple(t for t in table.children(county.code) if not t.is_zone_unit)
        plan = recode_plan(export_plan(build_records(seed + i)), county, townships)
        written += _write_plan(plan, Path(out_dir) / county.prefix, 1, seed + i, entities)
    return sorted(written)
