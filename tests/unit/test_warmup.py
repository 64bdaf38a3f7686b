"""A worker prepares the default screens of a new snapshot version once, in the background
(dashboard/warmup.py): afterwards the first request is answered from the memo, no query run."""

from __future__ import annotations

import pytest

from dashboard import context, wall_data, wall_preview, warmup
from dashboard.components import lead_view, wall_layout
from dashboard.filters import parse_search, to_search
from dashboard.period_default import current_default_period
from warehouse import query
from warehouse.settings import Settings
from warehouse.snapshot import SnapshotReader


@pytest.fixture
def served(session_snapshot):
    settings = Settings(data_dir=session_snapshot.parent)
    reader = SnapshotReader(session_snapshot)
    context.configure(settings, reader)
    warmup._warmed["version"] = None
    lead_view.clear_caches()
    wall_data.clear_cache()
    query.clear_memo()
    yield settings, reader
    reader.close()


def test_a_new_version_is_prepared_once_and_then_served_without_a_query(served, monkeypatch):
    settings, reader = served
    thread = warmup.maybe_warm(settings, reader)
    assert thread is not None
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert warmup.maybe_warm(settings, reader) is None  # same version: nothing more to do

    ran: list[str] = []

    def no_query(_con, name, *_args, **_kwargs):
        ran.append(name)  # recorded: the panels catch a failing query and draw "unavailable"
        raise AssertionError(f"a prepared screen ran the query {name}")

    monkeypatch.setattr(query, "_execute", no_query)
    monkeypatch.setattr(query, "_frame", no_query)
    monkeypatch.setattr(query, "_records", no_query)
    search = to_search(parse_search("", current_default_period(settings, reader).as_tuple()))
    assert lead_view.render_summary(search)[0]
    assert lead_view.render_panels(search)[0]
    assert wall_data.build_layout(settings, reader) is not None
    assert ran == []


def test_no_snapshot_no_thread(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert warmup.maybe_warm(settings, SnapshotReader(settings.published_db)) is None


def test_the_warm_up_draws_the_default_walls_first_screen_images(served):
    settings, reader = served
    warmup.maybe_warm(settings, reader).join(timeout=120)
    assert wall_preview.wait_until_drawn(timeout=120)
    root = wall_data.build_layout(settings, reader)
    images = [c.src for c in root._traverse() if getattr(c, "className", None) == wall_layout.PREVIEW_CLASS]
    # One per graph of the first screen, each a file the route serves.
    assert len(images) == len(wall_layout.graph_ids(wall_layout.SCREENS[0]))
    for url in images:
        path = wall_preview.preview_path(settings, url.removeprefix(wall_preview.URL_PREFIX))
        assert path is not None and path.read_text(encoding="utf-8").startswith("<svg")
