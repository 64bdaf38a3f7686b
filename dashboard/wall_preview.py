"""The wall's first screen as images drawn by the server, shown while the browser's plotly.js starts.

On a weak wall PC most of a cold first paint is plotly.js itself: evaluating its bundle (~0.3-0.6 s) and
drawing the first screen's graphs (~0.4 s). The figures of a snapshot are known before any wall opens, so
the server draws each first-screen graph once, with the same plotly.js (kaleido, the system Chromium, as
for the chart downloads), into an SVG file named by the hash of the figure. The wall's layout puts each
available image over its graph (``wall_layout.panel``); ``assets/wall.js`` loads plotly.js only once the
images are on screen, and removes each image when its live graph has drawn: the same figure, so nothing
visibly changes. A figure without an image yet is drawn by plotly.js as before.

Images are rendered in the background, never during a request: after a new snapshot (``warmup``) for the
default wall, and when a wall asks for a first screen that has none. Files live in
``data_dir/cache/wall-previews/`` (shared by the server's workers, written atomically); a new snapshot's
figures get new names, and files not used for ``KEEP_DAYS`` are removed. Without Chromium (kaleido fails)
nothing is rendered and the wall draws as before; the failure is logged once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from dashboard.view_cache import IdentityCache

log = logging.getLogger("cockpit.wall_preview")

URL_PREFIX = "/wall/preview/"
NAME_RE = re.compile(r"[0-9a-f]{32}\.svg")
KEEP_DAYS = 14

# After a failed render (no Chromium, say), the next try waits this long: a wall load must not start a
# browser that cannot start, again and again.
RETRY_AFTER_S = 3600
# First screens drawn per snapshot version and process: the walls of a district have a few addresses (the
# default, a language, a playlist), while a client asking for one period after another must not keep the
# drawer busy (and the disk filling) until the next snapshot.
MAX_SCREENS_PER_VERSION = 8
DRAWER_THREAD = "cockpit-wall-preview"

_lock = threading.Lock()
_pending: set[str] = set()  # image names queued or being drawn
_queue: list[tuple] = []  # (settings, figures, names) waiting for the drawer
_queued: dict[str | None, int] = {}  # first screens queued per snapshot version
_drawer: dict[str, threading.Thread | None] = {"thread": None}
_failed_at: list[float] = []


def preview_dir(settings) -> Path:
    return Path(settings.data_dir) / "cache" / "wall-previews"


# Names by the identity of the figure dict: the wall's figures are memoised per snapshot version, and
# hashing the map's JSON on every wall visit cost milliseconds.
_NAMES = IdentityCache(256)


def _hash_name(figure: Mapping) -> str:
    text = json.dumps(figure, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + ".svg"


def figure_name(figure: Mapping) -> str:
    """The image's file name: a hash of the figure as sent to the browser (same figure, same name)."""
    return _NAMES.get(figure, _hash_name)


def preview_path(settings, name: str) -> Path | None:
    """The file of an image name, or None for a name that is not one (no path tricks reach the disk)."""
    if not NAME_RE.fullmatch(name):
        return None
    return preview_dir(settings) / name


def available(settings, figures: Mapping[str, Mapping]) -> tuple[dict[str, str], dict[str, Mapping]]:
    """``({graph id: image URL}, {graph id: figure without an image yet})`` for the first screen's figures."""
    urls, missing = {}, {}
    for graph_id, figure in figures.items():
        if not isinstance(figure, Mapping) or not figure.get("data"):
            continue  # an empty placeholder draws in no time
        name = figure_name(figure)
        if (preview_dir(settings) / name).is_file():
            urls[graph_id] = URL_PREFIX + name
        else:
            missing[graph_id] = figure
    return urls, missing


def render(settings, figures: Mapping[str, Mapping]) -> int:
    """Draw the figures that have no image yet; returns how many were written.

    One process draws at a time (a lock file: the server's workers warm up together, and the first one
    draws what the others then find).
    """
    from dashboard.downloads import render_svg

    folder = preview_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(folder / ".render.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for figure in figures.values():
            target = folder / figure_name(figure)
            if target.is_file():
                continue
            layout = figure.get("layout") or {}
            svg = render_svg(figure, int(layout.get("width") or 800), int(layout.get("height") or 600))
            partial = folder / f".{target.name}.{os.getpid()}.{threading.get_ident()}.part"
            partial.write_bytes(svg)
            os.replace(partial, target)  # a reader sees the whole file or none
            written += 1
    if written:
        _remove_old(folder)
    return written


def _remove_old(folder: Path) -> None:
    cutoff = time.time() - KEEP_DAYS * 86400
    for path in folder.glob("*.svg"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def render_later(settings, figures: Mapping[str, Mapping], version: str | None) -> bool:
    """Queue ``figures`` (a first screen of snapshot ``version``) for the background drawer; False when
    they are on their way already, the version has had ``MAX_SCREENS_PER_VERSION`` first screens queued,
    or drawing failed less than ``RETRY_AFTER_S`` ago."""
    names = {figure_name(f) for f in figures.values()}
    with _lock:
        if not names or names <= _pending or (_failed_at and time.time() - _failed_at[-1] < RETRY_AFTER_S):
            return False
        if version not in _queued:
            _queued.clear()  # a new snapshot: the old ones' counts are done with
        if _queued.get(version, 0) >= MAX_SCREENS_PER_VERSION:
            return False
        _queued[version] = _queued.get(version, 0) + 1
        _pending.update(names)
        _queue.append((settings, figures, names))
        if _drawer["thread"] is None:
            _drawer["thread"] = threading.Thread(target=_drain, name=DRAWER_THREAD, daemon=True)
            _drawer["thread"].start()
    return True


def _drain() -> None:
    """The drawer: first screens one after the other, then kaleido's browser stopped unless it was running
    before (a few hundred MB, idle until the next snapshot)."""
    from dashboard.downloads import kaleido_running, stop_kaleido

    started_here = not kaleido_running()
    try:
        while True:
            with _lock:
                if not _queue:
                    _drawer["thread"] = None
                    return
                settings, figures, names = _queue.pop(0)
            try:
                render(settings, figures)
            except Exception:  # a courtesy: the wall draws with plotly.js all the same
                with _lock:
                    _failed_at.append(time.time())
                    dropped = _queue[:]
                    _queue.clear()
                    for _settings, _figures, queued in dropped:
                        _pending.difference_update(queued)
                log.warning(
                    "wall: first-screen images cannot be drawn (retried in %d s)",
                    RETRY_AFTER_S,
                    exc_info=True,
                )
            finally:
                with _lock:
                    _pending.difference_update(names)
    finally:
        if started_here:
            stop_kaleido()


def wait_until_drawn(timeout: float = 120.0) -> bool:
    """Block until the drawer has nothing left to do (tests, and a command that must hand over files)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with _lock:
            thread = _drawer["thread"]
        if thread is None:
            return True
        thread.join(timeout=max(0.0, deadline - time.time()))
    return False
