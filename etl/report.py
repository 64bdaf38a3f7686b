"""The per-file report: what the ETL understood of one file and what it did with it.

One :class:`FileReport` per file of a run (or of a dry run): it is returned with the run's
``FileResult`` (``result.report``), stored as JSON with the run (``etl_run_files.report``) and shown
to the clerk as is by the intake page. Its shape is a contract: fields are only ever added.

Every message in it is a :class:`Note` in both languages from the catalog (``assets/i18n/readers.toml``),
written for a clerk: what is wrong and what to do, no library terms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from warehouse.i18n import both


@dataclass
class Note:
    """One message for the clerk: a catalog ``code`` (``readers.<code>``) with its text in both languages;
    ``where`` locates it (a sheet and cell like ``1-3月!C7``, a column header) when it applies."""

    code: str
    zh: str
    en: str
    where: str | None = None

    @classmethod
    def of(cls, code: str, where: str | None = None, **params) -> Note:
        zh, en = both(f"readers.{code}", **params)
        return cls(code=code, zh=zh, en=en, where=where)


@dataclass
class SheetUse:
    """A sheet (None for a CSV/JSONL file) read for data, its header row (1-based) and data rows found."""

    name: str | None
    header_row: int | None
    rows: int = 0


@dataclass
class ColumnUse:
    """A source column read: its header as written in the file and the field it fills."""

    source: str
    field: str


@dataclass
class FileReport:
    """What the ETL made of one file.

    Attributes:
        file_name: The file's name in the inbox.
        status: ``loaded`` / ``already_loaded`` / ``rejected`` / ``failed`` (as ``FileResult.status``).
        entity: The kind of data recognised (``townships``, ``activities``...), None if not recognised.
        recognised_by: How: ``file_pattern`` (pinned in the mapping), ``headers`` or ``file_name``.
        encoding: Text encoding of a CSV/JSONL file.
        headers: The header row as read, every column in order (what unknown-header proposals start from).
        sheets: The sheets read (all visible sheets whose header matches), each with its header row.
        hidden_sheets: Hidden sheets skipped (never read).
        columns: Source header -> field, for every column read.
        unrecognised: Headers not mapped to any field (ignored, each also a note).
        optional_absent: Optional fields the file does not carry: stored values are kept for them.
        export_date: The export's own date (ISO), which orders versions of the same record.
        export_date_source: Where it came from: ``file_name``, ``column`` or ``load_time``.
        rows_read / rows_new / rows_updated / rows_unchanged / rows_older / rows_rejected: counts;
            rows_read = new + updated + unchanged + older + rejected. ``rows_older``: rows not applied
            because the stored record comes from a newer export.
        notes: Warnings and explanations for the clerk, in both languages.
    """

    file_name: str
    status: str = "loaded"
    entity: str | None = None
    recognised_by: str | None = None
    encoding: str | None = None
    headers: list[str] = field(default_factory=list)
    sheets: list[SheetUse] = field(default_factory=list)
    hidden_sheets: list[str] = field(default_factory=list)
    columns: list[ColumnUse] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)
    optional_absent: list[str] = field(default_factory=list)
    export_date: str | None = None
    export_date_source: str | None = None
    rows_read: int = 0
    rows_new: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_older: int = 0
    rows_rejected: int = 0
    notes: list[Note] = field(default_factory=list)

    def note(self, code: str, where: str | None = None, **params) -> None:
        self.notes.append(Note.of(code, where, **params))

    def to_dict(self) -> dict:
        """JSON-ready dict (all values are plain types)."""
        return asdict(self)
