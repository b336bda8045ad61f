"""Select what a reader is shown: the best passages, each cut to its best sentences, numbered.

The same context serves every answerer: the extractive answer quotes its best sentences, a model
reads them. Prefill is most of the wait on a CPU, so a model reads a few sentences rather than
whole chunks; the citation still points at (and shows) the whole passage.

A sentence is scored by its e5 similarity to the question plus how many of the question's key
terms it holds (weighted by corpus rarity and by rarity among the candidates: terms in most
candidate sentences name the topic every passage shares, the asked-for detail is in few), minus
a little per rank of its passage. Sentences that hold an answer of the asked-for kind (a number
for "bao nhiêu", a date for "khi nào", a name for "ai", a titled person first) rank first.
Passages rank by their best sentence; their sentences are taken round robin (each passage's
best, then each one's second best) while they fit a token budget.

A question with enough key terms of its own is ranked on its own words (ranked against the
condensed follow-up query, "Ông ấy nói gì về …?" got the sentences that answered the previous
turn); a bare "Nó diễn ra khi nào?" uses the condensed query, which holds its subject.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from assistant.config import ContextSettings
from assistant.embeddings import E5Embeddings
from assistant.lang import phrase_pattern
from assistant.lang.detect import looks_like_instruction
from assistant.lang.facts import date_like, numbers_in
from assistant.lang.names import capitalised_names, names_new_person
from assistant.lang.normalize import fold
from assistant.lang.sentences import Span, split_sentences
from assistant.lang.words import syllables, term_coverage
from assistant.types import Context, Passage, Query, Retrieval, ScoredSentence

_MIN_WORDS = 6  # headings and captions are too short to answer anything
_COVERAGE_WEIGHT = 0.5
_RANK_WEIGHT = 0.02

Weight = Callable[[str], float]
CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class _Candidate:
    n: int  # passage number in the pool, 1-based
    span: Span
    text: str
    score: float = 0.0
    typed: bool = False  # holds an answer of the asked-for kind
    person: bool = False  # names a titled person the question does not


def has_answer_of_type(query: Query, text: str) -> bool:
    """Does `text` hold something new of the kind the question asks for (a number, a date, a name)?"""
    if query.answer_type == "quantity":
        return bool(numbers_in(text) - query.numbers)
    if query.answer_type == "time":
        return bool(date_like(fold(text)) - query.dates)
    if query.answer_type == "person":
        return any(fold(name) not in query.folded for name in capitalised_names(text))
    return True


class ContextBuilder:
    """Ranks the sentences of the retrieved passages and picks what the reader is shown."""

    def __init__(self, embedder: E5Embeddings, settings: ContextSettings, count_tokens: CountTokens, idf: Weight):
        self.embedder = embedder
        self.settings = settings
        self.count_tokens = count_tokens
        self.idf = idf

    def build(self, query: Query, retrieval: Retrieval, top_k: int | None = None) -> Context:
        s = self.settings
        top_k = top_k or s.top_k
        pool = retrieval.passages[: min(s.context_pool, s.sentence_pool)]
        candidates = _candidates(pool)
        if not candidates:
            shown = pool[:top_k]
            return Context(query, shown, [p.text for p in shown], [], retrieval.passages)
        ranked = self._rank(query, candidates)
        per_passage: dict[int, list[_Candidate]] = {}
        for c in ranked:
            per_passage.setdefault(c.n, []).append(c)
        order = list(per_passage)[:top_k]
        if s.complete_margin:
            order = self._complete(query, list(per_passage), top_k, per_passage, pool)
        if s.passage_margin and query.self_contained:
            top = per_passage[order[0]][0].score
            order = [order[0]] + [n for n in order[1:] if per_passage[n][0].score >= top - s.passage_margin]
        order, texts = self._texts(order, per_passage, pool)
        shown = [pool[n - 1] for n in order]
        renumber = {n: i for i, n in enumerate(order, start=1)}
        sentences = [
            ScoredSentence(renumber[c.n], c.text, c.span.start, c.span.end, round(c.score, 4), c.typed)
            for c in ranked
            if c.n in renumber
        ]
        return Context(query, shown, texts, sentences, retrieval.passages)

    def _texts(
        self, order: list[int], per_passage: dict[int, list[_Candidate]], pool: list[Passage]
    ) -> tuple[list[int], list[str]]:
        """The passages that get a sentence within the budget, and their best sentences (round robin).

        With no sentence limit, whole passages. A passage none of whose sentences fits is not shown.
        """
        s = self.settings
        if not s.passage_sentences:
            return order, [pool[n - 1].text for n in order]
        picked: list[_Candidate] = []
        spent = 0
        for round_ in range(s.passage_sentences):
            for n in order:
                if round_ < len(per_passage[n]):
                    c = per_passage[n][round_]
                    cost = self.count_tokens(c.text) if s.context_budget_tokens else 0
                    if not s.context_budget_tokens or not picked or spent + cost <= s.context_budget_tokens:
                        picked.append(c)
                        spent += cost
        order = [n for n in order if any(c.n == n for c in picked)]
        texts = []
        for n in order:
            mine = sorted((c for c in picked if c.n == n), key=lambda c: c.span.start)
            text, end = "", -1
            for c in mine:  # merged back-references may overlap their predecessor
                if c.span.start >= end:
                    text = f"{text} {c.text}".strip()
                    end = c.span.end
            texts.append(text)
        return order, texts

    def _rank(self, query: Query, candidates: list[_Candidate]) -> list[_Candidate]:
        """Candidates scored and sorted: answers of the asked-for kind first, then by score."""
        own = query.self_contained
        terms_query = query.text if own else query.standalone
        if query.search_vi:
            terms_query = f"{terms_query}\n{query.search_vi}"
        similarity_query = query.restored if own else terms_query
        q = self.embedder.embed_queries([similarity_query])[0]
        similarity = self.embedder.embed_passages([c.text for c in candidates]) @ q
        local_df = Counter(t for c in candidates for t in set(syllables(c.text, fold=True)))
        n = len(candidates)

        def weight(term: str) -> float:
            return self.idf(term) * (1.0 - local_df.get(term, 0) / (n + 1))

        person = query.answer_type == "person"
        scored = []
        for c, sim in zip(candidates, similarity, strict=True):
            coverage = term_coverage(terms_query, c.text, weight).score
            score = float(sim) + _COVERAGE_WEIGHT * coverage - _RANK_WEIGHT * (c.n - 1)
            scored.append(
                _Candidate(
                    c.n,
                    c.span,
                    c.text,
                    score,
                    has_answer_of_type(query, c.text),
                    person and names_new_person(query.text, c.text),
                )
            )
        return sorted(scored, key=lambda c: (not c.typed, person and not c.person, -c.score, c.n, c.span.start))

    def _complete(
        self,
        query: Query,
        ranked: list[int],
        top_k: int,
        sentences: dict[int, list[_Candidate]],
        pool: list[Passage],
    ) -> list[int]:
        """The best `top_k` passages, the last swapped for a lower one that holds what they miss.

        A question about two events ("… ở cả hai sự kiện ITU Digital World 2021 và Tuần lễ Số
        Quốc tế 2022") can get its best passages all from one article; the other event's name
        or year is then missing. A lower-ranked passage that brings a missing number, or clearly
        more of the key terms, takes the last place.
        """
        order = ranked[:top_k]
        if len(order) < top_k or len(ranked) == len(order):
            return order
        per = self.settings.passage_sentences or 1

        def coverage(ns: list[int]) -> tuple[int, float]:
            text = "\n".join(f"{pool[n - 1].title}\n{c.text}" for n in ns for c in sentences[n][:per])
            cov = term_coverage(query.text, text, self.idf)
            return (-cov.missing_numbers, cov.score)

        best, best_cov = order, coverage(order)
        for n in ranked[top_k:]:
            trial = [*order[:-1], n]
            cov = coverage(trial)
            if cov[0] > best_cov[0] or (
                cov[0] == best_cov[0] and cov[1] >= best_cov[1] + self.settings.complete_margin
            ):
                best, best_cov = trial, cov
        return best


def _candidates(passages: list[Passage]) -> list[_Candidate]:
    """Sentences long enough to answer, no instructions to a model; a back-reference brings its predecessor."""
    back = phrase_pattern("back_references")
    out = []
    for n, p in enumerate(passages, start=1):
        spans = split_sentences(p.text)
        for i, span in enumerate(spans):
            if len(span.text.split()) < _MIN_WORDS or looks_like_instruction(span.text):
                continue
            if i > 0 and back.match(fold(span.text)):
                prev = spans[i - 1]
                if len(prev.text.split()) >= _MIN_WORDS:
                    span = Span(p.text[prev.start : span.end], prev.start, span.end)
            out.append(_Candidate(n, span, span.text))
    return out
