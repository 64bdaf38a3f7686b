"""Raw store: open it (created from ``raw.sql``), and apply one validated file to it.

Applying a file compares ``stg_valid`` with the current records by id and row hash:

* the same (id, hash) twice in the file: the later row is a duplicate;
* first version of an id in the file: ``new`` if the id is unknown, a duplicate if the stored record
  has the same hash, else ``updated``; any later, different version in the same file is ``updated``;
* the last version becomes the current record; the versions it supersedes go to ``<entity>_past``
  (``<entity>_history`` is the view over both).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from etl.export_date import stamp_from_name
from etl.mapping import Entity
from etl.normalize import ident
from etl.validate import row_hash_sql
from warehouse import SQL_DIR

RAW_DDL = SQL_DIR / "ddl" / "raw.sql"
_IDENT_TABLE = re.compile(r"^[a-z_]+$")


class RawStoreLocked(Exception):
    """Another process holds the raw store open (DuckDB allows one writer per file)."""


def open_raw(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if missing) the raw store read-write and make sure its tables exist.

    Raises:
        RawStoreLocked: another process has the file open.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise RawStoreLocked(str(exc).splitlines()[0]) from None
        raise
    _migrate_history_tables(con)
    keyed = _entity_tables_with_primary_key(con)
    con.execute("begin transaction")
    try:
        for name in keyed:
            con.execute(f"alter table {name} rename to {name}__keyed")
        con.execute(RAW_DDL.read_text(encoding="utf-8"))
        for name in keyed:
            con.execute(f"insert into {name} by name select * from {name}__keyed")
            con.execute(f"drop table {name}__keyed")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        con.close()
        raise
    con.execute("begin transaction")
    try:
        _add_bookkeeping_columns(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        con.close()
        raise
    return con


def _entity_names() -> list[str]:
    return [
        n
        for n in re.findall(r"create table if not exists (\w+)_past ", RAW_DDL.read_text(encoding="utf-8"))
        if _IDENT_TABLE.match(n)
    ]


def _add_bookkeeping_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns added after ``raw.sql`` was first deployed, added to older stores in place:

    * ``export_at`` on every entity table and its ``_past`` (at the end of both, so ``select *`` copies
      between them stay aligned): the date of the export a version came from (``etl.export_date``);
      rows stored before it are given their file's name stamp, else the file's load time.
    * ``rows_older`` and ``report`` (the file's :class:`etl.report.FileReport` as JSON) on ``etl_run_files``;
      ``sheet`` on ``rejects``.
    """
    added = []
    for name in _entity_names():
        for table in (name, f"{name}_past"):
            if "export_at" not in table_columns(con, table):
                con.execute(f"alter table {table} add column export_at timestamp")
                added.append(table)
    for table, column, kind in (
        ("etl_run_files", "rows_older", "bigint"),
        ("etl_run_files", "report", "varchar"),
        ("rejects", "sheet", "varchar"),  # the sheet of a row reject in a workbook
    ):
        if column not in table_columns(con, table):
            con.execute(f"alter table {table} add column {column} {kind}")
    files = con.execute("select file_id, file_name, loaded_at from etl_files").fetchall()
    if not added or not files:
        return
    stamps = [(fid, stamp_from_name(name) or loaded) for fid, name, loaded in files]
    con.execute("create or replace temp table __file_stamps (file_id varchar, export_at timestamp)")
    con.executemany("insert into __file_stamps values (?, ?)", stamps)
    for table in added:
        con.execute(
            f"update {table} t set export_at = s.export_at from __file_stamps s where s.file_id = t.file_id"
        )
    con.execute("drop table __file_stamps")


def _entity_tables_with_primary_key(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Entity tables of a store made before the PRIMARY KEY was dropped (``raw.sql``): they are rebuilt
    without it (same columns, same rows; the loader keeps ids unique)."""
    entities = re.findall(r"create table if not exists (\w+)_past ", RAW_DDL.read_text(encoding="utf-8"))
    rows = con.execute(
        "select distinct table_name from duckdb_constraints() "
        "where database_name = current_database() and schema_name = 'main' and constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    keyed = {r[0] for r in rows}
    return [n for n in entities if n in keyed and _IDENT_TABLE.match(n)]


def _migrate_history_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Stores made before ``<entity>_history`` became a view held it as a table of every version: move
    the superseded versions to ``<entity>_past`` and drop the table (the view replaces it)."""
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'main' and table_type = 'BASE TABLE' and table_name like '%\\_history' escape '\\'"
    ).fetchall()
    for (name,) in rows:
        entity = name.removesuffix("_history")
        if not _IDENT_TABLE.match(entity):
            continue
        cols = ", ".join(ident(c) for c in table_columns(con, entity))
        con.execute("begin transaction")
        con.execute(f"create table if not exists {entity}_past as select * from {entity} limit 0")
        con.execute(
            f"insert into {entity}_past ({cols}) select {cols} from {name} h "
            f"where not exists (select 1 from {entity} t where t.row_hash = h.row_hash and t.file_id = h.file_id)"
        )
        con.execute(f"drop table {name}")
        con.execute("commit")


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a raw-store table, in order."""
    return [r[0] for r in con.execute(f"select * from {ident(table)} limit 0").description]


@dataclass
class Applied:
    new: int = 0
    updated: int = 0
    duplicate: int = 0
    # Rows not applied: the stored record comes from a newer export (it is never rolled back).
    older: int = 0


def apply_valid(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    file_id: str,
    run_id: str,
    export_at: datetime | None = None,
    absent: Sequence[str] = (),
) -> Applied:
    """Write ``stg_valid`` into the entity table and its history (inside the caller's transaction).

    ``export_at`` is the export's own date (``etl.export_date``), stored with every version: a row whose
    stored record came from a newer export is not applied (``older``), whatever the load order; a
    record from an export of the same date or a later one is replaced as usual. ``absent`` are the
    entity's columns the file does not carry: a stored record keeps its values there (a missing column is
    not a NULL), and the row hash is computed over the completed record, so a re-export without optional
    columns is a duplicate, not an update.

    Fast path (a file of ids seen once and never stored, e.g. every file of a first load): one insert,
    no classification table. Otherwise such rows are inserted first and only the rows of ids already
    stored or repeated in the file are classified as described in the module docstring; an updated
    record is replaced by delete + insert (an UPDATE of many rows makes DuckDB log every changed
    value and rewrite the row groups at commit, which dominated the load of large update files).
    """
    table = ident(entity.name)
    past = ident(entity.name + "_past")
    key = ident(entity.key)
    canon = [c for c in entity.stored_columns if c in table_columns(con, entity.name)]
    cols = ", ".join(ident(c) for c in canon)
    book = "row_hash, file_id, source_row, run_id, export_at"
    src = "stg_valid"
    total, distinct = con.execute(f"select count(*), count(distinct {key}) from {src}").fetchall()[0]
    if not total:
        return Applied()
    # The stored versions of this file's ids (one scan of the key column of the entity table; the small
    # result replaces the entity table in every later join).
    con.execute(
        f"create or replace temp table stg_cur as select cur.{key}, cur.row_hash, cur.export_at from {table} cur "
        f"semi join stg_valid v on v.{key} = cur.{key}"
    )
    stored = con.execute("select count(*) from stg_cur").fetchall()[0][0]
    params = [file_id, run_id, export_at]
    insert = f"insert into {table} ({cols}, {book}) select {cols}, row_hash, ?, source_row, ?, ?::timestamp"
    older = 0
    keep = [ident(c) for c in absent if c in canon and c != entity.key]
    if stored and keep:
        # Complete the rows of stored ids with the stored values of the columns the file lacks.
        fill = ", ".join(f"coalesce(cur.{c}, v.{c}) as {c}" for c in keep)
        con.execute(
            f"create or replace temp table stg_apply as select * exclude (row_hash), {row_hash_sql(canon)} as row_hash "
            f"from (select v.* replace ({fill}) from stg_valid v left join {table} cur on cur.{key} = v.{key})"
        )
        src = "stg_apply"
    if stored and export_at is not None:
        newer = f"select {key}, row_hash from stg_cur where export_at > ?::timestamp"
        if con.execute(f"select count(*) from ({newer})", [export_at]).fetchall()[0][0]:
            if src == "stg_valid":
                con.execute("create or replace temp table stg_apply as select * from stg_valid")
                src = "stg_apply"
            older = con.execute(
                f"select count(*) from stg_apply v join ({newer}) n on n.{key} = v.{key} "
                "where v.row_hash <> n.row_hash",
                [export_at],
            ).fetchall()[0][0]
            con.execute(f"delete from stg_apply where {key} in (select {key} from ({newer}))", [export_at])
            con.execute("delete from stg_cur where export_at > ?::timestamp", [export_at])
            stored = con.execute("select count(*) from stg_cur").fetchall()[0][0]
    # stg_valid is a view (evaluated at each use): count it once; a completed/filtered copy is recounted.
    counts = (total, distinct) if src == "stg_valid" else None
    applied = _apply_rows(con, src, table, past, key, cols, insert, params, stored, counts)
    applied.older = older
    applied.duplicate = total - applied.new - applied.updated - older
    return applied


def _apply_rows(
    con, src: str, table: str, past: str, key: str, cols: str, insert: str, params, stored, counts=None
) -> Applied:
    """Classify and write the rows of ``src`` against ``stg_cur`` (see :func:`apply_valid`); ``counts``:
    (rows, distinct ids) of ``src`` when already known."""
    total, distinct = (
        counts or con.execute(f"select count(*), count(distinct {key}) from {src}").fetchall()[0]
    )
    if not total:
        return Applied()
    if distinct == total and not stored:
        con.execute(f"{insert} from {src}", params)
        return Applied(new=total)
    # Ids seen once in the file and never stored are new whatever else the file holds: inserted at once.
    # Only the others are classified: ids already stored (one join with their stored hash) and ids seen
    # several times in the file (window functions over the order of their versions in the file).
    has_multi = distinct < total
    con.execute(
        f"create or replace temp table stg_multi as select {key} from {src} group by {key} having count(*) > 1"
        if has_multi
        else f"create or replace temp table stg_multi as select {key} from stg_cur limit 0"
    )
    fresh = con.execute(
        f"{insert} from {src} v where not exists (select 1 from stg_cur c where c.{key} = v.{key}) "
        f"and not exists (select 1 from stg_multi m where m.{key} = v.{key})",
        params,
    ).fetchall()[0][0]
    single = (
        f"select v.*, true as __final, cur.row_hash as __cur_hash, "
        f"case when cur.row_hash = v.row_hash then 'duplicate' else 'updated' end as __change "
        f"from {src} v join stg_cur cur on cur.{key} = v.{key} "
        f"where not exists (select 1 from stg_multi m where m.{key} = v.{key})"
    )
    multi = f"""
        with firsts as (
            select v.*, row_number() over (partition by v.{key}, v.row_hash order by v.source_row) as __k
            from {src} v semi join stg_multi m on m.{key} = v.{key}
        ), versions as (
            select * exclude (__k),
                lag(row_hash) over (partition by {key} order by source_row) as __prev,
                row_number() over (partition by {key} order by source_row desc) = 1 as __final
            from firsts where __k = 1
        )
        select v.* exclude (__prev), cur.row_hash as __cur_hash,
            case when v.__prev is not null then 'updated'
                 when cur.row_hash is null then 'new'
                 when cur.row_hash = v.row_hash then 'duplicate'
                 else 'updated' end as __change
        from versions v left join (select {key}, row_hash from stg_cur) cur on cur.{key} = v.{key}
    """
    con.execute(
        "create or replace temp table stg_changes as "
        + (f"{single} union all by name ({multi})" if has_multi else single)
    )
    counts = dict(con.execute("select __change, count(*) from stg_changes group by all").fetchall())
    new = fresh + counts.get("new", 0)
    applied = Applied(new=new, updated=counts.get("updated", 0))
    if not counts.get("new") and not applied.updated:
        return applied
    # The versions this file supersedes go to <entity>_past: the stored record of every updated id, and
    # the versions of an id that a later row of the same file replaces.
    replaced = (
        f"select {key} from stg_changes where __final and __change = 'updated' and __cur_hash is not null"
    )
    con.execute(
        f"insert into {past} select cur.* from {table} cur semi join ({replaced}) s on s.{key} = cur.{key}"
    )
    con.execute(
        f"insert into {past} ({cols}, row_hash, file_id, source_row, run_id, export_at) "
        f"select {cols}, row_hash, ?, source_row, ?, ?::timestamp from stg_changes where not __final and __change <> 'duplicate'",
        params,
    )
    con.execute(f"delete from {table} where {key} in ({replaced})")
    con.execute(f"{insert} from stg_changes where __final and __change <> 'duplicate'", params)
    return applied
