"""Settings: one object, from an optional ``cockpit.toml`` plus ``COCKPIT_*`` environment variables.

Precedence (last wins): defaults < ``cockpit.toml`` (in the working directory, or the file named by
``COCKPIT_CONFIG``) < environment variables. Every path derives from ``data_dir`` unless set explicitly,
so a whole installation moves by changing one value.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"


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
    district_geojson: Path = ASSETS_DIR / "geo" / "shiguai_district.geojson"
    # Township polygons keyed by the 12-digit code; None means data_dir/geo/townships.geojson.
    townships_geojson: Path | None = None
    wall_poll_seconds: int = 30
    wall_reload_hour: int | None = 3
    stale_after_hours: float = 26.0
    # Data is also stale when the newest export's own date (warehouse.export_date) is older than this:
    # a snapshot rebuilt a minute ago from a 40-day-old export is not current.
    stale_after_export_days: float = 35.0
    etl_cron: str = "*/30 * * * *"
    rebuild_hour: int = 2
    timezone: str = "Asia/Shanghai"
    # Threads per gunicorn worker: enough that every request gets one at once (see callback_slots).
    server_threads: int = 32
    # Dash callbacks one worker runs at once; the others wait for a slot, so that a wall's poll never
    # queues behind them (dashboard/callback_gate.py). 0: no limit.
    callback_slots: int = 2
    lang: str = "zh-CN"
    host: str = "127.0.0.1"
    port: int = 8050
    secret_key: str | None = None
    frame_ancestors: str = "'self'"
    extra: dict = field(default_factory=dict)

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

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


def _coerce(name: str, raw):
    """Convert a TOML or environment value to the field's type."""
    kind = Settings.__dataclass_fields__[name].type
    if raw is None or raw == "":
        return None
    if "Path" in kind:
        return Path(raw)
    if "date" in kind:
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    if kind.startswith("int"):
        return int(raw)
    if kind.startswith("float"):
        return float(raw)
    return raw


def load_settings(config_file: Path | None = None, env: dict | None = None, **overrides) -> Settings:
    """Build the settings from file, environment and explicit overrides (in that order)."""
    env = os.environ if env is None else env
    values: dict = {}
    path = config_file or Path(env.get("COCKPIT_CONFIG", "cockpit.toml"))
    if path.is_file():
        with path.open("rb") as fh:
            for key, raw in tomllib.load(fh).items():
                if key in Settings.__dataclass_fields__:
                    values[key] = _coerce(key, raw)
    for key in Settings.__dataclass_fields__:
        env_key = f"COCKPIT_{key.upper()}"
        if env_key in env:
            values[key] = _coerce(key, env[env_key])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
