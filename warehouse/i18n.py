"""The string catalog: every user-visible string, zh-CN (default) and en.

The catalog is one set of TOML files under ``warehouse/catalog/`` (package data; one per area so that areas can be
edited independently); every key is namespaced by its file name: ``wall.title`` lives in
``wall.toml`` as ``[title] zh = "..." en = "..."``. Missing English falls back to Chinese; a missing
key raises, so a typo fails the tests instead of showing a raw key on a wall.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
DEFAULT_LANG = "zh-CN"


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    entries: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOG_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            for key, value in tomllib.load(fh).items():
                entries[f"{path.stem}.{key}"] = value
    return entries


def normalize_lang(lang: str | None) -> str:
    return "en" if (lang or "").lower().startswith("en") else DEFAULT_LANG


def t(key: str, lang: str | None = DEFAULT_LANG, **params) -> str:
    """Translate ``key`` into ``lang``, formatting ``{name}`` placeholders from ``params``."""
    entry = catalog()[key]
    text = entry.get("en") or entry["zh"] if normalize_lang(lang) == "en" else entry["zh"]
    return text.format(**params) if params else text


def both(key: str, **params) -> tuple[str, str]:
    """The (Chinese, English) pair, for messages stored in both languages (rejects, CLI errors)."""
    return t(key, "zh-CN", **params), t(key, "en", **params)
