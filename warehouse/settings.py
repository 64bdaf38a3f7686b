"""Settings: one object, from an optional ``cockpit.toml`` plus ``COCKPIT_*`` environment variables.

Precedence (last wins): defaults < ``cockpit.toml`` (in the working directory, or the file named by
``COCKPIT_CONFIG``) < environment variables < command-line options. Every value is checked against the
field's type, and an unknown key or ``COCKPIT_*`` variable is refused (:class:`SettingsError`, Chinese /
English): a typo must not be silently ignored. Every path derives from ``data_dir`` unless set explicitly,
so a whole installation moves by changing one value.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from warehouse.errors import UserError
from warehouse.i18n import both

# Data files the warehouse owns, shipped inside the package (the district outline, its provenance).
GEO_DIR = Path(__file__).resolve().parent / "geo"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    district_name: str = "石拐区"
    district_code: str = "150205"
    # Default period shown by the wall and the leadership view; None means the current calendar year.
    default_start: date | None = None
    default_end: date | None = None
    keep_snapshots: int = 5
    # Extra header mappings a user adds without code (merged over the packaged etl/mapping.toml).
    mapping_file: Path | None = None
    points_rules_file: Path | None = None
    district_geojson: Path = GEO_DIR / "shiguai_district.geojson"
    # The unit this deployment covers (a county, a city or a province code, 6/4/2 digits): a district
    # exports its marts under this code; a city or province rolls up the districts below it.
    root_region: str = "150205"
    # Region table (code, name, level, parent_code) naming every unit; the packaged one is Inner Mongolia.
    region_table: Path = GEO_DIR / "regions_150000.csv"
    # Township polygons keyed by the 12-digit code; None means data_dir/geo/townships.geojson.
    townships_geojson: Path | None = None
    # A line in a second script above the wall's title, e.g. the district's name in traditional Mongolian
    # as its signboards spell it; "" (default) shows none. Drawn with Noto Sans Mongolian (title_secondary_font).
    title_secondary: str = ""
    # The font file served for that line at /wall/fonts/secondary; None finds "Noto Sans Mongolian"
    # through fontconfig (Debian fonts-noto-core, installed by scripts/system-packages).
    title_secondary_font: Path | None = None
    wall_poll_seconds: int = 30
    wall_reload_hour: int | None = 3
    stale_after_hours: float = 26.0
    # Data is also stale when the newest export's own date (warehouse.export_date) is older than this:
    # a snapshot rebuilt a minute ago from a 40-day-old export is not current.
    stale_after_export_days: float = 35.0
    etl_cron: str = "*/30 * * * *"
    rebuild_hour: int = 2
    # When the scheduler writes the briefings (previous month; in January also the previous year) into
    # data_dir/briefs/: 06:00 on the 1st, after the night's rebuild. Empty/None turns the job off.
    briefing_cron: str | None = "0 6 1 * *"
    timezone: str = "Asia/Shanghai"
    # Threads per gunicorn worker: enough that every request gets one at once (see callback_slots).
    server_threads: int = 32
    # Dash callbacks one worker runs at once; the others wait for a slot, so that a wall's poll never
    # queues behind them (dashboard/callback_gate.py). 0: no limit.
    callback_slots: int = 2
    # Each server worker renders the wall's first paint and the leadership view's default view of a newly
    # published snapshot in the background, before the first request asks (dashboard/warmup.py).
    warm_default_screens: bool = True
    lang: str = "zh-CN"
    host: str = "127.0.0.1"
    port: int = 8050
    secret_key: str | None = None
    frame_ancestors: str = "'self'"
    # Mark the session cookie Secure even on plain http (set it when a TLS proxy terminates in front).
    secure_cookies: bool = False
    # The clerk's web intake (/import): the largest file accepted (a zip, and each file inside it).
    upload_max_bytes: int = 200 * 1024 * 1024
    # At most this many files in one upload (a zip's members count one by one).
    upload_max_files: int = 50
    # A zip whose members together unpack to more than this, or whose member unpacks to more than
    # ``upload_zip_max_ratio`` times its compressed size, is refused as a zip bomb.
    upload_zip_max_total_bytes: int = 1024 * 1024 * 1024
    upload_zip_max_ratio: int = 100
    # The wall (a lobby screen, anonymous to anyone passing by) shows and receives only the top N of the
    # points ranking; the rest, and the low-points watchlist, stay in the signed-in leadership view.
    wall_ranking_top: int = 20
    # Staged uploads untouched for more than this many days lose their staged files when a new upload
    # is staged (the manifest stays as history; an open one is cancelled); 0 keeps them for ever.
    staging_keep_days: int = 14
    # An inbox file that cannot be read or aborted its load moves to data_dir/quarantine/<run date>/ after
    # the run, unless modified less than this many seconds ago: a file still being copied into the inbox
    # reads as truncated, and must get its next run rather than the quarantine.
    quarantine_settle_seconds: int = 300

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def exchange_dir(self) -> Path:
        """A city or province's exchange area: inbox of district packages, unpacked current ones."""
        return self.data_dir / "exchange"

    @property
    def quarantine_dir(self) -> Path:
        """Inbox files that still failed, by run date, each with a ``.reason.txt`` (zh + en)."""
        return self.data_dir / "quarantine"

    @property
    def raw_db(self) -> Path:
        return self.data_dir / "raw.duckdb"

    @property
    def published_db(self) -> Path:
        return self.data_dir / "published.duckdb"

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def staging_dir(self) -> Path:
        """Uploaded files wait here (by content hash) between check and confirm; never the inbox."""
        return self.data_dir / "staging"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "etl.lock"

    @property
    def townships_geojson_path(self) -> Path:
        return self.townships_geojson or self.data_dir / "geo" / "townships.geojson"

    def default_period(self, today: date | None = None) -> tuple[date, date]:
        """The period pages open with: the configured one, else the current calendar year."""
        today = today or date.today()
        start = self.default_start or date(today.year, 1, 1)
        end = self.default_end or max(start, date(start.year, 12, 31) if self.default_start else today)
        return start, end

    def with_(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)


_FIELD_TYPES = typing.get_type_hints(Settings)
ENV_PREFIX = "COCKPIT_"
# Names the file to read; the one COCKPIT_* variable that is not a field.
CONFIG_ENV = "COCKPIT_CONFIG"
_BOOL_TEXT = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


class SettingsError(UserError):
    """A key or a value in ``cockpit.toml`` or a ``COCKPIT_*`` variable the settings cannot accept."""


def _expected(hint) -> tuple[type, bool]:
    """(the field's base type, whether None is allowed) from its annotation, e.g. ``Path | None``."""
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if args else hint
    return base, optional


def _bad(name: str, source: str, expected: type, raw) -> SettingsError:
    zh, en = both("settings.bad_value", name=name, source=source, expected=expected.__name__, value=repr(raw))
    return SettingsError(f"{zh} / {en}")


def _coerce(name: str, raw, source: str):
    """Convert a TOML value (typed) or an environment value (text) to the field's type, strictly.

    Raises:
        SettingsError: The value does not fit the field's type (a string for a number, a bad date, ...).
    """
    base, optional = _expected(_FIELD_TYPES[name])
    from_env = isinstance(raw, str) and source.startswith("COCKPIT_")
    if raw == "" and optional:
        return None
    try:
        if base is Path and isinstance(raw, str) and raw:
            return Path(raw)
        if base is date:
            if isinstance(raw, date) and not isinstance(raw, datetime):
                return raw
            if isinstance(raw, str):
                return date.fromisoformat(raw)
        if base is bool:
            if isinstance(raw, bool):
                return raw
            if from_env and raw.strip().lower() in _BOOL_TEXT:
                return _BOOL_TEXT[raw.strip().lower()]
        if base is int and not isinstance(raw, bool):
            if isinstance(raw, int):
                return raw
            if from_env:
                return int(raw)
        if base is float and not isinstance(raw, bool):
            if isinstance(raw, int | float):
                return float(raw)
            if from_env:
                return float(raw)
        if base is str and isinstance(raw, str):
            return raw
    except ValueError:
        pass
    raise _bad(name, source, base, raw)


def _unknown(key: str, source: str) -> SettingsError:
    known = ", ".join(sorted(_FIELD_TYPES))
    zh, en = both("settings.unknown_key", name=key, source=source, known=known)
    return SettingsError(f"{zh} / {en}")


def load_settings(
    config_file: Path | None = None, env: Mapping[str, str] | None = None, **overrides
) -> Settings:
    """Build the settings from file, environment and explicit overrides (in that order).

    Args:
        config_file: The ``cockpit.toml`` to read; default ``COCKPIT_CONFIG`` or ./cockpit.toml, if present.
        env: The environment (default ``os.environ``): every ``COCKPIT_<FIELD>`` variable is read here,
            and nowhere else in the product.
        overrides: Values given on the command line (None means "not given").

    Raises:
        SettingsError: An unknown key or ``COCKPIT_*`` variable, or a value of the wrong type.
    """
    env = os.environ if env is None else env
    values: dict = {}
    path = config_file or Path(env.get(CONFIG_ENV, "cockpit.toml"))
    if path.is_file():
        with path.open("rb") as fh:
            try:
                table = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                zh, en = both("settings.bad_toml", source=str(path), detail=str(exc))
                raise SettingsError(f"{zh} / {en}") from exc
        for key, raw in table.items():
            if key not in _FIELD_TYPES:
                raise _unknown(key, str(path))
            values[key] = _coerce(key, raw, str(path))
    for env_key, raw in env.items():
        if not env_key.startswith(ENV_PREFIX) or env_key == CONFIG_ENV:
            continue
        key = env_key[len(ENV_PREFIX) :].lower()
        if key not in _FIELD_TYPES:
            raise _unknown(env_key, "COCKPIT_*")
        values[key] = _coerce(key, raw, env_key)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
