"""Rollback and rebuild, the snapshot actions shared by ``cockpit snapshots`` and the operators' page."""

from __future__ import annotations

import pytest

from warehouse.errors import UserError
from warehouse.locks import LockBusy, etl_lock
from warehouse.publish import publish_snapshot, published_version
from warehouse.snapshot_actions import rebuild, roll_back


def test_roll_back_publishes_a_kept_version(raw_store, tmp_settings):
    v1 = publish_snapshot(raw_store, tmp_settings, "run-1")
    v2 = publish_snapshot(raw_store, tmp_settings, "run-2")
    assert published_version(tmp_settings) == v2
    assert roll_back(tmp_settings, v1) == v1
    assert published_version(tmp_settings) == v1


def test_roll_back_to_an_unknown_version_names_the_kept_ones(raw_store, tmp_settings):
    v1 = publish_snapshot(raw_store, tmp_settings, "run-1")
    with pytest.raises(UserError) as info:
        roll_back(tmp_settings, "no-such-version")
    assert "未知的快照版本" in str(info.value) and "Unknown snapshot version" in str(info.value)
    assert v1 in str(info.value)


def test_actions_wait_for_no_etl_run(raw_store, tmp_settings):
    v1 = publish_snapshot(raw_store, tmp_settings, "run-1")
    publish_snapshot(raw_store, tmp_settings, "run-2")
    raw_store.rename(tmp_settings.raw_db)
    with etl_lock(tmp_settings):
        with pytest.raises(LockBusy):
            roll_back(tmp_settings, v1)
        with pytest.raises(LockBusy):
            rebuild(tmp_settings)
    assert published_version(tmp_settings) != v1


def test_rebuild_publishes_from_the_raw_store(raw_store, tmp_settings):
    with pytest.raises(UserError) as info:
        rebuild(tmp_settings)
    assert "找不到原始库" in str(info.value) and "Raw store not found" in str(info.value)
    raw_store.rename(tmp_settings.raw_db)
    version = rebuild(tmp_settings)
    assert published_version(tmp_settings) == version
