"""What a snapshot records about its own build, so that the next build can start from it.

Two facts decide whether a published snapshot can be updated in place of a full rebuild
(``warehouse.incremental``), both written into its ``snapshot_meta`` by every build:

- ``build.fingerprint``: a hash of everything besides the raw store that shapes the marts (the SQL of
  every staging and mart model, the list of models, the points rules, the version of the incremental
  logic). A snapshot built by other code or other rules is never patched: the next build is full.
- ``build.anchor_run``: the newest run of the raw store's run log when the snapshot was built. The
  snapshot holds every change of that run and the runs before it; the changes since are those of the
  later runs (``sql/incremental``).

``build.mode`` (``full`` or ``incremental``) and ``build.days`` (the days rebuilt) say which path ran.
Like the version and build time, they describe the build, not the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import duckdb

from warehouse import SQL_DIR
from warehouse.points import PointsRule

FINGERPRINT_KEY = "build.fingerprint"
ANCHOR_KEY = "build.anchor_run"
MODE_KEY = "build.mode"
DAYS_KEY = "build.days"
FULL, INCREMENTAL = "full", "incremental"
# Keys of snapshot_meta that describe the build rather than the data (besides version and built_at).
BUILD_ONLY_KEYS: frozenset[str] = frozenset({MODE_KEY, DAYS_KEY})
# Bump when the incremental logic changes what it rebuilds: older snapshots are then rebuilt once.
LOGIC_VERSION = "1"
_MODEL_LAYERS = ("staging", "marts")


def incremental_sql(name: str) -> str:
    """The text of ``warehouse/sql/incremental/<name>.sql``."""
    return (SQL_DIR / "incremental" / f"{name}.sql").read_text(encoding="utf-8")


def fingerprint(models: Sequence[str], rules: Sequence[PointsRule]) -> str:
    """A hash of the model SQL files, the model list (in build order) and the points rules."""
    digest = hashlib.sha256(f"logic {LOGIC_VERSION}\n".encode())
    for layer in _MODEL_LAYERS:
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            digest.update(f"{layer}/{path.name}\n".encode())
            digest.update(path.read_bytes())
    digest.update(("models " + ",".join(models) + "\n").encode())
    for rule in rules:
        digest.update((repr(rule) + "\n").encode())
    return digest.hexdigest()


def anchor_run(con: duckdb.DuckDBPyConnection, raw_catalog: str) -> str | None:
    """The newest run of the raw store's log (``raw_catalog``), or None when it has no run log or run."""
    has_runs = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'main' "
        "and table_name = 'etl_runs'",
        [raw_catalog],
    ).fetchall()[0][0]
    if not has_runs:
        return None
    rows = con.execute(incremental_sql("anchor_run")).fetchall()
    return rows[0][0] if rows else None


def build_meta(
    con: duckdb.DuckDBPyConnection,
    raw_catalog: str,
    models: Sequence[str],
    rules: Sequence[PointsRule],
    mode: str = FULL,
    days: int | None = None,
) -> dict[str, str]:
    """The build's ``snapshot_meta`` entries (``days`` only for an incremental build)."""
    meta = {FINGERPRINT_KEY: fingerprint(models, rules), MODE_KEY: mode}
    anchor = anchor_run(con, raw_catalog)
    if anchor is not None:
        meta[ANCHOR_KEY] = anchor
    if days is not None:
        meta[DAYS_KEY] = str(days)
    return meta
