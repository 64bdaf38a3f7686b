"""Read the published snapshot from the dashboard: one read-only connection per process, a cursor per
request, reopened when the ETL replaces the file.

DuckDB facts this relies on (STACK_NOTES.md): a connection shared by threads refuses concurrent work,
so every request takes its own ``cursor()``; after ``os.replace`` an open connection keeps serving the
old file, and a plain ``duckdb.connect(path)`` in the same process would return the cached old instance.
So each (re)open creates a fresh in-memory database and ATTACHes the file READ_ONLY; the previous
connection is not closed while requests may still use it (cursors keep it alive until they are
dropped).
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import duckdb

SNAPSHOT_ALIAS = "snapshot"


# (file path, version) of the snapshot a cursor reads: the query layer's memo key (``warehouse.query``).
# The reader's cursors get it from the open file, so a request's cursor needs no query to tell it (one was
# ~4 ms of every request); other connections get it from the query layer's one query, once.
_CURSOR_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CURSOR_KEYS_LOCK = threading.Lock()
# (version, file path) of the snapshot a connection reads (version None without one in snapshot_meta).
SNAPSHOT_KEY_SQL = (
    "select (select value from snapshot_meta where key = 'version'),"
    " (select path from duckdb_databases() where database_name = current_database())"
)


def cursor_key(cur: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(file path, version) of the snapshot ``cur`` reads when known (every cursor of
    :meth:`SnapshotReader.cursor`, and connections :func:`remember_cursor_key` was told about), else None."""
    with _CURSOR_KEYS_LOCK:
        return _CURSOR_KEYS.get(cur)


def remember_cursor_key(cur: duckdb.DuckDBPyConnection, key: tuple[str, str]) -> None:
    """Record the key of ``cur`` (kept while the cursor lives)."""
    with _CURSOR_KEYS_LOCK:
        _CURSOR_KEYS[cur] = key


class SnapshotUnavailable(RuntimeError):
    """No published snapshot can be read (not built yet, or unreadable). The dashboard shows a notice."""


@dataclass(frozen=True)
class _FileIdentity:
    device: int
    inode: int
    mtime_ns: int
    size: int


def _identity(path: Path) -> _FileIdentity | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return _FileIdentity(st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


class SnapshotReader:
    """Per-process access to ``published.duckdb``.

    Example::

        reader = SnapshotReader(settings.published_db)
        cur = reader.cursor()          # per request / thread
        values = query.kpis(cur, filters)

    Thread-safe: the file check and reopen are serialised by a lock; a request holding a cursor on the
    previous connection finishes on the old data.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: _FileIdentity | None = None
        self._version: str | None = None
        self._key: tuple[str, str] | None = None

    def _open(self, identity: _FileIdentity) -> None:
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"attach ? as {SNAPSHOT_ALIAS} (read_only)", [str(self.path)])
            con.execute(f"use {SNAPSHOT_ALIAS}")
            version, path = con.execute(SNAPSHOT_KEY_SQL).fetchall()[0]
        except duckdb.Error as exc:
            con.close()
            raise SnapshotUnavailable(f"cannot read snapshot {self.path}: {exc}") from exc
        # Not closing the previous connection: cursors handed out before still run on it.
        self._con = con
        self._identity = identity
        self._version = version
        self._key = (str(path), str(self._version)) if path and self._version else None

    def refresh(self) -> bool:
        """Reopen when the published file was replaced (cheap ``stat`` check). Returns True on reopen.

        Raises:
            SnapshotUnavailable: When no snapshot has been published and none is open.
        """
        identity = _identity(self.path)
        if identity is not None and identity == self._identity:
            return False
        with self._lock:
            identity = _identity(self.path)
            if identity is None:
                if self._con is None:
                    raise SnapshotUnavailable(f"no published snapshot at {self.path}")
                return False  # keep serving the open version rather than nothing
            if identity == self._identity:
                return False
            self._open(identity)
            return True

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the current snapshot (default catalog set to it); use one per request/thread.

        Raises:
            SnapshotUnavailable: When no snapshot can be read.
        """
        self.refresh()
        with self._lock:  # the connection and its key, of the same open
            con, key = self._con, self._key
        if con is None:  # pragma: no cover - refresh() raises first
            raise SnapshotUnavailable(f"no published snapshot at {self.path}")
        cur = con.cursor()
        cur.execute(f"use {SNAPSHOT_ALIAS}")
        if key is not None:
            remember_cursor_key(cur, key)
        return cur

    @property
    def version(self) -> str | None:
        """The version of the snapshot currently open (after checking for a newer file)."""
        self.refresh()
        return self._version

    def close(self) -> None:
        """Close the current connection (for shutdown and tests)."""
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None
            self._identity = None
            self._version = None
            self._key = None
