"""Options every command shares, and the settings they produce.

``--data-dir`` (and ``--config``) belong to the root group; ``--data-dir`` is also accepted after a
subcommand (``cockpit etl run --data-dir D``), as documented. Both spellings feed ONE value kept on the
root context: a subcommand's ``--data-dir`` never silently resets what the root was given, and two
different values are a usage error. Settings are built once, when a command runs, from that value.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from warehouse.i18n import both
from warehouse.settings import Settings, load_settings

DATA_DIR_KEY = "cockpit.data_dir"
CONFIG_KEY = "cockpit.config"
SETTINGS_KEY = "cockpit.settings"


def _remember_data_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is None:
        return
    meta = ctx.find_root().meta
    earlier = meta.get(DATA_DIR_KEY)
    if earlier is not None and Path(earlier) != Path(value):
        zh, en = both("cli.data_dir_conflict", first=str(earlier), second=str(value))
        raise click.UsageError(f"{zh} / {en}", ctx=ctx)
    meta[DATA_DIR_KEY] = value


def data_dir_option(func):
    """``--data-dir`` on a group or a command; all of them write the one value on the root context."""
    return click.option(
        "--data-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        expose_value=False,
        callback=_remember_data_dir,
        help="data directory (inbox, raw store, snapshots); default ./data / 数据目录",
    )(func)


def _remember_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    ctx.find_root().meta[CONFIG_KEY] = value


def config_option(func):
    return click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        expose_value=False,
        callback=_remember_config,
        help="cockpit.toml to read (default: ./cockpit.toml if present) / 配置文件",
    )(func)


def current_settings() -> Settings:
    """The settings of the running command: defaults < cockpit.toml < COCKPIT_* < --data-dir."""
    meta = click.get_current_context().find_root().meta
    if SETTINGS_KEY not in meta:
        meta[SETTINGS_KEY] = load_settings(config_file=meta.get(CONFIG_KEY), data_dir=meta.get(DATA_DIR_KEY))
    return meta[SETTINGS_KEY]


class IsoDate(click.ParamType):
    """A ``YYYY-MM-DD`` date, with a bilingual message when it is not one."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            zh, en = both("cli.bad_date", value=value)
            self.fail(f"{zh} / {en}", param, ctx)


ISO_DATE = IsoDate()
