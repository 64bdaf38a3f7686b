"""Bench data: the platform's exports at a scale (``cockpit generate --scale``) and one more day of exports.

Two shapes of the same records:

- ``districts`` (the generator's own ``--scale N``): the district replicated N times, so townships, homes
  and deputies grow with the records (at 10M activity rows: 205k townships, 1.2M homes, 6.4M deputies);
- ``district``: one district with N times the records: the same activity, suggestion and case files
  with their home, deputy and township references folded back onto the one district (the replica
  suffixes removed), and the district's own townships, homes, deputies and projects (scale 1, xlsx).
  This is what the cockpit is for (one district's People's Congress), and what "marts keep callback
  cost flat as volume grows" claims.

Exports are generated once per scale under ``benchmarks/out/data/s<scale>/exports`` and reused by later
runs (a marker file records the generator's time and size). The next day's exports are a small set of
new activities, suggestions and cases dated 2024-01-21 (the generated exports end on 2024-01-20): rows of
the January files with new ids and their dates moved to that day, so the incremental ETL loads a day's
volume of new records while every earlier file is already loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import duckdb

from benchmarks.common import OUT_DIR, cockpit_cmd, cockpit_env

# Activity rows per replica are ~390: these scales give about 100k, 1M and 10M activity rows.
SCALES = {"100k": 257, "1M": 2565, "10M": 25641}
NEXT_DAY = "2024-01-21"
# entity file prefix -> (own id header, the date that says when the record happened)
NEXT_DAY_SOURCES = {
    "履职活动_2024年1月": ("活动编号", ("日期", "活动日期")),
    "意见建议_2024年1月": ("编号", ("收集日期", "提出日期")),
    "案件_2024年1月": ("案件编号", ("受理日期",)),
}
DATE_HEADERS = {"日期", "活动日期", "收集日期", "提出日期", "办理期限", "答复日期", "办结日期", "受理日期"}


SHAPES = ("districts", "district")
RECORD_PREFIXES = ("履职活动", "意见建议", "案件")
HOME_HEADERS = {"活动阵地编号", "阵地编号", "代表之家编号"}
DEPUTY_HEADERS = {"参加代表编号", "参加代表", "缺席代表编号", "无故缺席代表编号", "提出代表编号", "代表编号"}


def scale_dir(scale: int, shape: str = "districts") -> Path:
    return OUT_DIR / "data" / (f"s{scale}" if shape == "districts" else f"s{scale}-district")


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b""))


def ensure_exports(scale: int) -> dict:
    """Generate the exports of ``scale`` (unless a complete earlier generation is there) and describe them."""
    exports = scale_dir(scale) / "exports"
    marker = scale_dir(scale) / "exports.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("scale") == scale and exports.is_dir():
            return {**info, "reused": True}
    if exports.exists():
        for path in exports.iterdir():
            path.unlink()
    exports.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        cockpit_cmd("generate", "--out", str(exports), "--scale", str(scale)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=cockpit_env(),
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"cockpit generate failed: {process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    files = sorted(exports.iterdir())
    rows = {}
    for path in files:
        entity = path.name.split("_", 1)[0]
        rows[entity] = rows.get(entity, 0) + count_lines(path) - 1
    info = {
        "scale": scale,
        "seconds": round(seconds, 2),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "rows_by_file_prefix": rows,
        "activity_rows": rows.get("履职活动", 0),
        "total_rows": sum(rows.values()),
    }
    marker.write_text(json.dumps(info, ensure_ascii=False, indent=1))
    return {**info, "reused": False}


def export_files(scale: int, shape: str = "districts") -> list[Path]:
    return sorted(p for p in (scale_dir(scale, shape) / "exports").iterdir() if p.is_file())


def _transcode(source: Path, target: Path) -> None:
    """GB18030 -> UTF-8, streaming (DuckDB reads UTF-8 only)."""
    import codecs

    decoder = codecs.getincrementaldecoder("gb18030")()
    with source.open("rb") as src, target.open("w", encoding="utf-8") as out:
        while block := src.read(1 << 24):
            out.write(decoder.decode(block))
        out.write(decoder.decode(b"", final=True))


def ensure_district_exports(scale: int) -> dict:
    """The ``district`` shape of ``scale`` (see the module doc), derived from the ``districts`` exports."""
    from etl.geo import TOWNSHIP_CODES

    base = ensure_exports(scale)
    root = scale_dir(scale, "district")
    exports, marker = root / "exports", root / "exports.json"
    if marker.exists() and exports.is_dir():
        return {**json.loads(marker.read_text()), "reused": True}
    exports.mkdir(parents=True, exist_ok=True)
    for path in exports.iterdir():
        path.unlink()
    started = time.perf_counter()
    subprocess.run(
        cockpit_cmd("generate", "--out", str(exports), "--entities", "townships,homes,deputies,projects"),
        check=True,
        stdout=subprocess.DEVNULL,
        env=cockpit_env(),
    )
    codes = "[" + ", ".join(f"'{c}'" for c in TOWNSHIP_CODES) + "]"
    rows: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        for source in export_files(scale):
            entity = source.name.split("_", 1)[0]
            if entity not in RECORD_PREFIXES:
                continue
            tmp = exports / (source.stem + ".utf8.tmp")
            _transcode(source, tmp)
            headers = [
                d[0]
                for d in con.execute(
                    "select * from read_csv(?, all_varchar=true) limit 0", [str(tmp)]
                ).description
            ]
            columns = []
            for header in headers:
                q = '"' + header.replace('"', '""') + '"'
                if header in HOME_HEADERS:
                    columns.append(f"regexp_replace({q}, '-[0-9]+(\\s*)$', '\\1') as {q}")
                elif header in DEPUTY_HEADERS:
                    columns.append(f"regexp_replace({q}, '-[0-9]+', '', 'g') as {q}")
                elif header == "所属乡镇代码":
                    columns.append(
                        f"case when {q} like '1592%' and length({q}) > 11 "
                        f"then {codes}[cast(substr({q}, 12) as integer) + 1] else {q} end as {q}"
                    )
                elif header == "所属乡镇":
                    columns.append(f"regexp_replace({q}, '·[0-9]+$', '') as {q}")
                else:
                    columns.append(q)
            target = exports / source.name
            con.execute(
                f"copy (select {', '.join(columns)} from read_csv(?, all_varchar=true)) to '{target}' (header true)",
                [str(tmp)],
            )
            tmp.unlink()
            rows[entity] = rows.get(entity, 0) + count_lines(target) - 1
    files = sorted(exports.iterdir())
    info = {
        "scale": scale,
        "shape": "district",
        "derive_seconds": round(time.perf_counter() - started, 2),
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "rows_by_file_prefix": rows,
        "activity_rows": rows.get("履职活动", 0),
        "total_rows": sum(rows.values())
        + sum(v for k, v in base["rows_by_file_prefix"].items() if k not in RECORD_PREFIXES) // scale,
    }
    marker.write_text(json.dumps(info, ensure_ascii=False, indent=1))
    return {**info, "reused": False}


def write_next_day(exports: Path, out_dir: Path) -> list[Path]:
    """One day of new exports (see the module doc), UTF-8 CSV, into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        con.execute("set preserve_insertion_order = false")
        for prefix, (id_header, day_headers) in NEXT_DAY_SOURCES.items():
            sources = sorted(str(p) for p in exports.glob(f"{prefix}*.csv"))
            if not sources:
                continue
            tmp = out_dir / f"{prefix}.utf8.tmp"
            # The generator writes GB18030; DuckDB reads UTF-8 only, so transcode the (small) January file.
            with tmp.open("w", encoding="utf-8") as fh:
                for src in sources:
                    raw = Path(src).read_bytes()
                    try:
                        fh.write(raw.decode("utf-8"))
                    except UnicodeDecodeError:
                        fh.write(raw.decode("gb18030"))
            headers = [
                d[0]
                for d in con.execute(
                    "select * from read_csv(?, all_varchar=true) limit 0", [str(tmp)]
                ).description
            ]
            day = next(h for h in day_headers if h in headers)
            columns = []
            for header in headers:
                quoted = '"' + header.replace('"', '""') + '"'
                if header == id_header:
                    columns.append(f"{quoted} || 'N' as {quoted}")
                elif header in DATE_HEADERS:
                    columns.append(
                        f"strftime(try_cast({quoted} as date) + cast(date '{NEXT_DAY}' - try_cast(\"{day}\" as date) as integer), "
                        f"'%Y-%m-%d') as {quoted}"
                    )
                else:
                    columns.append(quoted)
            target = out_dir / f"{prefix}21日_{NEXT_DAY.replace('-', '')}.csv"
            con.execute(
                f"""copy (
                    select {", ".join(columns)} from read_csv(?, all_varchar=true)
                    where try_cast("{day}" as date) is not null and "{id_header}" like '%-%'
                      and hash("{id_header}") % 31 = 0
                ) to '{target}' (header true)""",
                [str(tmp)],
            )
            tmp.unlink()
            written.append(target)
    return written
