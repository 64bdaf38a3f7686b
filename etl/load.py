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
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.mapping import Entity
from etl.normalize import ident
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
    return con


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


def apply_valid(con: duckdb.DuckDBPyConnection, entity: Entity, file_id: str, run_id: str) -> Applied:
    """Write ``stg_valid`` into the entity table and its history (inside the caller's transaction).

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
    book = "row_hash, file_id, source_row, run_id"
    total, distinct = con.execute(f"select count(*), count(distinct {key}) from stg_valid").fetchall()[0]
    if not total:
        return Applied()
    # The stored versions of this file's ids (one scan of the key column of the entity table; the small
    # result replaces the entity table in every later join).
    con.execute(
        f"create or replace temp table stg_cur as select cur.{key}, cur.row_hash from {table} cur "
        f"semi join stg_valid v on v.{key} = cur.{key}"
    )
    stored = con.execute("select count(*) from stg_cur").fetchall()[0][0]
    insert = f"insert into {table} ({cols}, {book}) select {cols}, row_hash, ?, source_row, ?"
    if distinct == total and not stored:
        con.execute(f"{insert} from stg_valid", [file_id, run_id])
        return Applied(new=total)
    # Ids seen once in the file and never stored are new whatever else the file holds: inserted at once.
    # Only the others are classified: ids already stored (one join with their stored hash) and ids seen
    # several times in the file (window functions over the order of their versions in the file).
    has_multi = distinct < total
    con.execute(
        f"create or replace temp table stg_multi as select {key} from stg_valid group by {key} having count(*) > 1"
        if has_multi
        else f"create or replace temp table stg_multi as select {key} from stg_cur limit 0"
    )
    fresh = con.execute(
        f"{insert} from stg_valid v where not exists (select 1 from stg_cur c where c.{key} = v.{key}) "
        f"and not exists (select 1 from stg_multi m where m.{key} = v.{key})",
        [file_id, run_id],
    ).fetchall()[0][0]
    single = (
        f"select v.*, true as __final, cur.row_hash as __cur_hash, "
        f"case when cur.row_hash = v.row_hash then 'duplicate' else 'updated' end as __change "
        f"from stg_valid v join stg_cur cur on cur.{key} = v.{key} "
        f"where not exists (select 1 from stg_multi m where m.{key} = v.{key})"
    )
    multi = f"""
        with firsts as (
            select v.*, row_number() over (partition by v.{key}, v.row_hash order by v.source_row) as __k
            from stg_valid v semi join stg_multi m on m.{key} = v.{key}
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
        from versions v left join stg_cur cur on cur.{key} = v.{key}
    """
    con.execute(
        "create or replace temp table stg_changes as "
        + (f"{single} union all by name ({multi})" if has_multi else single)
    )
    counts = dict(con.execute("select __change, count(*) from stg_changes group by all").fetchall())
    new = fresh + counts.get("new", 0)
    applied = Applied(
        new=new, updated=counts.get("updated", 0), duplicate=total - new - counts.get("updated", 0)
    )
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
        f"insert into {past} ({cols}, {book}) "
        f"select {cols}, row_hash, ?, source_row, ? from stg_changes where not __final and __change <> 'duplicate'",
        [file_id, run_id],
    )
    con.execute(f"delete from {table} where {key} in ({replaced})")
    con.execute(f"{insert} from stg_changes where __final and __change <> 'duplicate'", [file_id, run_id])
    return applied
