"""Helpers of the briefing tests: read the words back out of the files, and check every figure.

The expected texts are computed here from ``query.kpis`` with plain arithmetic, independently of
``dashboard/briefing/narrative.py`` (only the number format is the documented one: digits, then 万/亿).
"""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import unicodedata
import zlib
from pathlib import Path

from warehouse.query import KPI_IDS, RATE_KPIS

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "briefing"
NUMBER_RE = re.compile(r"\d+(?:亿\d+)?(?:万\d*)?(?:\.\d+)?%?")
# Roster counts have no year-on-year change in the text.
ROSTER = {"deputies_total", "homes_total", "stations_total", "liaison_points_total"}
# Noto CJK maps some ideographs and their CJK radical-supplement twins to one glyph, and the PDF's
# ToUnicode table names the radical: fold back the ones the briefing uses (NFKC leaves these alone).
RADICALS = str.maketrans(
    {"⻚": "页", "⻓": "长", "⺠": "民", "⻅": "见", "⻔": "门", "⻋": "车", "⻛": "风", "⻩": "黄"}
)


def cn(value: int) -> str:
    """The documented Chinese count format, written out independently: 2735, 1万2345, 12万."""
    if value < 10_000:
        return str(value)
    wan, units = divmod(value, 10_000)
    if wan >= 10_000:
        yi, wan = divmod(wan, 10_000)
        head = f"{yi}亿" + (f"{wan:04d}万" if wan else "")
    else:
        head = f"{wan}万"
    return head + (f"{units:04d}" if units and units < 1000 else (str(units) if units else ""))


def pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def allowed_numbers(current: dict, previous: dict, start, end) -> set[str]:
    """Every number the narrative may print for this period: each KPI, each year-on-year change,
    each rate, and the parts of the dates."""
    allowed = {str(n) for n in (start.year, start.month, start.day, end.year, end.month, end.day)}
    allowed |= {f"{d:02d}" for d in (start.month, start.day, end.month, end.day)}
    for kpi_id in KPI_IDS:
        value = current[kpi_id]
        if kpi_id in RATE_KPIS:
            if value is not None:
                allowed.add(pct(value))
            continue
        allowed.add(cn(value))
        allowed.add(cn(previous[kpi_id]))
        if kpi_id not in ROSTER and previous[kpi_id]:
            allowed.add(pct(abs(value - previous[kpi_id]) / previous[kpi_id]))
    return allowed


def docx_paragraphs(content: bytes) -> list[str]:
    from docx import Document

    return [p.text for p in Document(io.BytesIO(content)).paragraphs]


def docx_tables(content: bytes) -> list[list[list[str]]]:
    from docx import Document

    return [
        [[c.text for c in row.cells] for row in table.rows] for table in Document(io.BytesIO(content)).tables
    ]


def docx_headings(content: bytes) -> list[tuple[str, str]]:
    from docx import Document

    return [
        (p.style.name, p.text)
        for p in Document(io.BytesIO(content)).paragraphs
        if p.style.name.startswith("Heading")
    ]


def pdf_text(content: bytes) -> str:
    """The PDF's text with line breaks and spaces removed (Chromium wraps lines anywhere in CJK text) and
    CJK compatibility radicals folded to the ordinary characters (NFKC)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(RADICALS))


def pdf_pages(content: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def pdf_to_pngs(content: bytes, name: str, dpi: int = 60) -> list[Path]:
    """Render every page to ``test-artifacts/briefing/<name>-<n>.png`` (poppler's pdftoppm)."""
    if shutil.which("pdftoppm") is None:
        raise AssertionError("pdftoppm missing: install poppler-utils (scripts/system-packages)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(content)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), str(source), str(ARTIFACTS / name)], check=True, timeout=120
    )
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def tiny_png(width: int = 4, height: int = 2) -> bytes:
    """A valid grey PNG (stands in for kaleido's charts where the chart itself is not under test)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
