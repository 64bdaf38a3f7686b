"""What a spreadsheet file really is, whatever its name says, and the two web-platform formats that
office libraries do not read: HTML tables and SpreadsheetML 2003 XML saved as ``.xls``.

:func:`sniff` looks at the first bytes; :func:`html_sheets` and :func:`spreadsheetml_sheets` return
``[(sheet name, rows of cell values)]`` like the workbook reader does.
"""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

ZIP, OLE, HTML, SPREADSHEETML, TEXT, EMPTY, BINARY = (
    "zip", "ole", "html", "spreadsheetml", "text", "empty", "binary",
)  # fmt: skip
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted Office file is an OLE container holding this stream (UTF-16 name).
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_SS = "urn:schemas-microsoft-com:office:spreadsheet"
HEAD = 64 * 1024


def sniff(path: Path) -> str:
    """The file's real kind: ``zip`` (xlsx/xlsm/xlsb/ods), ``ole`` (xls or an encrypted workbook),
    ``html``, ``spreadsheetml``, ``text`` (a CSV saved under a workbook's name), ``empty`` or ``binary``."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD)
    if not head.strip():
        return EMPTY
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return ZIP
    if head.startswith(_OLE_MAGIC):
        return OLE
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        lower = head[:8192].lower()
        if _SS.encode() in head or b"<workbook" in lower and b"<?mso-application" in lower:
            return SPREADSHEETML
        return HTML if b"<table" in head.lower() or b"<html" in lower else BINARY
    if b"\x00" in head:
        return BINARY
    return TEXT


def is_encrypted(path: Path) -> bool:
    """Whether an OLE file is an encrypted (password-protected) Office workbook."""
    with open(path, "rb") as fh:
        return _ENCRYPTED in fh.read(4 * 1024 * 1024)


def zip_kind(path: Path) -> str | None:
    """``workbook`` for a readable xlsx/xlsm/xlsb/ods package, ``truncated`` for a broken zip, None for a
    zip of something else."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "truncated"
    if {"xl/workbook.xml", "xl/workbook.bin"} & names or "content.xml" in names:
        return "workbook"
    return None


class _Tables(HTMLParser):
    """Rows of every ``<table>`` of an HTML page (cells spanning columns repeated as empty cells)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._row.extend([""] * (self._span - 1))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def html_sheets(path: Path) -> list[tuple[str, list[list]]]:
    """Each HTML table as a sheet named 表1, 表2... (web platforms' "Excel export" is often this)."""
    parser = _Tables()
    parser.feed(_decode(path.read_bytes()))
    parser.close()
    return [(f"表{i + 1}", rows) for i, rows in enumerate(parser.tables) if rows]


def spreadsheetml_sheets(path: Path) -> tuple[list[tuple[str, list[list]]], list[str]]:
    """(visible sheets, hidden sheet names) of an Excel 2003 XML workbook."""
    ns = {"ss": _SS}
    root = ElementTree.fromstring(path.read_bytes())
    sheets, hidden = [], []
    for ws in root.findall("ss:Worksheet", ns):
        name = ws.get(f"{{{_SS}}}Name") or f"Sheet{len(sheets) + 1}"
        options = ws.find("{urn:schemas-microsoft-com:office:excel}WorksheetOptions")
        visible = None if options is None else options.find("{urn:schemas-microsoft-com:office:excel}Visible")
        if visible is not None and (visible.text or "") in ("SheetHidden", "SheetVeryHidden"):
            hidden.append(name)
            continue
        rows: list[list] = []
        for row in ws.iterfind("ss:Table/ss:Row", ns):
            index = row.get(f"{{{_SS}}}Index")
            while index and len(rows) < int(index) - 1:
                rows.append([])
            cells: list = []
            for cell in row.findall("ss:Cell", ns):
                at = cell.get(f"{{{_SS}}}Index")
                while at and len(cells) < int(at) - 1:
                    cells.append(None)
                data = cell.find("ss:Data", ns)
                cells.append(None if data is None else "".join(data.itertext()))
            rows.append(cells)
        sheets.append((name, rows))
    return sheets, hidden


# A sheet whose cells span more than this (rows x columns) is not handed to the workbook library, which
# allocates the whole rectangle: one stray cell at XFD1048576 asks it for 17 G cells and aborts the process.
MAX_CELLS = 20_000_000
# Columns kept from such a sheet (exports have tens of columns; the rest is stray formatting or notes).
MAX_COLUMNS = 512
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_SCAN_CHUNK = 16 * 1024 * 1024


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def sheet_extents(path: Path, parts: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Sheet name -> (last row, last column) actually holding a cell, by a streaming scan of its XML (the
    ``<dimension>`` element is not to be trusted)."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in parts.items():
            rows = cols = 0
            tail = b""
            with zf.open(part) as fh:
                while chunk := fh.read(_SCAN_CHUNK):
                    data = tail + chunk
                    for m in _CELL_REF.finditer(data):
                        rows = max(rows, int(m.group(2)))
                        cols = max(cols, _column_number(m.group(1)))
                    tail = data[-32:]
            out[name] = (rows, cols)
    return out


def sparse_sheet_rows(path: Path, sheet: str) -> list[list]:
    """The rows of a sheet too large to allocate whole, read cell by cell, at most ``MAX_COLUMNS`` wide,
    without the empty rows at its end."""
    import openpyxl  # only for these rare sheets: a heavier import than the main reader's

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet]
        ws.reset_dimensions()
        rows = [list(r[:MAX_COLUMNS]) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    while rows and not any(v not in (None, "") for v in rows[-1]):
        rows.pop()
    return rows
