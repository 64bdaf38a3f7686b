"""``etl.load.apply_valid`` against the previous implementation (kept below as the reference): same
counts, same current records, same superseded versions, whichever path a file takes (the fast path of
a file of new ids, or the general path of updates, duplicates and ids repeated in one file)."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from etl.load import Applied, apply_valid, open_raw, table_columns
from etl.mapping import Entity, load_mapping
from etl.normalize import ident

ENTITY = "townships"


def _reference_apply(con: duckdb.DuckDBPyConnection, entity: Entity, file_id: str, run_id: str) -> Applied:
    """The loader before the fast path (UPDATE in place, window functions for repeated ids)."""
    table = ident(entity.name)
    key = ident(entity.key)
    canon = [c for c in entity.stored_columns if c in table_columns(con, entity.name)]
    con.execute(
        f"create or replace temp table stg_multi as select {key} from stg_valid group by {key} having count(*) > 1"
    )
    single = (
        f"select v.*, true as __final, cur.row_hash as __cur_hash, "
        f"case when cur.row_hash is null then 'new' when cur.row_hash = v.row_hash then 'duplicate' "
        f"else 'updated' end as __change "
        f"from stg_valid v left join {table} cur on cur.{key} = v.{key} "
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
        from versions v left join {table} cur on cur.{key} = v.{key}
    """
    has_multi = con.execute("select count(*) from stg_multi").fetchall()[0][0] > 0
    con.execute(
        "create or replace temp table stg_changes as "
        + (f"{single} union all by name ({multi})" if has_multi else single)
    )
    total = con.execute("select count(*) from stg_valid").fetchall()[0][0]
    counts = dict(con.execute("select __change, count(*) from stg_changes group by all").fetchall())
    applied = Applied(
        new=counts.get("new", 0),
        updated=counts.get("updated", 0),
        duplicate=total - counts.get("new", 0) - counts.get("updated", 0),
    )
    if not applied.new and not applied.updated:
        return applied
    cols = ", ".join(ident(c) for c in canon)
    book = "row_hash, file_id, source_row, run_id"
    con.execute(
        f"insert into {ident(entity.name + '_past')} select cur.* from {table} cur "
        f"semi join (select {key} from stg_changes where __final and __change = 'updated' "
        f"and __cur_hash is not null) s on s.{key} = cur.{key}"
    )
    con.execute(
        f"insert into {ident(entity.name + '_past')} ({cols}, {book}) "
        f"select {cols}, row_hash, ?, source_row, ? from stg_changes where not __final and __change <> 'duplicate'",
        [file_id, run_id],
    )
    final = "from stg_changes where __final and __change <> 'duplicate'"
    con.execute(
        f"insert into {table} ({cols}, {book}) select {cols}, row_hash, ?, source_row, ? {final} and __cur_hash is null",
        [file_id, run_id],
    )
    sets = ", ".join(f"{ident(c)} = s.{ident(c)}" for c in canon if c != entity.key)
    con.execute(
        f"update {table} set {sets}, row_hash = s.row_hash, file_id = ?, source_row = s.source_row, run_id = ? "
        f"from (select * {final} and __cur_hash is not null) s where {table}.{key} = s.{key}",
        [file_id, run_id],
    )
    return applied


@pytest.fixture
def entity() -> Entity:
    return load_mapping(None).entities[ENTITY]


def _stage(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str | None]]) -> None:
    """``stg_valid`` as ``etl.validate.build_valid`` shapes it: source_row, canonical columns, row_hash."""
    con.execute(
        "create or replace temp table stg_in (source_row integer, township_code varchar, "
        "township_name varchar, kind varchar)"
    )
    if rows:
        con.executemany("insert into stg_in values (?, ?, ?, ?)", [(i + 2, *r) for i, r in enumerate(rows)])
    con.execute(
        "create or replace temp view stg_valid as select *, left(md5(concat_ws(chr(31), "
        "coalesce(township_code, chr(0)), coalesce(township_name, chr(0)), coalesce(kind, chr(0)))), 16) "
        "as row_hash from stg_in"
    )


def _state(con: duckdb.DuckDBPyConnection) -> tuple[list, list]:
    current = con.execute(f"select * from {ENTITY} order by all").fetchall()
    past = con.execute(f"select * from {ENTITY}_past order by all").fetchall()
    return current, past


def _apply_both(stores, entity: Entity, n: int, rows) -> list[Applied]:
    out = []
    for con, fn in stores:
        _stage(con, rows)
        con.execute("begin transaction")
        out.append(fn(con, entity, f"file{n}", f"run{n}"))
        con.execute("commit")
    return out


def _stores(tmp_path: Path):
    return [
        (open_raw(tmp_path / "new.duckdb"), apply_valid),
        (open_raw(tmp_path / "reference.duckdb"), _reference_apply),
    ]


def test_fast_and_general_paths_match_the_reference_on_named_cases(tmp_path: Path, entity: Entity) -> None:
    files = [
        [("T1", "甲", "镇"), ("T2", "乙", None), ("T3", "丙", "街道")],  # all new: fast path
        [("T4", "丁", "镇"), ("T4", "丁", "镇")],  # a new id twice, same values
        [("T1", "甲", "镇"), ("T2", "乙二", None)],  # a duplicate and an update of earlier ids
        [("T3", "丙二", "街道"), ("T3", "丙三", "街道"), ("T5", "戊", None)],  # two versions of a stored id
        [("T6", "己", "镇"), ("T6", "己二", "镇"), ("T6", "己", "镇")],  # A, B, A of a new id
        [("T2", "乙二", None), ("T2", "乙", None)],  # the stored version, then an older one
        [],  # nothing valid
        [("T7", "庚", None), ("T8", "辛", None)],  # new ids again after updates: fast path
    ]
    stores = _stores(tmp_path)
    results = [_apply_both(stores, entity, n, rows) for n, rows in enumerate(files)]
    for new, reference in results:
        assert new == reference
    assert [r[0] for r in results] == [
        Applied(3, 0, 0),
        Applied(1, 0, 1),
        Applied(0, 1, 1),
        Applied(1, 2, 0),
        Applied(1, 1, 1),
        Applied(0, 1, 1),
        Applied(0, 0, 0),
        Applied(2, 0, 0),
    ]
    assert _state(stores[0][0]) == _state(stores[1][0])
    current, past = _state(stores[0][0])
    assert len({r[0] for r in current}) == len(current) == 8
    assert len(past) == 5


@pytest.mark.parametrize("seed", range(6))
def test_random_files_match_the_reference(tmp_path: Path, entity: Entity, seed: int) -> None:
    rng = random.Random(seed)
    stores = _stores(tmp_path)
    ids = [f"T{i}" for i in range(12)]
    for n in range(8):
        size = rng.randint(0, 15)
        # Some files reuse a few ids with few spellings (updates, duplicates, repeats), others bring new ids.
        pool = ids if rng.random() < 0.7 else [f"N{n}_{i}" for i in range(30)]
        rows = [
            (rng.choice(pool), rng.choice(["甲", "乙", "丙"]), rng.choice([None, "镇"])) for _ in range(size)
        ]
        new, reference = _apply_both(stores, entity, n, rows)
        assert new == reference, (seed, n, rows)
        assert _state(stores[0][0]) == _state(stores[1][0]), (seed, n, rows)
