"""Validation, set-wise: every problem of every row of ``stg_parsed`` becomes a row of ``stg_rejects``.

``stg_rejects(__row, column_name, reason_code, raw_value)`` holds one row per problem (a row with
three problems has three rejects but counts once as rejected). ``stg_valid`` is what is left: the
canonical columns of the entity, ``source_row`` and ``row_hash`` (md5 over the canonical values, so
the same record read from xlsx or CSV hashes the same).
"""

from __future__ import annotations

from datetime import date

from etl.mapping import Entity
from etl.normalize import NUMBER_TYPES, Sql, ident

REASONS = (
    "summary_row",
    "missing_value",
    "bad_enum",
    "bad_date",
    "bad_number",
    "negative_count",
    "future_date",
    "close_before_open",
    "unknown_township",
    "unknown_home",
    "unknown_deputy",
    "bad_row",
)
FILE_REASONS = (
    "unreadable",
    "empty_file",
    "unsupported_format",
    "unknown_entity",
    "missing_columns",
    "load_error",
)
_REF_REASON = {"township_ref": "unknown_township", "home_ref": "unknown_home", "deputy_ref": "unknown_deputy"}
_NAME_REF = {"township_ref": "township_name_ref", "home_ref": "home_name_ref"}
_BAD_VALUE = {"date": "bad_date", "enum": "bad_enum", "bool": "bad_enum", "levels": "bad_enum"}


def _header_of(entity: Entity, name: str, found: dict[str, int], headers: list[str]) -> str:
    if name in found:
        return headers[found[name]]
    return entity.columns[name].headers[0] if entity.columns[name].headers else name


def build_rejects(
    entity: Entity, found: dict[str, int], headers: list[str], parsed_columns: set[str], run_date: date
) -> tuple[str, list]:
    """SQL creating ``stg_rejects`` from ``stg_parsed``."""
    sql = Sql()
    parts: list[str] = []
    cols = entity.columns

    def header(name: str) -> str:
        return _header_of(entity, name, found, headers)

    def raw(name: str) -> str:
        return "null" if cols[name].personal or f"v_{name}" not in parsed_columns else ident("v_" + name)

    def check(name: str, reason: str, condition: str, raw_expr: str | None = None, column: str | None = None):
        parts.append(
            f"select __row, {sql.p(column if column is not None else header(name))} as column_name, "
            f"{sql.p(reason)} as reason_code, {raw_expr or raw(name)}::varchar as raw_value "
            f"from stg_parsed where not __summary and ({condition})"
        )

    parts.append(
        f"select __row, {sql.p(headers[0] if headers else '')} as column_name, {sql.p('summary_row')} as reason_code, "
        "__first_cell as raw_value "
        "from stg_parsed where __summary"
    )
    for name, col in cols.items():
        v, p = ident("v_" + name), ident("p_" + name)
        if col.required and name in found:
            check(name, "missing_value", f"{v} is null")
        if name not in found and name not in _required_ref_targets(entity, found):
            continue
        if col.type in _BAD_VALUE or col.type in NUMBER_TYPES:
            reason = _BAD_VALUE.get(col.type, "bad_number")
            check(name, reason, f"{v} is not null and {p} is null")
        if col.type == "count":
            check(name, "negative_count", f"{p} < 0")
        if col.type == "date" and not col.future_ok:
            check(name, "future_date", f"{p} > {sql.p(run_date)}::date")
        if col.type == "date" and col.not_before and f"p_{col.not_before}" in parsed_columns:
            check(name, "close_before_open", f"{p} < {ident('p_' + col.not_before)}")
        if col.type in _REF_REASON and f"p_{name}" in parsed_columns:
            names = [n for n in found if cols[n].type == _NAME_REF.get(col.type)]
            given = [f"{v} is not null"] if name in found else []
            given += [f"{ident('v_' + n)} is not null" for n in names]
            shown = [n for n in ([name] if name in found else []) + names]
            raw_expr = f"coalesce({', '.join(ident('v_' + n) for n in shown)})"
            column = " / ".join(header(n) for n in shown)
            check(name, _REF_REASON[col.type], f"{p} is null and ({' or '.join(given)})", raw_expr, column)
        if col.type == "ids" and name in found:
            parts.append(
                f"select __row, {sql.p(header(name))}, {sql.p('unknown_deputy')}, string_agg(__id, ';') "
                f"from (select __row, unnest(string_split_regex({v}, '[;,、\\s]+')) as __id from stg_parsed "
                f"where not __summary and {v} is not null) u "
                "where __id <> '' and not exists (select 1 from deputies d where d.deputy_id = u.__id) "
                "group by __row"
            )
    for group in entity.required_any:
        present = [n for n in group if n in found]
        if present:
            condition = " and ".join(f"{ident('v_' + n)} is null" for n in present)
            check(present[0], "missing_value", condition, "null", " / ".join(header(n) for n in present))
    text = "create or replace temp table stg_rejects as " + " union all ".join(f"({q})" for q in parts)
    return text, sql.params


def _required_ref_targets(entity: Entity, found: dict[str, int]) -> set[str]:
    """Reference columns absent from the file but filled from a name column (e.g. home by name)."""
    out = set()
    for name, col in entity.columns.items():
        name_type = _NAME_REF.get(col.type)
        if name_type and any(entity.columns[n].type == name_type for n in found):
            out.add(name)
    return out


def build_valid(entity: Entity, parsed_columns: set[str], table_columns: list[str]) -> str:
    """SQL creating ``stg_valid``: the rows without any reject, in the raw table's canonical columns."""
    canon = [c for c in entity.stored_columns if c in table_columns]
    select = [f"{ident('p_' + c) if f'p_{c}' in parsed_columns else 'null'} as {ident(c)}" for c in canon]
    hashed = ", ".join(f"coalesce({ident(c)}::varchar, chr(0))" for c in canon)
    return (
        "create or replace temp table stg_valid as "
        f"select *, md5(concat_ws(chr(31), {hashed})) as row_hash from ("
        f"select __row as source_row, {', '.join(select)} from stg_parsed p "
        "where not __summary and not exists (select 1 from stg_rejects r where r.__row = p.__row))"
    )
