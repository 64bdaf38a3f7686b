"""Rendered views kept per snapshot version (the wall's panel content, the leadership view's summary and
panels). A published snapshot never changes and a new one has a new version, so nothing stale is served;
the least recently used entries go past ``size``. Values are shared between requests: callers must not
mutate them. (Query results have their own byte-bounded memo in ``warehouse.query``.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from dashboard.components.figure_text import escape_figure

# How long a request waits for another thread computing the same entry before computing it itself.
FLIGHT_WAIT_SECONDS = 60.0


class VersionedCache:
    """A small thread-safe LRU keyed by (kind, snapshot version, key).

    Concurrent misses of one entry compute it once (single flight): the first caller computes, the
    others wait for its result. After a publish the warm-up thread and the first requests (the walls
    reloading, a leader opening the view) would otherwise each build the same screens at once, which
    on two cores makes every one of them slower.
    """

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[tuple, object] = OrderedDict()
        self._in_flight: dict[tuple, threading.Event] = {}
        self._lock = threading.Lock()

    def _lookup(self, full_key: tuple) -> tuple[bool, object]:
        """(found, value); the caller holds the lock."""
        if full_key in self._entries:
            self._entries.move_to_end(full_key)
            return True, self._entries[full_key]
        return False, None

    def memoised(
        self, kind: str, version, key, compute: Callable[[], object], keep: Callable[[object], bool] = bool
    ):
        """``compute()`` memoised per (``kind``, snapshot ``version``, ``key``); ``version=None``: never kept.

        ``keep(value)`` decides whether a result is worth keeping (not when a panel's query failed); a
        caller that waited for a result that was not kept (or whose computation failed) computes its own.
        """
        if version is None:
            return compute()
        full_key = (kind, version, key)
        with self._lock:
            found, value = self._lookup(full_key)
            if found:
                return value
            flight = self._in_flight.get(full_key)
            leader = flight is None
            if leader:
                flight = self._in_flight[full_key] = threading.Event()
        if not leader:
            flight.wait(FLIGHT_WAIT_SECONDS)
            with self._lock:
                found, value = self._lookup(full_key)
            return value if found else compute()
        try:
            value = compute()
            if keep(value):
                with self._lock:
                    self._entries[full_key] = value
                    while len(self._entries) > self.size:
                        self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._in_flight.pop(full_key, None)
            flight.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class IdentityCache:
    """Values computed once per object, by the object's identity: for objects loaded or memoised once per
    process and never changed in place (outlines, memoised figures), whose value costs milliseconds to
    compute again. The object is kept in its entry, so its id cannot be taken by another object while
    the entry lives; past ``size`` entries the cache starts over."""

    def __init__(self, size: int):
        self.size = size
        self._entries: dict[int, tuple[object, object]] = {}

    def get(self, obj, compute: Callable[[object], object]):
        """``compute(obj)``, computed once per object (exceptions propagate, nothing is kept)."""
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        value = compute(obj)
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[id(obj)] = (obj, value)
        return value


def plain_figure(figure):
    """A plotly figure as its JSON-ready dict (anything else as it is): what the caches keep and send.

    Dash serialises plain data with orjson, whereas a response holding ``go.Figure`` objects is
    deep-copied and walked value by value on every request. Text from the data is escaped on the way
    (``figure_text.escape_figure``): it is shown as text, never as Plotly markup.
    """
    return escape_figure(figure)
