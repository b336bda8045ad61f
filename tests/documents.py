"""Real PDF and Word files with Vietnamese text, made from the seed articles for the format tests.

PDFs are drawn with reportlab in DejaVu Sans (shipped with matplotlib, it has every Vietnamese
glyph), with a running header and footer on each page and, on request, the two defects real
Vietnamese PDFs carry: decomposed letters (NFD) and a space before a combining mark.
"""

from __future__ import annotations

import html
import io
import unicodedata
from datetime import datetime
from pathlib import Path

from assistant.ingest.corpus import load_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
HEADER = "BỘ THÔNG TIN VÀ TRUYỀN THÔNG"


def seed_paragraphs(name: str = "000_377d6bb99a16161c", n: int = 12) -> tuple[str, list[str]]:
    """The title and first `n` body paragraphs of a seed article."""
    article = load_article(SEEDS / f"{name}.txt")
    return article.title, [p for p in article.paragraphs if len(p) > 40][:n]


def _font() -> str:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        pdfmetrics.registerFont(TTFont("DejaVu", str(path)))
    return "DejaVu"


def make_pdf(
    pages: list[list[str]],
    title: str = "",
    author: str = "",
    decomposed: bool = False,
    spaced_marks: bool = False,
) -> bytes:
    """A PDF with one list of paragraphs per page, a running header and a numbered footer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    font = _font()
    style = getSampleStyleSheet()["Normal"]
    style.fontName, style.fontSize, style.leading = font, 11, 15

    def furniture(canvas, doc) -> None:
        canvas.setFont(font, 8)
        canvas.drawString(60, A4[1] - 30, HEADER)
        canvas.drawString(60, 25, f"Trang {doc.page}")

    def defect(text: str) -> str:
        if spaced_marks:  # "Việt" → "Vie ̣ ̂t": the mark split off by a space, as some producers do
            text = "".join(f" {c}" if unicodedata.combining(c) else c for c in unicodedata.normalize("NFD", text))
        elif decomposed:
            text = unicodedata.normalize("NFD", text)
        return text

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author=author)
    story: list = []
    for i, paragraphs in enumerate(pages):
        if i:
            story.append(PageBreak())
        story.extend(Paragraph(html.escape(defect(p)), style) for p in paragraphs)
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()


def make_scanned_pdf() -> bytes:
    """A PDF whose pages are pictures only (what a scanner produces without OCR)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for _ in range(2):
        c.setFillGray(0.3)
        for y in range(100, 700, 20):
            c.rect(60, y, 450, 8, fill=1, stroke=0)
        c.showPage()
    c.save()
    return buffer.getvalue()


def make_docx(
    title: str, sections: list[tuple[str, list[str]]], table: list[list[str]] | None = None, author: str = ""
) -> bytes:
    """A Word file: a Title paragraph, one Heading 1 per section with its paragraphs, then a table."""
    from docx import Document

    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.author = author
    doc.core_properties.created = datetime(2022, 11, 14, 9, 0)
    doc.add_paragraph(title, style="Title")
    for heading, paragraphs in sections:
        doc.add_heading(heading, level=1)
        for p in paragraphs:
            doc.add_paragraph(p)
    if table:
        grid = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
