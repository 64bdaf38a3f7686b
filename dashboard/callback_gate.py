"""At most ``settings.callback_slots`` Dash callbacks run at once per worker process.

A period change costs hundreds of milliseconds of CPU per callback; twenty leaders clicking at once
would otherwise have every server thread busy with them, and a wall's ``/wall/version`` poll (a few
milliseconds of work) would wait in gunicorn's queue behind all of them (measured: seconds). The
workers run many threads (``settings.server_threads``) so that every request gets one at once; only
callbacks then wait, here, for one of a few slots (blocked on a semaphore, holding no CPU and no GIL),
while polls, pages and static files go straight through.
"""

from __future__ import annotations

import threading

from flask import Flask, g, request

CALLBACK_SUFFIX = "/_dash-update-component"


def install_callback_gate(server: Flask, slots: int) -> None:
    """Make Dash callbacks on ``server`` take one of ``slots`` slots for their duration."""
    if slots <= 0:
        return
    gate = threading.BoundedSemaphore(slots)

    @server.before_request
    def _take_slot():
        if request.path.endswith(CALLBACK_SUFFIX):
            gate.acquire()
            g.cockpit_callback_slot = True

    @server.teardown_request
    def _free_slot(_exc):
        if g.pop("cockpit_callback_slot", False):
            gate.release()
