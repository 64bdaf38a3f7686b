"""Process-wide state of the dashboard: the settings and the snapshot reader.

Dash Pages registers callbacks at import time, so pages reach the settings and the snapshot through
this module rather than through arguments. ``create_app`` sets both before any request is served.
"""

from __future__ import annotations

from warehouse.settings import Settings

_state: dict = {}


def configure(settings: Settings, reader) -> None:
    _state["settings"] = settings
    _state["reader"] = reader


def settings() -> Settings:
    return _state["settings"]


def reader():
    """The :class:`warehouse.snapshot.SnapshotReader` of this process."""
    return _state["reader"]
