"""Citation markers `[n]`: parsed in one place, mapped to passages, repaired, and checked sentence by sentence.

Every other module asks this one what an answer cites. Markers may come as `[1]`, `[1, 2]` or
`[1][2]`; a marker pointing at no passage is dropped rather than shown as a dead link.

`finalize` turns a reply into an answer: pure (text + context in, cited text and support out, no
retrieval inside). Its repairs are named, like the refusal rules, and can be switched off with
`ASSISTANT_RULES_OFF`:
- `attach_marker`: a sentence a small model left unmarked gets the shown passage that backs it;
- `repoint_marker`: a marker on a passage that does not back its sentence moves to one that does;
- `second_article`: a two-part answer cited to one article gets the other article's passage too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

import numpy as np

from assistant.lang.sentences import split_sentences
from assistant.lang.words import content_terms, syllables, term_coverage
from assistant.query import bare_word
from assistant.types import ANSWERED, Answer, Citation, Context, Passage, Query, SentenceSupport
from assistant.verify import anchors_held, check_sentence, covers_fully, support_score, supported

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
REPAIRS = ("attach_marker", "repoint_marker", "second_article")
_MIN_FACT_WORDS = 4
_ATTACH_MIN_COVERAGE = 0.5
_QUOTE_MIN_COVERAGE = 0.3
_MIN_QUESTION_PART = 2

Weight = Callable[[str], float]
Similarity = Callable[[list[str], list[str]], np.ndarray]


def _uniform(_term: str) -> float:
    return 1.0


# --- markers --------------------------------------------------------------------------------------
def parse_markers(text: str) -> list[int]:
    """Passage numbers cited in `text`, in order of first appearance."""
    seen: dict[int, None] = {}
    for m in MARKER.finditer(text):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            seen.setdefault(int(part), None)
    return list(seen)


def marker_numbers(marker: re.Match[str]) -> list[int]:
    """The numbers of one matched marker (`[1, 2]` → [1, 2])."""
    return [int(x) for x in re.split(r"\s*[,;]\s*", marker.group(1))]


def strip_markers(text: str) -> str:
    """The text without any citation marker (for display in places that show sources apart)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text)).strip()


_REPEAT = re.compile(r"(?<!\w)(\w+(?:[ \t]+\w+)+)[ \t]+(?:và|and)[ \t]+\1(?!\w)")


def collapse_repeats(text: str) -> str:
    """ "Bộ trưởng Nguyễn Mạnh Hùng và Bộ trưởng Nguyễn Mạnh Hùng" → "Bộ trưởng Nguyễn Mạnh Hùng"."""
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
                    page=p.page,
                    section=p.section,
                )
            )
    return out


def read_text(p: Passage) -> str:
    """What a reader read of a passage: its title and date head the text."""
    return f"{p.heading}\n{p.text}"


# --- turning a reply into a cited answer ------------------------------------------------------------
def finalize(
    query: Query,
    text: str,
    context: Context,
    backend: str,
    weight: Weight = _uniform,
    similarity: Similarity | None = None,
    off: Collection[str] = (),
    extra: list[Passage] | None = None,
) -> Answer:
    """A reply with valid markers only, repaired where allowed, each sentence's support scored.

    Citations number the shown passages first, then any passage of the retrieval pool (or of
    `extra`, found by a follow-up search) that a repair cites, after them (`[4]`).
    """
    passages = context.passages
    shown = {p.chunk_id for p in passages}
    candidates = list(passages) + [p for p in [*context.pool, *(extra or [])] if p.chunk_id not in shown]
    numbered = list(passages)
    text = join_marker_lists(collapse_repeats(drop_invalid_markers(text.strip(), len(passages))))
    question = query.text
    support: list[SentenceSupport] = []
    repaired: list[str] = []
    sentences = answer_sentences(text)
    bare = [s for s, cited in sentences if not cited]
    # a terse answer ("350.") is a fact too when a passage holds all of it
    bare_short = {
        s for s in bare if len(s.split()) < _MIN_FACT_WORDS and any(covers_fully(s, p.text, weight) for p in passages)
    }
    sims = similarity(bare, [p.text for p in passages]) if (similarity and bare and passages) else None
    for sentence, cited in sentences:
        if (
            not cited
            and passages
            and "attach_marker" not in off
            and (len(sentence.split()) >= _MIN_FACT_WORDS or sentence in bare_short)
        ):
            row = sims[bare.index(sentence)] if sims is not None else np.zeros(len(passages))
            cited = _attach(query, sentence, passages, row, weight)
            if cited:
                sentence = append_marker(sentence, cited[0])
        elif cited and passages and "repoint_marker" not in off:
            cited, sentence = _repoint(question, sentence, cited, passages, weight)
        if cited and "second_article" not in off:
            backing = [numbered[n - 1] for n in cited]
            for p in other_articles_backing(question, sentence, backing, candidates):
                if p not in numbered:
                    numbered.append(p)
                cited = [*cited, numbered.index(p) + 1]
                sentence = add_marker(sentence, cited[-1])
        bare_text = strip_markers(sentence)
        if cited:
            texts = [read_text(numbered[n - 1]) for n in cited]
            about = [numbered[n - 1].about for n in cited]
            check = check_sentence(bare_text, texts, question, weight, similarity if query.english else None, about)
            support.append(SentenceSupport(bare_text, tuple(cited), check.score, check.supported, check.reason))
        else:
            support.append(SentenceSupport(bare_text, (), 0.0, False, "cites no passage"))
        repaired.append(sentence)
    final = " ".join(repaired)
    numbers = parse_markers(final)
    return Answer(
        question=question,
        text=final,
        citations=cite(numbered, numbers, _quotes(numbered, numbers, support)),
        decision=ANSWERED,
        backend=backend,
        retrieved=context.pool,
        context=numbered,
        support=support,
    )


def _attach(query: Query, sentence: str, passages: list[Passage], sims: np.ndarray, weight: Weight) -> list[int]:
    """The shown passage that backs an unmarked sentence (key terms plus e5 similarity), if one does."""
    scores = [term_coverage(sentence, p.text, weight).unigrams + 0.5 * float(sims[i]) for i, p in enumerate(passages)]
    best = int(np.argmax(scores))
    if term_coverage(sentence, passages[best].text, weight).unigrams >= _ATTACH_MIN_COVERAGE:
        return [best + 1]
    if query.english:
        # an English sentence shares no words with Vietnamese passages: tie it by its numbers and names
        held = [i for i in np.argsort(scores)[::-1] if anchors_held(sentence, passages[i].text, query.text)]
        return [int(held[0]) + 1] if held else []
    return []


def _repoint(
    question: str, sentence: str, cited: list[int], passages: list[Passage], weight: Weight
) -> tuple[list[int], str]:
    """A model's marker that points at a passage not backing its sentence, moved to one that does.

    A small model may cite the first passage for a fact it read in the third ("… từ ngày
    11-14/10 [1]" where [1] says only "khai mạc ngày 11/10"). If the cited passages do not
    support the sentence and another shown passage does, on its own, the citation names that one.
    """
    bare = strip_markers(sentence)
    current = support_score(bare, [read_text(passages[n - 1]) for n in cited], question, weight)
    if supported(current):
        return cited, sentence
    scores = [support_score(bare, [read_text(p)], question, weight) for p in passages]
    best = int(np.argmax(scores))
    if not supported(scores[best]) or scores[best] <= current or best + 1 in cited:
        return cited, sentence
    return [best + 1], append_marker(bare, best + 1)


def other_articles_backing(
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


def missing_part_query(query: Query, answer: Answer) -> str:
    """A search for the event of a two-event question the answer's citations do not name, with what it adds.

    "Bộ trưởng … phát biểu ở cả hai sự kiện ITU Digital World 2021 và Tuần lễ Số Quốc tế 2022 là
    ai?" answered "Bộ trưởng Nguyễn Mạnh Hùng [1]" from a 2022 passage gives "Bộ trưởng … phát
    biểu ở cả hai sự kiện ITU Digital World 2021 là ai? Nguyễn Mạnh Hùng". "" when the question is
    not of that kind, nothing is cited, or the citations name both events.
    """
    if not query.parts or not answer.citations:
        return ""
    cited = [answer.context[c.n - 1] for c in answer.citations]
    have = set().union(*(set(syllables(read_text(p), fold=True)) for p in cited))
    missing = [[t for t in content_terms(part) if t not in have] for part in query.parts]
    best = max(range(len(query.parts)), key=lambda i: len(missing[i]))
    if len(missing[best]) < _MIN_QUESTION_PART:
        return ""
    asked = set(query.terms)
    words = [bare_word(w) for w in strip_markers(answer.text).split()]
    new = [w for w in dict.fromkeys(words) if (t := content_terms(w)) and t[0] not in asked]
    return f"{query.parts[best]} {' '.join(new)}".strip()


def _quotes(numbered: list[Passage], numbers: list[int], support: list[SentenceSupport]) -> dict[int, str]:
    """For each cited passage, its sentence that best covers the answer sentences citing it (if enough)."""
    quotes = {}
    for n in numbers:
        claims = [s.sentence for s in support if n in s.cited]
        best, best_score = "", _QUOTE_MIN_COVERAGE
        for span in split_sentences(numbered[n - 1].text):
            score = max((term_coverage(claim, span.text).unigrams for claim in claims), default=0.0)
            if score > best_score:
                best, best_score = span.text, score
        quotes[n] = best
    return quotes
