"""``cockpit brief``: the briefing (代表履职数据通报) of a period as PDF or DOCX (``dashboard.briefing``)."""

from __future__ import annotations

from pathlib import Path

import click

from cockpit.options import ISO_DATE, current_settings, data_dir_option
from dashboard.briefing import BriefingError, write_briefing
from warehouse.errors import UserError
from warehouse.i18n import both


@click.command("brief", help="write the briefing (PDF/DOCX) of a period / 生成代表履职数据通报")
@click.option("--from", "start", type=ISO_DATE, required=True, help="period start YYYY-MM-DD")
@click.option("--to", "end", type=ISO_DATE, required=True, help="period end YYYY-MM-DD")
@click.option("--township", default=None, help="12-digit township code (default: the district)")
@click.option("--format", "fmt", type=click.Choice(("pdf", "docx")), default="pdf", help="pdf or docx")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="file to write")
@click.option("--lang", default=None, help="zh-CN (default) or en")
@click.option("--no-charts", is_flag=True, help="text and tables only (no chart export)")
@data_dir_option
def brief_command(start, end, township, fmt, out, lang, no_charts) -> int:
    try:
        path = write_briefing(
            current_settings(), start, end, township, fmt, out, lang=lang, charts=not no_charts
        )
    except BriefingError as exc:
        raise UserError(str(exc)) from exc
    print(" / ".join(both("briefing.written", path=str(path))))
    return 0


COMMANDS = (brief_command,)
