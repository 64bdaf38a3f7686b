"""Compare two snapshot files table by table: what an incremental build must equal (a full rebuild)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.build_state import BUILD_ONLY_KEYS

# Meta keys that describe one build (its name, its clock, its path), not the data it holds.
BUILD_KEYS = frozenset({"version", "built_at"}) | BUILD_ONLY_KEYS


def _relations(con: duckdb.DuckDBPyConnection, alias: str) -> dict[str, str]:
    rows = con.execute(
        "select table_name, table_type from information_schema.tables where table_catalog = ? "
        "and table_schema = 'main'",
        [alias],
    ).fetchall()
    return dict(rows)


def _columns(con: duckdb.DuckDBPyConnection, alias: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = 'main' and table_name = ? order by ordinal_position",
        [alias, table],
    ).fetchall()


def snapshot_differences(candidate: Path, reference: Path) -> list[str]:
    """Every difference between two snapshots: relations, columns and types, rows (as multisets),
    and meta apart from the build's own keys. Empty when they hold the same data."""
    con = duckdb.connect()
    try:
        con.execute("attach ? as cand (read_only)", [str(candidate)])
        con.execute("attach ? as ref (read_only)", [str(reference)])
        found, expected = _relations(con, "cand"), _relations(con, "ref")
        problems = []
        if found != expected:
            problems.append(f"relations differ: {sorted(found.items())} != {sorted(expected.items())}")
        for name in sorted(set(found) & set(expected)):
            if _columns(con, "cand", name) != _columns(con, "ref", name):
                problems.append(
                    f"{name}: columns {_columns(con, 'cand', name)} != {_columns(con, 'ref', name)}"
                )
                continue
            if name == "snapshot_meta":
                continue
            counts = con.execute(
                f"select (select count(*) from cand.{name}), (select count(*) from ref.{name})"
            )
            n_cand, n_ref = counts.fetchall()[0]
            extra = con.execute(
                f"select count(*) from (select * from cand.{name} except all select * from ref.{name})"
            ).fetchall()[0][0]
            missing = con.execute(
                f"select count(*) from (select * from ref.{name} except all select * from cand.{name})"
            ).fetchall()[0][0]
            if n_cand != n_ref or extra or missing:
                problems.append(f"{name}: {n_cand} rows vs {n_ref}; {extra} unexpected, {missing} missing")
        meta = [
            dict(
                (k, v)
                for k, v in con.execute(f"select key, value from {alias}.snapshot_meta").fetchall()
                if k not in BUILD_KEYS
            )
            for alias in ("cand", "ref")
        ]
        if meta[0] != meta[1]:
            problems.append(f"meta differs: {meta[0]} != {meta[1]}")
        return problems
    finally:
        con.close()


def is_sorted_by(path: Path, table: str, column: str) -> bool:
    """Whether the rows of ``table`` are stored in non-decreasing ``column`` order."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            f"select count(*) = 0 from (select {column} < lag({column}) over (order by rowid) as down from {table}) "
            "where down"
        ).fetchall()[0][0]
