"""The query layer's memo: per (snapshot file, snapshot version, arguments); a new snapshot misses."""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse import query as q
from warehouse.publish import publish_snapshot

YEAR = q.Filters(date(2023, 1, 1), date(2023, 12, 31))


def _open(path):
    con = duckdb.connect()
    con.execute("attach ? as snapshot (read_only)", [str(path)])
    con.execute("use snapshot")
    return con


def test_memo_hits_return_copies_and_a_new_snapshot_version_misses(snapshot, raw_store, tmp_settings):
    q.clear_memo()
    con = _open(snapshot)
    first = q.township_summary(con, YEAR)
    first["scribble"] = 1  # a caller changing its copy must not change what others get
    again = q.township_summary(con, YEAR)
    assert "scribble" not in again.columns
    assert again.equals(first.drop(columns="scribble"))
    assert len(q._MEMO) == 1
    assert q.kpis(con, YEAR) == q.kpis.uncached(con, YEAR)
    assert len(q._MEMO) == 2
    version = con.execute("select value from snapshot_meta where key = 'version'").fetchall()[0][0]
    con.close()

    publish_snapshot(raw_store, tmp_settings, "run-second")  # a new version over the same path
    con = _open(tmp_settings.published_db)
    assert con.execute("select value from snapshot_meta where key = 'version'").fetchall()[0][0] != version
    q.township_summary(con, YEAR)
    assert len(q._MEMO) == 3  # computed again for the new version, not served from the old one
    con.close()
    q.clear_memo()


def test_connections_without_a_snapshot_are_not_memoised():
    q.clear_memo()
    con = duckdb.connect()
    assert q._snapshot_key(con) is None
    con.close()


def test_results_over_the_byte_budget_are_not_kept(session_snapshot, monkeypatch):
    q.clear_memo()
    monkeypatch.setattr(q, "_MEMO_BYTES", 4)  # smaller than any frame
    con = _open(session_snapshot)
    assert not q.township_summary(con, YEAR).empty
    assert len(q._MEMO) == 0
    con.close()


def test_uncached_variants_run_the_sql(session_snapshot):
    q.clear_memo()
    con = _open(session_snapshot)
    ranking = q.points_ranking.uncached(con, YEAR, limit=2)
    assert len(ranking) <= 2
    assert len(q._MEMO) == 0
    assert q.points_ranking(con, YEAR, limit=2).equals(ranking)
    con.close()
    q.clear_memo()


def test_reader_cursors_carry_the_memo_key_of_the_file_they_read(snapshot, raw_store, tmp_settings):
    from warehouse.snapshot import SnapshotReader, cursor_key

    reader = SnapshotReader(tmp_settings.published_db)
    first = reader.cursor()
    own = _open(tmp_settings.published_db)  # a plain connection: the key comes from its own query
    assert cursor_key(own) is None
    assert cursor_key(first) == q._snapshot_key(own) is not None

    publish_snapshot(raw_store, tmp_settings, "run-second")
    second = reader.cursor()
    assert cursor_key(second)[1] != cursor_key(first)[1]  # the new file's version, not the old one's
    assert cursor_key(first) == q._snapshot_key(own)  # a cursor on the old file keeps the old key
    own.close()
    reader.close()
