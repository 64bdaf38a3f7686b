"""The ``cockpit`` console script: one entry point, subcommands registered by the modules that own them.

Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)``, adding its parsers with
``set_defaults(func=...)``; ``func(args, settings)`` returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from warehouse.settings import load_settings

COMMAND_MODULES = (
    "etl.commands",
    "etl.auth_cli",
    "etl.demo.generator",
    "etl.scheduler",
    "etl.etl_cli",
    "warehouse.warehouse_cli",
)


class CliError(Exception):
    """A failure the user can act on: printed as one clear line (Chinese / English), exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cockpit", description="人大代表履职数据驾驶舱 / deputy-work data cockpit"
    )
    parser.add_argument(
        "--config", type=Path, help="cockpit.toml to read (default: ./cockpit.toml if present)"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="data directory (inbox, raw store, snapshots); default ./data"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Subcommands may take their own --data-dir after the subcommand name; both spellings work.
    settings = load_settings(config_file=args.config, data_dir=getattr(args, "data_dir", None))
    try:
        return int(args.func(args, settings) or 0)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    # Under ``python -m etl.cli`` this module is __main__: run the importable etl.cli so that the
    # CliError subclasses raised by command modules are the class main() catches.
    from etl.cli import main as _main

    sys.exit(_main())
