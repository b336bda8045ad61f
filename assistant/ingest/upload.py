"""Adding one article from outside (the app's upload box): checked completely before anything is written.

An upload either becomes a new file in the corpus folder and its chunks in the store, or changes
nothing: size, suffix, encoding and content are checked first, the file is written atomically
(temporary name, then rename), and it is removed again if indexing it fails.

HTML is reduced to its text with BeautifulSoup (a well-kept parser that copes with broken markup);
script, style and page chrome (nav, header, footer, aside, form) are dropped before the text is taken.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import InvalidInputFileError
from assistant.ingest.corpus import ARTICLE_SUFFIXES, decode_text, parse_article
from assistant.types import Article

UPLOAD_SUFFIXES = (*ARTICLE_SUFFIXES, ".html", ".htm")
_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "blockquote")
_SAFE_ID = re.compile(r"[^\w.-]+", re.UNICODE)


@dataclass(frozen=True)
class Upload:
    """A checked upload: the document id it will get, the text to store, and the parsed article."""

    doc_id: str
    text: str
    article: Article


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


def document_id(file_name: str) -> str:
    """A file-system-safe id from an uploaded file's name (the id is the stored file's stem)."""
    stem = unicodedata.normalize("NFC", Path(file_name).stem).strip()
    stem = _SAFE_ID.sub("_", stem).strip("._")
    if not stem:
        raise InvalidInputFileError(
            f"Cannot make a document id from the file name {file_name!r}",
            vi="Tên tệp không hợp lệ; hãy đặt tên tệp bằng chữ và số.",
        )
    return stem[:100]


def check_upload(file_name: str, raw: bytes, max_bytes: int) -> Upload:
    """Validate an uploaded article completely; raise `InvalidInputFileError` (with a Vietnamese message)."""
    name = Path(file_name).name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InvalidInputFileError(
            f"{name}: only {', '.join(UPLOAD_SUFFIXES)} files can be added",
            vi=f"Tệp {name} không được hỗ trợ; chỉ nhận tệp .txt, .md hoặc .html.",
        )
    if not raw:
        raise InvalidInputFileError(f"{name} is empty", vi=f"Tệp {name} trống.")
    if len(raw) > max_bytes:
        raise InvalidInputFileError(
            f"{name} is {len(raw):,} bytes; the limit is {max_bytes:,} (ASSISTANT_MAX_UPLOAD_BYTES)",
            vi=f"Tệp {name} quá lớn ({len(raw) / 1e6:.1f} MB); giới hạn là {max_bytes / 1e6:.1f} MB.",
        )
    try:
        text = decode_text(raw, name)
    except InvalidInputFileError as exc:
        raise InvalidInputFileError(
            exc.message, vi=exc.vi if exc.vi != exc.message else f"Tệp {name} không phải văn bản UTF-8 đọc được."
        ) from exc
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    doc_id = document_id(name)
    try:
        article = parse_article(doc_id, text)
    except InvalidInputFileError as exc:
        raise InvalidInputFileError(exc.message, vi=f"Tệp {name} không có nội dung bài viết.") from exc
    if sum(len(p) for p in article.paragraphs) < 50:
        raise InvalidInputFileError(
            f"{name} has too little text to index", vi=f"Tệp {name} có quá ít nội dung để lập chỉ mục."
        )
    return Upload(doc_id, text, article)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` so that a crash leaves either no file or the whole file, never half of one."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
