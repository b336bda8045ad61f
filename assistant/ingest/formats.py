"""Reading a document file of any accepted format into an `Article`: text, HTML, PDF and Word.

| format | library | what is kept |
|---|---|---|
| `.txt`, `.md` | — | title, byline, date, source (the scraped-news rules of `corpus.py`) |
| `.html`, `.htm` | BeautifulSoup | the same, after page chrome is dropped |
| `.pdf` | pypdf | text with its page numbers; title, author, date from the document's metadata |
| `.docx` | python-docx | paragraphs, tables and headings in order; title, author, date from its core properties |

Why pypdf: pure Python (no native wheel to break on a new CPU), BSD-licensed, well kept, and it
maps embedded fonts back to Unicode through their ToUnicode tables, which is what Vietnamese needs.
pypdfium2 extracts slightly better layouts but ships a native PDFium build (Apache/BSD) per
platform; nothing here needs its layout analysis.

What is written by hand, and why: a PDF has no paragraphs, only positioned lines. Lines are
joined back into paragraphs (a line ends one when it ends a sentence, is a short heading line,
or the next starts a list item), running headers and footers (the same line at the top or bottom
of most pages) and bare page numbers are dropped, and the text is repaired the way Vietnamese
PDFs need: NFC with combining marks glued to their letter (`Vie ̣ t` → `Việt`), and letter-spaced
lines (`C H U Y Ể N  Đ Ổ I`) closed up. No library does these for Vietnamese.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from assistant.errors import InvalidInputFileError
from assistant.lang.normalize import clean_whitespace, normalize
from assistant.types import Article

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
BINARY_SUFFIXES = (".pdf", ".docx")
DOCUMENT_SUFFIXES = (*TEXT_SUFFIXES, *HTML_SUFFIXES, *BINARY_SUFFIXES)

_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "blockquote")

_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[\u0300-\u036f])")
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(trang|page)?\s*\d{1,4}(\s*(/|of|trên)\s*\d{1,4})?[-–—\s]*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;…»”\"]$")
_LIST_ITEM = re.compile(r"^([-•–*+]\s|\d{1,3}[.)]\s|[a-zđ][.)]\s|(Điều|Chương|Mục|Phần)\s+[\dIVXLC]+\b)", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_GENERIC_METADATA = re.compile(r"^\(?(unspecified|untitled|unknown|none|anonymous)\)?$", re.IGNORECASE)
_WORD_EXPORT = re.compile(r"^Microsoft (Word|PowerPoint) - |\.docx?$", re.IGNORECASE)
_HEADING_STYLE = re.compile(r"^(heading|title|tiêu đề|đề mục)\s*\d*$", re.IGNORECASE)

# A running header or footer sits in the first or last lines of a page and repeats on most pages.
_FURNITURE_LINES = 2
_FURNITURE_SHARE = 0.6
_MIN_TEXT_CHARS = 50


@dataclass(frozen=True)
class _Meta:
    title: str = ""
    author: str = ""
    date: str = ""
    source: str = ""


def read_document(doc_id: str, name: str, raw: bytes, path: str = "") -> Article:
    """The article in `raw` (the bytes of a file called `name`), or `InvalidInputFileError` with a reason."""
    from assistant.ingest.corpus import decode_text, parse_article

    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".pdf":
        return pdf_article(doc_id, name, raw, path)
    if suffix == ".docx":
        return docx_article(doc_id, name, raw, path)
    text = decode_text(raw, name)
    if suffix in HTML_SUFFIXES:
        text = html_to_text(text)
    return parse_article(doc_id, text, path=path)


# --- HTML -----------------------------------------------------------------------------------------
def html_to_text(markup: str) -> str:
    """The readable text of an HTML page, one block element per line."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(list(_DROP_TAGS)):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    for tag in soup.find_all(list(_BLOCK_TAGS)):
        tag.insert_before("\n")
        tag.insert_after("\n")
    body = "\n".join(line.strip() for line in soup.get_text().splitlines() if line.strip())
    if title and not body.startswith(title):
        body = f"{title}\n{body}"
    return body


# --- PDF ------------------------------------------------------------------------------------------
def pdf_article(doc_id: str, name: str, raw: bytes, path: str = "") -> Article:
    """A PDF's text layer, page by page; `Article.pages` says where in the body each page starts."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InvalidInputFileError(
                f"{name} is encrypted with a password",
                vi=f"Tệp {name} được khoá bằng mật khẩu; hãy gỡ mật khẩu rồi thử lại.",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = _pdf_meta(reader)
    except InvalidInputFileError:
        raise
    except Exception as exc:  # a damaged file can make the parser fail in any way: all mean "unreadable"
        raise InvalidInputFileError(
            f"{name} is not a readable PDF ({type(exc).__name__}: {exc})",
            vi=f"Tệp {name} không phải PDF đọc được.",
        ) from exc
    lines_per_page = [[ln for ln in (repair_pdf_text(t)).splitlines() if ln] for t in pages]
    furniture = _running_lines(lines_per_page)
    paragraphs: list[str] = []
    starts: list[tuple[int, int]] = []
    offset = 0
    for number, lines in enumerate(lines_per_page, start=1):
        kept = [ln for i, ln in enumerate(lines) if not _is_page_furniture(ln, i, len(lines), furniture)]
        page_paragraphs = _join_lines(kept)
        if not page_paragraphs:
            continue
        starts.append((offset, number))
        for p in page_paragraphs:
            paragraphs.append(p)
            offset += len(p) + 1
    if sum(len(p) for p in paragraphs) < _MIN_TEXT_CHARS:
        raise InvalidInputFileError(
            f"{name} has no text layer (a scan?); run OCR on it first",
            vi=f"Tệp {name} không có lớp chữ (có thể là bản quét); hãy nhận dạng chữ (OCR) trước rồi thử lại.",
        )
    title = meta.title or title_from_text(paragraphs[0])
    return Article(
        id=doc_id,
        title=title,
        body="\n".join(paragraphs),
        date=meta.date,
        author=meta.author,
        source=meta.source,
        path=path,
        paragraphs=tuple(paragraphs),
        pages=tuple(starts),
    )


def repair_pdf_text(text: str) -> str:
    """NFC text with combining marks glued to their letter and letter-spaced lines closed up."""
    text = _SPACE_BEFORE_MARK.sub("", unicodedata.normalize("NFD", text))
    text = normalize(text)
    return clean_whitespace("\n".join(_close_letter_spacing(line) for line in text.splitlines()))


def _close_letter_spacing(line: str) -> str:
    """`C H U Y Ể N  Đ Ổ I  S Ố` → `CHUYỂN ĐỔI SỐ` when most of a line's tokens are single letters."""
    tokens = line.split()
    if len(tokens) < 6 or sum(len(t) == 1 for t in tokens) < 0.8 * len(tokens):
        return line
    words = re.split(r"\s{2,}", line.strip())
    if len(words) > 1:
        return " ".join(w.replace(" ", "") for w in words)
    return line  # single spaces only: word breaks cannot be told from letter gaps, so leave it


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines (digits masked) that open or close most pages: running headers and footers."""
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        edge = {_DIGITS.sub("#", ln) for ln in lines[:_FURNITURE_LINES] + lines[-_FURNITURE_LINES:]}
        seen.update(edge)
    return {ln for ln, n in seen.items() if n >= max(2, _FURNITURE_SHARE * len(pages))}


def _is_page_furniture(line: str, i: int, n: int, running: set[str]) -> bool:
    at_edge = i < _FURNITURE_LINES or i >= n - _FURNITURE_LINES
    return at_edge and (_DIGITS.sub("#", line) in running or bool(_PAGE_NUMBER.match(line)))


def _join_lines(lines: list[str]) -> list[str]:
    """Visual lines back into paragraphs: a line ends one when it ends a sentence or is a short heading."""
    if not lines:
        return []
    full = sorted(len(ln) for ln in lines)[int(0.8 * (len(lines) - 1))]
    paragraphs: list[str] = []
    current: list[str] = []
    for k, line in enumerate(lines):
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        current.append(line)
        if not nxt or _SENTENCE_END.search(line) or len(line) < 0.6 * full or _LIST_ITEM.match(nxt):
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs


def _pdf_meta(reader) -> _Meta:
    info = reader.metadata or {}

    def field(key: str) -> str:
        value = info.get(key)
        text = normalize(str(value)).strip() if value else ""
        return "" if _GENERIC_METADATA.match(text) else text

    title = _WORD_EXPORT.sub("", field("/Title")).strip()
    try:
        created = getattr(info, "creation_date", None)
    except ValueError:  # a malformed date string in the metadata: no date, not no document
        created = None
    return _Meta(title=title, author=field("/Author"), date=_day(created), source=field("/Source") or field("/URL"))


def _day(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, datetime) else ""


def title_from_text(paragraph: str, limit: int = 120) -> str:
    """A title for a document that has none: its first sentence, shortened at a word."""
    first = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"


# --- DOCX -----------------------------------------------------------------------------------------
def docx_article(doc_id: str, name: str, raw: bytes, path: str = "") -> Article:
    """A Word document's paragraphs and tables in reading order; headings mark sections."""
    from docx import Document
    from docx.table import Table

    try:
        doc = Document(io.BytesIO(raw))
    except Exception as exc:  # not a zip, not a Word package, broken XML inside: all mean "unreadable"
        raise InvalidInputFileError(
            f"{name} is not a readable Word (.docx) file ({type(exc).__name__})",
            vi=f"Tệp {name} không phải tệp Word (.docx) đọc được.",
        ) from exc
    paragraphs: list[str] = []
    headings: list[tuple[int, str]] = []
    offset = 0
    styled_title = ""

    def add(text: str, heading: bool) -> None:
        nonlocal offset
        text = clean_whitespace(normalize(text)).replace("\n", " ").strip()
        if not text:
            return
        if heading:
            headings.append((offset, text))
        paragraphs.append(text)
        offset += len(text) + 1

    try:
        for block in doc.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                    add(" | ".join(cells), heading=False)
                continue
            style = block.style.name if block.style is not None else ""
            is_heading = bool(_HEADING_STYLE.match(style or ""))
            if is_heading and not styled_title and (style or "").lower().startswith(("title", "tiêu đề")):
                styled_title = clean_whitespace(normalize(block.text)).strip()
            add(block.text, heading=is_heading)
    except Exception as exc:  # a part of the package is damaged
        raise InvalidInputFileError(
            f"{name}: its content cannot be read ({type(exc).__name__})",
            vi=f"Tệp {name} bị hỏng; không đọc được nội dung.",
        ) from exc
    if sum(len(p) for p in paragraphs) < _MIN_TEXT_CHARS:
        raise InvalidInputFileError(f"{name} has no text", vi=f"Tệp {name} không có nội dung bài viết.")
    props = doc.core_properties

    def prop(value: object) -> str:
        text = normalize(str(value or "")).strip()
        return "" if _GENERIC_METADATA.match(text) else text

    title = prop(props.title) or styled_title or (headings[0][1] if headings else title_from_text(paragraphs[0]))
    return Article(
        id=doc_id,
        title=title,
        body="\n".join(paragraphs),
        date=_day(props.created),
        author=prop(props.author),
        source=prop(props.identifier),
        path=path,
        paragraphs=tuple(paragraphs),
        headings=tuple(headings),
    )
