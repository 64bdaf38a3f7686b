"""Byte-stable writers for the demo exports: ``.xlsx`` (openpyxl) and GB18030 ``.csv``.

The same rows always give the same bytes: the workbook's core properties and every zip entry get a
fixed timestamp, so two runs with the same seed produce identical files.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

# Every export carries this timestamp in its metadata (the newsletter's date), never the clock.
FIXED_TIMESTAMP = datetime(2024, 1, 20, 8, 0, 0)
_ZIP_TIME = (2024, 1, 20, 8, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def write_xlsx(
    path: Path,
    title_rows: Sequence[Sequence],
    header: Sequence[str],
    rows: Iterable[Sequence],
    sheet: str = "导出数据",
) -> Path:
    """Write one sheet: optional title rows, the header, then the rows; deterministic bytes.

    Args:
        path: Target ``.xlsx`` file.
        title_rows: Rows written above the header (e.g. the platform's export title).
        header: Column headers.
        rows: Cell values (str, int, float, date, datetime or None).
        sheet: Worksheet title.

    Returns:
        The path written.
    """
    # Imported here: every `cockpit` process (the server's gunicorn master too) imports this module.
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.creator = "石拐区人大代表履职平台"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    ws = wb.create_sheet(sheet)
    for title in title_rows:
        ws.append(list(title))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_normalise_zip(buffer.getvalue()))
    return path


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite an xlsx archive with fixed entry timestamps and a fixed modified property."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def write_csv(
    path: Path,
    title_rows: Sequence[Sequence],
    header: Sequence[str],
    rows: Iterable[Sequence],
    encoding: str = "gb18030",
) -> Path:
    """Write a CSV export (GB18030 by default, CRLF line ends as Excel writes them).

    Args:
        path: Target ``.csv`` file.
        title_rows: Rows written above the header.
        header: Column headers.
        rows: Cell values; ``None`` is written as an empty field.
        encoding: Text encoding of the file.

    Returns:
        The path written.
    """
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        for title in title_rows:
            writer.writerow(title)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def write_csv_rows(path: Path, rows: Iterable[Sequence], encoding: str = "gb18030") -> Path:
    """Append rows to an existing CSV export (same dialect as :func:`write_csv`)."""
    with path.open("a", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path
