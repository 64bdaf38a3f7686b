"""Subcommands of ``cockpit`` that wire the whole product together: ``demo`` and ``serve``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from warehouse.i18n import both

# The seed newsletter reports calendar 2023: the demo shows that year by default.
DEMO_PERIOD = (date(2023, 1, 1), date(2023, 12, 31))


def register(sub) -> None:
    demo = sub.add_parser(
        "demo", help="generate demo exports, load them, publish and serve / 生成演示数据并启动"
    )
    demo.add_argument("--data-dir", type=Path, default=None)
    demo.add_argument("--port", type=int, default=None)
    demo.add_argument("--host", default=None)
    demo.add_argument("--no-serve", action="store_true", help="prepare the data and exit")
    demo.set_defaults(func=run_demo)

    serve = sub.add_parser("serve", help="serve the dashboard / 启动看板服务")
    serve.add_argument("--data-dir", type=Path, default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--host", default=None)
    serve.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: development server)")
    serve.set_defaults(func=run_serve)


def _with_net(args, settings):
    return settings.with_(**{k: v for k, v in (("port", args.port), ("host", args.host)) if v is not None})


def run_demo(args, settings) -> int:
    from etl.auth_cli import ensure_demo_credentials
    from etl.generate import generate
    from etl.geo import write_township_geojson
    from etl.jobs import run_incremental

    settings = _with_net(args, settings)
    if settings.default_start is None:
        settings = settings.with_(default_start=DEMO_PERIOD[0], default_end=DEMO_PERIOD[1])
    settings.inbox.mkdir(parents=True, exist_ok=True)
    write_township_geojson(settings.townships_geojson_path)
    if not any(settings.inbox.iterdir()):
        generate(settings.inbox)
    # Under the run lock, with last_run.json and the operators' copy written (etl.jobs).
    summary = run_incremental(settings, trigger="demo").result
    print(summary.describe())
    ensure_demo_credentials(settings)  # an admin and a wall token, printed once when created
    if args.no_serve:
        return 0
    return serve(settings, workers=0)


def run_serve(args, settings) -> int:
    return serve(_with_net(args, settings), workers=args.workers)


def serve(settings, workers: int = 0) -> int:
    from dashboard.app import create_app
    from dashboard.security import QuietRequestHandler

    url = f"http://{settings.host}:{settings.port}"
    print("\n".join(both("ops.serving_urls", url=url)), file=sys.stderr)
    if workers:
        from dashboard.production import run_gunicorn

        return run_gunicorn(settings, workers)
    app = create_app(settings)
    app.run(host=settings.host, port=settings.port, debug=False, request_handler=QuietRequestHandler)
    return 0
