"""Warehouse benchmark: build + publish time and query latency at scale, printed as a table.

Generates a synthetic raw store set-wise in DuckDB (no Python loops), then times ``publish_snapshot``
and every query-layer function (median of a few runs, after one warm-up).

    .venv/bin/python benchmarks/bench_warehouse.py --activities 10000000 [--deputies 243 --homes 46 --townships 8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from warehouse import query as q
from warehouse.publish import SQL_DIR, publish_snapshot
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader

LEVELS = ["区级", "苏木镇街道级", "嘎查村级", "企业", "代表工作站", "立法联络站"]
TYPES = ["学习", "议事", "接待选民", "视察", "调研", "培训", "听证旁听", "列席常委会", "值班", "述职"]


def make_raw_store(path: Path, activities: int, deputies: int, homes: int, townships: int) -> None:
    """A synthetic raw store over 2022-01-01 .. 2024-12-31 (deterministic)."""
    con = duckdb.connect(str(path))
    con.execute((SQL_DIR / "ddl" / "raw.sql").read_text(encoding="utf-8"))
    params = {"a": activities, "d": deputies, "h": homes}
    con.execute(
        "insert into townships select printf('1502%08d', i), '乡镇' || i, '街道', 'h', null, null, null "
        "from range($t) r(i)",
        {"t": townships},
    )
    con.execute(
        f"insert into homes select 'H' || i, '之家' || i, {LEVELS}[1 + i % 6], printf('1502%08d', i % $t), "
        "110 + (i % 100) / 100.0, 40 + (i % 50) / 100.0, null, 'h', null, null, null from range($h) r(i)",
        {"h": homes, "t": townships},
    )
    con.execute(
        "insert into deputies select 'D' || i, '代表' || i, '男', '汉族', ['区', '镇', '市', '区;镇'][1 + i % 4], "
        "printf('1502%08d', i % $t), 'H' || (i % $h), '138' || i, case when i % 50 = 0 then '终止' else '正常' end, "
        "'h', null, null, null from range($d) r(i)",
        {"d": deputies, "t": townships, "h": homes},
    )
    con.execute(
        f"""
        insert into activities
        select 'A' || i, 'H' || (hash(i) % $h), date '2022-01-01' + cast(hash(i, 1) % 1096 as integer),
               {TYPES}[cast(1 + hash(i, 2) % 10 as bigint)], '活动' || i, cast(hash(i, 3) % 40 as integer),
               'D' || (hash(i, 4) % $d) || ';D' || (hash(i, 5) % $d) || ';D' || (hash(i, 6) % $d),
               case when i % 20 = 0 then 'D' || (hash(i, 7) % $d) end,
               'h', null, null, null
        from range($a) r(i)
        """,
        params,
    )
    n_small = max(activities // 20, 100)
    con.execute(
        """
        insert into suggestions
        select 'S' || i, ['代表之家', '平台', '立法联系点', '联动监督'][1 + i % 4], 'D' || (hash(i) % $d), null,
               printf('1502%08d', i % $t), ['城建', '民生', '环保'][1 + i % 3], '建议' || i,
               date '2022-01-01' + cast(hash(i, 1) % 1096 as integer), '单位' || (i % 30), null, null, null,
               ['已提交', '已办结', '办理中', '不予立案'][1 + i % 4], ['满意', '基本满意', '不满意', '未评价'][1 + i % 4],
               case when i % 4 = 2 then '条例' || (i % 9) end, i % 7 = 0, 'h', null, null, null
        from range($n) r(i)
        """,
        {"n": n_small, "d": deputies, "t": townships},
    )
    con.execute(
        """
        insert into cases
        select 'C' || i, ['信访代办', '诉前调解'][1 + i % 2], printf('1502%08d', i % $t), null,
               'D' || (hash(i) % $d), date '2022-01-01' + cast(hash(i, 1) % 1096 as integer), null,
               ['已办结', '办理中', '不予受理'][1 + i % 3], ['调解成功', '调解不成', '已答复'][1 + i % 3],
               ['满意', '未回访'][1 + i % 2], '当事人', '139', 'h', null, null, null
        from range($n) r(i)
        """,
        {"n": n_small, "d": deputies, "t": townships},
    )
    con.execute(
        "insert into projects select 'P' || i, 2022 + i % 3, printf('1502%08d', i % $t), '实事' || i, 30, 2, 1, "
        "i % 3 <> 0, '实施中', 50, 'h', null, null, null from range(greatest($t * 10, 100)) r(i)",
        {"t": townships},
    )
    con.execute(
        "insert into etl_files (file_id, run_id, file_name, entity, status, loaded_at) "
        "values ('f1', 'r', 'a.csv', 'activities', 'loaded', now())"
    )
    con.close()


def timed(fn, repeat: int = 5) -> float:
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--deputies", type=int, default=243)
    parser.add_argument("--homes", type=int, default=46)
    parser.add_argument("--townships", type=int, default=8)
    parser.add_argument("--raw", type=Path, default=None, help="reuse (or create) this raw store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        raw = args.raw or root / "raw.duckdb"
        if not raw.exists():
            t0 = time.perf_counter()
            make_raw_store(raw, args.activities, args.deputies, args.homes, args.townships)
            print(f"generate raw store: {time.perf_counter() - t0:.1f} s")
        settings = Settings(data_dir=root / "data")
        con = duckdb.connect(str(raw))
        t0, cpu0 = time.perf_counter(), time.process_time()
        publish_snapshot(con, settings, "bench")
        print(
            f"build + publish:    {time.perf_counter() - t0:.2f} s wall, {time.process_time() - cpu0:.2f} s CPU  "
            f"({settings.published_db.stat().st_size / 1e6:.0f} MB)"
        )
        con.close()
        reader = SnapshotReader(settings.published_db)
        cur = reader.cursor()
        year = q.Filters(date(2023, 1, 1), date(2023, 12, 31))
        town = q.Filters(date(2023, 1, 1), date(2023, 12, 31), townships=("150200000001",))
        cases = {
            "kpis": lambda: q.kpis(cur, year),
            "kpis (township)": lambda: q.kpis(cur, town),
            "monthly_trend activities": lambda: q.monthly_trend(cur, year, "activities"),
            "monthly_trend points": lambda: q.monthly_trend(cur, year, "points"),
            "township_summary": lambda: q.township_summary(cur, year),
            "home_map": lambda: q.home_map(cur, year),
            "points_ranking (top 20)": lambda: q.points_ranking(cur, year, limit=20),
            "low_points_watchlist": lambda: q.low_points_watchlist(cur, year),
            "latest_activities": lambda: q.latest_activities(cur, year),
            "suggestions_by_status": lambda: q.suggestions_by_status(cur, year),
            "handling_units": lambda: q.handling_units(cur, year),
            "case_outcomes": lambda: q.case_outcomes(cur, year),
            "points_by_rule": lambda: q.points_by_rule(cur, year),
            "home_detail": lambda: q.home_detail(cur, year, "H1"),
            "deputy_detail": lambda: q.deputy_detail(cur, year, "D1"),
        }
        print(f"{'query':<28}{'ms':>10}")
        for name, fn in cases.items():
            print(f"{name:<28}{timed(fn):>10.1f}")
        reader.close()


if __name__ == "__main__":
    main()
