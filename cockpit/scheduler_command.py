"""``cockpit scheduler``: the refresh schedule as its own process (``etl.scheduler``)."""

from __future__ import annotations

import click

from cockpit.options import current_settings, data_dir_option
from etl.scheduler import run_scheduler


@click.command("scheduler", help="run the refresh schedule (own process) / 运行定时刷新调度器")
@data_dir_option
@click.option("--run-now", is_flag=True, help="also load the inbox once at start / 启动时立即执行一次")
def scheduler_command(run_now: bool) -> int:
    return run_scheduler(current_settings(), run_now=run_now)


COMMANDS = (scheduler_command,)
