"""The same four panels computed two ways, in-process: the pandas baseline and the cockpit's query layer.

The baseline is what most Dash tutorials do: read the exports into pandas DataFrames at start-up, then
filter and aggregate them with pandas in every callback. It reads only the columns the panels need and
cleans them once at start-up (ids stripped, dates parsed, full-width digits fixed, duplicates and 合计
rows dropped), so it is a fair, not a straw-man, baseline. Panels (period: calendar 2023):

- ``kpis``: activities, visitors, suggestions, closed-suggestion rate, petition and mediation cases;
- ``monthly_trend``: activities per month;
- ``township_summary``: activities, visitors, suggestions and cases per township;
- ``points_ranking``: duty points per deputy (attendance by activity type, absences, suggestions), top 20.

Ours: the same panels from ``warehouse.query`` on the published snapshot (one read-only connection, a
cursor, as a dashboard worker does), bypassing the query layer's per-snapshot memo (memo hits are
timed apart). Each mode runs in its own process so that its memory is its own:

    python -m benchmarks.panels pandas EXPORTS_DIR [--budget SECONDS]
    python -m benchmarks.panels duckdb PUBLISHED_DB [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date
from pathlib import Path

import pandas as pd

from benchmarks.common import PERIOD, emit_json, percentiles, rss_mb

PANELS = ("kpis", "monthly_trend", "township_summary", "points_ranking")
START, END = (date.fromisoformat(d) for d in PERIOD)
FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


# ---- the pandas baseline ------------------------------------------------------------------------


def _header_map() -> dict[str, str]:
    """Export header -> canonical column, from the generator's layouts (both header variants)."""
    from etl.demo import generator as g

    mapping: dict[str, str] = {}
    for name in dir(g):
        value = getattr(g, name)
        if name.endswith("_COLS") or "_COLS_" in name:
            for header, canonical in value:
                mapping.setdefault(header, canonical)
    return mapping


NEEDED = {
    "乡镇区划": ("township_code", "township_name"),
    "代表之家及站点": ("home_id", "township_code"),
    "代表名册": ("deputy_id", "name", "township_name", "status"),
    "履职活动": (
        "activity_id",
        "home_id",
        "activity_date",
        "activity_type",
        "visitors",
        "deputy_ids",
        "absent_deputy_ids",
    ),
    "意见建议": (
        "suggestion_id",
        "deputy_id",
        "home_id",
        "township_code",
        "township_name",
        "submitted_on",
        "status",
    ),
    "案件": ("case_id", "case_type", "township_code", "township_name", "accepted_on", "status", "outcome"),
}
DATE_FIELDS = ("activity_date", "submitted_on", "accepted_on")


def _parse_dates(values: pd.Series) -> pd.Series:
    text = values.str.strip().str.replace(r"[年月./]", "-", regex=True).str.replace("日", "", regex=False)
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def _read_export(path: Path, headers: dict[str, str], wanted: tuple[str, ...]) -> pd.DataFrame:
    """One export as strings: CSV (UTF-8 or GB18030) or xlsx (title rows above the header skipped)."""
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, header=None, dtype=str, engine="calamine")
        header_row = next(i for i, row in raw.iterrows() if sum(headers.get(v) in wanted for v in row) >= 2)
        frame = raw.iloc[header_row + 1 :].set_axis(raw.iloc[header_row].tolist(), axis=1)
        return frame[[c for c in frame.columns if headers.get(c) in wanted]].reset_index(drop=True)
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        head.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        encoding = "utf-8" if exc.start > len(head) - 4 else "gb18030"
    return pd.read_csv(path, encoding=encoding, dtype=str, usecols=lambda h: headers.get(h) in wanted)


def load_exports(exports: Path) -> dict[str, pd.DataFrame]:
    """Every export file into one DataFrame per entity (later files win for the same id)."""
    headers = _header_map()
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in NEEDED}
    for path in sorted(exports.iterdir()):
        entity = path.name.split("_", 1)[0]
        if entity not in NEEDED:
            continue
        parts[entity].append(_read_export(path, headers, NEEDED[entity]).rename(columns=headers))
    frames = {}
    for entity, pieces in parts.items():
        frame = pd.concat(pieces, ignore_index=True)
        id_col = NEEDED[entity][0]
        frame[id_col] = frame[id_col].str.strip()
        frame = frame[frame[id_col].notna() & (frame[id_col] != "合计")]
        frame = frame.drop_duplicates(id_col, keep="last")
        for col in DATE_FIELDS:
            if col in frame:
                frame[col] = _parse_dates(frame[col])
        if "visitors" in frame:
            frame["visitors"] = pd.to_numeric(frame["visitors"].str.translate(FULL_WIDTH), errors="coerce")
        frames[entity] = frame.reset_index(drop=True)
    homes, towns = frames["代表之家及站点"], frames["乡镇区划"]
    frames["履职活动"] = frames["履职活动"].merge(
        homes[["home_id", "township_code"]], on="home_id", how="left"
    )
    by_name = dict(zip(towns["township_name"], towns["township_code"], strict=False))
    for entity in ("意见建议", "案件"):
        frame = frames[entity]
        frame["township_code"] = frame["township_code"].fillna(frame["township_name"].map(by_name))
    return frames


def _period(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    return frame[(frame[column] >= pd.Timestamp(start)) & (frame[column] <= pd.Timestamp(end))]


def pandas_kpis(data: dict, start: date, end: date) -> dict:
    act = _period(data["履职活动"], "activity_date", start, end)
    sug = _period(data["意见建议"], "submitted_on", start, end)
    cas = _period(data["案件"], "accepted_on", start, end)
    return {
        "activities": len(act),
        "visitors": int(act["visitors"].sum()),
        "suggestions": len(sug),
        "closed_rate": float((sug["status"] == "已办结").mean()) if len(sug) else None,
        "petition_cases": int((cas["case_type"] == "信访代办").sum()),
        "mediation_cases": int((cas["case_type"] == "诉前调解").sum()),
    }


def pandas_trend(data: dict, start: date, end: date) -> pd.DataFrame:
    act = _period(data["履职活动"], "activity_date", start, end)
    return act.groupby(act["activity_date"].dt.to_period("M")).size().rename("value").reset_index()


def pandas_townships(data: dict, start: date, end: date) -> pd.DataFrame:
    act = _period(data["履职活动"], "activity_date", start, end)
    sug = _period(data["意见建议"], "submitted_on", start, end)
    cas = _period(data["案件"], "accepted_on", start, end)
    out = data["乡镇区划"][["township_code", "township_name"]].set_index("township_code")
    out["activities"] = act.groupby("township_code").size()
    out["visitors"] = act.groupby("township_code")["visitors"].sum()
    out["suggestions"] = sug.groupby("township_code").size()
    out["cases"] = cas.groupby("township_code").size()
    return out.fillna(0).reset_index()


def _attendance_points() -> tuple[dict[str, int], int, int]:
    """Points per activity type, per absence and per suggestion, from the packaged rules."""
    from warehouse.points import load_points_rules

    rules = load_points_rules()
    by_type = {kind: r.points for r in rules if r.source == "attendance" for kind in r.activity_types}
    absence = next(r.points for r in rules if r.source == "absence")
    suggestion = next(r.points for r in rules if r.source == "suggestion")
    return by_type, absence, suggestion


POINTS_BY_TYPE, ABSENCE_POINTS, SUGGESTION_POINTS = _attendance_points()


def pandas_points(data: dict, start: date, end: date, limit: int = 20) -> pd.DataFrame:
    act = _period(data["履职活动"], "activity_date", start, end)
    attended = act.assign(deputy_id=act["deputy_ids"].str.split(";")).explode("deputy_id")
    attended["deputy_id"] = attended["deputy_id"].str.strip()
    attended["points"] = attended["activity_type"].map(POINTS_BY_TYPE).fillna(0)
    absent = (
        act.assign(deputy_id=act["absent_deputy_ids"].str.split(";"))
        .explode("deputy_id")
        .dropna(subset=["deputy_id"])
    )
    absent["points"] = ABSENCE_POINTS
    sug = _period(data["意见建议"], "submitted_on", start, end).dropna(subset=["deputy_id"])
    sug = sug.assign(points=SUGGESTION_POINTS)
    events = pd.concat(
        [attended[["deputy_id", "points"]], absent[["deputy_id", "points"]], sug[["deputy_id", "points"]]]
    )
    points = events.groupby("deputy_id")["points"].sum()
    deputies = data["代表名册"]
    ranking = deputies[deputies["status"] == "正常"][["deputy_id", "name", "township_name"]].copy()
    ranking["points"] = ranking["deputy_id"].map(points).fillna(0)
    return ranking.sort_values(["points", "deputy_id"], ascending=[False, True]).head(limit)


PANDAS_PANELS = {
    "kpis": pandas_kpis,
    "monthly_trend": pandas_trend,
    "township_summary": pandas_townships,
    "points_ranking": pandas_points,
}


# ---- ours: the query layer on the published snapshot ----------------------------------------------


def duckdb_panels(cur, memo: bool = False) -> dict:
    """The panels from the query layer; ``memo=False`` bypasses its per-snapshot memo (``.uncached``),
    so that every call runs its SQL (the fair comparison: the baseline could memoise as well)."""
    from warehouse import query as q

    def fn(name: str):
        function = getattr(q, name)
        return function if memo else getattr(function, "uncached", function)

    f = q.Filters(START, END)
    return {
        "kpis": lambda: fn("kpis")(cur, f),
        "monthly_trend": lambda: fn("monthly_trend")(cur, f, "activities"),
        "township_summary": lambda: fn("township_summary")(cur, f),
        "points_ranking": lambda: fn("points_ranking")(cur, f, limit=20),
    }


def time_budgeted(fn, budget_s: float, max_calls: int = 50, min_calls: int = 3) -> dict:
    """One warm-up call, then timed calls until ``max_calls`` or ``budget_s`` seconds (at least ``min_calls``)."""
    fn()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < max_calls and (len(samples) < min_calls or time.perf_counter() < deadline):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("pandas", "duckdb"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds of timed calls per panel")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    rss_before = rss_mb_self()
    started = time.perf_counter()
    if args.mode == "pandas":
        data = load_exports(args.path)
        calls = {name: (lambda fn=fn: fn(data, START, END)) for name, fn in PANDAS_PANELS.items()}
        rows = {k: len(v) for k, v in data.items()}
    else:
        from warehouse.snapshot import SnapshotReader

        reader = SnapshotReader(args.path)
        cur = reader.cursor()
        calls = duckdb_panels(cur)
        rows = {}
    load_s = time.perf_counter() - started
    rss_loaded = rss_mb_self()
    timings = {name: time_budgeted(fn, args.budget, args.calls) for name, fn in calls.items()}
    memo_hits = {}
    if args.mode == "duckdb":
        memo_hits = {name: time_budgeted(fn, 1.0, 20) for name, fn in duckdb_panels(cur, memo=True).items()}
    emit_json(
        {
            "mode": args.mode,
            "startup_s": round(load_s, 3),
            "rss_start_mb": round(rss_before, 1),
            "rss_loaded_mb": round(rss_loaded, 1),
            "rss_end_mb": round(rss_mb_self(), 1),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rows": rows,
            "panels": timings,
            "panels_memo_hits": memo_hits,
        }
    )


def rss_mb_self() -> float:
    import os

    return rss_mb(os.getpid())


if __name__ == "__main__":
    main()
