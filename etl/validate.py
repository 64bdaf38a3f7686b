"""Validation, set-wise: every problem of every row of ``stg_parsed`` becomes a row of ``stg_rejects``.

``stg_rejects(__row, column_name, reason_code, raw_value)`` holds one row per problem (a row with
three problems has three rejects but counts once as rejected). ``stg_valid`` (a view) is what is left:
the canonical columns of the entity, ``source_row`` and ``row_hash`` (md5 over the canonical values, so
the same record read from xlsx or CSV hashes the same).
"""

from __future__ import annotations

from datetime import date

from etl.mapping import Entity
from etl.normalize import NUMBER_TYPES, Sql, ident, value_column

MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2199, 12, 31)

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
    "excel_code",
    "excel_zeros",
    "not_township",
    "zone_unit",
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
# Code columns that Excel turns into numbers when a CSV is opened and saved: 150205001000 -> 1.50205E+11.
_CODE_TYPES = {"id", "township_ref", "home_ref", "deputy_ref"}
_SCIENTIFIC = "[0-9]([.][0-9]+)?[eE][+]?[0-9]+"


def _header_of(entity: Entity, name: str, found: dict[str, int], headers: list[str]) -> str:
    if name in found:
        return headers[found[name]]
    return entity.columns[name].headers[0] if entity.columns[name].headers else name


def build_rejects(
    entity: Entity, found: dict[str, int], headers: list[str], parsed_columns: set[str], run_date: date
) -> list[tuple[str, list]]:
    """Statements creating ``stg_bad`` (rows with any problem) and ``stg_rejects`` (one row per problem).

    The row-level conditions are evaluated once over all rows (one OR, one scan); the detailed
    per-problem rows are then produced from the few bad rows only.
    """
    # Conditions carry no parameters (dates are inlined from ``date`` objects), so that each statement
    # below binds exactly the parameters it uses.
    ids_sql, out_sql = Sql(), Sql()
    cols = entity.columns
    checks: list[tuple[str, str, str, str]] = []  # (column header, reason, condition, raw value expr)

    def header(name: str) -> str:
        return _header_of(entity, name, found, headers)

    def raw(name: str) -> str:
        return "null" if cols[name].personal or f"v_{name}" not in parsed_columns else ident("v_" + name)

    def check(name: str, reason: str, condition: str, raw_expr: str | None = None, column: str | None = None):
        checks.append(
            (column if column is not None else header(name), reason, condition, raw_expr or raw(name))
        )

    id_lists: list[str] = []
    codes = "create or replace temp table stg_codes as select null::varchar as code where false"
    for name, col in cols.items():
        v, p = ident("v_" + name), ident("p_" + name)
        if col.required and name in found:
            check(name, "missing_value", f"{v} is null")
        if col.level == "township" and name in found:
            # The county itself or the city, province above it (xxxxxx000000, with units under it in the
            # file: their codes start with its digits before the trailing zeros), or a village/community
            # of a township listed in the same file (an official division-code table lists all of them).
            county = f"(right({v}, 6) = '000000' and exists (select 1 from stg_codes q where q.code <> {v} and starts_with(q.code, rtrim({v}, '0'))))"
            village = f"(right({v}, 3) <> '000' and exists (select 1 from stg_codes q where q.code = left({v}, 9) || '000'))"
            codes = f"create or replace temp table stg_codes as select distinct {v} as code from stg_parsed where {v} is not null"
            check(name, "not_township", f"length({v}) = 12 and ({county} or {village})")
            if "township_name" in found and "township_name" in cols:
                # Positions 7-9 from 400 to 599 are units "like townships" (development zones, parks,
                # service centres); only those named as a street, town or sumu are townships (the same rule
                # as warehouse.regions.Region.is_zone_unit, which the region generator follows).
                unit = ident("v_township_name")
                check(
                    name,
                    "zone_unit",
                    f"length({v}) = 12 and substr({v}, 7, 3) between '400' and '599' "
                    f"and not regexp_matches(coalesce({unit}, ''), '(街道|镇|乡|苏木)$')",
                )
        if col.type in _CODE_TYPES and name in found:
            # The cheap test first: most rows hold no E at all.
            check(
                name,
                "excel_code",
                f"(contains({v}, 'E') or contains({v}, 'e')) and regexp_full_match({v}, '{_SCIENTIFIC}')",
            )
            # Excel also drops leading zeros (0012 -> 12): seen when the column's other codes keep theirs,
            # all at one width, and this one is all digits, shorter and without a leading zero.
            width = (
                f"(select any_value(length(q.{v})) from stg_parsed q where q.{v} like '0%' "
                f"and regexp_full_match(q.{v}, '[0-9]+') having count(distinct length(q.{v})) = 1)"
            )
            check(
                name,
                "excel_zeros",
                f"{v} not like '0%' and regexp_full_match({v}, '[0-9]+') and length({v}) < {width}",
            )
        if name not in found and name not in _required_ref_targets(entity, found):
            continue
        if col.type in _BAD_VALUE or col.type in NUMBER_TYPES:
            reason = _BAD_VALUE.get(col.type, "bad_number")
            condition = f"{v} is not null and {p} is null"
            if col.type == "date":
                condition = f"{v} is not null and ({p} is null or {p} not between {_date_literal(MIN_DATE)} and {_date_literal(MAX_DATE)})"
            check(name, reason, condition)
        if col.type == "count":
            check(name, "negative_count", f"{p} < 0")
        if col.type == "date" and not col.future_ok:
            check(
                name, "future_date", f"{p} > {_date_literal(run_date)} and {p} <= {_date_literal(MAX_DATE)}"
            )
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
            id_lists.append(
                f"select __row, {ids_sql.p(header(name))} as column_name, {ids_sql.p('unknown_deputy')} as reason_code, "
                f"string_agg(__id, ';') as raw_value "
                f"from (select __row, unnest(string_split({ident('p_' + name)}, ';')) as __id from stg_parsed "
                f"where not __summary and {ident('p_' + name)} is not null) u "
                "where __id <> '' and not exists (select 1 from deputies d where d.deputy_id = u.__id) "
                "group by __row"
            )
    for group in entity.required_any:
        present = [n for n in group if n in found]
        if present:
            condition = " and ".join(f"{ident('v_' + n)} is null" for n in present)
            check(present[0], "missing_value", condition, "null", " / ".join(header(n) for n in present))

    statements = [
        (codes, []),
        (
            "create or replace temp table stg_id_rejects as "
            + (
                " union all ".join(f"({q})" for q in id_lists)
                if id_lists
                else "select null::bigint as __row, null::varchar as column_name, null::varchar as reason_code, "
                "null::varchar as raw_value where false"
            ),
            ids_sql.params,
        ),
    ]
    any_bad = " or ".join(f"({c})" for _, _, c, _ in checks) or "false"
    statements.append(
        (
            "create or replace temp table stg_bad as select * from stg_parsed where __summary or "
            f"(not __summary and ({any_bad})) or __row in (select __row from stg_id_rejects)",
            [],
        )
    )
    parts = [
        f"select __row, {out_sql.p(headers[0] if headers else '')} as column_name, "
        f"{out_sql.p('summary_row')} as reason_code, "
        "__first_cell as raw_value from stg_bad where __summary",
        "select * from stg_id_rejects",
    ]
    for column, reason, condition, raw_expr in checks:
        parts.append(
            f"select __row, {out_sql.p(column)}, {out_sql.p(reason)}, ({raw_expr})::varchar "
            f"from stg_bad where not __summary and ({condition})"
        )
    statements.append(
        (
            "create or replace temp table stg_rejects as " + " union all ".join(f"({q})" for q in parts),
            out_sql.params,
        )
    )
    return statements


def _date_literal(value: date) -> str:
    return f"date '{value.isoformat()}'"


def _required_ref_targets(entity: Entity, found: dict[str, int]) -> set[str]:
    """Reference columns absent from the file but filled from a name column (e.g. home by name)."""
    out = set()
    for name, col in entity.columns.items():
        name_type = _NAME_REF.get(col.type)
        if name_type and any(entity.columns[n].type == name_type for n in found):
            out.add(name)
    return out


def build_valid(entity: Entity, parsed_columns: set[str], table_columns: list[str]) -> str:
    """SQL creating ``stg_valid``: the rows without any problem, in the raw table's canonical columns.

    ``row_hash`` is 64 bits of md5 over the canonical values: it is only ever compared between versions
    of the same id, where a collision is negligible, and it keeps the stored column small.
    """
    canon = [c for c in entity.stored_columns if c in table_columns]
    select = [f"{value_column(c, parsed_columns) or 'null'} as {ident(c)}" for c in canon]
    return (
        "create or replace temp view stg_valid as "
        f"select *, {row_hash_sql(canon)} as row_hash from ("
        f"select __row as source_row, {', '.join(select)} from stg_parsed p "
        "where not exists (select 1 from stg_bad b where b.__row = p.__row))"
    )


def row_hash_sql(canon: list[str]) -> str:
    """The ``row_hash`` expression over the canonical columns ``canon`` (the same for a record read from
    a file and one completed from the stored version, see ``etl.load.apply_valid``)."""
    hashed = ", ".join(f"coalesce({ident(c)}::varchar, chr(0))" for c in canon)
    return f"left(md5(concat_ws(chr(31), {hashed})), 16)"
