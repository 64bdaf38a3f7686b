"""Spreadsheet safety for every download and export: text from the data never runs as a formula.

Names, titles and units come from the input files, which anyone upstream may fill in. Spreadsheet
software reads a cell starting with ``=``, ``+``, ``-`` or ``@`` (and tab or CR, which some versions strip
before looking) as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Only text is touched: a negative
number stays a number.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    """Whether ``value`` is text a spreadsheet would evaluate."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_safe(value):
    """A CSV cell: formula-like text gets a leading apostrophe (OWASP's advice), everything else as is."""
    return "'" + value if is_formula_like(value) else value


def xlsx_text_cells(sheet, min_row: int = 1) -> int:
    """Store every formula-like text cell of an openpyxl ``sheet`` as plain text (no apostrophe needed:
    a string cell is never evaluated); returns how many were changed."""
    changed = 0
    for row in sheet.iter_rows(min_row=min_row):
        for cell in row:
            if cell.data_type == "f" or is_formula_like(cell.value):
                cell.data_type = "s"
                changed += 1
    return changed
