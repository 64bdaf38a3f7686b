"""Header mapping: canonical columns per entity, recognised headers, and entity detection.

The packaged ``etl/mapping.toml`` is the input contract (docs/DATA_CONTRACT.md); ``settings.mapping_file`` extends it
without code (lists are appended, scalars replaced).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

PACKAGED_MAPPING = Path(__file__).with_name("mapping.toml")
_LIST_KEYS = ("headers", "file_keywords", "file_patterns")
_STRIP = re.compile(r"[\s*＊:：]+")


@lru_cache(maxsize=4096)
def norm_header(text: object) -> str:
    """Fold a header for matching: NFKC (full-width parentheses, spaces), drop spaces, ``*`` and colons."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return _STRIP.sub("", folded).lower()


# A unit or a note in brackets after a header: 接待群众人次（人）, 金额(元), 活动日期[年月日], 【必填】.
_NOTE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")


@lru_cache(maxsize=4096)
def bare_header(text: object) -> str:
    """:func:`norm_header` without bracketed units and notes (tried when the whole header matches nothing)."""
    return _NOTE.sub("", norm_header(text))


@dataclass(frozen=True)
class Column:
    name: str
    headers: tuple[str, ...]
    type: str = "text"
    required: bool = False
    values: tuple[str, ...] = ()
    synonyms: dict = field(default_factory=dict)
    store: bool = True
    personal: bool = False
    future_ok: bool = False
    not_before: str | None = None
    # "township": a 12-digit division code that must be a township-level unit (not the county itself nor
    # a village of a township in the same file, as an official 统计用区划代码 table lists them).
    level: str | None = None


@dataclass(frozen=True)
class Entity:
    name: str
    order: int
    key: str
    columns: dict[str, Column]
    file_keywords: tuple[str, ...] = ()
    file_patterns: tuple[str, ...] = ()
    required_any: tuple[tuple[str, ...], ...] = ()

    @property
    def stored_columns(self) -> list[str]:
        return [c.name for c in self.columns.values() if c.store]

    @cached_property
    def header_lookup(self) -> dict[str, str]:
        """Folded header text -> canonical column (the first column naming a header wins)."""
        lookup: dict[str, str] = {}
        for col in self.columns.values():
            for h in col.headers:
                lookup.setdefault(norm_header(h), col.name)
        return lookup

    def match_headers(self, headers: list[str]) -> dict[str, int]:
        """Canonical column -> index of the first source header that names it."""
        lookup = self.header_lookup
        found: dict[str, int] = {}
        for i, h in enumerate(headers):
            canon = lookup.get(norm_header(h)) or lookup.get(bare_header(h))
            if canon and canon not in found:
                found[canon] = i
        return found

    def missing_required(self, found: dict[str, int]) -> list[str]:
        missing = [c.name for c in self.columns.values() if c.required and c.name not in found]
        missing += ["/".join(g) for g in self.required_any if not any(c in found for c in g)]
        return missing


@dataclass(frozen=True)
class Mapping:
    entities: dict[str, Entity]
    enums: dict[str, Column]
    keyword_priority: tuple[str, ...]

    def ordered(self) -> list[Entity]:
        return sorted(self.entities.values(), key=lambda e: e.order)

    def header_score(self, headers: list[str]) -> int:
        """How many headers of this row the best-matching entity recognises (for header-row detection)."""
        return max((len(e.match_headers(headers)) for e in self.entities.values()), default=0)

    def entity_for(self, headers: list[str], file_name: str) -> Entity | None:
        """The entity of a file: a pinned file pattern, else headers (all required present, most
        columns matched), else file-name keywords."""
        return self.recognise(headers, file_name)[0]

    def recognise(self, headers: list[str], file_name: str) -> tuple[Entity | None, str | None]:
        """(entity, how): as :meth:`entity_for`, with how it was recognised: ``file_pattern``,
        ``headers`` or ``file_name`` (None when nothing matched)."""
        for e in self.ordered():
            if any(fnmatch.fnmatch(file_name, p) for p in e.file_patterns):
                return e, "file_pattern"
        entity = self._by_headers(headers, file_name)
        if entity is not None:
            return entity, "headers"
        entity = self.entity_by_name(file_name)
        return entity, ("file_name" if entity is not None else None)

    def _by_headers(self, headers: list[str], file_name: str) -> Entity | None:
        complete = []
        for e in self.entities.values():
            found = e.match_headers(headers)
            if found and not e.missing_required(found):
                complete.append((len(found), -len(e.columns), e))
        if complete:
            best = max(complete, key=lambda x: (x[0], x[1]))
            ties = [c[2] for c in complete if (c[0], c[1]) == (best[0], best[1])]
            if len(ties) == 1:
                return best[2]
            by_name = self.entity_by_name(file_name)
            return by_name if by_name in ties else ties[0]
        return None

    def entity_by_name(self, file_name: str) -> Entity | None:
        for name in self.keyword_priority:
            e = self.entities.get(name)
            if e and any(k in file_name for k in e.file_keywords):
                return e
        return None


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif key in _LIST_KEYS and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = list(out[key]) + [v for v in value if v not in out[key]]
        else:
            out[key] = value
    return out


def _column(name: str, spec: dict) -> Column:
    return Column(
        name=name,
        headers=tuple(spec.get("headers", ())),
        type=spec.get("type", "text"),
        required=bool(spec.get("required", False)),
        values=tuple(spec.get("values", ())),
        synonyms={str(k).lower(): v for k, v in spec.get("synonyms", {}).items()},
        store=bool(spec.get("store", True)),
        personal=bool(spec.get("personal", False)),
        future_ok=bool(spec.get("future_ok", False)),
        not_before=spec.get("not_before"),
        level=spec.get("level"),
    )


@lru_cache(maxsize=8)
def _load(user_file: str | None, stamp: int | None = None) -> Mapping:
    # ``stamp`` (the user file's mtime) is only a cache key: a mapping accepted on the import page is
    # seen at once by every process.
    with PACKAGED_MAPPING.open("rb") as fh:
        raw = tomllib.load(fh)
    if user_file:
        with open(user_file, "rb") as fh:
            raw = _merge(raw, tomllib.load(fh))
    entities = {}
    for name, spec in raw["entities"].items():
        entities[name] = Entity(
            name=name,
            order=int(spec["order"]),
            key=spec["key"],
            columns={c: _column(c, s) for c, s in spec["columns"].items()},
            file_keywords=tuple(spec.get("file_keywords", ())),
            file_patterns=tuple(spec.get("file_patterns", ())),
            required_any=tuple(tuple(g) for g in spec.get("required_any", ())),
        )
    enums = {name: _column(name, spec) for name, spec in raw.get("enums", {}).items()}
    priority = tuple(raw.get("keyword_priority", {}).get("order", list(entities)))
    return Mapping(entities=entities, enums=enums, keyword_priority=priority)


def load_mapping(user_file: Path | None = None) -> Mapping:
    """The packaged mapping merged with the user's mapping file (if any)."""
    if not user_file:
        return _load(None)
    try:
        stamp = Path(user_file).stat().st_mtime_ns
    except OSError:
        stamp = None
    return _load(str(user_file), stamp)
