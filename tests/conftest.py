"""Shared fixtures.

- ``tmp_settings``: :class:`Settings` whose ``data_dir`` is a fresh temporary directory.
- ``raw_store``: path of a tiny hand-made raw store (``tests/support/raw_fixture.py``: every row and the
  hand-computed expected KPIs and points are there), created with ``sql/ddl/raw.sql``; closed.
- ``snapshot``: path of ``published.duckdb`` built and published from ``raw_store`` into
  ``tmp_settings.data_dir`` (run id ``run-fixture``).
- ``snapshot_con``: a read-only connection to the fixture snapshot (closed after the test). The
  snapshot behind it is built once per session (``session_snapshot``), so tests using it must only
  read; use ``snapshot`` when a test needs its own data directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.support.raw_fixture import create_raw_store
from warehouse.publish import publish_snapshot
from warehouse.settings import Settings


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    """Settings rooted at an empty temporary data directory."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    return Settings(data_dir=data_dir)


@pytest.fixture
def raw_store(tmp_path: Path) -> Path:
    """A closed raw store file holding the hand-made rows of ``tests/support/raw_fixture.py``."""
    return create_raw_store(tmp_path / "raw.duckdb")


@pytest.fixture
def snapshot(raw_store: Path, tmp_settings: Settings) -> Path:
    """The published snapshot built from ``raw_store`` (``tmp_settings.published_db``)."""
    publish_snapshot(raw_store, tmp_settings, "run-fixture")
    return tmp_settings.published_db


@pytest.fixture(scope="session")
def session_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published fixture snapshot shared by the whole session: read it, never write to its directory."""
    root = tmp_path_factory.mktemp("session_snapshot")
    settings = Settings(data_dir=root / "data")
    publish_snapshot(create_raw_store(root / "raw.duckdb"), settings, "run-fixture")
    return settings.published_db


@pytest.fixture
def snapshot_con(session_snapshot: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the session's fixture snapshot (default catalog set to it)."""
    con = duckdb.connect()
    con.execute("attach ? as snapshot (read_only)", [str(session_snapshot)])
    con.execute("use snapshot")
    yield con
    con.close()


@pytest.fixture
def writable_copy(session_snapshot: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a copy of the session's fixture snapshot (the query memo cleared)."""
    from warehouse import query

    path = tmp_path / "copy.duckdb"
    shutil.copy(session_snapshot, path)
    con = duckdb.connect(str(path))
    query.clear_memo()
    yield con
    con.close()
    query.clear_memo()
