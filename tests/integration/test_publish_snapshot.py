"""Publishing: atomic replace, versions kept for rollback, failures leave the published file alone,
and no personal data ever reaches a snapshot."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

import warehouse.publish as publish
from tests.support.raw_fixture import PERSONAL_VALUES, create_raw_store
from warehouse.publish import SnapshotNotFound, list_snapshots, publish_snapshot, published_version, rollback

PERSONAL_COLUMNS = {"phone", "party_name", "party_phone"}


def meta_of(path: Path) -> dict[str, str]:
    con = duckdb.connect()
    con.execute("attach ? as s (read_only)", [str(path)])
    meta = dict(con.execute("select key, value from s.main.snapshot_meta").fetchall())
    con.close()
    return meta


def test_publish_writes_a_versioned_snapshot_with_metadata(raw_store, tmp_settings):
    version = publish_snapshot(raw_store, tmp_settings, "7c9e6679-7425-40de")
    assert re.fullmatch(r"\d{8}T\d{6}Z-2540de", version)  # the run id's distinctive tail
    meta = meta_of(tmp_settings.published_db)
    assert meta["version"] == version
    assert meta["run_id"] == "7c9e6679-7425-40de"
    assert (meta["district_name"], meta["district_code"]) == ("石拐区", "150205")
    assert datetime.fromisoformat(meta["built_at"]).tzinfo is not None
    assert (tmp_settings.snapshots_dir / f"{version}.duckdb").is_file()
    assert published_version(tmp_settings) == version
    assert not list(tmp_settings.snapshots_dir.glob("*.tmp*"))


def test_snapshot_as_of_tolerates_an_empty_file_log(tmp_path, tmp_settings):
    raw = create_raw_store(tmp_path / "bare.duckdb", with_etl_files=False)
    publish_snapshot(raw, tmp_settings, "run-bare")
    con = duckdb.connect(str(tmp_settings.published_db), read_only=True)
    assert con.execute("select count(*) from snapshot_as_of").fetchall() == [(0,)]
    con.close()


def test_no_personal_data_in_any_table_or_column(snapshot):
    con = duckdb.connect(str(snapshot), read_only=True)
    columns = con.execute(
        "select table_name, column_name from duckdb_columns() where database_name = current_database()"
    ).fetchall()
    assert columns and not {c for _, c in columns} & PERSONAL_COLUMNS
    for table, column in columns:
        found = con.execute(
            f'select count(*) from "{table}" where cast("{column}" as varchar) similar to ?',
            [".*(" + "|".join(PERSONAL_VALUES) + ").*"],
        ).fetchall()[0][0]
        assert found == 0, f"personal data in {table}.{column}"
    con.close()


def test_publish_from_the_etl_connection_restores_it(raw_store, tmp_settings):
    con = duckdb.connect(str(raw_store))  # the ETL holds the raw store read-write
    version = publish_snapshot(con, tmp_settings, "run-etl")
    assert con.execute("select current_database()").fetchall() == [("raw",)]
    assert con.execute("select count(*) from activities").fetchall() == [(11,)]
    leftovers = con.execute("select count(*) from duckdb_views() where temporary and view_name like 'stg_%'")
    assert leftovers.fetchall() == [(0,)]
    second = publish_snapshot(con, tmp_settings, "run-etl2")  # and can publish again
    con.close()
    assert second > version and meta_of(tmp_settings.published_db)["version"] == second


def test_failure_mid_build_leaves_the_published_snapshot_untouched(raw_store, tmp_settings, monkeypatch):
    first = publish_snapshot(raw_store, tmp_settings, "run-good")
    before = tmp_settings.published_db.read_bytes()
    real_run_model = publish._run_model

    def failing(con, layer, name):
        if name == "fct_points":
            raise RuntimeError("injected failure")
        real_run_model(con, layer, name)

    monkeypatch.setattr(publish, "_run_model", failing)
    con = duckdb.connect(str(raw_store))
    with pytest.raises(RuntimeError, match="injected failure"):
        publish_snapshot(con, tmp_settings, "run-bad")
    assert con.execute("select current_database()").fetchall() == [("raw",)]  # caller's connection intact
    con.close()
    assert tmp_settings.published_db.read_bytes() == before
    assert meta_of(tmp_settings.published_db)["version"] == first
    assert [e.version for e in list_snapshots(tmp_settings)] == [first]
    assert not list(tmp_settings.snapshots_dir.glob("*.tmp*"))


def test_publish_keeps_the_last_n_versions(raw_store, tmp_settings):
    settings = tmp_settings.with_(keep_snapshots=2)
    versions = [publish_snapshot(raw_store, settings, f"run-{i}") for i in range(3)]
    assert versions == sorted(versions) and len(set(versions)) == 3
    kept = list_snapshots(settings)
    assert [e.version for e in kept] == versions[1:]
    assert [e.is_published for e in kept] == [False, True]


def test_rollback_republishes_a_kept_version(raw_store, tmp_settings):
    v1 = publish_snapshot(raw_store, tmp_settings, "run-1")
    v2 = publish_snapshot(raw_store, tmp_settings, "run-2")
    assert meta_of(tmp_settings.published_db)["version"] == v2
    assert rollback(tmp_settings, v1) == v1
    assert meta_of(tmp_settings.published_db)["version"] == v1
    assert [e.version for e in list_snapshots(tmp_settings) if e.is_published] == [v1]
    with pytest.raises(SnapshotNotFound):
        rollback(tmp_settings, "20990101T000000Z-nothere")
    with pytest.raises(SnapshotNotFound):
        rollback(tmp_settings, "../published")
    assert meta_of(tmp_settings.published_db)["version"] == v1
