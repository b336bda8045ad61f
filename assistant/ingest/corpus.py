"""Loading articles: the corpus folder, decoding, page-furniture removal, metadata, repeated passages.

Files of every accepted format are read by `formats.py`; the rules here are those of plain text.

Why by hand: the seeds are raw text scraped from Vietnamese news sites, not HTML, so readability
libraries (trafilatura, readability-lxml) have no markup to work with. The rules below are
line-based and generic for that kind of page: a block of "related/other news" at the end, a byline
or date line near the top, image file names, player timestamps and photo captions in between.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import InvalidInputFileError
from assistant.ingest.formats import BINARY_SUFFIXES, DOCUMENT_SUFFIXES, TEXT_SUFFIXES, read_document, title_from_text
from assistant.lang.normalize import clean_whitespace, normalize
from assistant.lang.words import overlap_ratio
from assistant.types import Article

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = TEXT_SUFFIXES  # plain-text files (what the naive baseline reads as they are)
MAX_ARTICLE_BYTES = 5_000_000
MAX_DOCUMENT_BYTES = 100_000_000  # a PDF or Word file: mostly images and fonts, little text


@dataclass(frozen=True)
class RepeatedPassage:
    """A paragraph of one article that another article repeats (near-)verbatim."""

    doc_id: str
    paragraph: int
    other_doc_id: str
    other_paragraph: int
    overlap: float


# --- page furniture -------------------------------------------------------------------------

# A line that opens the trailing block of links, comments and teasers: everything after it goes.
_TRAILER = re.compile(
    r"^(\(\d+\)\s*)?(bài liên quan|tin liên quan|các tin tức khác|tin tức khác|tin khác|"
    r"đọc tiếp|xem thêm|bình luận|nổi bật.*|đừng bỏ lỡ|mới nhất|tin mới|có thể bạn quan tâm)$",
    re.IGNORECASE,
)
_IMAGE_FILE = re.compile(r"^\S+\.(jpe?g|png|gif|webp|svg|bmp)$", re.IGNORECASE)
_TIMESTAMP = re.compile(r"^\d{1,2}:\d{2}(\s*/\s*\d{1,2}:\d{2})?$")
_CAPTION = re.compile(r"\s[-–]\s*(Ảnh|Nguồn ảnh|Photo)\s*:.*$|^(Ảnh|Photo)\s*:", re.IGNORECASE)
_PIPE_CAPTION = re.compile(r"\s\|$")  # "Đoàn Việt Nam tham dự Hội nghị |" (caption under a photo)
_RELATED_LINK = re.compile(r"^\[[^\]]{5,200}\]$")  # "[Tuần lễ Số Quốc tế...: Xúc tiến ...]"
_POWERED_BY = re.compile(r"^powered by\b", re.IGNORECASE)
_SOURCE = re.compile(r"^Nguồn\s*:\s*(?P<source>.{2,120})$", re.IGNORECASE)
_COUNTER = re.compile(
    r"\s*[-–|]?\s*(?P<count>\d[\d.,]*)\s*(?P<kind>lượt xem|lượt đọc|bình luận|views?)\s*$", re.IGNORECASE
)

_DATE = r"(?P<date>\d{1,2}[/.-]\d{1,2}[/.-]\d{4})"
_TIME = r"\d{1,2}[:h]\d{2}"
# "Thu Anh | 12/10/2021, 21:30", "18:38 - 11/10/2022", "28/12/2022 - 913 lượt xem", "12/10/2021"
_BYLINE = re.compile(rf"^(?P<author>[^|\d]{{2,60}}?)\s*\|\s*{_DATE}(,?\s*(?P<time>{_TIME}))?$")
_DATELINE = re.compile(rf"^((?P<time>{_TIME})\s*[-–,]\s*)?{_DATE}(\s*[-–,]\s*(?P<time2>{_TIME}))?$")

_HEADER_LINES = 8  # title, byline and date sit within the first few lines of a scraped page
_TITLE_MAX_CHARS = 200


def load_corpus(directory: Path) -> list[Article]:
    """All readable documents under `directory` (sub-folders too), sorted by id; bad files are skipped.

    The document id is the path relative to `directory` without its suffix (`bao-cao/2021/q3`).
    Hidden files and folders (names starting with ".") are not read: the indexer keeps its
    temporary and set-aside files there. Two files with one id (`a.txt`, `a.pdf`) keep the first
    in suffix order and warn about the other.
    """
    if not directory.is_dir():
        raise InvalidInputFileError(
            f"Corpus folder not found: {directory} (set ASSISTANT_CORPUS_DIR)",
            vi=f"Không tìm thấy thư mục bài viết: {directory}",
        )
    articles: dict[str, Article] = {}
    for path in corpus_files(directory):
        doc_id = document_id_of(directory, path)
        if doc_id in articles:
            log.warning("Skipping %s: another file already has the document id %r", path, doc_id)
            continue
        try:
            articles[doc_id] = load_article(path, doc_id)
        except InvalidInputFileError as exc:
            log.warning("Skipping %s: %s", path.relative_to(directory), exc.message)
    return [articles[k] for k in sorted(articles)]


def corpus_files(directory: Path) -> list[Path]:
    """The document files under `directory`, in id order (then suffix order), hidden ones left out."""
    found = []
    for path in directory.rglob("*"):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() in DOCUMENT_SUFFIXES:
            found.append(path)
    return sorted(found, key=lambda p: (document_id_of(directory, p), DOCUMENT_SUFFIXES.index(p.suffix.lower())))


def document_id_of(directory: Path, path: Path) -> str:
    """`directory/sub/name.pdf` → `sub/name` (NFC, "/" separators on every system)."""
    relative = path.relative_to(directory).with_suffix("")
    return unicodedata.normalize("NFC", relative.as_posix())


def load_article(path: Path, doc_id: str | None = None) -> Article:
    """Read and clean one document file; the id defaults to the file name without its suffix."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputFileError(f"cannot read {path.name}: {exc.strerror}") from exc
    limit = MAX_DOCUMENT_BYTES if path.suffix.lower() in BINARY_SUFFIXES else MAX_ARTICLE_BYTES
    if len(raw) > limit:
        raise InvalidInputFileError(f"{path.name} is larger than {limit:,} bytes")
    return read_document(doc_id or path.stem, path.name, raw, path=str(path))


def decode_text(raw: bytes, name: str = "file") -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused, not guessed."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidInputFileError(f"{name} is not valid UTF-16") from exc
    if b"\x00" in raw:
        raise InvalidInputFileError(f"{name} looks binary (contains NUL bytes), not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputFileError(
            f"{name} is not UTF-8 (byte {exc.start}); re-save it as UTF-8",
            vi=f"Tệp {name} không phải UTF-8; hãy lưu lại với bảng mã UTF-8.",
        ) from exc


def parse_article(doc_id: str, text: str, path: str = "") -> Article:
    """Turn the raw text of a scraped page into an `Article` (title, metadata, clean body)."""
    lines = [ln for ln in clean_whitespace(normalize(text)).splitlines() if ln]
    source = ""
    kept: list[str] = []
    for line in lines:
        if _TRAILER.match(line) and kept:
            break
        if _POWERED_BY.match(line):
            break
        m = _SOURCE.match(line)
        if m:
            source = source or m.group("source").strip()
            continue
        if _is_furniture(line):
            continue
        kept.append(line)

    header = _read_header(kept)
    title, header_end = header.title, header.end
    body_lines = [ln for i, ln in enumerate(kept) if i >= header_end or _is_lead_paragraph(ln)]
    body_lines = [ln for ln in body_lines if ln != title or len(body_lines) == 1]
    paragraphs = tuple(_unique(body_lines))
    if not paragraphs:
        raise InvalidInputFileError(f"{doc_id} has no article text after cleaning")
    if not title:
        title = title_from_text(paragraphs[0])
    return Article(
        id=doc_id,
        title=title,
        body="\n".join(paragraphs),
        date=header.date,
        author=header.author,
        source=source,
        path=path,
        time=header.time,
        views=header.views,
        paragraphs=paragraphs,
    )


def _is_furniture(line: str) -> bool:
    return bool(
        _IMAGE_FILE.match(line)
        or _TIMESTAMP.match(line)
        or _CAPTION.search(line)
        or _PIPE_CAPTION.search(line)
        or _RELATED_LINK.match(line)
    )


@dataclass(frozen=True)
class _Header:
    title: str
    author: str
    date: str
    time: str
    views: str
    end: int  # index of the first body line


def _read_header(lines: list[str]) -> _Header:
    """Find title, author, date, time and view count among the first lines, and where the body starts."""
    author = date = time = views = ""
    date_index = -1
    for i, line in enumerate(lines[:_HEADER_LINES]):
        counter = _COUNTER.search(line)
        bare = _COUNTER.sub("", line).strip()
        m = _BYLINE.match(bare) or _DATELINE.match(bare)
        if m:
            groups = m.groupdict()
            author, date, date_index = (groups.get("author") or "").strip(), groups["date"], i
            time = (groups.get("time") or groups.get("time2") or "").replace("h", ":")
            if counter and counter.group("kind").lower() != "bình luận":
                views = counter.group("count")
            break
    candidates = [i for i, ln in enumerate(lines[: max(date_index, 1)]) if _is_title_like(ln)]
    if date_index >= 0:
        # the title is the last title-like line above the date (site names and tags come first)
        title_index = candidates[-1] if candidates else -1
        header_end = date_index + 1
    else:
        title_index = candidates[0] if candidates and candidates[0] == 0 else -1
        header_end = title_index + 1
    title = lines[title_index] if title_index >= 0 else ""
    return _Header(title, author, date.replace(".", "/").replace("-", "/"), time, views, header_end)


def _is_title_like(line: str) -> bool:
    words = line.split()
    is_tag = len(words) >= 2 and words[0].isupper() and words[1].isupper()
    return len(line) <= _TITLE_MAX_CHARS and not line.endswith((".", ":", "…")) and not is_tag


def _is_lead_paragraph(line: str) -> bool:
    """A sentence above the byline (the sapo) is content, not header."""
    return line.endswith((".", "…", "”", '"')) and len(line) > 60


def _unique(lines: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for line in lines:
        if line not in seen:
            seen.add(line)
            yield line


def find_repeated_passages(articles: list[Article], threshold: float) -> list[RepeatedPassage]:
    """Paragraphs that appear (near-)verbatim in two articles, e.g. one press release in two papers.

    Retrieval collapses such passages so an answer never cites the same text twice.
    """
    found = []
    for i, a in enumerate(articles):
        for b in articles[i + 1 :]:
            for pi, pa in enumerate(a.paragraphs):
                if len(pa) < 40:
                    continue
                for pj, pb in enumerate(b.paragraphs):
                    if len(pb) >= 40 and (score := overlap_ratio(pa, pb)) >= threshold:
                        found.append(RepeatedPassage(a.id, pi, b.id, pj, round(score, 3)))
    return found
