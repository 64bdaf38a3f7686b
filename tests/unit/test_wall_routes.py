"""/wall/version: the few bytes the wall polls."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from dashboard import context, wall_routes
from dashboard.freshness import Freshness
from warehouse import query
from warehouse.run_status import RunStatus, write_status
from warehouse.settings import Settings


class FakeReader:
    def __init__(self, version=None, error: Exception | None = None):
        self._version = version
        self._error = error

    @property
    def version(self):
        if self._error:
            raise self._error
        return self._version


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setattr(context, "_state", {})
    monkeypatch.setattr(wall_routes, "_INPUTS", {})
    app = Flask(__name__)
    wall_routes.register_wall_routes(app)
    return app.test_client()


def test_version_route_answers_the_snapshot_version_in_a_few_bytes(client):
    context.configure(Settings(), FakeReader("20240119T020000Z-abc"))
    response = client.get("/wall/version")
    assert response.status_code == 200
    body = json.loads(response.data)
    assert body["version"] == "20240119T020000Z-abc"
    assert len(response.data) < 160
    assert response.headers["Cache-Control"] == "no-store"


def test_unreadable_snapshot_answers_null_not_an_error_page(client, caplog):
    context.configure(Settings(), FakeReader(error=RuntimeError("no snapshot")))
    response = client.get("/wall/version")
    assert response.status_code == 200
    assert json.loads(response.data) == {"version": None, "fresh": "no_snapshot", "as_of": "—"}
    assert "no snapshot" in caplog.text


class InfoReader(FakeReader):
    """A reader whose snapshot metadata says it was built at ``built_at``; counts metadata reads."""

    def __init__(self, version, built_at):
        super().__init__(version)
        self.built_at = built_at
        self.reads = 0

    @contextlib.contextmanager
    def cursor(self):
        self.reads += 1
        yield self


def test_poll_carries_the_freshness_so_the_banner_follows_without_a_reload(client, tmp_path, monkeypatch):
    built = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)
    monkeypatch.setattr(
        query,
        "snapshot_info",
        lambda con: query.SnapshotInfo(con._version, con.built_at, "r1", {"activities": built}),
    )
    settings = Settings(data_dir=tmp_path)
    reader = InfoReader("v1", built)
    context.configure(settings, reader)
    assert json.loads(client.get("/wall/version").data) == {"version": "v1", "fresh": "ok"}
    client.get("/wall/version")
    assert reader.reads == 1, "metadata is read once per version and status file, not per poll"

    # The nightly run fails: the next poll says so, with the as-of time the banner shows.
    now = datetime.now(ZoneInfo("Asia/Shanghai")).isoformat()
    write_status(settings, RunStatus("r2", "failed", "scheduler", now, now, message="boom"))
    body = json.loads(client.get("/wall/version").data)
    assert body == {"version": "v1", "fresh": "last_run_failed", "as_of": built.strftime("%Y-%m-%d %H:%M")}

    # Days later with no new snapshot: stale, computed from the same cached metadata.
    write_status(settings, RunStatus("r3", "succeeded", "scheduler", now, now))
    reader.built_at = built - timedelta(days=3)
    monkeypatch.setattr(wall_routes, "_INPUTS", {})
    assert json.loads(client.get("/wall/version").data)["fresh"] == "stale"


def test_banner_templates_cover_every_reason_in_both_languages():
    from dashboard.freshness import banner_templates, wall_banner

    for lang in ("zh-CN", "en"):
        texts = banner_templates(lang)
        assert set(texts) == {"no_snapshot", "stale", "last_run_failed"}
        assert all("{as_of}" in text for reason, text in texts.items() if reason != "no_snapshot")
    ok = wall_banner("en", Freshness(True, "ok", None, "succeeded"))
    assert ok.id == "wall-banner" and ok.hidden is True
