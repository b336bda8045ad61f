"""The values that flow between the stages: one module, so every stage reads the same shapes.

```
Article ─chunking─▶ Chunk ─index─▶ (store)
question + history ─query─▶ Query ─retrieve─▶ Retrieval ─context─▶ Context
Query + Context ─decide─▶ Decision ─answer─▶ text ─cite/verify─▶ Answer (Citation, SentenceSupport)
```
Frozen where a later stage must not change what an earlier one decided; `Answer` stays mutable
because the pipeline fills in its timings when the stream ends.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Literal

from assistant.lang.facts import Fact

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Article:
    """One cleaned article. `body` is the text every offset refers to; paragraphs split it on newlines."""

    id: str
    title: str
    body: str
    date: str = ""
    author: str = ""
    source: str = ""
    path: str = ""
    time: str = ""  # of publication, "21:30", when the byline gives it
    views: str = ""  # the page's view counter, "913", when it shows one
    paragraphs: tuple[str, ...] = field(default=())
    # (body offset, page number) where each page with text starts: PDFs only
    pages: tuple[tuple[int, int], ...] = field(default=())
    # (body offset, heading text) of each heading: Word documents
    headings: tuple[tuple[int, str], ...] = field(default=())

    def page_at(self, offset: int) -> int | None:
        """The page the body character at `offset` is on (None: the document has no pages)."""
        i = bisect_right(self.pages, offset, key=lambda p: p[0])
        return self.pages[i - 1][1] if i else None

    def section_at(self, offset: int) -> str:
        """The heading the body character at `offset` sits under ("" above the first heading)."""
        i = bisect_right(self.headings, offset, key=lambda h: h[0])
        return self.headings[i - 1][1] if i else ""


@dataclass(frozen=True)
class Chunk:
    """A retrievable slice of one article; `id` is a hash of its content, so re-indexing is incremental."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    n_tokens: int
    metadata: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One chat turn."""

    role: str
    content: str


@dataclass(frozen=True)
class Query:
    """A question analysed once: every later stage reads these fields instead of recomputing them."""

    text: str  # as asked: NFC, one tone-mark convention, trimmed
    history: tuple[Message, ...]
    language: Literal["vi", "en"]
    folded: str  # lower-case, without diacritics: what word lists and patterns are matched on
    typed_without_diacritics: bool  # Vietnamese typed without marks (folded matching is the witness)
    restored: str  # what a model reads: diacritics put back from the corpus's spelling, else `text`
    follow_up: bool  # leans on the history (a pronoun, or too short to stand alone)
    standalone: str  # the retrieval form: with the conversation's subject for a follow-up
    search_vi: str  # an English question's Vietnamese search form ("" otherwise, or when not translated)
    parts: tuple[str, ...]  # one question per event when it joins two named, dated events
    terms: tuple[str, ...]  # folded key terms of the question's own words
    self_contained: bool  # names enough on its own to rank and check against ("Nó diễn ra khi nào?" does not)
    numbers: frozenset[str]  # numbers it names (`160.000` → `160000`)
    percentages: frozenset[str]
    dates: frozenset[str]  # date-shaped pieces (`12/10`, `2021`)
    facts: tuple[Fact, ...]  # typed values it states (`năm 2024`, `ngày 12/10`): an answer must be about them
    answer_type: Literal["quantity", "time", "person", "other"]
    notice: str = ""  # why the query lacks something it should have (a failed translation)

    @property
    def english(self) -> bool:
        return self.language == "en"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with everything the answer, the UI and the eval need to show and score it."""

    chunk_id: str
    doc_id: str
    text: str
    title: str = ""
    date: str = ""
    source: str = ""
    score: float = 0.0
    dense_score: float = 0.0
    bm25_score: float = 0.0
    start: int = 0
    end: int = 0
    also_in: tuple[str, ...] = ()
    about: str = ""  # the article's opening sentence: the event (and year) the passage belongs to
    page: int | None = None  # the PDF page the passage is on
    section: str = ""  # the heading it sits under (Word documents)

    @property
    def doc_ids(self) -> tuple[str, ...]:
        """This passage's article and every article that repeats it."""
        return (self.doc_id, *self.also_in)

    @property
    def heading(self) -> str:
        """Title and date, as the reader sees them above the text (an undated passage shows its title alone)."""
        return ", ".join(part for part in (self.title, self.date) if part)


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages for a query (dense ⊕ BM25, fused, duplicates collapsed)."""

    query: Query
    passages: list[Passage]
    best_dense: float  # the best passage's e5 similarity to the question (how on-topic it is)


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence of a context passage, ranked for the question."""

    n: int  # the passage's number in the context, 1-based
    text: str
    start: int
    end: int
    score: float
    has_answer_type: bool  # holds something new of the kind asked for (a number, a date, a name)


@dataclass(frozen=True)
class Context:
    """What a reader is shown: numbered passages, and the sentences of each it reads."""

    query: Query
    passages: list[Passage]  # numbered 1..n in this order
    texts: list[str]  # what the reader reads of each passage (its best sentences, or all of it)
    sentences: list[ScoredSentence]  # candidates of the shown passages, best first
    pool: list[Passage]  # every retrieved passage (a citation may name one the reader was not shown)

    def evidence(self) -> str:
        """Everything the reader reads: each passage's heading and the text shown of it."""
        return "\n".join(f"{p.heading}\n{t}" for p, t in zip(self.passages, self.texts, strict=True))


@dataclass(frozen=True)
class Decision:
    """Answer or refuse; a refusal names the rule that decided it, with its detail and its message to users."""

    answered: bool
    reason: str = "answered"
    detail: str = ""
    message_vi: str = ""

    def to_json(self) -> dict:
        return {"answered": self.answered, "reason": self.reason, "detail": self.detail}


ANSWERED = Decision(True)


@dataclass(frozen=True)
class Citation:
    """Passage `n` as cited by an answer; `quote` is the part of it that supports the answer."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    text: str
    score: float
    date: str = ""
    source: str = ""
    quote: str = ""
    also_in: tuple[str, ...] = ()
    page: int | None = None
    section: str = ""

    @property
    def location(self) -> str:
        """Where in its document the passage is, as the reader is told: "trang 3", "mục Kết luận"."""
        parts = [f"trang {self.page}"] if self.page else []
        if self.section:
            parts.append(f"mục {self.section}")
        return ", ".join(parts)


@dataclass(frozen=True)
class SentenceSupport:
    """One answer sentence, the passages it cites, and how well they support it (0..1)."""

    sentence: str
    cited: tuple[int, ...]
    score: float
    supported: bool
    reason: str = ""  # why the check failed, when it did


@dataclass
class Answer:
    """What the assistant says, what it cites, and why it answered or refused."""

    question: str
    text: str
    citations: list[Citation]
    decision: Decision
    backend: str
    retrieved: list[Passage] = field(default_factory=list)
    context: list[Passage] = field(default_factory=list)  # the passages shown, numbered as the markers are
    support: list[SentenceSupport] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notice: str = ""
    # the writing model's own P(Yes) that its reply answers the question from the passages
    # (`decide.model_check`, when switched on); None when not asked
    check_score: float | None = None

    @property
    def refused(self) -> bool:
        return not self.decision.answered

    def to_json(self) -> dict:
        """The `assistant ask --json` shape (design §2)."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "decision": self.decision.to_json(),
            "citations": [
                {
                    "n": c.n,
                    "doc_id": c.doc_id,
                    "chunk_id": c.chunk_id,
                    "title": c.title,
                    "text": c.text,
                    "score": c.score,
                    "quote": c.quote,
                    "page": c.page,
                    "section": c.section,
                    "date": c.date,
                    "source": c.source,
                    "also_in": list(c.also_in),
                }
                for c in self.citations
            ],
            "retrieved": [
                {
                    "doc_id": p.doc_id,
                    "chunk_id": p.chunk_id,
                    "score": p.score,
                    "page": p.page,
                    "also_in": list(p.also_in),
                }
                for p in self.retrieved
            ],
            "support": [
                {
                    "sentence": s.sentence,
                    "cited": list(s.cited),
                    "score": s.score,
                    "supported": s.supported,
                    "reason": s.reason,
                }
                for s in self.support
            ],
            "backend": self.backend,
            "notice": self.notice,
            "timings": self.timings,
        }
