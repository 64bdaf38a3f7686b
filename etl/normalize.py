"""Normalisation, set-wise in DuckDB: source cells (VARCHAR) → canonical typed values.

Two tables per file, both built by one statement each (no Python loop over rows):

* the cleaned rows (a subquery): non-blank rows; ``v_<col>`` is the cleaned text of each mapped column (stray and
  full-width spaces trimmed, full-width digits/letters folded to ASCII for non-text columns), and
  ``__summary`` flags 合计/总计 rows.
* ``stg_parsed``: adds ``p_<col>``, the parsed value (dates in every spelling and Excel serials,
  enums through their synonyms, booleans, ';'-joined levels and id lists, township/home names
  resolved to codes/ids through the raw store's tables).

Identifiers in the generated SQL come only from the mapping's canonical column names (checked
against ``[a-z_]+``); every value from a file or a mapping file is a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from etl.mapping import Column, Entity, Mapping

# Ctrl-Z (\x1a) is the end-of-file mark some old Windows programs append: padding, never a value.
WHITESPACE = " \t\r\n\u3000\u00a0\ufeff\x1a"
FULL_WIDTH = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ－／．：（），；％"
HALF_WIDTH = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-/.:(),;%"
FULL_WIDTH_CLASS = "[" + FULL_WIDTH + "]"
# Cleaned as text (trimmed only): names and free text. ASCII_TYPES are codes, numbers and dates, where a
# non-ASCII character (full-width digit, 年月日) means the row needs the full cleaning path.
TEXT_TYPES = {"text", "township_name_ref", "home_name_ref"}
ASCII_TYPES = {
    "id",
    "date",
    "int",
    "count",
    "float",
    "pct",
    "bool",
    "ids",
    "township_ref",
    "home_ref",
    "deputy_ref",
}
NUMBER_TYPES = {"int", "count", "float", "pct"}
ENUM_TYPES = {"enum", "bool", "levels"}
SUMMARY_CELLS = 3
SUMMARY_WORDS = ("合计", "总计")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
TIME_AFTER_DAY = "[ \u3000]+([0-9]{1,2}:[0-9]{2})"


def ident(name: str) -> str:
    """Quote a canonical column name; refuse anything that is not a plain identifier."""
    if not _IDENT.match(name):
        raise ValueError(f"not a canonical column name: {name!r}")
    return f'"{name}"'


@dataclass
class Sql:
    """A SQL text with its positional parameters, built piecewise."""

    params: list = field(default_factory=list)

    def p(self, value) -> str:
        # Numbered, so that fragments may be composed in any order.
        self.params.append(value)
        return f"${len(self.params)}"


def _clean(cell: str, col: Column, sql: Sql, trim: bool = True) -> str:
    """The cleaning expression of one cell; ``trim=False`` for rows known to have no edge spaces nor empty
    text (trimming is then the identity, and it costs ~1 µs a cell)."""
    expr = f"nullif(trim({cell}, {sql.p(WHITESPACE)}), '')" if trim else cell
    if col.type in TEXT_TYPES:
        return expr
    # translate() costs ~9 µs a call whatever the text: run it only where a full-width character is,
    # and test the cell only in rows whose coded cells hold one at all (``__fw``, one test per row).
    expr = (
        f"(case when __fw and regexp_matches({cell}, {sql.p(FULL_WIDTH_CLASS)}) "
        f"then translate({expr}, {sql.p(FULL_WIDTH)}, {sql.p(HALF_WIDTH)}) else {expr} end)"
    )
    if col.type == "date":
        # A time after the day ("2023/07/09 14:30") is marked with a T first: stripping the space below
        # would glue it to the day ("2023/07/0914:30", unreadable). The date parsers drop the T part.
        expr = f"regexp_replace({expr}, {sql.p(TIME_AFTER_DAY)}, 'T\\1')"
    if col.type in ENUM_TYPES or col.type in NUMBER_TYPES or col.type == "date":
        # Inner spaces carry no meaning in a number, a date or an enum word ("已 办结").
        expr = f"nullif(replace(replace({expr}, ' ', ''), {sql.p(chr(0x3000))}, ''), '')"
    return expr


# A row needs the (slow) cleaning path only if some cell starts or ends with a space of any kind (or is
# empty text), or a code/number/date cell holds a non-ASCII character; most rows of a machine export need
# neither, and CASE evaluates the cleaning expressions only for the rows that do.
_SPACE_CLASS = "[\\s\\x{3000}\\x{a0}\\x{feff}\\x{1a}]"
EDGE_SPACE = f"(?:^|\\x1f){_SPACE_CLASS}|{_SPACE_CLASS}(?:\\x1f|$)|(?:^|\\x1f)(?:\\x1f|$)"


def build_clean(
    entity: Entity, found: dict[str, int], width: int, source_table: str, sql: Sql, edge_spaces: bool = True
) -> str:
    """The SELECT of the cleaned rows of the reader's table: blank rows dropped, summary rows flagged.
    Not materialised: ``stg_parsed`` computes both steps in one pass."""
    cells = [f"c{i}" for i in range(width)]
    coded = [f"c{idx}" for name, idx in found.items() if entity.columns[name].type in ASCII_TYPES]
    # Two flags: __edge (some cell has edge spaces or is empty text: trim every cell) and __wide (a coded
    # cell holds a non-ASCII character: fold and strip inner spaces, no trim needed). Exports that write
    # dates as 2023年7月9日 make every row "wide": the cheaper path matters there.
    edge = "false"
    if cells and edge_spaces:
        edge = f"regexp_matches(concat_ws(chr(31), {', '.join(cells)}), {sql.p(EDGE_SPACE)})"
    wide = "false"
    if coded:
        joined = f"concat({', '.join(coded)})"
        wide = f"strlen({joined}) <> length({joined})"
    # __fw: some cell that _clean folds holds a full-width character (only asked of __edge/__wide rows:
    # the others keep their cells as read).
    folded = [f"c{idx}" for name, idx in found.items() if entity.columns[name].type not in TEXT_TYPES]
    fw = "false"
    if folded:
        fw = f"case when __edge or __wide then regexp_matches(concat({', '.join(folded)}), {sql.p(FULL_WIDTH_CLASS)}) else false end"
    cols = []
    for name, idx in found.items():
        col = entity.columns[name]
        full = _clean(f"c{idx}", col, sql)
        if col.type in TEXT_TYPES:
            expr = f"case when __edge then {full} else c{idx} end"
        else:
            expr = f"case when __edge then {full} when __wide then {_clean(f'c{idx}', col, sql, trim=False)} else c{idx} end"
        cols.append(f"{expr} as {ident('v_' + name)}")
    all_null = " and ".join(f"{c} is null" for c in cells) or "true"
    all_blank = " and ".join(f"coalesce(trim({c}, {sql.p(WHITESPACE)}), '') = ''" for c in cells) or "true"
    first = ", ".join(cells[:SUMMARY_CELLS]) or "''"
    words = " or ".join(f"contains(__first, {sql.p(w)})" for w in SUMMARY_WORDS)
    first_raw = "c0" if width else "null"
    # Blank rows are flagged, not filtered here: a filter would make DuckDB evaluate ``__edge`` twice.
    return (
        f"select __row, {', '.join(cols + [''])} ({words}) as __summary, {first_raw} as __first_cell, "
        f"(case when __edge then {all_blank} else {all_null} end) as __blank "
        f"from (select *, replace(replace(concat({first}), ' ', ''), {sql.p(chr(0x3000))}, '') as __first, "
        f"({fw}) as __fw "
        f"from (select *, ({edge}) as __edge, ({wide}) as __wide from {source_table}))"
    )


def _enum_case(value: str, col: Column, sql: Sql) -> str:
    canon = ", ".join(sql.p(v) for v in col.values)
    pairs = {v.lower(): v for v in col.values}
    pairs.update(col.synonyms)
    whens = " ".join(f"when {sql.p(k)} then {sql.p(v)}" for k, v in pairs.items())
    # Exact canonical spellings first (the common case), synonyms and case variants after.
    return (
        f"(case when {value} in ({canon}) then {value} else (case lower({value}) {whens} else null end) end)"
    )


def _date_fast(v: str) -> str:
    """ISO, slashed/dotted and plain 2023年7月9日 dates: the spellings of nearly every row, by cheap casts.
    The 年月日 term gives what ``_date_slow`` gives for exactly that shape (nothing else to rewrite), and
    saves whole-column updates on exports that write every date that way."""
    return (
        f"coalesce(try_cast({v} as date), try_cast(replace(replace({v}, '/', '-'), '.', '-') as date), "
        f"case when regexp_full_match({v}, '\\d{{4}}年\\d{{1,2}}月\\d{{1,2}}日') "
        f"then try_cast(replace(replace(replace({v}, '年', '-'), '月', '-'), '日', '') as date) end)"
    )


def _date_slow(v: str) -> str:
    """The other spellings (年月日, a time part, yyyymmdd, Excel serials), for the rows the fast path left.
    Out-of-range results are left for validation to reject."""
    spelled = f"try_cast(split_part(replace(regexp_replace(replace({v}, 'T', ' '), '[年月./]', '-', 'g'), '日', ''), ' ', 1) as date)"
    compact = f"case when regexp_full_match({v}, '\\d{{8}}') then try_strptime({v}, '%Y%m%d')::date end"
    # Excel stores dates as days since 1899-12-30; 5-digit serials cover 1927..2173.
    serial = (
        f"case when regexp_full_match({v}, '\\d{{5}}(\\.\\d+)?') "
        f"then date '1899-12-30' + cast(floor(cast({v} as double)) as integer) end"
    )
    return f"coalesce({spelled}, {compact}, {serial})"


def _number(v: str, kind: str) -> str:
    x = f"replace({v}, ',', '')"
    if kind in ("float",):
        return f"try_cast({x} as double)"
    if kind == "pct":
        return f"try_cast(rtrim({x}, '%') as double)"
    as_double = f"try_cast({x} as double)"
    return f"coalesce(try_cast({x} as bigint), case when {as_double} = floor({as_double}) then {as_double}::bigint end)"


def _id_list(v: str) -> str:
    """';'-joined ids; the split only runs where another separator or a stray ';' is present."""
    odd = " or ".join(
        [f"contains({v}, '{c}')" for c in (",", "、", " ", ";;")]
        + [f"starts_with({v}, ';')", f"ends_with({v}, ';')"]
    )
    rebuilt = f"array_to_string(list_filter(string_split_regex({v}, '[;,、\\s]+'), lambda x: x <> ''), ';')"
    return f"(case when {odd} then {rebuilt} else {v} end)"


def build_parsed(
    entity: Entity,
    found: dict[str, int],
    width: int,
    source_table: str,
    mapping: Mapping,
    edge_spaces: bool = True,
) -> list[tuple[str, list]]:
    """SQL creating ``stg_parsed``: the cleaned ``v_<col>`` and typed ``p_<col>`` values of every non-blank row."""
    sql = Sql()
    clean = build_clean(entity, found, width, source_table, sql, edge_spaces)
    selects: list[str] = []
    joins: list[str] = []
    cols = entity.columns
    present = set(found)

    def v(name: str) -> str:
        return f"c.{ident('v_' + name)}" if name in present else "null"

    for name in found:
        col = cols[name]
        value = v(name)
        kind = col.type
        if kind in ("id", "text"):
            continue  # the cleaned value is the value: no copy (see ``value_column``)
        if kind == "enum":
            expr = _enum_case(value, col, sql)
        elif kind == "bool":
            expr = f"({_enum_case(value, mapping.enums['bool'], sql)})::boolean"
        elif kind == "levels":
            part = _enum_case("x", mapping.enums["levels"], sql)
            mapped = f"list_transform(string_split_regex({value}, '[;,、/\\s]+'), lambda x: {part})"
            canon = "list_filter(['市', '区', '镇'], lambda l: list_contains(__lv, l))"
            expr = (
                f"(select case when len(__lv) > 0 and list_position(__lv, null) is null "
                f"then array_to_string({canon}, ';') end from (select {mapped} as __lv))"
            )
        elif kind == "date":
            expr = _date_fast(value)
        elif kind in NUMBER_TYPES:
            expr = _number(value, kind)
        elif kind == "ids":
            expr = _id_list(value)
        elif kind in ("township_ref", "home_ref", "deputy_ref", "township_name_ref", "home_name_ref"):
            continue  # resolved below, together with the name columns
        else:
            raise ValueError(f"unknown column type {kind!r} for {entity.name}.{name}")
        selects.append(f"{expr} as {ident('p_' + name)}")

    # References: a code/id column, a name column, or a name written in the code column.
    for ref, target, key, name_col, name_ref in (
        ("township_ref", "townships", "township_code", "township_name", "township_name_ref"),
        ("home_ref", "homes", "home_id", "home_name", "home_name_ref"),
        ("deputy_ref", "deputies", "deputy_id", None, None),
    ):
        id_cols = [n for n in found if cols[n].type == ref]
        name_cols = [n for n in found if cols[n].type == name_ref] if name_ref else []
        for col_name in id_cols or ([key] if name_cols else []):
            alias = f"j_{col_name}"
            terms = []
            if col_name in present:
                joins.append(f"left join {target} {alias}_id on {alias}_id.{key} = {v(col_name)}")
                terms.append(f"{alias}_id.{key}")
            if name_col:
                names = f"(select {name_col} as n, min({key}) as k from {target} group by {name_col})"
                if col_name in present:
                    joins.append(f"left join {names} {alias}_n1 on {alias}_n1.n = {v(col_name)}")
                    terms.append(f"{alias}_n1.k")
                for nc in name_cols:
                    joins.append(f"left join {names} {alias}_{nc} on {alias}_{nc}.n = {v(nc)}")
                    # A code written in the name column is still a code.
                    joins.append(f"left join {target} {alias}_{nc}_id on {alias}_{nc}_id.{key} = {v(nc)}")
                    terms += [f"{alias}_{nc}.k", f"{alias}_{nc}_id.{key}"]
            selects.append(f"coalesce({', '.join(terms)}) as {ident('p_' + col_name)}")
            if col_name not in present:
                selects.append(f"null as {ident('v_' + col_name)}")

    statements = [
        (
            "create or replace temp table stg_parsed as "
            f"select c.*, {', '.join(selects) if selects else 'null as __none'} "
            f"from ({clean}) c {' '.join(joins)}",
            sql.params,
        ),
        ("delete from stg_parsed where __blank", []),
    ]
    # The slow date spellings run on the residue only (a separate statement, so that the optimiser
    # cannot hoist them out of a COALESCE and evaluate them for every row).
    for name in found:
        if cols[name].type == "date":
            p, v = ident("p_" + name), ident("v_" + name)
            statements.append(
                (f"update stg_parsed set {p} = {_date_slow(v)} where {p} is null and {v} is not null", [])
            )
    return statements


def value_column(name: str, parsed_columns: set[str]) -> str | None:
    """The column of ``stg_parsed`` holding the canonical value of ``name`` (typed ``p_`` or cleaned ``v_``)."""
    for prefix in ("p_", "v_"):
        if prefix + name in parsed_columns:
            return ident(prefix + name)
    return None
