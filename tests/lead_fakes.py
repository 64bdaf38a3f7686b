"""Small hand-made query-layer results for the leadership view's unit tests (no database).

``install(monkeypatch)`` replaces every query-layer function the leadership view calls with one
returning these frames, and records each call's filters in ``CALLS``.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime

import pandas as pd

from warehouse import query

TOWNSHIPS = pd.DataFrame(
    {
        "township_code": ["150205001000", "150205002000", "150205101000"],
        "township_name": ["石拐街道", "大发街道", "五当召镇"],
    }
)


def kpis_for(filters: query.Filters) -> dict:
    """Values that depend on the year and on the township filter, so deltas and filters are visible."""
    scale = 1.0 if filters.start.year >= 2023 else 0.8
    if filters.townships:
        scale *= 0.25
    values = {k: round(100 * scale) for k in query.KPI_IDS}
    values.update(
        deputies_total=243,
        homes_total=27,
        visitors_total=round(2735 * scale),
        activities_total=round(146 * scale),
        suggestion_closure_rate=0.8 * scale,
        suggestion_satisfaction_rate=None,
        mediation_success_rate=156 / 173,
    )
    return values


FRAMES: dict[str, pd.DataFrame] = {
    "monthly_trend": pd.DataFrame(
        {
            "month": pd.to_datetime(["2023-01-01", "2023-02-01", "2023-03-01"]),
            "activities": [10, 12, 14],
            "visitors": [200, 230, 250],
            "suggestions": [15, 18, 20],
        }
    ),
    "township_summary": pd.DataFrame(
        {
            "township_code": TOWNSHIPS["township_code"],
            "township_name": TOWNSHIPS["township_name"],
            "activities": [60, 50, 36],
            "visitors": [1200, 900, 635],
        }
    ),
    "home_map": pd.DataFrame(
        {
            "home_id": ["H1", "H2", "H3"],
            "home_name": ["石拐街道代表之家", "大发街道代表之家", "五当召镇代表工作站"],
            "home_level": ["苏木镇街道级", "苏木镇街道级", "代表工作站"],
            "is_home": [True, True, False],
            "township_code": ["150205001000", "150205002000", "150205101000"],
            "lon": [110.27, 110.30, 110.20],
            "lat": [40.70, 40.66, 40.75],
            "activities": [5, 0, 0],
        }
    ),
    "suggestions_by_status": pd.DataFrame(
        {
            "status": ["已提交", "已交办", "办理中", "已答复", "已办结", "不予立案"],
            "suggestions": [219, 210, 190, 170, 150, 4],
        }
    ),
    "suggestions_by_category": pd.DataFrame(
        {"category": ["城建", "教育", "医疗"], "suggestions": [80, 70, 69]}
    ),
    "handling_units": pd.DataFrame(
        {
            "handling_unit": ["区住建局", "区教育局"],
            "suggestions": [40, 30],
            "on_time_rate": [0.9, 0.75],
            "satisfaction_rate": [0.95, None],
        }
    ),
    "case_outcomes": pd.DataFrame(
        {
            "case_type": ["信访代办", "诉前调解", "诉前调解"],
            "outcome": ["已答复", "调解成功", "调解不成"],
            "cases": [59, 156, 17],
        }
    ),
    "legislative_by_regulation": pd.DataFrame({"regulation": ["法规甲", "法规乙"], "suggestions": [100, 48]}),
    "projects_by_township": pd.DataFrame(
        {
            "township_name": ["石拐街道", "石拐街道", "大发街道"],
            "status": ["实施中", "已完成", "已完成"],
            "projects": [5, 6, 7],
        }
    ),
    "points_ranking": pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "deputy_id": ["D001", "D002", "D003"],
            "deputy_name": ["测试代表甲", "测试代表乙", "测试代表丙"],
            "township_name": ["石拐街道", "大发街道", "大发街道"],
            "points": [120, 80, 10],
            "absences": [0, 1, 3],
        }
    ),
    "points_by_rule": pd.DataFrame({"rule_name": ["参加代表之家活动", "提出建议"], "points": [500, 300]}),
    "low_points_watchlist": pd.DataFrame(
        {"deputy_id": ["D003"], "deputy_name": ["测试代表丙"], "township_name": ["大发街道"], "points": [10]}
    ),
    "latest_activities": pd.DataFrame(
        {
            "activity_date": [date(2023, 12, 20)],
            "home_id": ["H1"],
            "home_name": ["石拐街道代表之家"],
            "activity_type": ["接待选民"],
            "title": ["接待日"],
            "visitors": [20],
        }
    ),
}

CALLS: list[tuple[str, query.Filters]] = []


def _frame_fn(name: str):
    def fn(con, filters):
        CALLS.append((name, filters))
        frame = FRAMES[name]
        if filters.townships and "township_code" in frame.columns:
            frame = frame[frame["township_code"].isin(filters.townships)]
        return frame.reset_index(drop=True)

    return fn


class FakeReader:
    """Stands in for :class:`warehouse.snapshot.SnapshotReader`: ``cursor()`` yields a dummy."""

    version = "fake-1"

    @contextmanager
    def cursor(self):
        yield object()


def install(monkeypatch) -> None:
    CALLS.clear()
    for name in FRAMES:
        monkeypatch.setattr(query, name, _frame_fn(name), raising=False)

    def kpis(con, filters):
        CALLS.append(("kpis", filters))
        return kpis_for(filters)

    monkeypatch.setattr(query, "kpis", kpis, raising=False)
    monkeypatch.setattr(query, "township_options", lambda con: TOWNSHIPS, raising=False)
    monkeypatch.setattr(
        query,
        "snapshot_info",
        lambda con: query.SnapshotInfo(
            version="fake-1",
            built_at=datetime(2024, 1, 20, 8, 0),
            run_id="run-1",
            as_of={"activities": datetime(2024, 1, 19, 18, 30)},
        ),
        raising=False,
    )
