"""``cockpit scheduler``: the refresh schedule as its own process (``etl.scheduler``).

This is the composition root of the schedule: jobs of the layers above the ETL (the briefings, which live in
the dashboard) are handed to the scheduler here, so ``etl`` never imports ``dashboard``.
"""

from __future__ import annotations

import click

from cockpit.options import current_settings, data_dir_option
from dashboard.briefing.jobs import scheduled_briefings_job
from etl.scheduler import ExtraJob, run_scheduler
from warehouse.settings import Settings


def scheduler_extra_jobs(settings: Settings) -> list[ExtraJob]:
    """Jobs of upper layers the scheduler runs: the monthly/yearly briefings (``settings.briefing_cron``)."""
    if not settings.briefing_cron:
        return []
    return [ExtraJob("write_briefings", "write briefings", settings.briefing_cron, scheduled_briefings_job)]


@click.command("scheduler", help="run the refresh schedule (own process) / 运行定时刷新调度器")
@data_dir_option
@click.option("--run-now", is_flag=True, help="also load the inbox once at start / 启动时立即执行一次")
def scheduler_command(run_now: bool) -> int:
    settings = current_settings()
    return run_scheduler(settings, run_now=run_now, extra_jobs=scheduler_extra_jobs(settings))


COMMANDS = (scheduler_command,)
