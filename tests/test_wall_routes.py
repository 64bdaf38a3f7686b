"""/wall/version: the few bytes the wall polls."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from dashboard import context, wall_routes
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
    app = Flask(__name__)
    wall_routes.register_wall_routes(app)
    return app.test_client()


def test_version_route_answers_the_snapshot_version_in_a_few_bytes(client):
    context.configure(Settings(), FakeReader("20240119T020000Z-abc"))
    response = client.get("/wall/version")
    assert response.status_code == 200
    assert json.loads(response.data) == {"version": "20240119T020000Z-abc"}
    assert len(response.data) < 100
    assert response.headers["Cache-Control"] == "no-store"


def test_unreadable_snapshot_answers_null_not_an_error_page(client, caplog):
    context.configure(Settings(), FakeReader(error=RuntimeError("no snapshot")))
    response = client.get("/wall/version")
    assert response.status_code == 200
    assert json.loads(response.data) == {"version": None}
    assert "no snapshot" in caplog.text
