"""The level vocabularies in warehouse/levels.py match the input contract and the staging SQL."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from warehouse.levels import DEPUTY_LEVELS, HOME_LEVELS, HOME_TIERS

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_levels_are_the_canonical_values_of_the_mapping():
    mapping = tomllib.loads((REPO_ROOT / "etl" / "mapping.toml").read_text(encoding="utf-8"))
    assert list(HOME_LEVELS.values()) == mapping["entities"]["homes"]["columns"]["home_level"]["values"]
    assert list(DEPUTY_LEVELS.values()) == mapping["enums"]["levels"]["values"]


def test_home_tiers_are_what_staging_counts_as_a_home():
    sql = (REPO_ROOT / "warehouse" / "sql" / "staging" / "stg_homes.sql").read_text(encoding="utf-8")
    listed = re.search(r"home_level in \(([^)]*)\) as is_home", sql).group(1)
    assert tuple(re.findall(r"'([^']+)'", listed)) == HOME_TIERS
