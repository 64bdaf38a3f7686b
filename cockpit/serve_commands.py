"""``cockpit demo`` and ``cockpit serve``: the commands that wire the whole product together."""

from __future__ import annotations

import sys
from datetime import date

import click

from cockpit.options import current_settings, data_dir_option
from dashboard.app import create_app
from dashboard.demo_credentials import ensure_demo_credentials
from dashboard.plotly_bundle import partial_bundle
from dashboard.production import run_gunicorn, settle_heap
from dashboard.security import QuietRequestHandler
from etl.demo.generator import generate
from etl.geo import write_township_geojson
from etl.jobs import run_incremental
from warehouse.i18n import both
from warehouse.settings import Settings

# The seed newsletter reports calendar 2023: the demo shows that year by default.
DEMO_PERIOD = (date(2023, 1, 1), date(2023, 12, 31))


def _with_net(settings: Settings, port: int | None, host: str | None) -> Settings:
    return settings.with_(**{k: v for k, v in (("port", port), ("host", host)) if v is not None})


@click.command("demo", help="generate demo exports, load them, publish and serve / 生成演示数据并启动")
@data_dir_option
@click.option("--port", type=int, default=None)
@click.option("--host", default=None)
@click.option("--no-serve", is_flag=True, help="prepare the data and exit")
def demo_command(port: int | None, host: str | None, no_serve: bool) -> int:
    settings = _with_net(current_settings(), port, host)
    if settings.default_start is None:
        settings = settings.with_(default_start=DEMO_PERIOD[0], default_end=DEMO_PERIOD[1])
    settings.inbox.mkdir(parents=True, exist_ok=True)
    write_township_geojson(settings.townships_geojson_path)
    # Loaded files leave the inbox for the archive (etl.archive): an empty inbox over a loaded store is no
    # reason to write the demo again.
    if not settings.raw_db.exists() and not any(settings.inbox.iterdir()):
        generate(settings.inbox)
    # Under the run lock, with last_run.json and the operators' copy written (etl.jobs).
    summary = run_incremental(settings, trigger="demo").result
    print(summary.describe())
    ensure_demo_credentials(settings)  # an admin and a wall token, printed once when created
    if no_serve:
        return 0
    return serve(settings, workers=0)


@click.command("serve", help="serve the dashboard / 启动看板服务")
@data_dir_option
@click.option("--port", type=int, default=None)
@click.option("--host", default=None)
@click.option("--workers", type=int, default=0, help="gunicorn workers (0: development server)")
def serve_command(port: int | None, host: str | None, workers: int) -> int:
    return serve(_with_net(current_settings(), port, host), workers=workers)


def serve(settings: Settings, workers: int = 0) -> int:
    url = f"http://{settings.host}:{settings.port}"
    print("\n".join(both("ops.serving_urls", url=url)), file=sys.stderr)
    # Once per start (not per gunicorn worker): which plotly.js the wall loads, and why.
    print(f"wall: {partial_bundle()[1]}", file=sys.stderr)
    if workers:
        return run_gunicorn(settings, workers)
    app = create_app(settings)
    settle_heap()
    app.run(host=settings.host, port=settings.port, debug=False, request_handler=QuietRequestHandler)
    return 0


COMMANDS = (demo_command, serve_command)
