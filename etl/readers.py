"""Readers: one per format, each loading an export into a DuckDB table of VARCHAR cells.

Every reader produces the same shape, so that normalisation and validation are format-blind:
a table with ``__row`` (the row number a user sees in the file: title rows and the header counted,
1-based) and ``c0..cN`` (the cells under the header, as text or NULL). The header row is the row,
among the first ones, that maps the most known headers; rows above it are titles.

CSV is read by DuckDB itself (set-wise, no Python loop per row); GB18030/GBK and UTF-16 files are
transcoded to UTF-8 in large chunks first. Row numbers for CSV come from the table's insertion order
plus the blank lines DuckDB skips, found with a byte scan.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import json
import mmap
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from etl import transcode, workbooks
from etl.mapping import Mapping, norm_header
from etl.report import Note
from etl.transcode import CHUNK, transcode_range

HEAD_BYTES = 256 * 1024
HEADER_SCAN_ROWS = 30
# Lines with a quote never closed that are rejected one by one; a file with more is rejected as a whole
# (each costs a scan to the end of the file, and so many mean the file is not a CSV as exported).
MAX_UNCLOSED_QUOTES = 100
# A GB18030 file is transcoded in parallel parts of at least this size.
PARALLEL_PART = 32 * 1024 * 1024
DELIMITERS = (",", "\t", ";", "|")
# At most this many cell-level notes per file in its report (the rejects table has them all).
MAX_NOTES = 50
TEXT_TABLES = (".csv", ".tsv")
WORKBOOKS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".et")
SUPPORTED = (*TEXT_TABLES, *WORKBOOKS, ".jsonl")


class ReadError(Exception):
    """A file that cannot be read at all: a file-level reject (``code`` is the reason code).

    ``message`` names the clerk's explanation (``readers.file.<message>`` in the catalog: what the file
    is and what to do) when it is more precise than the reason code's; ``detail`` fills its placeholder.
    """

    def __init__(self, code: str, detail: str = "", message: str | None = None):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.message = message


@dataclass
class Source:
    """A file loaded into ``table`` (``__row`` + ``c0..cN`` VARCHAR), with what was learned reading it."""

    table: str
    headers: list[str]
    header_row: int | None
    encoding: str | None = None
    sheet: str | None = None
    # Rows the format itself could not parse (jsonl, a formula without a value): (row number, detail or
    # the clerk's message); counted read and rejected.
    bad_rows: list[tuple[int, str | Note]] = field(default_factory=list)
    # False when a byte scan proved that no cell starts or ends with a space of any kind (nor is empty
    # text): normalisation then skips its per-row whitespace test.
    edge_spaces: bool = True
    # Workbooks: (sheet, header row, data rows) of every sheet read; hidden sheets skipped.
    sheets: list[tuple[str, int, int]] = field(default_factory=list)
    hidden_sheets: list[str] = field(default_factory=list)
    # What the reader noticed for the clerk (e.g. formulas without a value), for the file's report.
    notes: list[Note] = field(default_factory=list)


def read_source(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping, table: str) -> Source:
    """Load ``path`` into the temp table ``table``; raise :class:`ReadError` when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix in TEXT_TABLES:
        return read_csv(con, path, mapping, table)
    if suffix in WORKBOOKS:
        return read_xlsx(con, path, mapping, table)
    if suffix == ".jsonl":
        return read_jsonl(con, path, table)
    raise ReadError("unsupported_format", suffix or path.name)


def _column_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _two_row_header(upper: list[str], lower: list[str]) -> list[str]:
    """One header from two rows: a group row above the real header, or a header merged across two rows
    (the cell merged vertically is written in the upper row only, its neighbours in the lower one)."""
    width = max(len(upper), len(lower))
    upper, lower = upper + [""] * (width - len(upper)), lower + [""] * (width - len(lower))
    return [lo if lo.strip() else up for up, lo in zip(upper, lower, strict=True)]


def _pick_header(rows: list[tuple[int, list[str]]], mapping: Mapping) -> tuple[int, list[str]]:
    """(row number, headers) of the row mapping the most known headers; the first non-blank row if none.

    Two consecutive rows read as one header count as a candidate too (its row number is the lower
    row's): it wins only when it maps more headers than either row alone.
    """
    best: tuple[int, int, list[str]] | None = None
    scan = rows[:HEADER_SCAN_ROWS]
    for k, (row_no, cells) in enumerate(scan):
        score = mapping.header_score(cells)
        if score and (best is None or score > best[0]):
            best = (score, row_no, cells)
        if k + 1 < len(scan) and score:
            next_no, next_cells = scan[k + 1]
            both = _two_row_header(cells, next_cells)
            joined = mapping.header_score(both)
            if joined > max(score, mapping.header_score(next_cells)) and (best is None or joined > best[0]):
                best = (joined, next_no, both)
    if best is None:
        for row_no, cells in rows:
            if any(c.strip() for c in cells):
                return row_no, cells
        raise ReadError("empty_file", "")
    return best[1], best[2]


# CSV ------------------------------------------------------------------------------------------


def _detect_encoding(head: bytes, complete: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise ReadError("unreadable", "", "not_text")
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)("strict").decode(head, final=complete)
            return enc
        except UnicodeDecodeError:
            continue
    raise ReadError("unreadable", "", "bad_encoding")


def _is_utf8(path: Path) -> bool:
    """Strict, streaming UTF-8 check of a whole file (only on the rare fallback path)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(path: Path, encoding: str, tmp_dir: Path) -> Path:
    """Write a UTF-8 copy of ``path`` (streaming, strict): DuckDB reads only UTF-8 without extensions.

    Large GB18030 files are cut at line feeds into one part per core, the later parts decoded by child
    processes (Python's codec holds the GIL): a line feed byte never occurs inside a GB18030 character,
    so the parts decode exactly as the whole file does. Any failure there falls back to the serial
    transcoder, which also gives the error message.
    """
    fd, name = tempfile.mkstemp(suffix=".csv", dir=tmp_dir)
    os.close(fd)
    target = Path(name)
    try:
        if not _transcode_parallel(path, encoding, target):
            transcode_range(path, encoding, target, 0, None)
    except UnicodeDecodeError as exc:
        target.unlink(missing_ok=True)
        raise ReadError(
            "unreadable", f"invalid {encoding} text at byte {exc.start}", "bad_encoding"
        ) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


# The children run etl/transcode.py as a script: stdlib only, so ``-I -S`` starts them in tens of ms.
_TRANSCODE_SCRIPT = str(Path(transcode.__file__).resolve())


def _split_points(path: Path, parts: int) -> list[int]:
    """Byte offsets cutting ``path`` into about ``parts`` pieces, each cut just after a line feed."""
    size = path.stat().st_size
    cuts = [0]
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for k in range(1, parts):
            i = mm.find(b"\n", max(cuts[-1], size * k // parts))
            if i == -1 or i + 1 >= size:
                break
            cuts.append(i + 1)
    return [*cuts, size]


def _append(part: Path, out) -> None:
    """Append ``part`` to the open file ``out``: in the kernel where it can (copy_file_range), else by reads."""
    with open(part, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        try:
            out.flush()
            done = 0
            while done < size:
                n = os.copy_file_range(src.fileno(), out.fileno(), size - done)
                if n == 0:
                    break
                done += n
            if done == size:
                return
            out.truncate(os.fstat(out.fileno()).st_size - done)
            out.seek(0, os.SEEK_END)
        except (AttributeError, OSError):
            pass
        src.seek(0)
        shutil.copyfileobj(src, out, CHUNK)


def _transcode_parallel(path: Path, encoding: str, target: Path) -> bool:
    """Transcode a large GB18030 file in parts (this process decodes the first); False when not done."""
    cores = os.cpu_count() or 1
    size = path.stat().st_size
    if encoding != "gb18030" or cores < 2 or size < 2 * PARALLEL_PART:
        return False
    cuts = _split_points(path, min(cores, size // PARALLEL_PART))
    if len(cuts) < 3:
        return False
    children: list[tuple[subprocess.Popen, Path]] = []
    try:
        for start, end in zip(cuts[1:-1], cuts[2:], strict=True):
            fd, part = tempfile.mkstemp(suffix=".part", dir=target.parent)
            os.close(fd)
            args = [str(path), encoding, part, str(start), str(end)]
            cmd = [sys.executable, "-I", "-S", _TRANSCODE_SCRIPT, *args]
            children.append((subprocess.Popen(cmd, stderr=subprocess.DEVNULL), Path(part)))
        try:
            transcode_range(path, encoding, target, cuts[0], cuts[1])
        except UnicodeDecodeError:
            return False
        if any(child.wait() != 0 for child, _ in children):
            return False
        with open(target, "r+b") as out:  # not "ab": copy_file_range refuses an O_APPEND target
            out.seek(0, os.SEEK_END)
            for _, part in children:
                _append(part, out)
        return True
    except OSError:
        return False
    finally:
        for child, part in children:
            if child.poll() is None:
                child.kill()
                child.wait()
            part.unlink(missing_ok=True)


# DuckDB's names for a malformed CSV line -> the clerk's message (readers.<code>).
_LINE_PROBLEMS = {
    "LINE SIZE OVER MAXIMUM": "row_too_long",
    "TOO MANY COLUMNS": "row_too_many_cells",
    "UNQUOTED VALUE": "row_quote",
    "INVALID UNICODE": "row_bad_text",
}


def _line_problem(kind: str) -> Note:
    return Note.of(_LINE_PROBLEMS.get(kind.upper(), "row_malformed"))


_LONE_CR = re.compile(rb"\r(?!\n)")


def _has_lone_cr(path: Path) -> bool:
    """Whether a CR not followed by LF ends some line (a CR at the very end counts)."""
    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if mm.find(b"\r") == -1:
            return False
        return _LONE_CR.search(mm) is not None


def _lone_cr_to_lf(path: Path, tmp_dir: Path) -> Path:
    """A copy of ``path`` with every line end (CRLF, lone CR) written as LF, streaming."""
    fd, name = tempfile.mkstemp(suffix=".csv", dir=tmp_dir)
    os.close(fd)
    with open(path, "rb") as src, open(name, "wb") as dst:
        carry = b""
        while chunk := src.read(CHUNK):
            data = carry + chunk
            # A CR at the end of a chunk may be the first half of a CRLF: decide with the next chunk.
            carry = b"\r" if data.endswith(b"\r") else b""
            data = data[:-1] if carry else data
            dst.write(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        dst.write(b"\n" if carry else b"")
    return Path(name)


def _blank_lines(path: Path, after_line: int) -> list[int]:
    """1-based numbers of the empty lines after ``after_line`` (DuckDB skips them, the user counts them)."""
    if path.stat().st_size == 0:
        return []
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        positions = []
        for pattern in (b"\n\n", b"\n\r\n"):
            i = mm.find(pattern)
            while i != -1:
                positions.append(i)
                i = mm.find(pattern, i + 1)
        positions.sort()
        lines, last, count = [], 0, 0
        for pos in positions:
            count += mm[last : pos + 1].count(b"\n")
            last = pos + 1
            lines.append(count + 1)  # the line after the newline at ``pos`` is empty
    return [n for n in lines if n > after_line]


def _has_edge_spaces(path: Path, delimiter: str) -> bool:
    """Whether some cell may start or end with a space (or be quoted empty text).

    A few ``find`` calls over the bytes (memchr speed, ~a dozen scans at worst), far cheaper than testing
    every row in SQL. Conservative: rare characters (tab, ideographic space, NBSP, BOM) anywhere count.
    """
    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        start = 3 if mm[:3] == codecs.BOM_UTF8 else 0
        if mm[start : start + 1].isspace() or mm[-1:] in (b" ", b"\t"):
            return True
        # The space pairs first: a file that has one usually has it near the top, and then the full scans
        # for the rare characters (absent from most files) are skipped.
        sep = delimiter.encode("utf-8")
        pairs = [sep + b" ", b" " + sep, b"\n ", b" \n", b" \r", b'" ', b' "']
        if mm.find(b" ", start) != -1 and any(mm.find(p, start) != -1 for p in pairs):
            return True
        rare = ["\u3000", "\u00a0", "\ufeff", '""', "\x1a"] + (["\t"] if delimiter != "\t" else [])
        return any(mm.find(r.encode("utf-8"), start) != -1 for r in rare)


def _csv_head_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The first records, each with the number of its last physical line (a quoted header cell may hold a
    line break: the data then starts after the record's last line)."""
    rows: list[tuple[int, list[str]]] = []
    lines = text.splitlines(keepends=True)[: HEADER_SCAN_ROWS * 2]
    reader = csv.reader(io.StringIO("".join(lines), newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            rows.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error:
        pass  # a quote still open at the end of the head: the rows before it are enough to find the header
    return [(n, cells) for n, cells in rows if n <= len(lines)]


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping, table: str) -> Source:
    """Read a CSV (UTF-8, UTF-8 BOM, GB18030/GBK or UTF-16) with DuckDB ``read_csv``, all VARCHAR."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        complete = len(head) < HEAD_BYTES
    if not head.strip():
        raise ReadError("empty_file", path.name)
    encoding = _detect_encoding(head, complete)
    text = codecs.getincrementaldecoder(encoding)("replace").decode(head, final=complete)
    text = text.lstrip("\ufeff")
    best = None
    for delim in DELIMITERS:
        rows = _csv_head_rows(text, delim)
        score = max((mapping.header_score(cells) for _, cells in rows), default=0)
        if best is None or score > best[0]:
            best = (score, delim, rows)
    _, delimiter, rows = best
    header_row, headers = _pick_header(rows, mapping)
    # DuckDB skips records, not lines: they differ when a quoted header cell holds a line break.
    skip = 1 + next(k for k, (line, _) in enumerate(rows) if line == header_row)
    while headers and not headers[-1]:
        headers = headers[:-1]
    if not headers:
        raise ReadError("unreadable", "", "no_header")

    data_path, temp = path, None
    if encoding not in ("utf-8", "utf-8-sig"):
        data_path = temp = _transcode(path, encoding, Path(tempfile.gettempdir()))
    if _has_lone_cr(data_path):
        # Mixed line ends (CR alone among LF/CRLF, as files pasted together end up): a lone CR ends a line
        # for the user; DuckDB reads one kind of line end per file, so they become LF in a copy.
        lf = _lone_cr_to_lf(data_path, Path(tempfile.gettempdir()))
        if temp is not None:
            temp.unlink(missing_ok=True)
        data_path = temp = lf
    bad_rows: list[tuple[int, str]] = []
    try:
        record_lines = None
        try:
            _load_csv(con, data_path, table, skip, headers, delimiter)
        except duckdb.Error as exc:
            unicode_error = "unicode" in str(exc).lower()
            if unicode_error and temp is None and not _is_utf8(path):
                # Valid UTF-8 at the top but not further down: the whole file is GB18030.
                encoding = "gb18030"
                data_path = temp = _transcode(path, encoding, Path(tempfile.gettempdir()))
            # A quote opened on a line and never closed would swallow every line after it into one
            # cell: that line alone is rejected (blanked in a copy, so that line numbers stay).
            unclosed = _unclosed_quote_lines(data_path, delimiter, header_row)
            if unclosed:
                blanked = _blank_out_lines(data_path, set(unclosed), Path(tempfile.gettempdir()))
                if temp is not None:
                    temp.unlink(missing_ok=True)
                data_path = temp = blanked
            # Quoted cells spanning lines defeat the parallel reader, and a malformed line (an unterminated
            # quote, too many cells) stops it: read serially, keeping the malformed lines as row rejects.
            try:
                bad_lines = _load_csv(con, data_path, table, skip, headers, delimiter, serial=True)
            except duckdb.Error as retry:
                raise ReadError("unreadable", str(retry).splitlines()[0], "broken_csv") from None
            skipped = {line for line, _ in bad_lines}
            record_lines = [n for n in _record_lines(data_path, header_row, delimiter) if n not in skipped]
            bad_rows = [(line, _line_problem(kind)) for line, kind in bad_lines]
            bad_rows += [(line, Note.of("row_unclosed_quote")) for line in unclosed]
            bad_rows.sort(key=lambda row: row[0])
        if record_lines is not None:
            _number_rows_by_list(con, table, record_lines)
        else:
            _number_rows(con, table, _blank_lines(data_path, header_row), header_row)
        edge_spaces = _has_edge_spaces(data_path, delimiter)
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)
    return Source(
        table=table,
        headers=headers,
        header_row=header_row,
        encoding=encoding,
        bad_rows=bad_rows,
        edge_spaces=edge_spaces,
    )


def _load_csv(
    con,
    data_path: Path,
    table: str,
    skip: int,
    headers: list[str],
    delimiter: str,
    serial: bool = False,
) -> list[tuple[int, str]]:
    """Read the rows under the header into ``<table>_raw``; returns the malformed lines (serial mode only)
    as (line number, DuckDB error type). Strict mode: an unterminated quote is an error, never a cell
    that silently swallows the following rows."""
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in _column_names(len(headers))) + "}"
    mode = "strict_mode=true"
    if serial:
        mode += f", parallel=false, ignore_errors=true, store_rejects=true, rejects_table='{table}_rej', rejects_scan='{table}_rejscan'"
    drop_source(con, table)
    # Insertion order is preserved, so the table's rowid is the data row's ordinal in the file.
    con.execute(
        f"create temp table {table}_raw as select * from read_csv(?, header=false, skip=?, delim=?, "
        f"quote='\"', escape='\"', columns={columns}, all_varchar=true, null_padding=true, "
        f"auto_detect=false, {mode})",
        [str(data_path), skip, delimiter],
    )
    if not serial:
        return []
    bad = con.execute(f"select distinct line, error_type from {table}_rej order by line").fetchall()
    con.execute(f"drop table if exists {table}_rej")
    con.execute(f"drop table if exists {table}_rejscan")
    return [(int(line), str(kind)) for line, kind in bad]


class _LineFeed:
    """The lines of a UTF-8 file from a byte offset, counting them, for Python's csv reader (which pulls
    one line at a time): after each record, ``line`` is its last line and ``offset`` the byte after it."""

    def __init__(self, fh, line: int, offset: int):
        self.fh, self.line, self.offset = fh, line, offset
        fh.seek(offset)

    def __iter__(self):
        for raw in self.fh:
            self.line += 1
            self.offset += len(raw)
            yield raw.decode("utf-8", "replace")


def _unclosed_quote_lines(path: Path, delimiter: str, header_row: int) -> list[int]:
    """Data lines (after ``header_row``) that open a quote never properly closed.

    Such a quote makes the following lines part of one cell, up to the next stray quote or the end of
    the file, where the record breaks. The scan then starts again on the line after the opening one, so
    that the cost grows with their number, hence at most ``MAX_UNCLOSED_QUOTES`` (beyond, the file is
    rejected as before). A quote closed on a later line into a well-formed record is a cell with line
    breaks, as Excel writes them, not a bad line.
    """
    csv.field_size_limit(sys.maxsize)
    found: list[int] = []
    line, offset = 0, 0
    with open(path, "rb") as fh:
        while len(found) < MAX_UNCLOSED_QUOTES:
            feed = _LineFeed(fh, line, offset)
            reader = csv.reader(feed, delimiter=delimiter, strict=True)
            start, start_offset = line + 1, offset
            while True:
                try:
                    next(reader)
                except StopIteration:
                    return found
                except csv.Error as exc:
                    # A record that runs over several lines into an error, or into the end of the file,
                    # began with a quote that was never closed: it ends at the next stray quote.
                    if feed.line > start or "unexpected end of data" in str(exc):
                        if start <= header_row:
                            return found  # in the header: the file stays rejected as a whole
                        break
                    # A malformed single line: DuckDB's serial reader reports it; go on after it.
                    start, start_offset = feed.line + 1, feed.offset
                    continue
                start, start_offset = feed.line + 1, feed.offset
            found.append(start)
            fh.seek(start_offset)
            line, offset = start, start_offset + len(fh.readline())
    return found


def _blank_out_lines(path: Path, lines: set[int], tmp_dir: Path) -> Path:
    """A copy of ``path`` with the given 1-based lines emptied (line numbers stay), streaming."""
    fd, name = tempfile.mkstemp(suffix=".csv", dir=tmp_dir)
    os.close(fd)
    with open(path, "rb") as src, open(name, "wb") as dst:
        for n, raw in enumerate(src, start=1):
            dst.write(b"\n" if n in lines else raw)
    return Path(name)


def _record_lines(path: Path, header_row: int, delimiter: str) -> list[int]:
    """First physical line of every non-empty record after the header (Python's csv module counts lines
    across quoted line breaks). Only on the serial fallback path, where cells span lines."""
    csv.field_size_limit(sys.maxsize)  # an over-long cell is the row's problem, not a broken file
    lines = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        # strict: an unterminated quote is an error here, where DuckDB's serial reader lets the cell run on.
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        previous_end = 0
        try:
            for record in reader:
                first_line = previous_end + 1
                previous_end = reader.line_num
                if first_line > header_row and record:
                    lines.append(first_line)
        except csv.Error:
            raise ReadError("unreadable", str(previous_end + 1), "unclosed_quote") from None
    return lines


def _number_rows_by_list(con, table: str, lines: list[int]) -> None:
    cols = ", ".join(f"r.{c}" for c in _column_names(_width(con, f"{table}_raw")))
    con.execute(f"create or replace temp table {table}_blanks (ord bigint, line bigint)")
    con.execute(
        f"insert into {table}_blanks select * from (select unnest($1) as ord, unnest($2) as line)",
        [list(range(len(lines))), lines],
    )
    con.execute(
        f"create temp view {table} as select coalesce(b.line, r.rowid + 1)::bigint as __row, {cols} "
        f"from {table}_raw r left join {table}_blanks b on b.ord = r.rowid"
    )


def _number_rows(con, table: str, blanks: list[int], header_row: int) -> None:
    """Expose the rows as a view with the line number a user sees: the ordinal after the header plus the
    empty lines before it (an ASOF join on the gaps, only when the file has empty lines)."""
    cols = ", ".join(f"r.{c}" for c in _column_names(_width(con, f"{table}_raw")))
    if not blanks:
        con.execute(
            f"create temp view {table} as select (r.rowid + {int(header_row) + 1})::bigint as __row, {cols} "
            f"from {table}_raw r"
        )
        return
    con.execute(f"create or replace temp table {table}_blanks (gap bigint, skipped bigint)")
    gaps = [(b - header_row - 1 - j, j + 1) for j, b in enumerate(blanks)]
    con.execute(
        f"insert into {table}_blanks select * from (select unnest($1) as gap, unnest($2) as skipped)",
        [[g for g, _ in gaps], [k for _, k in gaps]],
    )
    con.execute(
        f"create temp view {table} as "
        f"select (r.rowid + {int(header_row) + 1} + coalesce(b.skipped, 0))::bigint as __row, {cols} "
        f"from {table}_raw r asof left join {table}_blanks b on r.rowid >= b.gap"
    )


def drop_source(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop whatever a reader created for ``table`` (a table, or a view over a raw table)."""
    # DuckDB refuses "drop view" on a table (and vice versa): drop by the object's actual type.
    kinds = con.execute(
        "select 'view' from duckdb_views() where view_name = ? "
        "union all select 'table' from duckdb_tables() where table_name = ?",
        [table, table],
    ).fetchall()
    for (kind,) in kinds:
        con.execute(f"drop {kind} if exists {table}")
    con.execute(f"drop table if exists {table}_raw")
    con.execute(f"drop table if exists {table}_blanks")
    con.execute(f"drop table if exists {table}_rej")
    con.execute(f"drop table if exists {table}_rejscan")


def _width(con, table: str) -> int:
    return len(con.execute(f"select * from {table} limit 0").description)


# XLSX -----------------------------------------------------------------------------------------


def _cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# Rows of the k-th sheet read from a workbook are numbered k * SHEET_ROWS + (row in the sheet), so that
# row numbers stay unique in the file (the first sheet keeps its own numbers); see :func:`sheet_row`.
SHEET_ROWS = 10_000_000
_XML_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_XML_VALUE = re.compile(rb"<v>([^<]*)</v>")


def sheet_row(row: int, sheets: list[str]) -> tuple[str | None, int]:
    """(sheet name, row number in that sheet) of a row number given by :func:`read_xlsx`."""
    k, n = divmod(int(row), SHEET_ROWS)
    return (sheets[k] if k < len(sheets) else None), n


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part in an .xlsx package."""
    workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = {}
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', rel.group(0)))
        target = attrs.get("Target", "")
        targets[attrs.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = {}
    for sheet in re.finditer(r"<sheet\b[^>]*>", workbook):
        attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', sheet.group(0)))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        if rid in targets:
            out[html.unescape(attrs.get("name", ""))] = targets[rid]
    return out


def formula_problems(path: Path, sheet: str) -> dict[int, list[tuple[str, str | None]]]:
    """Row (1-based) -> [(cell, error value or None)] of the formula cells of ``sheet`` that have no
    computed value (files written by programs, never opened in a spreadsheet) or whose value is an error
    (``#DIV/0!``, ``#REF!``). Empty for anything that is not a readable .xlsx package."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_parts(zf).get(sheet)
            if part is None:
                return {}
            xml = zf.read(part)
    except (zipfile.BadZipFile, KeyError, OSError):
        return {}
    problems: dict[int, list[tuple[str, str | None]]] = {}
    if b"<f" not in xml and b't="e"' not in xml:
        return problems
    for m in _XML_CELL.finditer(xml):
        ref, attrs, body = m.group(1).decode(), m.group(2), m.group(3) or b""
        value = _XML_VALUE.search(body)
        if b't="e"' in attrs:
            error = html.unescape(value.group(1).decode("utf-8", "replace")) if value else "#N/A"
        elif b"<f" in body and (value is None or not value.group(1)):
            error = None
        else:
            continue
        row = int(re.sub(r"[A-Z]+", "", ref))
        problems.setdefault(row, []).append((ref, error))
    return problems


def _huge_sheets(path: Path) -> set[str]:
    """Sheets of an .xlsx/.xlsm package whose cells span more than ``workbooks.MAX_CELLS``."""
    try:
        with zipfile.ZipFile(path) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                return set()
            parts = _sheet_parts(zf)
        extents = workbooks.sheet_extents(path, parts)
    except (zipfile.BadZipFile, KeyError, OSError):
        return set()
    return {name for name, (rows, cols) in extents.items() if rows * cols > workbooks.MAX_CELLS}


def _calamine_rows(sheet) -> list[list]:
    """A sheet's rows; one spanning more than ``workbooks.MAX_CELLS`` (a stray cell far right or down)
    row by row, at most ``workbooks.MAX_COLUMNS`` wide, empty rows shared and the empty end dropped, so
    that Python never holds the whole rectangle."""
    if sheet.total_height * sheet.total_width <= workbooks.MAX_CELLS:
        return sheet.to_python(skip_empty_area=False)
    rows: list[list] = []
    empty: list = []
    for row in sheet.iter_rows():
        kept = list(row[: workbooks.MAX_COLUMNS])
        rows.append(kept if any(v not in (None, "") for v in kept) else empty)
    while rows and rows[-1] is empty:
        rows.pop()
    return rows


def _workbook_sheets(path: Path, kind: str) -> tuple[list[tuple[str, list[list]]], list[str]]:
    """(visible sheets with their rows, hidden sheet names) of a workbook of the sniffed ``kind``; a
    :class:`ReadError` in plain words when it is not a readable workbook."""
    if kind == workbooks.EMPTY:
        raise ReadError("empty_file", path.name)
    if kind == workbooks.HTML:
        return workbooks.html_sheets(path), []
    if kind == workbooks.SPREADSHEETML:
        try:
            return workbooks.spreadsheetml_sheets(path)
        except ElementTree.ParseError:
            raise ReadError("unreadable", path.name, "truncated") from None
    if kind == workbooks.OLE and workbooks.is_encrypted(path):
        raise ReadError("unreadable", path.name, "encrypted")
    if kind == workbooks.ZIP:
        zipped = workbooks.zip_kind(path)
        if zipped is None:
            raise ReadError("unreadable", path.name, "not_a_workbook")
        if zipped == "truncated":
            raise ReadError("unreadable", path.name, "truncated")
    if kind not in (workbooks.ZIP, workbooks.OLE):
        raise ReadError("unreadable", path.name, "not_a_workbook")
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        hidden = [m.name for m in workbook.sheets_metadata if str(m.visible).rsplit(".", 1)[-1] != "Visible"]
        huge = _huge_sheets(path) if kind == workbooks.ZIP else set()
        sheets = [
            (
                name,
                workbooks.sparse_sheet_rows(path, name)
                if name in huge
                else _calamine_rows(workbook.get_sheet_by_name(name)),
            )
            for name in workbook.sheet_names
            if name not in hidden
        ]
    except PasswordError:
        raise ReadError("unreadable", path.name, "encrypted") from None
    except CalamineError as exc:
        # calamine refuses a used range beyond its own cell limit (.xls/.xlsb/.ods: a stray cell or
        # formatting far away) rather than allocating it: the clerk is told so, not "damaged".
        if "cell limit" in str(exc).lower():
            raise ReadError("unreadable", path.name, "range_too_large") from None
        raise ReadError("unreadable", path.name, "damaged") from None
    except Exception:  # calamine raises several types for corrupt/truncated workbooks
        raise ReadError("unreadable", path.name, "damaged") from None
    return sheets, hidden


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping, table: str) -> Source:
    """Read every visible sheet whose header row is recognised as the file's entity (an export split over
    1-3月 and 4-6月 sheets loads both); hidden sheets are skipped and named. Real date cells become ISO
    text. A formula without a computed value, or with an error value, makes its row a row reject that
    names the cell, never a blank."""
    kind = workbooks.sniff(path)
    if kind == workbooks.TEXT:  # a CSV saved under a workbook's name (some platforms do)
        return read_csv(con, path, mapping, table)
    sheets, hidden = _workbook_sheets(path, kind)
    candidates = []
    for name, rows in sheets:
        head = [(i + 1, [_cell_text(c) or "" for c in row]) for i, row in enumerate(rows[:HEADER_SCAN_ROWS])]
        if not any(any(cells) for _, cells in head):
            continue
        row_no, headers = _pick_header(head, mapping)
        while headers and not headers[-1]:
            headers = headers[:-1]
        candidates.append((mapping.header_score(headers), name, rows, row_no, headers))
    if not candidates:
        raise ReadError("empty_file", path.name)
    best = max(candidates, key=lambda c: c[0])  # the first of equal scores
    entity = mapping.entity_for(best[4], path.name)
    used = [best]
    if entity is not None:
        # Further sheets join only when their own header row names the entity (its required columns):
        # a notes sheet listing the column names, or a file name alone, must not add rows.
        used = [c for c in candidates if c is best or (c[0] and mapping.recognise(c[4], "")[0] is entity)]
    # The columns of all sheets read, by header (a later sheet may order or name its columns otherwise).
    union: list[str] = []
    index: dict[str, int] = {}
    for _, _, _, _, headers in used:
        for h in headers:
            key = norm_header(h)
            if key not in index:
                index[key] = len(union)
                union.append(h)
    numbers: list[int] = []
    cells: list[list[str | None]] = [[] for _ in union]
    bad_rows: list[tuple[int, str | Note]] = []
    notes: list[Note] = []
    report_sheets: list[tuple[str, int, int]] = []
    for k, (_, name, rows, header_row, headers) in enumerate(used):
        where = [index[norm_header(h)] for h in headers]
        problems = formula_problems(path, name) if path.suffix.lower() in (".xlsx", ".xlsm") else {}
        count = 0
        for i, row in enumerate(rows[header_row:], start=header_row + 1):
            number = k * SHEET_ROWS + i
            if i in problems:
                details = []
                for cell, error in problems[i]:
                    code = "formula_no_value" if error is None else "formula_error"
                    note = Note.of(code, f"{name}!{cell}", cell=f"{name}!{cell}", value=error or "")
                    if len(notes) < MAX_NOTES:
                        notes.append(note)
                    details.append(note)
                zh, en = "；".join(n.zh for n in details), "; ".join(n.en for n in details)
                bad_rows.append((number, Note(details[0].code, zh, en, details[0].where)))
                count += 1
                continue
            numbers.append(number)
            values = [None] * len(union)
            for j, target in enumerate(where):
                if j < len(row):
                    values[target] = _cell_text(row[j])
            for target, value in enumerate(values):
                cells[target].append(value)
            count += 1
        report_sheets.append((name, header_row, count))
    columns = {"__row": pa.array(numbers, pa.int64())}
    for j, col in enumerate(_column_names(len(union))):
        columns[col] = pa.array(cells[j], pa.string())
    _register(con, table, pa.table(columns))
    return Source(
        table=table,
        headers=union,
        header_row=best[3],
        sheet=best[1] if len(used) == 1 else "、".join(u[1] for u in used),
        bad_rows=bad_rows,
        sheets=report_sheets,
        hidden_sheets=hidden,
        notes=notes,
    )


def _register(con, table: str, arrow_table: pa.Table) -> None:
    drop_source(con, table)
    con.register("__arrow_src", arrow_table)
    try:
        con.execute(f"create temp table {table} as select * from __arrow_src")
    finally:
        con.unregister("__arrow_src")


# JSONL ----------------------------------------------------------------------------------------


def _json_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def read_jsonl(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> Source:
    """Read JSON Lines: keys are the headers; a line that is not a JSON object is a row reject."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ReadError("empty_file", path.name)
    encoding = _detect_encoding(raw[:HEAD_BYTES], len(raw) <= HEAD_BYTES)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadError(
            "unreadable", f"invalid {encoding} text at byte {exc.start}", "bad_encoding"
        ) from None
    headers: dict[str, int] = {}
    records: list[tuple[int, dict]] = []
    bad: list[tuple[int, str]] = []
    for line_no, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append((line_no, exc.msg))
            continue
        if not isinstance(obj, dict):
            bad.append((line_no, type(obj).__name__))
            continue
        for key in obj:
            headers.setdefault(str(key), len(headers))
        records.append((line_no, obj))
    if not headers and not bad:
        raise ReadError("empty_file", path.name)
    names = list(headers)
    columns = {"__row": pa.array([n for n, _ in records], pa.int64())}
    for j, key in enumerate(names):
        columns[f"c{j}"] = pa.array([_json_text(obj.get(key)) for _, obj in records], pa.string())
    _register(con, table, pa.table(columns))
    return Source(table=table, headers=names, header_row=None, encoding=encoding, bad_rows=bad)
