"""Heavy downloads (report pack, images) are limited per user and per process and refused at once, so
they never hold the threads ``/healthz`` and the wall's poll need (issue 17 item 5)."""

from __future__ import annotations

from datetime import date

import flask
import pytest

from dashboard import context, downloads
from dashboard.auth_store import Principal
from dashboard.components.lead_view import clear_caches
from dashboard.downloads import HeavyLimiter, register_download_routes
from warehouse.snapshot import SnapshotReader

YEAR = "?from=2023-01-01&to=2023-12-31"


def test_one_heavy_download_per_user_and_a_few_per_process():
    limiter = HeavyLimiter(slots=2)
    assert limiter.try_acquire("amy")
    assert not limiter.try_acquire("amy")  # her second export waits for the first
    assert limiter.try_acquire("bob")
    assert not limiter.try_acquire("cat")  # both slots taken: refused, not queued
    limiter.release("amy")
    assert limiter.try_acquire("cat") and limiter.try_acquire("amy") is False


@pytest.fixture
def client(snapshot, tmp_settings):
    settings = tmp_settings.with_(default_start=date(2023, 1, 1), default_end=date(2023, 12, 31))
    reader = SnapshotReader(snapshot)
    context.configure(settings, reader)
    clear_caches()
    app = flask.Flask(__name__)
    principal = Principal("user", "leader", "leader")
    app.before_request(lambda: setattr(flask.g, "cockpit_principal", principal))
    register_download_routes(app)
    yield app.test_client()
    reader.close()


def test_a_second_heavy_download_is_refused_with_retry_after(client, monkeypatch):
    limiter = HeavyLimiter(slots=2)
    monkeypatch.setattr(downloads, "HEAVY", limiter)
    assert limiter.try_acquire("leader")  # the user's report pack is still being built
    for path in (f"/download/report.zip{YEAR}", f"/download/ranking.png{YEAR}"):
        busy = client.get(path.replace("ranking", "trend"))
        assert busy.status_code == 429 and busy.headers["Retry-After"]
        assert "稍后再试" in busy.get_data(as_text=True)
    english = client.get(f"/download/report.zip{YEAR}&lang=en")
    assert english.status_code == 429 and "try again" in english.get_data(as_text=True)
    assert client.get(f"/download/ranking.csv{YEAR}").status_code == 200  # light downloads still served
    limiter.release("leader")
    assert limiter.try_acquire("leader")  # a refused request never kept a slot
