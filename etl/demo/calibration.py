"""The demo's calibration: the figures the generated demo must reproduce, and a reference KPI computation.

``TARGETS[period]`` is the single place where the demo's numbers live. 2023 is the seed newsletter's
published year (the seed newsletter's 2023 figures, listed in the README); 2022 (for year-on-year comparison) and
2024-01-01..2024-01-19 (up to the newsletter's date) are plausible values of our own. The generator
constructs records to hit every figure exactly; :func:`reference_kpis` recomputes the KPIs from the
generator's in-memory records with pandas, per the KPI dictionary (口径), independently of the ETL.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from warehouse.levels import HOME_TIERS

# Periods of the demo: name -> (first day, last day).
PERIODS: dict[str, tuple[date, date]] = {
    "2022": (date(2022, 1, 1), date(2022, 12, 31)),
    "2023": (date(2023, 1, 1), date(2023, 12, 31)),
    "2024-01": (date(2024, 1, 1), date(2024, 1, 19)),
}
# The last day with data (the newsletter is dated 2024-01-20).
DATA_END = date(2024, 1, 19)

# Deputies and places are counts of the current roster, not per period.
ROSTER: dict[str, int] = {
    "deputies_total": 243,
    "deputies_terminated": 6,  # status 终止: extra, not counted
    "homes_区级": 1,
    "homes_苏木镇街道级": 7,
    "homes_嘎查村级": 17,
    "homes_企业": 2,
    "stations_total": 3,
    "liaison_points_total": 16,
}

# Per-period targets. Keys ending in a KPI id are exact KPI values; the others shape the records:
#   home_trainings: trainings held at the district home (they count in activities_total too);
#   other_activities: activities at stations/liaison points (not counted at homes);
#   csc_meetings: 列席常委会 activities carrying csc_observations participants;
#   home_visit_deputies: active deputies with >= 1 activity at a home (home_visit_rate numerator);
#   *_not_filed: 不予立案 / 不予受理 records (excluded from the case KPIs, included in channel counts);
#   suggestions_<channel>: suggestions of the other channels.
TARGETS: dict[str, dict[str, int]] = {
    "2023": {
        "activities_total": 146,
        "visitors_total": 2735,
        "trainings_total": 18,
        "home_trainings": 6,
        "training_attendance": 512,
        "csc_meetings": 9,
        "csc_observations": 55,
        "other_activities": 40,
        "home_visit_deputies": 220,
        "suggestions_collected": 219,
        "legislative_suggestions": 148,
        "regulations_consulted": 8,
        "supervision_suggestions": 34,
        "suggestions_平台": 42,
        "suggestions_民呼我为": 31,
        "suggestions_接待岗": 25,
        "suggestions_not_filed": 9,
        "petition_cases": 59,
        "petition_completed": 52,
        "petition_revisited_unsatisfied": 0,
        "petition_not_revisited": 4,
        "petition_not_filed": 4,
        "mediation_cases": 173,
        "mediation_success": 156,
        "mediation_in_progress": 2,
        "mediation_not_filed": 5,
        "mediators_total": 35,
        "livelihood_projects_voted": 45,
        "livelihood_candidates": 58,
    },
    "2022": {
        "activities_total": 118,
        "visitors_total": 2106,
        "trainings_total": 14,
        "home_trainings": 4,
        "training_attendance": 396,
        "csc_meetings": 8,
        "csc_observations": 44,
        "other_activities": 31,
        "home_visit_deputies": 196,
        "suggestions_collected": 176,
        "legislative_suggestions": 103,
        "regulations_consulted": 6,
        "supervision_suggestions": 26,
        "suggestions_平台": 30,
        "suggestions_民呼我为": 20,
        "suggestions_接待岗": 18,
        "suggestions_not_filed": 8,
        "petition_cases": 47,
        "petition_completed": 43,
        "petition_revisited_unsatisfied": 1,
        "petition_not_revisited": 3,
        "petition_not_filed": 3,
        "mediation_cases": 141,
        "mediation_success": 123,
        "mediation_in_progress": 0,
        "mediation_not_filed": 4,
        "mediators_total": 31,
        "livelihood_projects_voted": 40,
        "livelihood_candidates": 52,
    },
    "2024-01": {
        "activities_total": 11,
        "visitors_total": 214,
        "trainings_total": 1,
        "home_trainings": 0,
        "training_attendance": 26,
        "csc_meetings": 1,
        "csc_observations": 6,
        "other_activities": 3,
        "home_visit_deputies": 42,
        "suggestions_collected": 13,
        "legislative_suggestions": 9,
        "regulations_consulted": 1,
        "supervision_suggestions": 2,
        "suggestions_平台": 3,
        "suggestions_民呼我为": 2,
        "suggestions_接待岗": 1,
        "suggestions_not_filed": 1,
        "petition_cases": 4,
        "petition_completed": 1,
        "petition_revisited_unsatisfied": 0,
        "petition_not_revisited": 1,
        "petition_not_filed": 0,
        "mediation_cases": 11,
        "mediation_success": 7,
        "mediation_in_progress": 3,
        "mediation_not_filed": 1,
        "mediators_total": 6,
        "livelihood_projects_voted": 0,
        "livelihood_candidates": 0,
    },
}

# The seed's figures, as `cockpit kpis --from 2023-01-01 --to 2023-12-31` must print them.
SEED_2023_KPIS: dict[str, float | int] = {
    "deputies_total": 243,
    "homes_total": 27,
    "stations_total": 3,
    "liaison_points_total": 16,
    "activities_total": 146,
    "visitors_total": 2735,
    "suggestions_collected": 219,
    "petition_cases": 59,
    "petition_completed": 52,
    "petition_satisfaction_rate": 1.0,
    "mediation_cases": 173,
    "mediation_success": 156,
    "mediators_total": 35,
    "legislative_suggestions": 148,
    "regulations_consulted": 8,
    "supervision_suggestions": 34,
    "trainings_total": 18,
    "training_attendance": 512,
    "csc_observations": 55,
}
# livelihood_projects_voted is reported over 2022 + 2023 in the seed.
SEED_PROJECTS_2022_2023 = 85


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def _split_ids(values: pd.Series) -> set[str]:
    ids: set[str] = set()
    for value in values.dropna():
        ids.update(x for x in str(value).split(";") if x)
    return ids


def reference_kpis(records: dict[str, pd.DataFrame], start: date, end: date) -> dict[str, float | int | None]:
    """Compute the KPI dictionary from canonical record tables, per the definitions of docs/DATA_CONTRACT.md.

    Args:
        records: ``{entity: DataFrame}`` with canonical columns (dates as ``datetime.date``).
        start: First day of the period (inclusive).
        end: Last day of the period (inclusive).

    Returns:
        ``{kpi_id: value}``; rates are fractions, ``None`` when the denominator is zero.
    """
    deputies, homes = records["deputies"], records["homes"]
    active = deputies[deputies["status"].fillna("正常") != "终止"]
    active_ids = set(active["deputy_id"])
    home_ids = set(homes.loc[homes["home_level"].isin(HOME_TIERS), "home_id"])

    act = records["activities"]
    act = act[(act["activity_date"] >= start) & (act["activity_date"] <= end)]
    at_homes = act[act["home_id"].isin(home_ids)]
    trainings = act[act["activity_type"] == "培训"]
    csc = act[act["activity_type"] == "列席常委会"]

    def person_times(frame: pd.DataFrame) -> int:
        return int(sum(len([x for x in str(v).split(";") if x]) for v in frame["deputy_ids"].dropna()))

    sug = records["suggestions"]
    sug = sug[(sug["submitted_on"] >= start) & (sug["submitted_on"] <= end)]
    filed = sug[sug["status"] != "不予立案"]
    evaluated = sug[sug["satisfaction"].isin(["满意", "基本满意", "不满意"])]
    legislative = sug[sug["channel"] == "立法联系点"]

    cases = records["cases"]
    cases = cases[(cases["accepted_on"] >= start) & (cases["accepted_on"] <= end)]
    cases = cases[cases["status"] != "不予受理"]
    petitions = cases[cases["case_type"] == "信访代办"]
    revisited = petitions[petitions["satisfaction"].isin(["满意", "基本满意", "不满意"])]
    mediation = cases[cases["case_type"] == "诉前调解"]

    projects = records["projects"]
    voted = projects[(projects["year"] >= start.year) & (projects["year"] <= end.year) & projects["elected"]]

    petition_completed = int((petitions["status"] == "已办结").sum())
    mediation_success = int((mediation["outcome"] == "调解成功").sum())
    visiting = _split_ids(at_homes["deputy_ids"]) & active_ids
    return {
        "deputies_total": len(active_ids),
        "homes_total": len(home_ids),
        "stations_total": int((homes["home_level"] == "代表工作站").sum()),
        "liaison_points_total": int((homes["home_level"] == "立法联络站").sum()),
        "activities_total": len(at_homes),
        "visitors_total": int(at_homes["visitors"].fillna(0).sum()),
        "suggestions_collected": int((sug["channel"] == "代表之家").sum()),
        "suggestion_closure_rate": _rate(int((filed["status"] == "已办结").sum()), len(filed)),
        "suggestion_satisfaction_rate": _rate(
            int(evaluated["satisfaction"].isin(["满意", "基本满意"]).sum()), len(evaluated)
        ),
        "petition_cases": len(petitions),
        "petition_completed": petition_completed,
        "petition_completion_rate": _rate(petition_completed, len(petitions)),
        "petition_satisfaction_rate": _rate(
            int(revisited["satisfaction"].isin(["满意", "基本满意"]).sum()), len(revisited)
        ),
        "mediation_cases": len(mediation),
        "mediation_success": mediation_success,
        "mediation_success_rate": _rate(mediation_success, len(mediation)),
        "mediators_total": int(mediation["deputy_id"].dropna().nunique()),
        "legislative_suggestions": len(legislative),
        "regulations_consulted": int(legislative["regulation"].dropna().nunique()),
        "supervision_suggestions": int((sug["channel"] == "联动监督").sum()),
        "livelihood_projects_voted": len(voted),
        "home_visit_rate": _rate(len(visiting), len(active_ids)),
        "trainings_total": len(trainings),
        "training_attendance": person_times(trainings),
        "csc_observations": person_times(csc),
    }
