"""The level vocabularies of the data, defined once: the Chinese values the data carries (the
canonical values of ``etl/mapping.toml``), keyed by the short English keys used in URLs and in the
string catalog.
"""

from __future__ import annotations

# Home (阵地) levels in display order; tests/unit/test_levels.py checks them against etl/mapping.toml.
HOME_LEVELS: dict[str, str] = {
    "district": "区级",
    "township": "苏木镇街道级",
    "village": "嘎查村级",
    "enterprise": "企业",
    "station": "代表工作站",
    "liaison": "立法联络站",
}
# The levels that make a place a deputies' home (代表之家); the other two are stations.
HOME_TIER_KEYS = ("district", "township", "village", "enterprise")
HOME_TIERS = tuple(HOME_LEVELS[key] for key in HOME_TIER_KEYS)

# Deputy levels (代表层级): city, district, town deputies.
DEPUTY_LEVELS: dict[str, str] = {"city": "市", "district": "区", "town": "镇"}
