"""The wall's first-screen images (dashboard/wall_preview.py): named by their figure, drawn by kaleido in
the system Chromium as plotly.js draws them, served from this origin only, never drawn twice, and a
failure to draw leaves the wall drawing with plotly.js (logged, retried later, not on every visit)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from dashboard import context, downloads, wall_preview, wall_routes
from dashboard.components import wall_charts
from dashboard.view_cache import plain_figure
from warehouse.settings import Settings


def bars(values=(3, 5)) -> dict:
    names = ["石拐镇", "五当召镇"]
    return plain_figure(wall_charts.township_bars_figure(names, [("活动", list(values))], 442, 318))


def test_a_figure_names_its_image_and_only_image_names_reach_the_disk(tmp_path):
    settings = Settings(data_dir=tmp_path)
    name = wall_preview.figure_name(bars())
    assert re.fullmatch(r"[0-9a-f]{32}\.svg", name)
    assert wall_preview.figure_name(bars()) == name  # the same figure, the same name
    assert wall_preview.figure_name(bars((3, 6))) != name
    assert wall_preview.preview_path(settings, name) == tmp_path / "cache" / "wall-previews" / name
    for bad in (
        "../" + name,
        name.upper(),
        name[:-4] + ".png",
        "x.svg",
        name + "/x",
        name + "\n",
        ".render.lock",
    ):
        assert wall_preview.preview_path(settings, bad) is None, bad


def test_images_are_drawn_once_at_the_figure_size_with_nothing_from_elsewhere(tmp_path):
    settings = Settings(data_dir=tmp_path)
    figures = {"wall-towns-bars": bars(), "wall-trend": {"data": [], "layout": {}}}
    urls, missing = wall_preview.available(settings, figures)
    assert urls == {} and list(missing) == ["wall-towns-bars"]  # an empty placeholder needs no image

    assert wall_preview.render(settings, missing) == 1
    urls, missing = wall_preview.available(settings, figures)
    name = wall_preview.figure_name(figures["wall-towns-bars"])
    assert urls == {"wall-towns-bars": wall_preview.URL_PREFIX + name} and missing == {}
    svg = (tmp_path / "cache" / "wall-previews" / name).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and 'width="442"' in svg and 'height="318"' in svg
    assert "石拐镇" in svg and ">5<" in svg  # the figure's own texts
    # Offline: no URL but the SVG namespaces.
    assert set(re.findall(r"https?://[^\"' )]+", svg)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert wall_preview.render(settings, missing) == 0
    assert wall_preview.render(settings, {"wall-towns-bars": bars()}) == 0  # already there: not drawn again
    downloads.stop_kaleido()


@pytest.fixture
def drawer(monkeypatch):
    """The background drawer with empty books (its state is per process)."""
    for name, value in (("_pending", set()), ("_queue", []), ("_queued", {}), ("_failed_at", [])):
        monkeypatch.setattr(wall_preview, name, value)
    monkeypatch.setattr(wall_preview, "_drawer", {"thread": None})
    downloads.stop_kaleido()  # as in a server that has drawn no download yet
    yield wall_preview
    assert wall_preview.wait_until_drawn(timeout=120)


def test_the_drawer_draws_in_the_background_then_stops_its_browser(tmp_path, drawer):
    settings = Settings(data_dir=tmp_path)
    assert drawer.render_later(settings, {"a": bars()}, "v1")
    assert not drawer.render_later(settings, {"a": bars()}, "v1")  # on its way already
    assert drawer.render_later(settings, {"a": bars((7, 8))}, "v1")
    assert drawer.wait_until_drawn(timeout=120)
    assert drawer.available(settings, {"a": bars(), "b": bars((7, 8))})[1] == {}
    assert not downloads.kaleido_running()  # its browser stopped again: idle until the next snapshot


def test_a_client_asking_for_period_after_period_gets_a_bounded_number_drawn(tmp_path, drawer, monkeypatch):
    settings = Settings(data_dir=tmp_path)
    monkeypatch.setattr(wall_preview, "render", lambda *_args: 0)  # the counting is under test here
    accepted = [drawer.render_later(settings, {"a": bars((i, 1))}, "v1") for i in range(20)]
    assert sum(accepted) == drawer.MAX_SCREENS_PER_VERSION
    assert drawer.render_later(settings, {"a": bars((99, 1))}, "v2")  # a new snapshot counts anew


def test_a_failure_to_draw_is_logged_and_not_retried_on_every_visit(tmp_path, drawer, monkeypatch, caplog):
    settings = Settings(data_dir=tmp_path)

    def no_browser(*_args, **_kwargs):
        raise RuntimeError("no Chromium here")

    monkeypatch.setattr(downloads, "render_svg", no_browser)
    assert drawer.render_later(settings, {"wall-towns-bars": bars()}, "v1")
    assert drawer.wait_until_drawn(timeout=30)
    assert "cannot be drawn" in caplog.text and "no Chromium here" in caplog.text
    assert not drawer.render_later(settings, {"wall-towns-bars": bars((1, 2))}, "v1")
    assert drawer.available(settings, {"wall-towns-bars": bars()})[0] == {}


@pytest.fixture
def client(monkeypatch, tmp_path):
    monkeypatch.setattr(context, "_state", {})
    context.configure(Settings(data_dir=tmp_path), None)
    app = Flask(__name__)
    wall_routes.register_wall_routes(app)
    return app.test_client()


def test_the_route_serves_a_drawn_image_and_nothing_else(client, tmp_path):
    folder = tmp_path / "cache" / "wall-previews"
    folder.mkdir(parents=True)
    name = "0123456789abcdef0123456789abcdef.svg"
    (folder / name).write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>', encoding="utf-8")
    (tmp_path / "secret.svg").write_text("<svg>secret</svg>", encoding="utf-8")
    response = client.get(wall_preview.URL_PREFIX + name)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "immutable" in response.headers["Cache-Control"]
    for path in ("f" * 32 + ".svg", "..%2F..%2Fsecret.svg", "../../secret.svg", ".render.lock"):
        assert client.get(wall_preview.URL_PREFIX + path).status_code == 404, path
