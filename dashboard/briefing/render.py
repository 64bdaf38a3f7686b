"""Renderers of the document model: HTML printed to PDF by headless Chromium, and DOCX by python-docx.

Why Chromium for the PDF: it is already a system package of the cockpit (kaleido draws the charts with
it), so the PDF needs no new dependency, here or in CI; it shapes CJK text with the installed Noto CJK
fonts, and since Chromium 131 it prints CSS ``@page`` margin boxes, which give the "第 1 页 / 共 N 页"
footers. WeasyPrint would add its own package and Pango stack for the same result. Measured on the demo's
2023 (2 cores at load average 11, shared): queries 0.3 s, four charts 11.7 s with kaleido's browser cold
and 2.7 s warm, printing the 5-page A4 PDF 4-7 s (mostly the browser's start), DOCX 0.3 s. Seconds, not
milliseconds: the web route writes briefings off the request thread (``dashboard/briefing/routes.py``).
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from dashboard.briefing.document import Briefing, Chart, Paragraph, Table
from warehouse.i18n import t

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
PDF_TIMEOUT_SECONDS = 120
FONT_STACK = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "SimSun", serif'
HEADING_FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif'


class RenderError(RuntimeError):
    """The PDF could not be printed (no browser, or the browser failed)."""


# ---- HTML / PDF -----------------------------------------------------------------------------------


def _css(page_label: str) -> str:
    # counter(page) / counter(pages) inside the label: the catalogued text decides the wording.
    footer = page_label.replace("{page}", '" counter(page) "').replace("{pages}", '" counter(pages) "')
    return f"""
@page {{ size: A4; margin: 22mm 20mm 20mm 20mm;
  @bottom-center {{ content: "{footer}"; font-family: {HEADING_FONT}; font-size: 9pt; color: #555; }} }}
body {{ font-family: {FONT_STACK}; font-size: 11.5pt; line-height: 1.75; color: #111; }}
.masthead {{ text-align: center; border-bottom: 3px double #b22222; padding-bottom: 6mm; margin-bottom: 6mm; }}
.masthead .org {{ font-family: {HEADING_FONT}; font-size: 14pt; letter-spacing: .2em; color: #b22222; }}
.masthead h1 {{ font-family: {HEADING_FONT}; font-size: 24pt; color: #b22222; margin: 2mm 0; letter-spacing: .15em; }}
.masthead .issue {{ font-size: 11pt; }}
.masthead .meta {{ font-size: 9pt; color: #444; }}
h2 {{ font-family: {HEADING_FONT}; font-size: 14pt; margin: 6mm 0 2mm; break-after: avoid; }}
p {{ text-indent: 2em; margin: 0 0 2mm; text-align: justify; }}
li {{ margin-bottom: 1mm; }}
figure {{ margin: 3mm 0; text-align: center; break-inside: avoid; }}
figure img {{ width: 100%; }}
figcaption, .caption {{ font-family: {HEADING_FONT}; font-size: 10pt; text-align: center; margin: 1mm 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: 9.5pt; margin-bottom: 4mm; }}
th, td {{ border: 1px solid #999; padding: 1mm 2mm; }}
th {{ background: #f1f1f1; font-family: {HEADING_FONT}; }}
td.num {{ text-align: right; }}
.appendix p {{ font-size: 9.5pt; text-indent: 0; }}
"""


def _table_html(table: Table) -> str:
    parts = [f'<div class="caption">{html.escape(table.title)}</div>']
    if not table.rows:
        return parts[0] + f"<p>{html.escape(table.empty_text)}</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i else ''}>{html.escape(cell)}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in table.rows
    )
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "".join(parts)


def _chart_html(chart: Chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(chart.title)}">'
        f"<figcaption>{html.escape(chart.title)}</figcaption></figure>"
    )


def to_html(doc: Briefing) -> str:
    """The briefing as one self-contained HTML page (images inline), styled for A4 print."""
    body = [
        '<header class="masthead">',
        f'<div class="org">{html.escape(doc.org)}</div>',
        f"<h1>{html.escape(doc.title)}</h1>",
        f'<div class="issue">{html.escape(doc.issue)} · {html.escape(doc.as_of)}</div>',
        f'<div class="meta">{html.escape(doc.meta)}</div>',
        "</header>",
    ]
    for index, section in enumerate(doc.sections):
        last = index == len(doc.sections) - 1
        body.append(f"<section{' class=appendix' if last else ''}><h2>{html.escape(section.heading)}</h2>")
        bullets: list[str] = []
        for block in section.blocks:
            if isinstance(block, Paragraph) and block.bullet:
                bullets.append(f"<li>{html.escape(block.text)}</li>")
                continue
            if bullets:
                body.append("<ul>" + "".join(bullets) + "</ul>")
                bullets = []
            if isinstance(block, Paragraph):
                body.append(f"<p>{html.escape(block.text)}</p>")
            elif isinstance(block, Table):
                body.append(_table_html(block))
            else:
                body.append(_chart_html(block))
        if bullets:
            body.append("<ul>" + "".join(bullets) + "</ul>")
        body.append("</section>")
    lang = "en" if doc.lang == "en" else "zh-CN"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(doc.title)} {html.escape(doc.issue)}</title>"
        f"<style>{_css(t('briefing.page', doc.lang))}</style></head><body>{''.join(body)}</body></html>"
    )


def chromium_path() -> str:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise RenderError("chromium not found")


def html_to_pdf(page: str) -> bytes:
    """Print an HTML page to PDF with headless Chromium (A4 and margins come from the page's CSS)."""
    with tempfile.TemporaryDirectory(prefix="cockpit-brief-") as tmp:
        source, target = Path(tmp) / "briefing.html", Path(tmp) / "briefing.pdf"
        source.write_text(page, encoding="utf-8")
        command = [
            chromium_path(),
            "--headless",
            "--no-sandbox",  # the service and CI run as root, where Chromium refuses its sandbox
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RenderError(f"timed out after {PDF_TIMEOUT_SECONDS} s") from exc
        if not target.is_file() or target.stat().st_size == 0:
            raise RenderError(done.stderr.decode("utf-8", "replace")[-500:] or f"exit code {done.returncode}")
        return target.read_bytes()


def to_pdf(doc: Briefing) -> bytes:
    return html_to_pdf(to_html(doc))


# ---- DOCX -----------------------------------------------------------------------------------------


def _east_asian_font(run, name: str) -> None:
    """Word picks CJK glyphs from the run's eastAsia font, which python-docx does not set by itself."""
    from docx.oxml.ns import qn

    properties = run._element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def to_docx(doc: Briefing) -> bytes:
    """The briefing as DOCX: real headings (Heading 1/2), real tables, charts as pictures."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    style = document.styles["Normal"]
    style.font.size = Pt(11.5)
    style.font.name = "Noto Serif CJK SC"
    _east_asian_font_style(style, "Noto Serif CJK SC")

    def centred(text: str, size: float, bold: bool = False, red: bool = False):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.font.size, run.bold = Pt(size), bold
        if red:
            run.font.color.rgb = RGBColor(0xB2, 0x22, 0x22)
        _east_asian_font(run, "Noto Sans CJK SC")
        return paragraph

    centred(doc.org, 14, red=True)
    title = document.add_heading(doc.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    centred(f"{doc.issue} · {doc.as_of}", 11)
    centred(doc.meta, 9)
    _page_numbers(section, doc.lang)
    for part in doc.sections:
        document.add_heading(part.heading, level=1)
        for block in part.blocks:
            if isinstance(block, Paragraph):
                paragraph = document.add_paragraph(block.text, style="List Bullet" if block.bullet else None)
                if not block.bullet:
                    paragraph.paragraph_format.first_line_indent = Pt(23)
            elif isinstance(block, Table):
                document.add_heading(block.title, level=3)
                if not block.rows:
                    document.add_paragraph(block.empty_text)
                    continue
                table = document.add_table(rows=1, cols=len(block.columns))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, block.columns, strict=True):
                    cell.text = text
                    cell.paragraphs[0].runs[0].bold = True
                for row in block.rows:
                    cells = table.add_row().cells
                    for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
                        cell.text = text
                        if i:
                            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            else:
                document.add_picture(io.BytesIO(block.png), width=Cm(17))
                document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                caption = document.add_paragraph(block.title, style="Caption")
                caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _east_asian_font_style(style, name: str) -> None:
    from docx.oxml.ns import qn

    properties = style.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES): Word and WPS fill it in when the page is laid out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    begin, text, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = instruction
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, end):
        run._r.append(element)


def _page_numbers(section, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    label = t("briefing.page", lang)
    before, _, rest = label.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    paragraph.add_run(before)
    _field(paragraph, "PAGE")
    paragraph.add_run(middle)
    _field(paragraph, "NUMPAGES")
    paragraph.add_run(after)
