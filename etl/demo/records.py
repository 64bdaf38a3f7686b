"""The demo's calibrated records: canonical tables built to hit ``etl.demo.calibration.TARGETS`` exactly.

Every count is constructed, not sampled: the random generator only decides *which* deputy, home, day
or title a record gets, never how many records there are. The result is the final state of every
record (what the raw store holds after all exports are applied); ``etl.demo.generator`` writes it out as
messy platform exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from etl.demo.calibration import DATA_END, PERIODS, ROSTER, TARGETS
from etl.geo import TOWNSHIPS, random_point_in

# Deputies per township (五当沟街道 is a paper unit with no deputies and no homes).
DEPUTIES_PER_TOWNSHIP: dict[str, int] = {
    "150205001000": 28,
    "150205002000": 22,
    "150205003000": 20,
    "150205005000": 24,
    "150205006000": 22,
    "150205101000": 67,
    "150205202000": 60,
}
# Deputies of 镇/苏木 also sitting in the district congress (levels 区;镇).
DISTRICT_AND_TOWN = {"150205101000": 12, "150205202000": 10}
SUBDISTRICTS = ("150205001000", "150205002000", "150205003000", "150205005000", "150205006000")
RURAL = ("150205101000", "150205202000")
CN_ORDINALS = "一二三四五六七八九十"
STEMS = "甲乙丙丁戊己庚辛壬癸"

HOME_ACTIVITY_MIX = {"接待选民": 36, "值班": 18, "议事": 17, "学习": 14, "视察": 6, "调研": 5, "述职": 4}
VISITOR_WEIGHTS = {"接待选民": 3.0, "值班": 2.0, "议事": 1.0}
OTHER_ACTIVITY_TYPES = ("听证旁听", "调研", "议事", "接待选民")
TOPICS = (
    "老旧小区改造",
    "农村牧区人居环境整治",
    "养老服务",
    "道路交通安全",
    "生态保护修复",
    "义务教育",
    "基层医疗",
    "就业创业",
    "矿区治理",
    "乡村振兴",
    "物业管理",
    "供热供水",
)
CATEGORIES = {
    "城乡建设": ("区住房和城乡建设局", "老旧小区", "背街小巷路面破损"),
    "交通出行": ("区交通运输局", "公交线路", "村道安全设施不足"),
    "教育": ("区教育局", "学校周边", "校车接送不便"),
    "医疗卫生": ("区卫生健康委员会", "卫生室", "村卫生室药品不全"),
    "社会保障": ("区民政局", "养老服务站", "高龄老人补贴发放"),
    "生态环境": ("区生态环境分局", "矿区", "采空区扬尘"),
    "农牧业": ("区农牧局", "嘎查村", "饲草料储备"),
    "社会治理": ("区城市管理综合执法局", "小区", "占道经营"),
}
REGULATIONS = {
    "2022": (
        "包头市城市市容和环境卫生管理条例（修订草案）",
        "包头市物业管理条例（草案）",
        "内蒙古自治区养老服务条例（草案）",
        "包头市文明行为促进条例（修订草案）",
        "内蒙古自治区乡村振兴促进条例（草案）",
        "包头市供热管理条例（修订草案）",
    ),
    "2023": (
        "包头市养犬管理条例（草案）",
        "包头市城市绿化条例（修订草案）",
        "内蒙古自治区矿山地质环境保护条例（修订草案）",
        "包头市电动自行车管理条例（草案）",
        "内蒙古自治区铸牢中华民族共同体意识促进条例（草案）",
        "包头市燃气管理条例（修订草案）",
        "包头市历史文化名城保护条例（草案）",
        "内蒙古自治区人口与计划生育条例（修正草案）",
    ),
    "2024-01": ("包头市公共数据管理条例（草案）",),
}
PROJECT_KINDS = (
    "村道硬化工程",
    "老旧小区供热管网改造",
    "社区养老服务站建设",
    "农村牧区饮水安全提升",
    "背街小巷路灯亮化",
    "便民停车场建设",
    "嘎查村卫生室改造",
    "文化活动广场建设",
    "垃圾分类收集点建设",
    "小区雨污分流改造",
)
OTHER_CHANNELS = ("平台", "民呼我为", "接待岗")


@dataclass
class DemoRecords:
    """The final state of every demo record, one canonical DataFrame per entity."""

    tables: dict[str, pd.DataFrame]

    def __getitem__(self, entity: str) -> pd.DataFrame:
        return self.tables[entity]


def apportion(total: int, weights: list[float] | np.ndarray) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder, exact)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    parts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[: total - parts.sum()]] += 1
    return parts


def partition(total: int, n: int, rng: np.random.Generator, low: int = 1, weights=None) -> np.ndarray:
    """Split ``total`` into ``n`` random integer parts, each >= ``low``, summing exactly to ``total``."""
    if n == 0:
        return np.zeros(0, dtype=int)
    rest = total - n * low
    if rest < 0:
        raise ValueError(f"cannot split {total} into {n} parts of at least {low}")
    p = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    return low + rng.multinomial(rest, p / p.sum())


def _days(rng: np.random.Generator, start: date, end: date, n: int) -> list[date]:
    span = (end - start).days + 1
    return sorted(start + timedelta(days=int(d)) for d in rng.integers(0, span, n))


def _townships() -> pd.DataFrame:
    return pd.DataFrame(
        [(code, name, kind) for code, (name, kind) in TOWNSHIPS.items()],
        columns=["township_code", "township_name", "kind"],
    )


def _homes(rng: np.random.Generator) -> pd.DataFrame:
    names = {code: TOWNSHIPS[code][0] for code in TOWNSHIPS}
    rows: list[tuple[str, str, str]] = [("石拐区人大代表之家", "区级", "150205001000")]
    rows += [(f"{names[c]}人大代表之家", "苏木镇街道级", c) for c in DEPUTIES_PER_TOWNSHIP]
    rows += [(f"{names[c]}第一社区代表之家", "嘎查村级", c) for c in SUBDISTRICTS]
    rows += [
        (f"{names['150205101000']}{CN_ORDINALS[i]}村代表之家", "嘎查村级", "150205101000") for i in range(6)
    ]
    rows += [
        (f"{names['150205202000']}{CN_ORDINALS[i]}嘎查代表之家", "嘎查村级", "150205202000") for i in range(6)
    ]
    rows += [
        ("示例矿业公司代表之家", "企业", "150205002000"),
        ("示例能源公司代表之家", "企业", "150205005000"),
    ]
    rows += [(f"{names[c]}人大代表工作站", "代表工作站", c) for c in ("150205001000", *RURAL)]
    liaison = [c for c in SUBDISTRICTS for _ in range(2)] + [c for c in RURAL for _ in range(3)]
    rows += [
        (f"{names[c]}基层立法联络站{'' if k == 0 else CN_ORDINALS[k]}", "立法联络站", c)
        for k, c in ((liaison[:i].count(c), c) for i, c in enumerate(liaison))
    ]
    out = []
    for i, (name, level, code) in enumerate(rows, start=1):
        lon, lat = random_point_in(code, rng)
        opened = date(2019, 1, 1) + timedelta(days=int(rng.integers(0, 1400)))
        out.append((f"JD{i:03d}", name, level, code, lon, lat, opened))
    return pd.DataFrame(
        out, columns=["home_id", "home_name", "home_level", "township_code", "lon", "lat", "opened_on"]
    )


def _deputies(rng: np.random.Generator, homes: pd.DataFrame) -> pd.DataFrame:
    rows = []
    n = 0
    home_levels = ("苏木镇街道级", "嘎查村级", "企业")
    for code, count in DEPUTIES_PER_TOWNSHIP.items():
        local_homes = homes[(homes["township_code"] == code) & homes["home_level"].isin(home_levels)][
            "home_id"
        ]
        both_levels = DISTRICT_AND_TOWN.get(code, 0)
        for k in range(count):
            n += 1
            if code in RURAL:
                levels = "区;镇" if k < both_levels else "镇"
            else:
                levels = "市;区" if k % 9 == 0 else "区"
            home = (
                "JD001" if levels != "镇" and rng.random() < 0.25 else str(rng.choice(local_homes.to_numpy()))
            )
            rows.append(
                (
                    f"DB{n:04d}",
                    f"代表{STEMS[(n - 1) % 10]}{n:03d}",
                    "女" if rng.random() < 0.32 else "男",
                    str(rng.choice(["汉族", "蒙古族", "回族", "满族"], p=[0.8, 0.14, 0.04, 0.02])),
                    levels,
                    code,
                    home,
                    f"1380000{n:04d}",
                    "正常",
                )
            )
    terminated = ROSTER["deputies_terminated"]
    # Terminated deputies are spread over the roster's townships, appended after the active ones.
    for k in range(terminated):
        n += 1
        code = list(DEPUTIES_PER_TOWNSHIP)[k % len(DEPUTIES_PER_TOWNSHIP)]
        rows.append(
            (
                f"DB{n:04d}",
                f"代表{STEMS[(n - 1) % 10]}{n:03d}",
                "男",
                "汉族",
                "镇" if code in RURAL else "区",
                code,
                None,
                f"1380000{n:04d}",
                "终止",
            )
        )
    columns = [
        "deputy_id",
        "name",
        "gender",
        "ethnicity",
        "levels",
        "township_code",
        "home_id",
        "phone",
        "status",
    ]
    return pd.DataFrame(rows, columns=columns)


class _Builder:
    """Builds the period records; holds the shared roster and the running id counters."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.townships = _townships()
        self.homes = _homes(self.rng)
        self.deputies = _deputies(self.rng, self.homes)
        active = self.deputies[self.deputies["status"] == "正常"]
        self.active_ids = active["deputy_id"].to_numpy()
        self.district_ids = active[active["levels"].str.contains("区")]["deputy_id"].to_numpy()
        self.by_township = {c: g["deputy_id"].to_numpy() for c, g in active.groupby("township_code")}
        self.township_of = dict(zip(self.deputies["deputy_id"], self.deputies["township_code"], strict=True))
        self.home_of = dict(zip(self.deputies["deputy_id"], self.deputies["home_id"], strict=True))
        levels = self.homes["home_level"]
        self.at_homes = self.homes[levels.isin(["区级", "苏木镇街道级", "嘎查村级", "企业"])]
        self.stations = self.homes[levels.isin(["代表工作站", "立法联络站"])]
        self.liaison = self.homes[levels == "立法联络站"]
        self.party_seq = 0

    # -- activities -------------------------------------------------------------------------------
    def activities(self, period: str) -> pd.DataFrame:
        rng, target = self.rng, TARGETS[period]
        start, end = PERIODS[period]
        visiting = np.sort(rng.choice(self.active_ids, target["home_visit_deputies"], replace=False))
        visiting_set = set(visiting)
        rows: list[dict] = []

        # Activities at homes: trainings at the district home, then the usual mix over all 27 homes.
        n_home = target["activities_total"]
        n_train_home = target["home_trainings"]
        train_sizes = partition(target["training_attendance"], target["trainings_total"], rng, low=15)
        mix = apportion(n_home - n_train_home, list(HOME_ACTIVITY_MIX.values()))
        types = np.repeat(list(HOME_ACTIVITY_MIX), mix)
        types = types[rng.permutation(len(types))]
        level_weight = {"区级": 8, "苏木镇街道级": 6, "嘎查村级": 3, "企业": 2}
        per_home = apportion(len(types), [level_weight[lv] for lv in self.at_homes["home_level"]])
        places = np.repeat(self.at_homes["home_id"].to_numpy(), per_home)
        home_township = dict(zip(self.homes["home_id"], self.homes["township_code"], strict=True))
        for kind, home in zip(types, places, strict=True):
            code = home_township[home]
            pool = (
                visiting
                if home == "JD001"
                else np.array([d for d in self.by_township.get(code, []) if d in visiting_set])
            )
            if len(pool) == 0:
                pool = visiting
            size = min(len(pool), int(rng.integers(3, 9)))
            rows.append(
                {
                    "home_id": home,
                    "activity_type": str(kind),
                    "deputy_ids": list(rng.choice(pool, size, replace=False)),
                }
            )
        home_rows = len(rows)
        for size in train_sizes[:n_train_home]:
            rows.append(
                {
                    "home_id": "JD001",
                    "activity_type": "培训",
                    "deputy_ids": list(rng.choice(visiting, size, replace=False)),
                }
            )
        # Every visiting deputy appears at least once at a home (exact home_visit_rate numerator).
        covered = {d for r in rows for d in r["deputy_ids"]}
        for deputy in visiting:
            if deputy in covered:
                continue
            code = self.township_of[deputy]
            local = [
                i for i in range(home_rows) if home_township[rows[i]["home_id"]] in (code, "150205001000")
            ]
            rows[int(rng.choice(local))]["deputy_ids"].append(deputy)
            covered.add(deputy)
        visitor_idx = [i for i in range(home_rows) if rows[i]["activity_type"] in VISITOR_WEIGHTS]
        counts = partition(
            target["visitors_total"],
            len(visitor_idx),
            rng,
            low=2,
            weights=[VISITOR_WEIGHTS[rows[i]["activity_type"]] for i in visitor_idx],
        )
        for r in rows:
            r["visitors"] = 0
        for i, c in zip(visitor_idx, counts, strict=True):
            rows[i]["visitors"] = int(c)

        # Elsewhere: trainings at stations, 列席常委会 (no place: the committee's meeting room), others.
        station_ids = self.stations["home_id"].to_numpy()
        for size in train_sizes[n_train_home:]:
            rows.append(
                {
                    "home_id": str(rng.choice(station_ids)),
                    "activity_type": "培训",
                    "deputy_ids": list(rng.choice(self.active_ids, size, replace=False)),
                    "visitors": 0,
                }
            )
        for size in partition(target["csc_observations"], target["csc_meetings"], rng, low=3):
            rows.append(
                {
                    "home_id": None,
                    "activity_type": "列席常委会",
                    "deputy_ids": list(rng.choice(self.district_ids, size, replace=False)),
                    "visitors": 0,
                }
            )
        for _ in range(target["other_activities"]):
            kind = str(rng.choice(OTHER_ACTIVITY_TYPES))
            rows.append(
                {
                    "home_id": str(rng.choice(station_ids)),
                    "activity_type": kind,
                    "deputy_ids": list(rng.choice(self.active_ids, int(rng.integers(2, 7)), replace=False)),
                    "visitors": int(rng.integers(3, 25)) if kind == "接待选民" else 0,
                }
            )

        dates = _days(rng, start, end, len(rows))
        order = rng.permutation(len(rows))
        out = []
        year = start.year
        for seq, (i, day) in enumerate(zip(order, dates, strict=True), start=1):
            r = rows[i]
            ids = sorted(r["deputy_ids"])
            absent = None
            if r["activity_type"] in ("议事", "学习", "培训", "列席常委会") and rng.random() < 0.25:
                others = np.setdiff1d(self.active_ids, ids)
                absent = ";".join(sorted(rng.choice(others, int(rng.integers(1, 3)), replace=False)))
            topic = TOPICS[int(rng.integers(0, len(TOPICS)))]
            out.append(
                {
                    "activity_id": f"HD{year}{seq:05d}",
                    "home_id": r["home_id"],
                    "activity_date": day,
                    "activity_type": r["activity_type"],
                    "title": f"{r['activity_type']}：{topic}",
                    "visitors": r["visitors"],
                    "deputy_ids": ";".join(ids),
                    "absent_deputy_ids": absent,
                }
            )
        return pd.DataFrame(out)

    # -- suggestions ------------------------------------------------------------------------------
    def suggestions(self, period: str) -> pd.DataFrame:
        rng, target = self.rng, TARGETS[period]
        start, end = PERIODS[period]
        plan = [
            ("代表之家", target["suggestions_collected"]),
            ("立法联系点", target["legislative_suggestions"]),
            ("联动监督", target["supervision_suggestions"]),
        ]
        plan += [(ch, target[f"suggestions_{ch}"]) for ch in OTHER_CHANNELS]
        regulations = REGULATIONS[period][: target["regulations_consulted"]]
        home_ids = self.at_homes["home_id"].to_numpy()
        home_weights = (
            self.at_homes["home_level"]
            .map({"区级": 6, "苏木镇街道级": 4, "嘎查村级": 2, "企业": 1})
            .to_numpy()
        )
        home_weights = home_weights / home_weights.sum()
        home_township = dict(zip(self.homes["home_id"], self.homes["township_code"], strict=True))
        deputy_pool = self.deputies["deputy_id"].to_numpy() if period == "2022" else self.active_ids
        rows = []
        for channel, count in plan:
            regs = (
                np.array(regulations)[rng.permutation(np.arange(count) % max(1, len(regulations)))]
                if channel == "立法联系点"
                else None
            )
            for k in range(count):
                home = deputy = regulation = None
                if channel == "代表之家":
                    home = str(rng.choice(home_ids, p=home_weights))
                    code = home_township[home]
                    local = (
                        self.by_township.get(code, self.active_ids) if home != "JD001" else self.active_ids
                    )
                    deputy = str(rng.choice(local))
                elif channel == "立法联系点":
                    home = str(rng.choice(self.liaison["home_id"].to_numpy()))
                    code = home_township[home]
                    deputy = str(rng.choice(self.by_township[code])) if rng.random() < 0.5 else None
                    regulation = str(regs[k])
                elif channel == "联动监督":
                    deputy = str(rng.choice(deputy_pool))
                    code = self.township_of[deputy]
                else:
                    deputy = str(rng.choice(deputy_pool)) if channel == "平台" else None
                    code = (
                        self.township_of[deputy] if deputy else str(rng.choice(list(DEPUTIES_PER_TOWNSHIP)))
                    )
                category = str(rng.choice(list(CATEGORIES)))
                rows.append(
                    {
                        "channel": channel,
                        "deputy_id": deputy,
                        "home_id": home,
                        "township_code": code,
                        "category": category,
                        "regulation": regulation,
                    }
                )
        days = _days(rng, start, end, len(rows))
        order = rng.permutation(len(rows))
        not_filed = set(rng.choice(len(rows), target["suggestions_not_filed"], replace=False).tolist())
        out = []
        for seq, (i, submitted) in enumerate(zip(order, days, strict=True), start=1):
            r = rows[i]
            unit, place, issue = CATEGORIES[r["category"]]
            town = TOWNSHIPS[r["township_code"]][0]
            title = (
                f"对《{r['regulation']}》的修改意见"
                if r["regulation"]
                else f"关于解决{town}{place}{issue}问题的建议"
            )
            reply = submitted + timedelta(days=int(rng.integers(7, 40)))
            close = reply + timedelta(days=int(rng.integers(0, 25)))
            luck = rng.random()
            if luck < 0.05:  # stuck: replied but never closed
                close = DATA_END + timedelta(days=1)
            elif luck < 0.2:  # slow
                close += timedelta(days=int(rng.integers(60, 200)))
            record = {
                "suggestion_id": f"JY{start.year}{seq:05d}",
                **{k: r[k] for k in ("channel", "deputy_id", "home_id", "township_code", "category")},
                "title": title,
                "submitted_on": submitted,
                "handling_unit": unit,
                "due_on": submitted + timedelta(days=60),
                "replied_on": None,
                "closed_on": None,
                "status": "已提交",
                "satisfaction": None,
                "regulation": r["regulation"],
                "adopted": None,
            }
            if i in not_filed:
                record.update(status="不予立案", handling_unit=None, due_on=None)
            elif close <= DATA_END:
                record.update(
                    status="已办结",
                    replied_on=reply,
                    closed_on=close,
                    satisfaction=str(
                        rng.choice(["满意", "基本满意", "不满意", "未评价"], p=[0.72, 0.18, 0.03, 0.07])
                    ),
                    adopted=bool(rng.random() < (0.3 if r["regulation"] else 0.45)),
                )
            elif reply <= DATA_END:
                record.update(status="已答复", replied_on=reply)
            elif submitted + timedelta(days=5) <= DATA_END:
                record.update(status="办理中")
            elif submitted + timedelta(days=2) <= DATA_END:
                record.update(status="已交办")
            else:
                record.update(handling_unit=None)
            out.append(record)
        return pd.DataFrame(out)

    # -- cases ------------------------------------------------------------------------------------
    def _party(self) -> tuple[str, str]:
        self.party_seq += 1
        return f"示例群众{self.party_seq:04d}", f"1390000{self.party_seq % 10000:04d}"

    def cases(self, period: str) -> pd.DataFrame:
        rng, target = self.rng, TARGETS[period]
        start, end = PERIODS[period]
        out = []
        for case_type, prefix in (("信访代办", "XF"), ("诉前调解", "TJ")):
            if case_type == "信访代办":
                filed, done = target["petition_cases"], target["petition_completed"]
                n_not = target["petition_not_filed"]
                agents = self.active_ids
                closed_outcomes = ["化解成功"] * 4 + ["已答复"]
            else:
                filed, n_not = target["mediation_cases"], target["mediation_not_filed"]
                in_progress = target["mediation_in_progress"]
                done = filed - in_progress
                agents = np.sort(rng.choice(self.active_ids, target["mediators_total"], replace=False))
            days = _days(rng, start, end, filed + n_not)
            # The open cases are the most recent ones; the not-accepted ones are spread over the period.
            not_idx = set(rng.choice(filed + n_not, n_not, replace=False).tolist()) if n_not else set()
            accepted_days = [d for i, d in enumerate(days) if i not in not_idx]
            states = []
            if case_type == "信访代办":
                unsatisfied = target["petition_revisited_unsatisfied"]
                not_revisited = target["petition_not_revisited"]
                sat = ["不满意"] * unsatisfied + ["未回访"] * not_revisited
                sat += [str(s) for s in rng.choice(["满意", "基本满意"], done - len(sat), p=[0.8, 0.2])]
                sat = [sat[j] for j in rng.permutation(done)]
                for j in range(done):
                    states.append(("已办结", str(rng.choice(closed_outcomes)), sat[j]))
                for j in range(filed - done):
                    states.append(("办理中" if j % 3 else "受理", None, None))
            else:
                failed = filed - in_progress - target["mediation_success"]
                outcomes = ["调解成功"] * target["mediation_success"] + [
                    ["调解不成", "转立案", "撤回"][j % 3] for j in range(failed)
                ]
                outcomes = [outcomes[j] for j in rng.permutation(len(outcomes))]
                states = [
                    ("已办结", o, "满意" if o == "调解成功" and rng.random() < 0.5 else None)
                    for o in outcomes
                ]
                states += [("办理中", None, None)] * in_progress
            mediator_cycle = list(agents[rng.permutation(len(agents))]) if case_type == "诉前调解" else []
            records = []
            for j, day in enumerate(accepted_days):
                status, outcome, satisfaction = states[j]
                records.append((day, status, outcome, satisfaction))
            records += [(days[i], "不予受理", None, None) for i in sorted(not_idx)]
            records.sort(key=lambda r: r[0])
            for seq, (day, status, outcome, satisfaction) in enumerate(records, start=1):
                if mediator_cycle and status != "不予受理":
                    deputy = str(mediator_cycle.pop())
                else:
                    deputy = str(rng.choice(agents))
                closed = None
                if status == "已办结":
                    closed = min(day + timedelta(days=int(rng.integers(5, 60))), DATA_END)
                party, phone = self._party()
                out.append(
                    {
                        "case_id": f"{prefix}{start.year}{seq:04d}",
                        "case_type": case_type,
                        "township_code": self.township_of[deputy],
                        "home_id": self.home_of[deputy] if rng.random() < 0.7 else None,
                        "deputy_id": deputy,
                        "accepted_on": day,
                        "closed_on": closed,
                        "status": status,
                        "outcome": outcome,
                        "satisfaction": satisfaction,
                        "party_name": party,
                        "party_phone": phone,
                    }
                )
        return pd.DataFrame(out)

    # -- projects ---------------------------------------------------------------------------------
    def projects(self, period: str) -> pd.DataFrame:
        rng, target = self.rng, TARGETS[period]
        n, elected_n = target["livelihood_candidates"], target["livelihood_projects_voted"]
        if n == 0:
            return pd.DataFrame()
        year = PERIODS[period][0].year
        codes = list(DEPUTIES_PER_TOWNSHIP)
        elected = np.zeros(n, dtype=bool)
        elected[rng.choice(n, elected_n, replace=False)] = True
        out = []
        for k in range(n):
            code = codes[k % len(codes)]
            voters = int(rng.integers(40, 71))
            share = rng.uniform(0.6, 0.95) if elected[k] else rng.uniform(0.2, 0.49)
            votes_for = int(voters * share)
            against = int(rng.integers(0, voters - votes_for + 1))
            status = pct = None
            if elected[k]:
                done = year == 2022 or rng.random() < 0.6
                status, pct = ("已完成", 100.0) if done else ("实施中", float(rng.integers(35, 96)))
            out.append(
                {
                    "project_id": f"MS{year}{k + 1:03d}",
                    "year": year,
                    "township_code": code,
                    "name": f"{TOWNSHIPS[code][0]}{PROJECT_KINDS[int(rng.integers(0, len(PROJECT_KINDS)))]}",
                    "votes_for": votes_for,
                    "votes_against": against,
                    "votes_abstain": voters - votes_for - against,
                    "elected": bool(elected[k]),
                    "status": status,
                    "completion_pct": pct,
                }
            )
        return pd.DataFrame(out)


def build_records(seed: int = 20240120) -> DemoRecords:
    """Build the calibrated demo records (final state) for 2022, 2023 and 2024-01-01..2024-01-19.

    Args:
        seed: Seed of the random generator; the same seed gives the same records.

    Returns:
        The records, one canonical DataFrame per entity (townships, homes, deputies, activities,
        suggestions, cases, projects); each period-bound table has a ``period`` column.
    """
    builder = _Builder(seed)
    tables = {"townships": builder.townships, "homes": builder.homes, "deputies": builder.deputies}
    for entity in ("activities", "suggestions", "cases", "projects"):
        parts = []
        for period in PERIODS:
            frame = getattr(builder, entity)(period)
            if len(frame):
                parts.append(frame.assign(period=period))
        tables[entity] = pd.concat(parts, ignore_index=True)
    return DemoRecords(tables)
