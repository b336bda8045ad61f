"""Adding one article from outside (the app's upload box): checked completely before anything is written.

An upload either becomes a new file in the corpus folder and its chunks in the store, or changes
nothing: size, suffix, encoding and content are checked first, the file is written atomically
(temporary name, then rename), and it is removed again if indexing it fails.

Every format of `formats.py` is accepted: text and HTML (reduced to its text with BeautifulSoup),
PDF and Word. A PDF without a text layer or a damaged file is refused with its reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import InvalidInputFileError
from assistant.ingest.corpus import decode_text, parse_article
from assistant.ingest.formats import BINARY_SUFFIXES, DOCUMENT_SUFFIXES, HTML_SUFFIXES, html_to_text, read_document
from assistant.types import Article

UPLOAD_SUFFIXES = DOCUMENT_SUFFIXES
_SAFE_ID = re.compile(r"[^\w.-]+", re.UNICODE)


@dataclass(frozen=True)
class Upload:
    """A checked upload: its document id, the file to store (name and bytes), and the parsed article.

    Text and HTML are stored as the cleaned UTF-8 text (`<id>.txt`); PDF and Word files as they
    came (`<id>.pdf`), so their pages and headings are read again at every re-index.
    """

    doc_id: str
    file_name: str
    data: bytes
    article: Article


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
    """Validate an uploaded document completely; raise `InvalidInputFileError` (with a Vietnamese message)."""
    name = Path(file_name).name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InvalidInputFileError(
            f"{name}: only {', '.join(UPLOAD_SUFFIXES)} files can be added",
            vi=f"Tệp {name} không được hỗ trợ; chỉ nhận tệp .txt, .md, .html, .pdf hoặc .docx.",
        )
    if not raw:
        raise InvalidInputFileError(f"{name} is empty", vi=f"Tệp {name} trống.")
    if len(raw) > max_bytes:
        raise InvalidInputFileError(
            f"{name} is {len(raw):,} bytes; the limit is {max_bytes:,} (ASSISTANT_MAX_UPLOAD_BYTES)",
            vi=f"Tệp {name} quá lớn ({len(raw) / 1e6:.1f} MB); giới hạn là {max_bytes / 1e6:.1f} MB.",
        )
    doc_id = document_id(name)
    if suffix in BINARY_SUFFIXES:
        article = read_document(doc_id, name, raw)
        stored_name, data = f"{doc_id}{suffix}", raw
    else:
        try:
            text = decode_text(raw, name)
        except InvalidInputFileError as exc:
            vi = exc.vi if exc.vi != exc.message else f"Tệp {name} không phải văn bản UTF-8 đọc được."
            raise InvalidInputFileError(exc.message, vi=vi) from exc
        if suffix in HTML_SUFFIXES:
            text = html_to_text(text)
        try:
            article = parse_article(doc_id, text)
        except InvalidInputFileError as exc:
            raise InvalidInputFileError(exc.message, vi=f"Tệp {name} không có nội dung bài viết.") from exc
        stored_name, data = f"{doc_id}.txt", text.encode("utf-8")
    if sum(len(p) for p in article.paragraphs) < 50:
        raise InvalidInputFileError(
            f"{name} has too little text to index", vi=f"Tệp {name} có quá ít nội dung để lập chỉ mục."
        )
    return Upload(doc_id, stored_name, data, article)


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` so that a crash leaves either no file or the whole file, never half of one."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    tmp.replace(path)
