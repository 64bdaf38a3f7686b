"""A wall's poll never waits behind leaders' callbacks: at most N callbacks run per worker."""

from __future__ import annotations

import threading
import time

from flask import Flask
from werkzeug.serving import make_server

from dashboard.callback_gate import install_callback_gate
from dashboard.production import gunicorn_options
from warehouse.settings import Settings


def test_callbacks_share_the_slots_while_other_requests_go_straight_through():
    import requests

    app = Flask(__name__)
    install_callback_gate(app, 2)
    running, peak, lock = [0], [0], threading.Lock()

    @app.post("/_dash-update-component")
    def callback():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.5)
        with lock:
            running[0] -= 1
        return "{}"

    @app.get("/wall/version")
    def poll():
        return {"version": "v1"}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        leaders = [
            threading.Thread(
                target=requests.post, args=(url + "/_dash-update-component",), kwargs={"timeout": 30}
            )
            for _ in range(6)
        ]
        for leader in leaders:
            leader.start()
        time.sleep(0.2)  # the callbacks hold both slots now, four more wait
        started = time.perf_counter()
        assert requests.get(url + "/wall/version", timeout=30).json() == {"version": "v1"}
        poll_s = time.perf_counter() - started
        for leader in leaders:
            leader.join(timeout=30)
    finally:
        server.shutdown()
    assert peak[0] == 2  # never more than the slots at once
    assert poll_s < 0.4  # not behind even one callback (0.5 s each)
    assert running[0] == 0  # every slot given back


def test_gunicorn_threads_and_slots_come_from_the_settings():
    options = gunicorn_options(Settings(server_threads=24), 2)
    assert options["threads"] == 24 and options["worker_class"] == "gthread"
    assert Settings().server_threads > Settings().callback_slots > 0


def test_a_production_worker_freezes_its_start_up_heap_once_the_app_is_built(monkeypatch, tmp_path):
    """A full collection walks every tracked object (~70 ms with plotly, pandas and Dash loaded) and lands
    on whichever request allocates then: the worker moves its start-up heap out of the collector's sight."""
    import gc
    from types import SimpleNamespace

    from dashboard import production

    events: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: events.append("freeze"))
    monkeypatch.setattr(gc, "collect", lambda *a: events.append("collect") or 0)
    monkeypatch.setattr(
        production, "create_app", lambda settings: events.append("app") or SimpleNamespace(server=Flask("t"))
    )
    production.build_wsgi(Settings(data_dir=tmp_path, warm_default_screens=False))
    assert events == ["app", "collect", "freeze"]
