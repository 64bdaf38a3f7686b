"""Per-entity import templates ("下载模板"): an ``.xlsx`` generated from the mapping (the contract).

The data sheet has one header per canonical column (its first Chinese header; ``*`` marks a required
column, which the header matching ignores), a drop-down for every enumerated column (status, levels,
types, yes/no, the township names of the published snapshot), date columns formatted as dates. A
``填写说明`` sheet lists each column's requirement, format and allowed values, and one example row.
Filled in as it says, the workbook loads with no reject: the readers pick the data sheet (it is the one
whose header row maps), and every header maps to its column.
"""

from __future__ import annotations

import io
from datetime import date

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from etl.mapping import Column, Entity, load_mapping, norm_header
from warehouse.i18n import t
from warehouse.settings import Settings

DATA_SHEET = "数据"
HELP_SHEET = "填写说明"
LISTS_SHEET = "选项"
TEMPLATE_ROWS = 1000
DATE_FORMAT = "yyyy-mm-dd"
# Columns given by name in a template: the clerk knows township and home names, not their codes.
CODE_WHEN_NAME = {"township_ref": "township_name_ref", "home_ref": "home_name_ref"}
EXAMPLE_TEXT = {"id": "0001", "text": "示例", "int": "1", "count": "1", "float": "110.2", "pct": "50"}


def header_for(entity: Entity, column: Column, others: frozenset[str] = frozenset()) -> str:
    """The column's header in the template: the first of its headers that no other entity uses
    ("建议编号" rather than "编号", so that headers alone recognise the file), else its longest."""
    mine = [h for h in column.headers if entity.header_lookup.get(norm_header(h)) == column.name]
    if not mine:
        return (column.headers or (column.name,))[0]
    return next((h for h in mine if norm_header(h) not in others), max(mine, key=len))


def other_headers(mapping, entity: Entity) -> frozenset[str]:
    return frozenset(h for e in mapping.entities.values() if e.name != entity.name for h in e.header_lookup)


def template_columns(entity: Entity) -> list[Column]:
    """The columns of the template: every column, except a code reference that a name column of the
    same kind also gives (the clerk fills in the name)."""
    kinds = {c.type for c in entity.columns.values()}
    return [c for c in entity.columns.values() if CODE_WHEN_NAME.get(c.type) not in kinds]


def township_names(settings: Settings) -> list[str]:
    """Township names of the published snapshot (empty when nothing is published yet)."""
    if not settings.published_db.exists():
        return []
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return [
            r[0]
            for r in con.execute("select township_name from dim_township order by township_code").fetchall()
        ]
    except duckdb.Error:
        return []
    finally:
        con.close()


def _allowed(column: Column, townships: list[str]) -> list[str]:
    if column.type == "bool":
        return ["是", "否"]
    if column.type == "township_name_ref":
        return townships
    return list(column.values)


def _format_text(column: Column) -> str:
    key = {
        "date": "date",
        "bool": "bool",
        "levels": "levels",
        "int": "number",
        "count": "number",
        "float": "number",
        "pct": "pct",
        "ids": "ids",
    }.get(column.type)
    if column.type == "enum" or column.type.endswith("_name_ref"):
        key = "choice"
    return t(f"template.format.{key}") if key else t("template.format.text")


def _example(column: Column, entity: Entity, allowed: list[str]):
    if allowed:
        return allowed[0]
    if column.type == "date":
        return date(2023, 5, 6)
    if column.type == "id":
        return f"{entity.name[:1].upper()}0001"
    return EXAMPLE_TEXT.get(column.type, "示例")


def build_template(settings: Settings, entity_name: str) -> bytes:
    """The template workbook of one entity.

    Raises:
        KeyError: no such entity in the mapping.
    """
    mapping = load_mapping(settings.mapping_file)
    entity = mapping.entities[entity_name]
    columns = template_columns(entity)
    others = other_headers(mapping, entity)
    townships = township_names(settings)
    workbook = Workbook()
    data = workbook.active
    data.title = DATA_SHEET
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        header = header_for(entity, column, others)
        cell = data.cell(row=1, column=j, value=("*" if column.required else "") + header)
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        data.column_dimensions[letter].width = max(12, len(header) * 2 + 4)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if column.type == "date":
            for row in range(2, TEMPLATE_ROWS + 2):
                data.cell(row=row, column=j).number_format = DATE_FORMAT
        allowed = _allowed(column, townships)
        if allowed:
            for i, value in enumerate(allowed, start=1):
                lists.cell(row=i, column=j, value=value)
            # Levels take several values ("区、镇"): the list helps, other input only warns.
            strict = column.type != "levels"
            rule = DataValidation(
                type="list",
                formula1=f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(allowed)}",
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="stop" if strict else "warning",
                error=t("template.pick_from_list"),
            )
            rule.add(cells)
            data.add_data_validation(rule)
    data.freeze_panes = "A2"
    _help_sheet(workbook.create_sheet(HELP_SHEET, 1), entity, columns, townships, others)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _help_sheet(
    sheet, entity: Entity, columns: list[Column], townships: list[str], others: frozenset[str]
) -> None:
    bold = Font(bold=True)
    sheet.append([t("template.help_title", entity=t(f"intake.entity.{entity.name}"))])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in ("template.help_line1", "template.help_line2", "template.help_line3"):
        sheet.append([t(line)])
    sheet.append([])
    sheet.append(
        [
            t("template.col_name"),
            t("template.col_required"),
            t("template.col_format"),
            t("template.col_values"),
            t("template.example"),
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    # The example is a column of this table, not a row under headers: only the data sheet has a
    # header row the readers recognise.
    for column in columns:
        allowed = _allowed(column, townships)
        sheet.append(
            [
                header_for(entity, column, others),
                t("template.required") if column.required else t("template.optional"),
                _format_text(column),
                "、".join(allowed),
                _example(column, entity, allowed),
            ]
        )
        if column.type == "date":
            sheet.cell(row=sheet.max_row, column=5).number_format = DATE_FORMAT
    for letter, width in zip("ABCDE", (24, 10, 30, 60, 16), strict=True):
        sheet.column_dimensions[letter].width = width


def template_entities(settings: Settings) -> list[str]:
    """Entities with a template, in load order."""
    mapping = load_mapping(settings.mapping_file)
    return [e.name for e in sorted(mapping.entities.values(), key=lambda e: e.order)]


def template_path_name(entity_name: str) -> str:
    return f"模板_{t(f'intake.entity.{entity_name}')}.xlsx"
