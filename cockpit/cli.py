"""The ``cockpit`` console script: one click group tree, one module per command group.

The root group owns the global options (``--config``, ``--data-dir``, see ``cockpit.options``); each
command module adds its commands to the root here. A command returns its exit code; a
:class:`warehouse.errors.UserError` (a busy lock, a missing snapshot, a bad file, ...) is printed as one
line (Chinese / English) on stderr with exit code 2, as are usage errors.
"""

from __future__ import annotations

import sys

import click

from cockpit import (
    account_commands,
    brief_command,
    etl_commands,
    exchange_commands,
    generate_command,
    scheduler_command,
    serve_commands,
    snapshot_commands,
)
from cockpit.options import config_option, data_dir_option
from warehouse.errors import UserError


@click.group(
    name="cockpit",
    help="人大代表履职数据驾驶舱 / deputy-work data cockpit",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@config_option
@data_dir_option
def cli() -> None:
    """The root group: global options only (settings are built when a command runs)."""


for _module in (
    serve_commands,
    generate_command,
    etl_commands,
    exchange_commands,
    snapshot_commands,
    scheduler_command,
    brief_command,
    account_commands,
):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run ``cockpit`` with ``argv`` (default: the process arguments); returns the exit code."""
    try:
        result = cli.main(args=argv, prog_name="cockpit", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted / 已中止", err=True)
        return 1
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return int(result or 0)
