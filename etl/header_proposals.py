"""Unknown headers: propose the closest known fields, and save an accepted mapping to ``mapping_file``.

A platform renames a column ("提出代表编号" becomes "提案代表编码") and the file no longer maps. The check
page shows, for each header nothing recognises, the closest headers of the mapping (by similarity of
the folded text); an admin picks the right field and it is added to the user's mapping file (the
``mapping_file`` setting, merged over the packaged mapping without code). The check then runs again.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from datetime import datetime
from difflib import SequenceMatcher
from pathlib import Path

from etl.mapping import Mapping, load_mapping, norm_header
from warehouse.settings import Settings

MIN_SIMILARITY = 0.4
PROPOSALS = 3
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class MappingError(ValueError):
    """An accepted mapping that cannot be saved; ``key`` names the catalog message."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def propose(mapping: Mapping, headers: list[str], entity_name: str | None) -> dict[str, list[dict]]:
    """For each header no column of the file's entity (or of any entity, when the entity is unknown)
    recognises: up to three closest known fields, best first, as ``entity``, ``column``, ``header``
    (the known header it resembles) and ``score``."""
    entities = (
        [mapping.entities[entity_name]]
        if entity_name in mapping.entities
        else list(mapping.entities.values())
    )
    found = entities[0].match_headers(headers) if len(entities) == 1 else {}
    known = [
        (norm_header(h), e.name, c.name, h)
        for e in entities
        for c in e.columns.values()
        if c.name not in found
        for h in c.headers
    ]
    out: dict[str, list[dict]] = {}
    for header in headers:
        folded = norm_header(header)
        if not folded or any(e.header_lookup.get(folded) for e in entities):
            continue
        best: dict[tuple[str, str], dict] = {}
        for text, entity, column, original in known:
            score = SequenceMatcher(None, folded, text).ratio()
            if score >= MIN_SIMILARITY and score > best.get((entity, column), {}).get("score", 0):
                best[entity, column] = {
                    "entity": entity,
                    "column": column,
                    "header": original,
                    "score": round(score, 2),
                }
        if best:
            out[header] = sorted(best.values(), key=lambda p: -p["score"])[:PROPOSALS]
    return out


def accept(settings: Settings, choices: list[tuple[str, str, str]]) -> Path:
    """Add ``(entity, column, header)`` choices to the user's mapping file (created if missing).

    The previous file is kept beside it as ``<name>.bak-<time>`` (the rewrite keeps every setting of
    the file, not its comments).

    Raises:
        MappingError: no ``mapping_file`` is configured, or a choice names no known column.
    """
    path = settings.mapping_file
    if path is None:
        raise MappingError("intake.error.no_mapping_file")
    mapping = load_mapping(path if Path(path).exists() else None)
    for entity, column, _ in choices:
        if entity not in mapping.entities or column not in mapping.entities[entity].columns:
            raise MappingError("intake.error.bad_mapping")
    path = Path(path)
    data: dict = {}
    if path.exists():
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        backup = path.with_name(f"{path.name}.bak-{datetime.now():%Y%m%dT%H%M%S%f}")
        backup.write_bytes(path.read_bytes())
    for entity, column, header in choices:
        spec = data.setdefault("entities", {}).setdefault(entity, {}).setdefault("columns", {})
        headers = spec.setdefault(column, {}).setdefault("headers", [])
        if header not in headers:
            headers.append(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(
        "# Header mappings added on the import page (数据导入) and by hand.\n" + dump_toml(data),
        encoding="utf-8",
    )
    os.replace(tmp, path)
    return path


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to the mapping file")


def dump_toml(data: dict, prefix: tuple[str, ...] = ()) -> str:
    """TOML text of a mapping file's data (tables of scalars, lists and inline tables)."""
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    lines: list[str] = []
    if prefix and (scalars or not tables):
        lines.append(f"\n[{'.'.join(_key(p) for p in prefix)}]")
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    text = "\n".join(lines) + ("\n" if lines else "")
    return text + "".join(dump_toml(v, (*prefix, k)) for k, v in tables.items())
