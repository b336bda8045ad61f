"""Citation markers `[n]`: parsed in one place, mapped to passages, and checked sentence by sentence.

Every other module asks this one what an answer cites. Markers may come as `[1]`, `[1, 2]` or
`[1][2]`; a marker pointing at no passage is dropped rather than shown as a dead link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.condense import bare_word, question_parts
from assistant.retrieval import Passage
from assistant.text import (
    adds_to,
    anchors_held,
    content_terms,
    is_english,
    split_sentences,
    syllables,
    term_coverage,
)

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


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


@dataclass(frozen=True)
class SentenceSupport:
    """One answer sentence, the passages it cites, and how well they support it (0..1)."""

    sentence: str
    cited: tuple[int, ...]
    score: float
    supported: bool


@dataclass
class Answer:
    """What the assistant says, what it cites, and whether it refused."""

    question: str
    text: str
    citations: list[Citation]
    refused: bool
    backend: str
    retrieved: list[Passage] = field(default_factory=list)
    support: list[SentenceSupport] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notice: str = ""
    answerability: float = 0.0
    features: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The `assistant ask --json` shape (design §2)."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [
                {
                    "n": c.n,
                    "doc_id": c.doc_id,
                    "chunk_id": c.chunk_id,
                    "title": c.title,
                    "text": c.text,
                    "score": c.score,
                    "quote": c.quote,
                    "also_in": list(c.also_in),
                }
                for c in self.citations
            ],
            "retrieved": [
                {"doc_id": p.doc_id, "chunk_id": p.chunk_id, "score": p.score, "also_in": list(p.also_in)}
                for p in self.retrieved
            ],
            "support": [
                {"sentence": s.sentence, "cited": list(s.cited), "score": s.score, "supported": s.supported}
                for s in self.support
            ],
            "backend": self.backend,
            "notice": self.notice,
            "timings": self.timings,
        }


def parse_markers(text: str) -> list[int]:
    """Passage numbers cited in `text`, in order of first appearance."""
    seen: dict[int, None] = {}
    for m in MARKER.finditer(text):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            seen.setdefault(int(part), None)
    return list(seen)


def strip_markers(text: str) -> str:
    """The text without any citation marker (for display in places that show sources apart)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text)).strip()


_REPEAT = re.compile(r"(?<!\w)(\w+(?:[ \t]+\w+)+)[ \t]+(?:và|and)[ \t]+\1(?!\w)")


def collapse_repeats(text: str) -> str:
    """ "Bộ trưởng Nguyễn Mạnh Hùng và Bộ trưởng Nguyễn Mạnh Hùng" → "Bộ trưởng Nguyễn Mạnh Hùng".

    A small model answering a two-part question with one name joins it to itself; a phrase of
    two or more words joined to itself by "và" says nothing twice.
    """
    return _REPEAT.sub(r"\1", text)


_MARKER_LIST = re.compile(r"(\[\d+(?:\s*[,;]\s*\d+)*\])\s*[,;]\s*(?=\[\d)")


def join_marker_lists(text: str) -> str:
    """ "… năm 2025 [1], [2], [3]." → "… năm 2025 [1][2][3]." (the commas belong to no sentence)."""
    return _MARKER_LIST.sub(r"\1", text)


def drop_invalid_markers(text: str, n_passages: int) -> str:
    """Remove numbers that point at no passage; a marker left empty disappears."""

    def keep(m: re.Match[str]) -> str:
        nums = [p for p in re.split(r"\s*[,;]\s*", m.group(1)) if 1 <= int(p) <= n_passages]
        return f"[{', '.join(nums)}]" if nums else ""

    return MARKER.sub(keep, text)


def cite(passages: list[Passage], numbers: list[int], quotes: dict[int, str] | None = None) -> list[Citation]:
    """Citation objects for the passage numbers an answer uses (1-based, as shown to the reader)."""
    quotes = quotes or {}
    out = []
    for n in numbers:
        if 1 <= n <= len(passages):
            p = passages[n - 1]
            out.append(
                Citation(
                    n=n,
                    doc_id=p.doc_id,
                    chunk_id=p.chunk_id,
                    title=p.title,
                    text=p.text,
                    score=p.score,
                    date=p.date,
                    source=p.source,
                    quote=quotes.get(n, ""),
                    also_in=p.also_in,
                )
            )
    return out


def answer_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Each sentence of an answer with the passage numbers it cites (markers may trail the period)."""
    out: list[tuple[str, list[int]]] = []
    for span in split_sentences(text):
        lead = re.match(r"^(\s*\[\d+(?:\s*[,;]\s*\d+)*\])+", span.text)
        if lead and out:  # "… khai mạc. [1] Câu sau" : the marker belongs to the sentence before
            prev, _ = out[-1]
            merged = f"{prev} {lead.group().strip()}"
            out[-1] = (merged, parse_markers(merged))
            rest = span.text[lead.end() :].strip()
            if rest:
                out.append((rest, parse_markers(rest)))
            continue
        out.append((span.text, parse_markers(span.text)))
    return out


_MIN_FACT_WORDS = 4
_ATTACH_MIN_COVERAGE = 0.5
_SUPPORTED = 0.5


def finalize(
    question: str,
    text: str,
    passages: list[Passage],
    backend: str,
    similarity: Callable[[list[str], list[str]], np.ndarray] | None = None,
    weight: Callable[[str], float] | None = None,
    pool: list[Passage] | None = None,
    search: Callable[[str], list[Passage]] | None = None,
) -> Answer:
    """Turn a model's raw text into an `Answer`: valid markers only, missing ones repaired, support scored.

    Small models often state a fact without a marker: such a sentence gets the passage that
    supports it best (key-term coverage, plus embedding similarity when `similarity` is given)
    if one covers it well enough; otherwise it stays unmarked and is flagged unsupported.
    `pool` holds retrieved passages the model was not shown: one of them may back the other
    part of a two-part answer, and is then cited after the shown ones (`[4]`). When none does,
    `search` (a retrieval) is asked for the part of a two-event question the citations miss.
    """
    shown = {p.chunk_id for p in passages}
    candidates = list(passages) + [p for p in pool or [] if p.chunk_id not in shown]
    numbered = list(passages)  # what the markers point at: the shown passages, then any cited from `pool`
    text = join_marker_lists(collapse_repeats(drop_invalid_markers(text.strip(), len(passages))))
    weight = weight or (lambda _t: 1.0)
    support: list[SentenceSupport] = []
    repaired: list[str] = []
    sentences = answer_sentences(text)
    bare = [s for s, cited in sentences if not cited]
    # a terse answer ("350.") is a fact too when a passage holds all of it
    bare_short = {s for s in bare if len(s.split()) < _MIN_FACT_WORDS and _fully_in_some(s, passages, weight)}
    sims = similarity(bare, [p.text for p in passages]) if (similarity and bare and passages) else None
    for sentence, cited in sentences:
        if not cited and passages and (len(sentence.split()) >= _MIN_FACT_WORDS or sentence in bare_short):
            row = sims[bare.index(sentence)] if sims is not None else np.zeros(len(passages))
            scores = [
                term_coverage(sentence, p.text, weight).unigrams + 0.5 * float(row[i]) for i, p in enumerate(passages)
            ]
            best = int(np.argmax(scores))
            if term_coverage(sentence, passages[best].text, weight).unigrams >= _ATTACH_MIN_COVERAGE:
                cited = [best + 1]
            elif is_english(question):
                # an English sentence shares no words with Vietnamese passages: tie it by its numbers and names
                held = [i for i in np.argsort(scores)[::-1] if anchors_held(sentence, passages[i].text, question)]
                cited = [int(held[0]) + 1] if held else []
            if cited:
                sentence = append_marker(sentence, cited[0])
        elif cited and passages:
            cited, sentence = _repoint(question, sentence, cited, passages, weight)
        if cited:
            backing = [numbered[n - 1] for n in cited]
            extra = _other_articles_backing(question, sentence, backing, candidates)
            if not extra and search and (query := missing_part_query(question, sentence, backing)):
                known = {p.chunk_id for p in candidates}
                found = [p for p in search(query) if p.chunk_id not in known]
                extra = _other_articles_backing(question, sentence, backing, candidates + found)
            for p in extra:
                if p not in numbered:
                    numbered.append(p)
                cited = [*cited, numbered.index(p) + 1]
                sentence = add_marker(sentence, cited[-1])
        # an invented number is never supported
        score = _support(question, sentence, [_read(numbered[n - 1]) for n in cited], weight) if cited else 0.0
        support.append(SentenceSupport(strip_markers(sentence), tuple(cited), round(score, 3), score >= _SUPPORTED))
        repaired.append(sentence)
    final = " ".join(repaired)
    numbers = parse_markers(final)
    return Answer(
        question=question,
        text=final,
        citations=cite(numbered, numbers),
        refused=False,
        backend=backend,
        retrieved=passages,
        support=support,
    )


_MIN_QUESTION_PART = 2


def _other_articles_backing(
    question: str, sentence: str, cited: list[Passage], candidates: list[Passage]
) -> list[Passage]:
    """Passages of other articles that back the part of a two-part answer its citations miss.

    A question about two events ("… phát biểu ở cả ITU Digital World 2021 và Tuần lễ Số Quốc tế
    2022 là ai?") is answered in one sentence that a small model cites once, with one event's
    passage. A passage of another article is added when it holds at least two of the question's
    terms the cited passages lack (it is about the other part) and what the sentence says that
    they do not, or, when they lack nothing of the sentence, all that the sentence adds to the
    question. A question the cited passages cover entirely never gets a second article, nor one
    whose uncovered part another passage of the cited article holds.
    """
    asked = list(dict.fromkeys(content_terms(question)))
    new = [t for t in dict.fromkeys(content_terms(strip_markers(sentence))) if t not in asked]
    if not new:
        return []
    terms = {p.chunk_id: set(syllables(p.text, fold=True)) for p in [*cited, *candidates]}
    have = set().union(*(terms[p.chunk_id] for p in cited))
    cited_docs = {d for p in cited for d in p.doc_ids}
    own_article = [terms[p.chunk_id] for p in candidates if cited_docs & set(p.doc_ids)]
    lacking = [t for t in new if t not in have] or new
    docs, extra = set(cited_docs), []
    for p in candidates:
        if docs & set(p.doc_ids):
            continue
        part = {t for t in asked if t not in have and t in terms[p.chunk_id]}
        # the part is the other article's only if the cited article itself does not hold it (a
        # model that cited the wrong passage of the right article has no second article to cite)
        own = max((len(part & t) for t in own_article), default=0)
        if len(part) >= _MIN_QUESTION_PART and own < len(part) and all(t in terms[p.chunk_id] for t in lacking):
            extra.append(p)
            docs |= set(p.doc_ids)
            have |= terms[p.chunk_id]  # the part it backs needs no third article
    return extra


def missing_part_query(question: str, sentence: str, cited: list[Passage]) -> str:
    """A search for the event of a two-event question that `cited` does not name, with what `sentence` adds.

    "Bộ trưởng … phát biểu ở cả hai sự kiện ITU Digital World 2021 và Tuần lễ Số Quốc tế 2022 là
    ai?" answered "Bộ trưởng Nguyễn Mạnh Hùng [1]" from a 2022 passage gives "Bộ trưởng … phát
    biểu ở cả hai sự kiện ITU Digital World 2021 là ai? Nguyễn Mạnh Hùng": the ten passages
    retrieved for the whole question may hold none that backs the 2021 half. "" when the
    question is not of that kind, or the citations name both events.
    """
    parts = question_parts(question)
    if not parts:
        return ""
    have = set().union(*(set(syllables(_read(p), fold=True)) for p in cited))
    missing = [[t for t in content_terms(part) if t not in have] for part in parts]
    best = max(range(len(parts)), key=lambda i: len(missing[i]))
    if len(missing[best]) < _MIN_QUESTION_PART:
        return ""
    asked = set(content_terms(question))
    words = [bare_word(w) for w in strip_markers(sentence).split()]
    new = [w for w in dict.fromkeys(words) if (t := content_terms(w)) and t[0] not in asked]
    return f"{parts[best]} {' '.join(new)}".strip()


def _fully_in_some(sentence: str, passages: list[Passage], weight: Callable[[str], float]) -> bool:
    return any(
        (c := term_coverage(sentence, p.text, weight)).unigrams == 1.0 and not c.missing_numbers for p in passages
    )


def _read(p: Passage) -> str:
    """What the model read of a passage: its title and date head the text in the prompt."""
    return f"{p.title}\n{p.date}\n{p.text}"


def _support(question: str, sentence: str, texts: list[str], weight: Callable[[str], float]) -> float:
    """How well `texts` back `sentence`: key-term coverage, 0 if it has a number they lack."""
    # numbers the user's question already gave are not claims of the answer
    cov = term_coverage(strip_markers(sentence), "\n".join([question, *texts]), weight)
    return 0.0 if cov.missing_numbers else cov.unigrams


def _repoint(
    question: str, sentence: str, cited: list[int], passages: list[Passage], weight: Callable[[str], float]
) -> tuple[list[int], str]:
    """A model's marker that points at a passage not backing its sentence, moved to one that does.

    A small model may cite the first passage for a fact it read in the third ("… từ ngày
    11-14/10 [1]" where [1] says only "khai mạc ngày 11/10"). If the cited passages do not
    support the sentence and another shown passage does, on its own, the citation names that one.
    """
    current = _support(question, sentence, [_read(passages[n - 1]) for n in cited], weight)
    if current >= _SUPPORTED:
        return cited, sentence
    scores = [_support(question, sentence, [_read(p)], weight) for p in passages]
    best = int(np.argmax(scores))
    if scores[best] < _SUPPORTED or scores[best] <= current or best + 1 in cited:
        return cited, sentence
    return [best + 1], append_marker(strip_markers(sentence), best + 1)


def backed_by_any(answer: Answer, passages: list[Passage], weight: Callable[[str], float] | None = None) -> bool:
    """Is at least one answer sentence covered by the passages the model saw (cited or not)?

    A sentence that only restates the question is covered by the question itself, and backs
    nothing: "Giá cước 5G năm 2022 là bao nhiêu? Giá cước … là 100.000 đồng/tháng." is unbacked.
    """
    evidence = "\n".join([answer.question] + [p.text for p in passages])
    for s in answer.support:
        if not adds_to(answer.question, s.sentence):
            continue
        cov = term_coverage(s.sentence, evidence, weight or (lambda _t: 1.0))
        if cov.unigrams >= _SUPPORTED and not cov.missing_numbers:
            return True
    return False


def add_marker(sentence: str, n: int) -> str:
    """Put `[n]` right after the sentence's last marker (`… Hà Nội [1][3].`), or append it."""
    ends = [m.end() for m in MARKER.finditer(sentence)]
    if not ends:
        return append_marker(sentence, n)
    return f"{sentence[: ends[-1]]}[{n}]{sentence[ends[-1] :]}"


def append_marker(sentence: str, n: int) -> str:
    """Put `[n]` before the sentence's final punctuation: `… khai mạc [1].`"""
    m = re.search(r"[.!?…]+[\"”’»)]*$", sentence)
    if m:
        return f"{sentence[: m.start()].rstrip()} [{n}]{sentence[m.start() :]}"
    return f"{sentence} [{n}]."
