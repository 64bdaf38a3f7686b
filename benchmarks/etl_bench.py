"""Time a full ETL run of a large activities CSV against DuckDB's bare ``read_csv`` of the same file.

    .venv/bin/python -m benchmarks.etl_bench --rows 10000000 [--encoding gb18030] [--dir /path]

Prints a table: file size, bare read_csv seconds, run_etl seconds (read + normalise + validate +
load with history, publish skipped), rows per second and the ratio to read_csv.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from etl.run import run_etl
from warehouse.settings import Settings

HOMES = 30
DEPUTIES = 250


def write_inbox(inbox: Path, rows: int, encoding: str = "utf-8") -> Path:
    """Reference files plus one activities CSV of ``rows`` rows (title row, header), written by DuckDB."""
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "01_乡镇.csv").write_text("乡镇代码,乡镇\n150205001000,石拐街道\n", encoding="utf-8")
    homes = "".join(f"JD{i:03d},代表之家{i},嘎查村级,150205001000\n" for i in range(HOMES))
    (inbox / "02_代表之家.csv").write_text("阵地编号,名称,级别,所属乡镇代码\n" + homes, encoding="utf-8")
    deputies = "".join(f"DB{i:04d},测试代表{i},区;镇\n" for i in range(DEPUTIES))
    (inbox / "03_代表.csv").write_text("代表编号,姓名,代表层级\n" + deputies, encoding="utf-8")
    body = inbox / "body.tmp"
    with duckdb.connect() as con:
        con.execute(
            f"""copy (
                select 'HD' || lpad(i::varchar, 9, '0') as a,
                       'JD' || lpad((i % {HOMES})::varchar, 3, '0') as b,
                       strftime(date '2023-01-01' + (i % 365)::int, '%Y/%-m/%-d') as c,
                       ['学习', '议事', '接待选民', '视察', '调研', '培训'][i % 6 + 1] as d,
                       '主题' || (i % 97) as e,
                       (i % 40)::varchar as f,
                       'DB' || lpad((i % {DEPUTIES})::varchar, 4, '0') || ';DB'
                           || lpad(((i + 7) % {DEPUTIES})::varchar, 4, '0') as g
                from range({rows}) t(i)
            ) to '{body}' (header false)"""
        )
    target = inbox / "04_履职活动.csv"
    with open(target, "wb") as out:
        out.write(
            "石拐区履职活动（基准）\n活动编号,活动阵地编号,活动日期,活动类型,活动主题,接待群众人次,参加代表编号\n".encode(
                encoding
            )
        )
        with open(body, "rb") as src:
            if encoding == "utf-8":
                shutil.copyfileobj(src, out, 16 * 1024 * 1024)
            else:
                while chunk := src.read(16 * 1024 * 1024):
                    out.write(chunk.decode("utf-8").encode(encoding))
    body.unlink()
    return target


def bare_read_csv(path: Path) -> float:
    with duckdb.connect() as con:
        clock = time.perf_counter()
        con.execute(
            "create table t as select * from read_csv(?, skip=1, header=true, all_varchar=true)", [str(path)]
        )
        return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="etl_bench_"))
    data_dir = root / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    csv_path = write_inbox(data_dir / "inbox", args.rows, args.encoding)
    size_mb = csv_path.stat().st_size / 1e6
    bare = bare_read_csv(csv_path) if args.encoding == "utf-8" else float("nan")
    clock = time.perf_counter()
    summary = run_etl(Settings(data_dir=data_dir), run_date=date(2024, 1, 19), publish=None)
    full = time.perf_counter() - clock
    activities = summary.entities["activities"]
    print("| rows | MB | encoding | read_csv s | run_etl s | rows/s | read_csv/run_etl | loaded | rejected |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.rows:,} | {size_mb:.0f} | {args.encoding} | {bare:.2f} | {full:.2f} | {args.rows / full:,.0f} "
        f"| {bare / full:.2f} | {activities.rows_loaded:,} | {activities.rows_rejected:,} |"
    )
    if args.dir is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
