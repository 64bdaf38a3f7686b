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


class VersionedCache:
    """A small thread-safe LRU keyed by (kind, snapshot version, key)."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def memoised(
        self, kind: str, version, key, compute: Callable[[], object], keep: Callable[[object], bool] = bool
    ):
        """``compute()`` memoised per (``kind``, snapshot ``version``, ``key``); ``version=None``: never kept.

        ``keep(value)`` decides whether a result is worth keeping (not when a panel's query failed).
        """
        full_key = (kind, version, key)
        with self._lock:
            if version is not None and full_key in self._entries:
                self._entries.move_to_end(full_key)
                return self._entries[full_key]
        value = compute()
        if version is not None and keep(value):
            with self._lock:
                self._entries[full_key] = value
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def plain_figure(figure):
    """A plotly figure as its JSON-ready dict (anything else as it is): what the caches keep and send.

    Dash serialises plain data with orjson, whereas a response holding ``go.Figure`` objects is
    deep-copied and walked value by value on every request. Text from the data is escaped on the way
    (``figure_text.escape_figure``): it is shown as text, never as Plotly markup.
    """
    return escape_figure(figure)
