"""The one document model both renderers (PDF and DOCX) draw: title block, sections of blocks."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    text: str
    bullet: bool = False


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty_text: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    png: bytes


Block = Paragraph | Table | Chart


@dataclass
class Section:
    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Briefing:
    """Everything printed, in order. ``lang`` is the document's language (``zh-CN`` or ``en``)."""

    lang: str
    org: str
    title: str
    issue: str
    as_of: str
    meta: str
    sections: list[Section] = field(default_factory=list)

    def text(self) -> str:
        """All the words of the document (tests and search), tables as tab-separated rows."""
        lines = [self.org, self.title, self.issue, self.as_of, self.meta]
        for section in self.sections:
            lines.append(section.heading)
            for block in section.blocks:
                if isinstance(block, Paragraph):
                    lines.append(block.text)
                elif isinstance(block, Table):
                    lines.append(block.title)
                    lines.extend("\t".join(row) for row in (block.columns, *block.rows))
                else:
                    lines.append(block.title)
        return "\n".join(lines)
