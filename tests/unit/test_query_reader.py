"""SnapshotReader: a per-process read-only connection that follows the published file."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from warehouse import query as q
from warehouse.publish import publish_snapshot, rollback
from warehouse.snapshot import SnapshotReader, SnapshotUnavailable

YEAR_2023 = q.Filters(date(2023, 1, 1), date(2023, 12, 31))


def test_missing_snapshot_raises_a_catchable_error(tmp_settings):
    reader = SnapshotReader(tmp_settings.published_db)
    with pytest.raises(SnapshotUnavailable):
        reader.cursor()
    with pytest.raises(SnapshotUnavailable):
        _ = reader.version


def test_reader_reopens_after_a_publish_and_old_cursors_finish(raw_store, tmp_settings):
    v1 = publish_snapshot(raw_store, tmp_settings, "run-1")
    reader = SnapshotReader(tmp_settings.published_db)
    old = reader.cursor()
    assert reader.version == v1
    v2 = publish_snapshot(raw_store, tmp_settings, "run-2")
    assert reader.version == v2
    fresh = reader.cursor()
    assert q.snapshot_info(fresh).version == v2
    assert q.snapshot_info(old).version == v1  # a request in flight keeps its snapshot
    assert rollback(tmp_settings, v1) == v1
    assert q.snapshot_info(reader.cursor()).version == v1
    reader.close()


def test_reader_serves_concurrent_threads_while_publishing(raw_store, tmp_settings):
    publish_snapshot(raw_store, tmp_settings, "run-1")
    reader = SnapshotReader(tmp_settings.published_db)
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(10):
                cur = reader.cursor()
                assert q.kpis(cur, YEAR_2023)["activities_total"] == 5
                cur.close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    publish_snapshot(raw_store, tmp_settings, "run-2")
    for thread in threads:
        thread.join()
    assert errors == []
    assert reader.version.endswith("-run2")
    reader.close()
