"""docs/DATA_CONTRACT.md, generated: the input contract, the KPI definitions (口径) and the points rules.

What a deployment relies on must travel with the product and never drift from the code, so the
document is rendered from the sources the code itself reads: ``etl/mapping.toml`` (entities,
canonical columns, recognised headers, values), the reject reasons of ``etl.validate`` and their
catalogued texts, the KPI registry (``warehouse.query.KPI_IDS`` with ``warehouse/catalog/kpi.toml``) and
``warehouse/points_rules.toml``. ``tests/unit/test_data_contract.py`` fails when the committed file is stale;
regenerate it with ``python -m etl.contract_doc``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from etl.mapping import Column, Entity, load_mapping
from etl.readers import HEADER_SCAN_ROWS, SUPPORTED
from etl.validate import FILE_REASONS, MAX_DATE, MIN_DATE, REASONS
from warehouse.i18n import t
from warehouse.points import DEFAULT_RULES_FILE, load_points_rules
from warehouse.query import KPI_IDS

# A development tool: the doc lives in the source checkout, beside the packages.
SOURCE_ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = SOURCE_ROOT / "docs" / "DATA_CONTRACT.md"

# What each column type of the mapping accepts (the parsing lives in etl/normalize.py).
TYPE_NOTES = {
    "id": "identifier, kept as text",
    "text": "free text (trimmed)",
    "enum": "one of the allowed values, or a listed synonym",
    "bool": "yes or no: a value or synonym of `bool` below",
    "date": "2023-07-09, 2023/7/9, 2023.7.9, 2023年7月9日, 20230709, with or without a time, or an Excel date",
    "int": "whole number (thousands separators allowed)",
    "count": "whole number ≥ 0",
    "float": "decimal number",
    "pct": "percentage, with or without `%`",
    "levels": "one or more deputy levels joined by ; , 、 or spaces (values of `levels` below)",
    "ids": "one or more deputy ids joined by ; , 、 or spaces",
    "township_ref": "code of a known township",
    "township_name_ref": "name of a known township (resolved to its code)",
    "home_ref": "id of a known home",
    "home_name_ref": "name of a known home (resolved to its id)",
    "deputy_ref": "id of a known deputy",
}

# Where each points source counts events (the SQL is warehouse/sql/marts/fct_points.sql).
SOURCE_NOTES = {
    "attendance": "each deputy listed in an activity's participants, for the listed activity types",
    "absence": "each deputy listed as absent from an activity (any type)",
    "suggestion": "each suggestion with a deputy, dated by its submission",
    "suggestion_adopted": "each adopted suggestion with a deputy, dated by its submission",
    "petition_closed": "each closed petition case (信访代办, 已办结) with a deputy",
    "mediation_success": "each successful mediation (诉前调解, 调解成功) with a deputy",
    "unfed": "no column of the input contract feeds it yet: earns nothing until a source exists",
}


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _codes(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values) or "—"


def _column_notes(column: Column) -> str:
    notes = []
    if column.values:
        notes.append("values: " + "、".join(column.values))
    if column.synonyms:
        notes.append("also read: " + "、".join(f"{k}→{v}" for k, v in column.synonyms.items()))
    if not column.store:
        notes.append("lookup only (resolved, not stored)")
    if column.personal:
        notes.append("personal data: never shown or exported")
    if column.future_ok:
        notes.append("may lie in the future")
    if column.not_before:
        notes.append(f"not before `{column.not_before}`")
    return "; ".join(notes)


def _entity_section(entity: Entity) -> list[str]:
    lines = [f"### `{entity.name}`", ""]
    lines.append(f"- key (a later export updates the row with the same key): `{entity.key}`")
    lines.append(f"- file-name keywords: {'、'.join(entity.file_keywords) or '—'}")
    if entity.file_patterns:
        lines.append(f"- file-name patterns: {_codes(entity.file_patterns)}")
    for group in entity.required_any:
        lines.append(f"- at least one of {_codes(group)} must have a value")
    lines.append("")
    rows = [
        (
            f"`{c.name}`",
            c.type,
            "yes" if c.required else "",
            "、".join(c.headers),
            _column_notes(c),
        )
        for c in entity.columns.values()
    ]
    lines += _table(("column", "type", "required", "recognised headers", "notes"), rows)
    return [*lines, ""]


def _input_section() -> list[str]:
    mapping = load_mapping()
    lines = [
        "## 1. Input files (输入契约)",
        "",
        f"- Formats: {', '.join(f'`{s}`' for s in SUPPORTED)}. CSV in UTF-8 (with or without BOM), "
        "GB18030/GBK or UTF-16; every cell is read as text and parsed by the column's type.",
        f"- The header row is found among the first {HEADER_SCAN_ROWS} rows (title rows above it are "
        "skipped). Headers match after removing spaces and `*` and folding full-width characters; "
        "columns with other headers are ignored.",
        "- Which entity a file holds: a file-name pattern if one matches, else the entity whose "
        "required headers are all present and which matches the most columns (a tie is broken by "
        "the file name), else a file-name keyword (tried in the order "
        f"{_codes(mapping.keyword_priority)}).",
        "- Blank rows are skipped, 合计/总计 rows set aside (`summary_row`); full-width digits and "
        "stray spaces are cleaned.",
        "- A deployment adds headers, synonyms, keywords and patterns in its own mapping file "
        "(`mapping_file` setting), merged over these.",
        "",
        "Column types:",
        "",
        *_table(("type", "accepted"), TYPE_NOTES.items()),
        "",
        "Shared value lists:",
        "",
    ]
    for name, column in mapping.enums.items():
        lines.append(f"- `{name}`: {_column_notes(column)}")
    lines += ["", "Entities, in load order:", ""]
    for entity in mapping.ordered():
        lines += _entity_section(entity)
    return lines


def _rejects_section() -> list[str]:
    row_reasons = [(f"`{r}`", t(f"etl.reason.{r}"), t(f"etl.reject.{r}", "en")) for r in REASONS]
    file_reasons = [(f"`{r}`", t(f"etl.reason.{r}"), t(f"etl.file.{r}", "en")) for r in FILE_REASONS]
    return [
        "## 2. Rejects (拒收)",
        "",
        "Nothing is dropped silently: a row that breaks the contract is stored as a reject with its "
        "file, row number, column, value and reason (shown on `/ops`, downloadable as XLSX); the "
        "file's other rows load. A file that cannot be used at all is rejected whole and nothing "
        f"from it is written. Dates outside {MIN_DATE}..{MAX_DATE} are bad dates.",
        "",
        "Row rejects:",
        "",
        *_table(("reason", "原因", "message"), row_reasons),
        "",
        "File rejects:",
        "",
        *_table(("reason", "原因", "message"), file_reasons),
        "",
    ]


def _kpi_section() -> list[str]:
    rows = [
        (f"`{k}`", t(f"kpi.{k}.name"), t(f"kpi.{k}.name", "en"), t(f"kpi.{k}.def"), t(f"kpi.{k}.def", "en"))
        for k in KPI_IDS
    ]
    return [
        "## 3. KPI definitions (口径)",
        "",
        "The ids are those of `cockpit kpis --json`; each definition says which records count and, "
        "for period figures, which date places a record in the period.",
        "",
        *_table(("id", "名称", "name", "口径", "definition"), rows),
        "",
    ]


def _points_section() -> list[str]:
    rules = load_points_rules()
    rows = [
        (
            f"`{r.rule_id}`",
            r.name,
            r.name_en,
            r.points,
            f"`{r.source}`",
            "、".join(r.activity_types),
            "; ".join(
                [*(["at a home of the four home levels only"] if r.at_home_only else [])]
                + ([f"status not {'、'.join(r.exclude_statuses)}"] if r.exclude_statuses else [])
            ),
        )
        for r in rules
    ]
    return [
        "## 4. Points rules (履职积分规则)",
        "",
        f"The packaged defaults (`{DEFAULT_RULES_FILE.relative_to(SOURCE_ROOT).as_posix()}`); a "
        "deployment points the `points_rules_file` setting at its own copy. An activity type "
        "belongs to one attendance rule at most.",
        "",
        *_table(("rule", "名称", "name", "points", "source", "activity types", "conditions"), rows),
        "",
        "Sources:",
        "",
        *_table(("source", "one event per"), [(f"`{s}`", note) for s, note in SOURCE_NOTES.items()]),
        "",
    ]


def render_data_contract() -> str:
    """The whole document, from the packaged mapping, KPI registry and points rules."""
    lines = [
        "# Data contract (数据契约)",
        "",
        "<!-- Generated by `python -m etl.contract_doc` from etl/mapping.toml, etl/validate.py, the KPI "
        "registry (warehouse/query.py, warehouse/catalog/kpi.toml) and warehouse/points_rules.toml. Do not edit by "
        "hand: tests/unit/test_data_contract.py fails when it is out of date. -->",
        "",
        "What a deployment's exports must look like, how each KPI is counted and how duty points are earned.",
        "",
        *_input_section(),
        *_rejects_section(),
        *_kpi_section(),
        *_points_section(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    """Write the document (default ``docs/DATA_CONTRACT.md``, or the path given)."""
    target = Path(argv[0]) if argv else DOC_PATH
    target.write_text(render_data_contract(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
