"""Federation of district cockpits: exchange packages out of a district, roll-up into a city or province.

People's Congresses report upward level by level (逐级上报), and so does the cockpit: a district exports
its *published* marts (already free of personal data: no raw record ever leaves the district) as an
**exchange package**, and a city or province cockpit (``root_region`` a city or province code) loads
the packages of the districts below it and publishes a snapshot that is the union of their marts. The
query layer then works on the upper level unchanged, and every rate is recomputed from the summed
numerators and denominators (never averaged). The upper level's work grows with the number of
districts, not with their records.

A package is one zip file (stored, the Parquet files are compressed already)::

    manifest.json      format_version, region_code/name, level, snapshot_version, exported_at,
                       period {start, end}, districts [{code, name, snapshot_version, exported_at}],
                       tables {name: {file, rows, sha256}}
    <table>.parquet    one file per snapshot table (snapshot_meta excepted: the upper level writes its own)

A district's package (``level`` "county") lists itself as its one district; a city's package (its
roll-up, ``level`` "city") lists the district packages it contains, and its ids are prefixed already.
Format 1 (before ``level`` and ``districts``) was district packages only; they still load.

A province loads city packages and district packages. They must never count a district twice, so each
current package *covers* the districts it lists, and coverage never overlaps: a city package that
covers districts loaded directly supersedes them (when its copy of each is at least as new; otherwise
it is rejected), and a district package covered by a loaded city package is ignored when not newer
than the city's copy and rejected when newer (the province takes that city's districts from the city:
逐级上报). See docs/SCALING.md.

Layout of the upper level's exchange area (``settings.exchange_dir``)::

    inbox/                         packages dropped here are loaded by ``cockpit exchange load``
    districts/<code>-<version>-<export time>/  the current package of each region, unpacked
    current.json                   which directory is current per region (replaced atomically)
    archive/, rejected/            inbox files after loading (nothing is deleted)

Ids are only unique within a district's platform, so the roll-up prefixes every id column of a
district package with the district's code (``150202:D001``); a city package's ids carry their
district's prefix already and are taken as they are. Township codes are nation-wide already.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.errors import UserError, user_error
from warehouse.i18n import both
from warehouse.locks import etl_lock
from warehouse.publish import DERIVED_TABLES, MART_MODELS, MART_VIEWS, model_sql, publish_built_file
from warehouse.regions import full_code, is_within, level_of, prefix_of, region_table
from warehouse.settings import Settings

FORMAT_VERSION = 2
# Format versions this cockpit loads: 1 is a district package without ``level`` and ``districts``.
READABLE_FORMATS = (1, 2)
# Root levels that export a package, and the package levels each upper root level loads.
EXPORT_LEVELS = ("county", "city")
LOADED_LEVELS = {"city": ("county",), "province": ("county", "city")}
MANIFEST = "manifest.json"
PACKAGE_SUFFIX = ".zip"
# Columns that are personal data (docs/DATA_CONTRACT.md): they must never be in a package, whatever a future mart does.
PERSONAL_COLUMNS = frozenset({"phone", "party_name", "party_phone"})
# Tables the upper level writes itself rather than taking from a district.
OWN_TABLES = frozenset({"snapshot_meta"})
# Tables every package must carry: the marts the query layer reads, and the per-entity as-of times.
REQUIRED_TABLES: tuple[str, ...] = (*(m for m in MART_MODELS if m not in MART_VIEWS), "snapshot_as_of")
# Id columns shared by every district (the points rules), which must not be prefixed.
SHARED_ID_COLUMNS = frozenset({"rule_id"})
# Marts that carry the county of their rows (district_code), so that a region finds its records without a
# township; packages made before the column existed lack it, and their rows are the package's district's.
DISTRICT_MARTS = frozenset(
    {
        "mart_activity_daily",
        "mart_suggestion_district_daily",
        "mart_case_district_daily",
        "mart_points_district_daily",
    }
)
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class LoadResult:
    """What happened to one package: ``loaded``, ``ignored`` (not newer) or ``rejected``."""

    path: Path
    status: str
    region_code: str | None
    snapshot_version: str | None
    message: str  # "中文 / English"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _message(key: str, **params) -> str:
    zh, en = both(key, **params)
    return f"{zh} / {en}"


# --- export -------------------------------------------------------------------------------------


def export_package(settings: Settings, out: Path, now: datetime | None = None) -> dict:
    """Write the district's exchange package (its published snapshot's marts) to ``out``.

    Args:
        settings: The district's settings; ``root_region`` must be a county-level code.
        out: The package file to write (replaced atomically if it exists).
        now: Export time (tests); default the current UTC time.

    Returns:
        The manifest written into the package.

    Raises:
        UserError: The root is neither a district nor a city, nothing is published, a city's snapshot
            is not a roll-up, or a table carries personal data.
    """
    regions = region_table(settings.region_table)
    root = regions.get(settings.root_region)
    if root.level not in EXPORT_LEVELS:
        raise user_error("exchange.export_not_district", code=root.code, level=root.level)
    if not settings.published_db.is_file():
        raise user_error("warehouse.error.no_snapshot", path=str(settings.published_db))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    with tempfile.TemporaryDirectory(prefix="exchange-", dir=out.parent) as work:
        folder = Path(work)
        try:
            con.execute("attach ? as snap (read_only)", [str(settings.published_db)])
            meta = dict(con.execute("select key, value from snap.main.snapshot_meta").fetchall())
            tables = [
                name
                for (name,) in con.execute(
                    "select table_name from duckdb_tables() where database_name = 'snap' order by table_name"
                ).fetchall()
                if name not in OWN_TABLES
            ]
            personal = con.execute(
                "select table_name, column_name from duckdb_columns() "
                "where database_name = 'snap' and list_contains(?, lower(column_name))",
                [sorted(PERSONAL_COLUMNS)],
            ).fetchall()
            if personal:
                raise user_error(
                    "exchange.personal_data", columns=", ".join(f"{t}.{c}" for t, c in sorted(personal))
                )
            listing = {}
            for name in tables:
                target = folder / f"{name}.parquet"
                con.execute(
                    f"copy (select * from snap.main.{_quote_ident(name)}) "
                    f"to {_quote_literal(str(target))} (format parquet, compression zstd)"
                )
                rows = con.execute(f"select count(*) from snap.main.{_quote_ident(name)}").fetchall()[0][0]
                listing[name] = {"file": target.name, "rows": rows, "sha256": _sha256(target)}
        finally:
            con.close()
        exported_at = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
        if root.level == "county":
            districts = [
                {
                    "code": root.prefix,
                    "name": root.name,
                    "snapshot_version": meta.get("version"),
                    "exported_at": exported_at,
                }
            ]
        else:
            districts = _rollup_districts(meta, root.prefix)
        manifest = {
            "format_version": FORMAT_VERSION,
            "region_code": root.prefix,
            "region_name": root.name,
            "level": root.level,
            "snapshot_version": meta.get("version"),
            "snapshot_built_at": meta.get("built_at"),
            "exported_at": exported_at,
            "period": {"start": meta.get("data_start"), "end": meta.get("data_end")},
            "districts": districts,
            "tables": listing,
        }
        partial = out.with_name(out.name + ".tmp")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            for entry in listing.values():
                archive.write(folder / entry["file"], entry["file"])
        os.replace(partial, out)
    return manifest


def _rollup_districts(meta: dict, code: str) -> list[dict]:
    """The districts a city's roll-up snapshot contains, from its ``snapshot_meta``.

    Raises:
        UserError: The snapshot is not a roll-up of district packages.
    """
    try:
        packages = json.loads(meta.get("rollup_packages") or "null")
    except json.JSONDecodeError:
        packages = None
    if not isinstance(packages, dict) or not packages:
        raise user_error("exchange_upward.export_not_rollup", code=code)
    districts = []
    for entry_code, entry in sorted(packages.items()):
        for district_code, district in sorted(_coverage_of_entry(entry_code, entry).items()):
            districts.append({"code": district_code, **district})
    return districts


# --- load ---------------------------------------------------------------------------------------


def _current_file(settings: Settings) -> Path:
    return settings.exchange_dir / "current.json"


def current_districts(settings: Settings) -> dict[str, dict]:
    """The districts rolled up now: ``{code: {"version", "exported_at", "dir", "period"}}``."""
    path = _current_file(settings)
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _coverage_of_entry(code: str, entry: dict) -> dict[str, dict]:
    """The districts a current package covers: ``{code: {"name", "snapshot_version", "exported_at"}}``.

    Entries written before city packages (no ``districts``) are district packages covering themselves.
    """
    districts = entry.get("districts")
    if isinstance(districts, dict) and districts:
        return districts
    return {
        code: {
            "name": entry.get("name"),
            "snapshot_version": entry.get("version"),
            "exported_at": entry.get("exported_at"),
        }
    }


def _coverage_of_manifest(settings: Settings, manifest: dict, code: str, path: Path) -> dict[str, dict]:
    """The districts a package covers, checked: each a county-level unit of the region table in ``code``.

    Raises:
        UserError: A city package lists no district, or one outside its region.
    """
    if level_of(code) == "county":
        return {
            code: {
                "name": manifest.get("region_name"),
                "snapshot_version": str(manifest["snapshot_version"]),
                "exported_at": manifest.get("exported_at"),
            }
        }
    listed = manifest.get("districts")
    if not isinstance(listed, list) or not listed:
        raise user_error("exchange_upward.no_districts", file=path.name, code=code)
    regions = region_table(settings.region_table)
    coverage = {}
    for item in listed:
        district = str(item.get("code", "")) if isinstance(item, dict) else ""
        valid = len(district) == 6 and district.isdigit() and district.startswith(code)
        if not valid or level_of(district) != "county" or district not in regions or district in coverage:
            raise user_error("exchange_upward.bad_district", file=path.name, code=code, district=district)
        coverage[district] = {
            "name": item.get("name"),
            "snapshot_version": str(item.get("snapshot_version") or ""),
            "exported_at": item.get("exported_at"),
        }
    return coverage


def _stamp(district: dict) -> tuple[str, str]:
    """What orders two exports of one district: its snapshot version, then its export time."""
    return (str(district.get("snapshot_version") or ""), str(district.get("exported_at") or ""))


def _write_current(settings: Settings, current: dict[str, dict]) -> None:
    path = _current_file(settings)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise user_error("exchange.no_manifest", file=path.name) from exc
    if not isinstance(manifest, dict):
        raise user_error("exchange.no_manifest", file=path.name)
    if manifest.get("format_version") not in READABLE_FORMATS:
        raise user_error(
            "exchange.unknown_format",
            file=path.name,
            found=manifest.get("format_version"),
            known=", ".join(str(v) for v in READABLE_FORMATS),
        )
    for key in ("region_code", "snapshot_version", "tables"):
        if not manifest.get(key):
            raise user_error("exchange.no_manifest", file=path.name)
    return manifest


def _check_region(settings: Settings, manifest: dict, path: Path) -> str:
    code = str(manifest["region_code"])
    try:
        padded = full_code(code)
    except UserError as exc:
        raise user_error(
            "exchange.outside_root", file=path.name, code=code, root=settings.root_region
        ) from exc
    root_level = level_of(settings.root_region)
    level = level_of(padded)
    if level not in LOADED_LEVELS.get(root_level, ()) or not is_within(padded, settings.root_region):
        raise user_error("exchange.outside_root", file=path.name, code=code, root=settings.root_region)
    if manifest.get("format_version") == 1 and level != "county":
        raise user_error("exchange.no_manifest", file=path.name)
    if padded not in region_table(settings.region_table):
        raise user_error("exchange.outside_root", file=path.name, code=code, root=settings.root_region)
    return prefix_of(padded)


def _unpack(
    archive: zipfile.ZipFile, manifest: dict, path: Path, target: Path, coverage: dict[str, dict]
) -> None:
    """Extract the listed files into ``target`` and check them (checksums, tables, township codes)."""
    tables = manifest["tables"]
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise user_error("exchange.missing_tables", file=path.name, tables=", ".join(missing))
    target.mkdir(parents=True)
    for name, entry in tables.items():
        file_name = str(entry.get("file", ""))
        if file_name != f"{name}.parquet" or "/" in name or name.startswith("."):
            raise user_error("exchange.bad_checksum", file=path.name, member=file_name)
        try:
            with archive.open(file_name) as source, (target / file_name).open("wb") as sink:
                shutil.copyfileobj(source, sink, _READ_CHUNK)
        except KeyError as exc:
            raise user_error("exchange.bad_checksum", file=path.name, member=file_name) from exc
        if _sha256(target / file_name) != entry.get("sha256"):
            raise user_error("exchange.bad_checksum", file=path.name, member=file_name)
    con = duckdb.connect()
    try:
        for entry in tables.values():
            rows = con.execute(
                "select count(*) from read_parquet(?)", [str(target / entry["file"])]
            ).fetchall()[0][0]
            if rows != entry.get("rows"):
                raise user_error("exchange.bad_checksum", file=path.name, member=entry["file"])
        prefix = manifest["region_code"]
        # Every township must lie in a district the package covers (for a district: itself), so
        # that coverage is what decides overlaps at the province.
        foreign = con.execute(
            "select count(*) from read_parquet(?) where not list_contains(?, substr(township_code, 1, 6))",
            [str(target / tables["dim_township"]["file"]), sorted(coverage)],
        ).fetchall()[0][0]
    finally:
        con.close()
    if foreign:
        raise user_error("exchange.foreign_townships", file=path.name, code=prefix, count=foreign)


def _is_newer(manifest: dict, current: dict | None) -> bool:
    if current is None:
        return True
    mine = (manifest["snapshot_version"], manifest.get("exported_at") or "")
    theirs = (current["version"], current.get("exported_at") or "")
    return mine > theirs


def _overlaps(
    path: Path, code: str, coverage: dict[str, dict], current: dict[str, dict]
) -> tuple[list[str], LoadResult | None]:
    """How a package's coverage meets the other current packages' (never counting a district twice).

    Returns:
        (the current packages it supersedes, or an ``ignored`` result when it must not be loaded).

    Raises:
        UserError: The overlap is refused (a city package with an older copy of a district loaded
            directly; a district package newer than the copy in its city's loaded package).
    """
    superseded = []
    for other, entry in sorted(current.items()):
        if other == code:
            continue
        theirs = _coverage_of_entry(other, entry)
        for district in sorted(coverage.keys() & theirs.keys()):
            if level_of(code) == "city":  # the city covers a district loaded directly
                if _stamp(coverage[district]) < _stamp(theirs[district]):
                    raise user_error(
                        "exchange_upward.city_older",
                        file=path.name,
                        code=code,
                        district=district,
                        version=coverage[district]["snapshot_version"],
                        loaded=theirs[district]["snapshot_version"],
                    )
                if other not in superseded:
                    superseded.append(other)
            elif _stamp(coverage[district]) <= _stamp(theirs[district]):
                version = coverage[district]["snapshot_version"]
                note = _message(
                    "exchange_upward.covered_ignored",
                    file=path.name,
                    code=district,
                    city=other,
                    version=version,
                )
                return superseded, LoadResult(path, "ignored", code, version, note)
            else:
                raise user_error(
                    "exchange_upward.covered_newer",
                    file=path.name,
                    code=district,
                    city=other,
                    version=coverage[district]["snapshot_version"],
                    loaded=theirs[district]["snapshot_version"],
                )
    return superseded, None


def _load_one(settings: Settings, path: Path, current: dict[str, dict]) -> LoadResult:
    """Check one package and, when newer, make it its district's current one (``current`` is updated)."""
    try:
        try:
            archive = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise user_error("exchange.not_a_package", file=path.name) from exc
        with archive:
            manifest = _read_manifest(archive, path)
            code = _check_region(settings, manifest, path)
            version = str(manifest["snapshot_version"])
            coverage = _coverage_of_manifest(settings, manifest, code, path)
            previous = current.get(code)
            if not _is_newer(manifest, previous):
                return LoadResult(
                    path,
                    "ignored",
                    code,
                    version,
                    _message(
                        "exchange.ignored_older",
                        file=path.name,
                        code=code,
                        version=version,
                        current=previous["version"],
                    ),
                )
            superseded, refused = _overlaps(path, code, coverage, current)
            if refused is not None:
                return refused
            districts = settings.exchange_dir / "districts"
            districts.mkdir(parents=True, exist_ok=True)
            # The export time makes the name unique even when a district re-exports the same snapshot,
            # so the current directory is never overwritten before current.json points elsewhere.
            stamp = "".join(ch for ch in str(manifest.get("exported_at") or "") if ch.isdigit())[:14]
            final = districts / f"{code}-{version}-{stamp}"
            partial = districts / f".{final.name}.tmp"
            shutil.rmtree(partial, ignore_errors=True)
            try:
                _unpack(archive, manifest, path, partial, coverage)
                shutil.rmtree(final, ignore_errors=True)
                os.replace(partial, final)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
    except UserError as exc:
        return LoadResult(path, "rejected", None, None, str(exc))
    for other in superseded:
        del current[other]
    current[code] = {
        "version": version,
        "exported_at": manifest.get("exported_at"),
        "dir": final.name,
        "name": manifest.get("region_name"),
        "level": level_of(code),
        "period": manifest.get("period") or {},
        "districts": coverage,
    }
    message = _message("exchange.loaded", file=path.name, code=code, version=version)
    if superseded:
        message += "; " + _message("exchange_upward.superseded", code=code, replaced=", ".join(superseded))
    return LoadResult(path, "loaded", code, version, message)


def _check_root_rolls_up(settings: Settings) -> None:
    root = region_table(settings.region_table).get(settings.root_region)
    if root.level not in ("city", "province"):
        raise user_error("exchange.load_not_upper", code=root.code, level=root.level)


def load_packages(
    settings: Settings,
    paths: Iterable[Path] | None = None,
    run_id: str | None = None,
    file_away: bool | None = None,
) -> tuple[list[LoadResult], str | None]:
    """Load exchange packages into a city or province cockpit and publish the roll-up when one was loaded.

    A newer package of a district replaces its previous one (``current.json`` is swapped atomically
    only after the new package is unpacked and checked); an older or equal one is ignored with a note;
    a package outside the root, with a bad checksum or an unknown format version is rejected. Files
    taken from the inbox move to ``archive/`` (loaded, ignored) or ``rejected/``.

    Args:
        settings: The upper level's settings (``root_region`` a city or province).
        paths: Package files; None loads every ``*.zip`` in ``settings.exchange_dir / "inbox"``.
        run_id: Recorded in the published snapshot; default a time stamp.
        file_away: Move the files to ``archive/`` or ``rejected/`` afterwards; default only inbox files
            (named files stay where they are), True for a package uploaded on /import.

    Returns:
        (one result per package, the published version or None when nothing changed).

    Raises:
        UserError: The root is a district, or another run holds the lock.
    """
    _check_root_rolls_up(settings)
    inbox = settings.exchange_dir / "inbox"
    from_inbox = paths is None
    if from_inbox:
        paths = sorted(inbox.glob(f"*{PACKAGE_SUFFIX}")) if inbox.is_dir() else []
    run_id = run_id or datetime.now(UTC).strftime("exchange-%Y%m%dT%H%M%SZ")
    with etl_lock(settings):
        current = current_districts(settings)
        before = dict(current)
        results = [_load_one(settings, Path(path), current) for path in paths]
        version = None
        if current != before:
            version = publish_rollup(settings, current, run_id)
            _write_current(settings, current)
            kept = {entry["dir"] for entry in current.values()}
            for folder in (settings.exchange_dir / "districts").iterdir():
                if folder.name not in kept:
                    shutil.rmtree(folder, ignore_errors=True)
        if from_inbox if file_away is None else file_away:
            for result in results:
                folder = settings.exchange_dir / ("rejected" if result.status == "rejected" else "archive")
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / result.path.name
                if target.exists():  # the same file name sent again: keep both
                    target = folder / f"{result.path.stem}.{run_id}{result.path.suffix}"
                with contextlib.suppress(OSError):
                    os.replace(result.path, target)
    return results, version


# --- roll-up publish ----------------------------------------------------------------------------


def _namespaced(con: duckdb.DuckDBPyConnection, source: str, code: str) -> str:
    """The select list of one package's table: a district's id columns prefixed by ``code:``.

    A city package's ids carry their districts' prefixes already (its roll-up added them): never twice.
    """
    columns = con.execute(f"describe select * from {source}").fetchall()
    if level_of(code) != "county":
        return ", ".join(_quote_ident(name) for name, *_ in columns)
    prefix = _quote_literal(f"{code}:")
    items = []
    for name, column_type, *_ in columns:
        ident = _quote_ident(name)
        if column_type == "VARCHAR" and name.endswith("_id") and name not in SHARED_ID_COLUMNS:
            items.append(f"{prefix} || {ident} as {ident}")
        elif column_type == "VARCHAR" and name.endswith("_ids"):
            items.append(
                f"array_to_string(list_transform(string_split({ident}, ';'), lambda x: {prefix} || trim(x)), ';')"
                f" as {ident}"
            )
        else:
            items.append(ident)
    return ", ".join(items)


def _has_column(con: duckdb.DuckDBPyConnection, source: str, column: str) -> bool:
    return any(row[0] == column for row in con.execute(f"describe select * from {source}").fetchall())


def _build_rollup(
    settings: Settings, current: dict[str, dict], target: Path, version: str, run_id: str
) -> None:
    folder = settings.exchange_dir / "districts"
    root = region_table(settings.region_table).get(settings.root_region)
    con = duckdb.connect()
    try:
        con.execute("attach ? as build (read_only false)", [str(target)])
        con.execute("use build")
        for name in REQUIRED_TABLES:
            parts = []
            for code, entry in sorted(current.items()):
                source = f"read_parquet({_quote_literal(str(folder / entry['dir'] / f'{name}.parquet'))})"
                columns = _namespaced(con, source, code)
                if name in DISTRICT_MARTS and not _has_column(con, source, "district_code"):
                    columns += f", {_quote_literal(code)} as district_code"
                parts.append(f"select {columns} from {source}")
            body = "\nunion all by name\n".join(parts)
            if name == "dim_points_rule":
                body = f"select distinct * from ({body})"
            elif name == "snapshot_as_of":
                # The oldest district bounds what the upper level can claim to be current.
                body = f"select entity, min(as_of) as as_of from ({body}) group by entity"
            elif name == "dim_township":
                body = f"select * replace (row_number() over (order by township_code) as sort_order) from ({body})"
            con.execute(f"create table build.main.{_quote_ident(name)} as\n{body}")
        for name in MART_VIEWS:
            con.execute(f"create view build.main.{name} as\n{model_sql('marts', name)}")
        for derive in DERIVED_TABLES.values():  # recomputed from the rolled-up marts, never summed
            derive(con, settings)
        starts = [e["period"].get("start") for e in current.values() if e.get("period", {}).get("start")]
        ends = [e["period"].get("end") for e in current.values() if e.get("period", {}).get("end")]
        meta = {
            "version": version,
            "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "run_id": run_id,
            "district_name": root.name,
            "district_code": root.prefix,
            "data_start": min(starts) if starts else None,
            "data_end": max(ends) if ends else None,
            "rollup_districts": json.dumps({c: e["version"] for c, e in sorted(current.items())}),
            # What a city's own export lists as its districts (code, name, version, export time).
            "rollup_packages": json.dumps(
                {c: {"districts": _coverage_of_entry(c, e)} for c, e in sorted(current.items())},
                ensure_ascii=False,
            ),
        }
        con.execute("create table build.main.snapshot_meta (key varchar primary key, value varchar)")
        con.executemany("insert into build.main.snapshot_meta values (?, ?)", list(meta.items()))
        con.execute("use memory")
        con.execute("detach build")
    finally:
        con.close()


def publish_rollup(
    settings: Settings, current: dict[str, dict] | None = None, run_id: str = "exchange"
) -> str:
    """Publish the union of the current districts' marts as the upper level's snapshot.

    Returns:
        The published version.

    Raises:
        UserError: No district has been loaded yet.
    """
    current = current_districts(settings) if current is None else current
    if not current:
        raise user_error("exchange.nothing_loaded", path=str(settings.exchange_dir))
    return publish_built_file(
        settings, run_id, lambda target, version: _build_rollup(settings, current, target, version, run_id)
    )
