"""The `extractive` backend: answer with the passages' own best sentences, each cited.

No LLM, so it is deterministic, instant and always available: the default when no model is
configured, what most tests use, and the fallback when an LLM backend fails. A sentence is scored
by its e5 similarity to the question plus how many of the question's key terms (weighted by
rarity) it contains; a sentence that opens with a back-reference ("Đây là…", "Và đó…") brings the
sentence before it along so the quote makes sense on its own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from assistant.citations import Answer, SentenceSupport, append_marker, cite
from assistant.embeddings import E5Embeddings
from assistant.prompts import load_prompt, refusal_text
from assistant.retrieval import Passage, Retrieval
from assistant.text import (
    Span,
    answer_type,
    content_terms,
    fold_diacritics,
    has_answer_of_type,
    is_english,
    looks_like_instruction,
    names_a_person,
    split_sentences,
    syllables,
    term_coverage,
)

_MIN_WORDS = 6  # headings and captions are too short to answer anything
_BACK_REFERENCE = re.compile(r"^(va |nhung |do |day |dieu nay|dieu do|viec nay|nhu vay|vi vay)")
_COVERAGE_WEIGHT = 0.5
_RANK_WEIGHT = 0.02
_SECOND_SENTENCE_MARGIN = 0.03
_MIN_CHECKABLE_TERMS = 3


@dataclass(frozen=True)
class _Candidate:
    n: int  # passage number, 1-based
    span: Span
    text: str
    score: float = 0.0


class ExtractiveAnswerer:
    """Selects and cites the sentences of the retrieved passages that best answer the question."""

    name = "extractive"

    def __init__(self, embedder: E5Embeddings, max_sentences: int = 2, min_coverage: float = 0.0) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.min_coverage = min_coverage

    def answer(self, question: str, retrieval: Retrieval, idf=None, max_passages: int = 5) -> Answer:
        """`idf(term)` weighs key terms by rarity (the retriever's BM25 statistics); uniform if absent."""
        english = is_english(question)
        passages = retrieval.passages[:max_passages]
        if not retrieval.answerable or not passages:
            return refusal(question, self.name, retrieval.passages, english)
        candidates = self._candidates(passages)
        if not candidates:
            return refusal(question, self.name, retrieval.passages, english)
        scored = self._score(retrieval.query, candidates, idf or (lambda _t: 1.0))
        # a "how many" question needs a number, "when" a date, "who" a name: no such sentence, no answer
        scored = [c for c in scored if has_answer_of_type(question, c.text)]
        if not scored:
            return refusal(question, self.name, retrieval.passages, english)
        chosen = self._choose(scored, passages)
        # the passages quoted must contain most of what the question is about, else the quote
        # answers a neighbouring question ("giá cước 5G" answered with "Hội nghị ASEAN về 5G")
        # (measured on the user's own words: a follow-up's condensed query carries the history's
        # terms, and "Nó diễn ra khi nào?" names nothing to check, so it is not checked)
        cited_text = "\n".join(passages[n - 1].text for n in {c.n for c in chosen})
        coverage = term_coverage(question, cited_text, idf or (lambda _t: 1.0)).score
        checkable = len(content_terms(question)) >= _MIN_CHECKABLE_TERMS
        if checkable and coverage < self.min_coverage and not english:
            answer = refusal(question, self.name, retrieval.passages, english)
            answer.features = {"coverage": coverage}
            return answer
        chosen.sort(key=lambda c: (c.n, c.span.start))
        parts = [append_marker(c.text, c.n) for c in chosen]
        preamble = load_prompt("extractive_preamble_en") + " " if english else ""
        numbers = list(dict.fromkeys(c.n for c in chosen))
        quotes = {n: " ".join(c.text for c in chosen if c.n == n) for n in numbers}
        return Answer(
            question=question,
            text=preamble + " ".join(parts),
            citations=cite(passages, numbers, quotes),
            refused=False,
            backend=self.name,
            retrieved=retrieval.passages,
            support=[SentenceSupport(c.text, (c.n,), 1.0, True) for c in chosen],
            features={"coverage": coverage},
        )

    def focus(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        idf=None,
        max_passages: int = 3,
        max_sentences: int = 2,
        budget: int = 0,
        count: Callable[[str], int] | None = None,
        similarity_query: str | None = None,
        complete_margin: float = 0.0,
        passage_margin: float = 0.0,
    ) -> list[tuple[Passage, str]]:
        """The passages an LLM should answer from, each cut to its best sentences, best passage first.

        Sentences are ranked as for the extractive answer (similarity, rare key terms, and holding
        an answer of the asked-for kind); passages by their best sentence. Prefill is most of the
        wait on a CPU, so the model reads a few sentences rather than whole chunks; the citation
        still points at (and shows) the whole passage. Sentences are taken round robin (each
        passage's best, then each one's second best) while they fit a token `budget` (counted by
        `count`; 0 = no cap): a follow-up's dates may sit in the third passage, and a third
        passage's second-best sentence rarely helps. `similarity_query` (default `query`) is what
        e5 compares sentences with, e.g. the question with its diacritics restored, while key
        terms are still counted on `query` as typed. `complete_margin` > 0 lets a lower passage
        take the last place when it holds what the others miss (`_complete`). `passage_margin`
        > 0 leaves out a passage whose best sentence scores that much below the first's.
        """
        candidates = self._candidates(passages)
        if not candidates:
            return [(p, p.text) for p in passages[:max_passages]]
        scored = self._score(query, candidates, idf or (lambda _t: 1.0), similarity_query)
        person = answer_type(question) == "person"
        ranked = sorted(
            scored,
            key=lambda c: (
                not has_answer_of_type(question, c.text),
                person and not names_a_person(question, c.text),
                -c.score,
            ),
        )
        ranked_passages: list[int] = list(dict.fromkeys(c.n for c in ranked))
        per_passage = {n: [c for c in ranked if c.n == n][:max_sentences] for n in ranked_passages}
        order = ranked_passages[:max_passages]
        if complete_margin:
            order = self._complete(question, ranked_passages, max_passages, per_passage, passages, idf, complete_margin)
        if passage_margin:
            top = per_passage[order[0]][0].score
            order = [order[0]] + [n for n in order[1:] if per_passage[n][0].score >= top - passage_margin]
        # round robin: every passage's best sentence before any passage's second one, while they fit
        picked: list[_Candidate] = []
        spent = 0
        for round_ in range(max_sentences):
            for n in order:
                if round_ < len(per_passage[n]):
                    c = per_passage[n][round_]
                    cost = count(c.text) if budget and count else 0
                    if not budget or not picked or spent + cost <= budget:
                        picked.append(c)
                        spent += cost
        order = [n for n in order if any(c.n == n for c in picked)]
        out = []
        for n in order:
            mine = sorted((c for c in picked if c.n == n), key=lambda c: c.span.start)
            text, end = "", -1
            for c in mine:  # merged back-references may overlap their predecessor
                if c.span.start >= end:
                    text = f"{text} {c.text}".strip()
                    end = c.span.end
            out.append((passages[n - 1], text))
        return out

    def _complete(
        self,
        question: str,
        ranked: list[int],
        max_passages: int,
        sentences: dict[int, list[_Candidate]],
        passages: list[Passage],
        idf,
        margin: float,
    ) -> list[int]:
        """The best `max_passages` passages, the last swapped for a lower one that holds what they miss.

        A question about two events ("… ở cả hai sự kiện ITU Digital World 2021 và Tuần lễ Số
        Quốc tế 2022") can get its best passages all from one article; the other event's name
        or year is then missing and the evidence check refuses. A lower-ranked passage that
        brings a missing number, or clearly more of the key terms, takes the last place.
        """
        order = ranked[:max_passages]
        if len(order) < max_passages or len(ranked) == len(order):
            return order

        def coverage(ns: list[int]):
            text = "\n".join(f"{passages[n - 1].title}\n{c.text}" for n in ns for c in sentences[n])
            cov = term_coverage(question, text, idf or (lambda _t: 1.0))
            return (-cov.missing_numbers, cov.score)

        best, best_cov = order, coverage(order)
        for n in ranked[max_passages:]:
            trial = [*order[:-1], n]
            cov = coverage(trial)
            if cov[0] > best_cov[0] or (cov[0] == best_cov[0] and cov[1] >= best_cov[1] + margin):
                best, best_cov = trial, cov
        return best

    def _candidates(self, passages: list[Passage]) -> list[_Candidate]:
        out = []
        for n, p in enumerate(passages, start=1):
            spans = split_sentences(p.text)
            for i, span in enumerate(spans):
                if len(span.text.split()) < _MIN_WORDS or looks_like_instruction(span.text):
                    continue
                text = span.text
                folded = fold_diacritics(text.lower())
                if i > 0 and _BACK_REFERENCE.match(folded):
                    prev = spans[i - 1]
                    if len(prev.text.split()) >= _MIN_WORDS:
                        text = p.text[prev.start : span.end]
                        span = Span(text, prev.start, span.end)
                out.append(_Candidate(n, span, text))
        return out

    def _score(
        self, query: str, candidates: list[_Candidate], idf, similarity_query: str | None = None
    ) -> list[_Candidate]:
        q = self.embedder.embed_queries([similarity_query or query])[0]
        vectors = self.embedder.embed_passages([c.text for c in candidates])
        similarity = vectors @ q
        # Terms in most candidate sentences name the topic every passage shares ("ITU Digital
        # World 2021"); the asked-for detail ("đến thăm", "160.000 người") is in few. Weight terms
        # by corpus rarity times rarity among the candidates.
        local_df = Counter(t for c in candidates for t in set(syllables(c.text, fold=True)))
        n = len(candidates)

        def weight(term: str) -> float:
            return idf(term) * (1.0 - local_df.get(term, 0) / (n + 1))

        out = []
        for c, sim in zip(candidates, similarity, strict=True):
            coverage = term_coverage(query, c.text, weight).score
            score = float(sim) + _COVERAGE_WEIGHT * coverage - _RANK_WEIGHT * (c.n - 1)
            out.append(_Candidate(c.n, c.span, c.text, score))
        return sorted(out, key=lambda c: (-c.score, c.n, c.span.start))

    def _choose(self, scored: list[_Candidate], passages: list[Passage]) -> list[_Candidate]:
        best = scored[0]
        chosen = [best]
        for c in scored[1:]:
            if len(chosen) >= self.max_sentences or c.score < best.score - _SECOND_SENTENCE_MARGIN:
                break
            overlaps = any(c.n == o.n and c.span.start < o.span.end and o.span.start < c.span.end for o in chosen)
            if not overlaps:
                chosen.append(c)
        return chosen


def refusal(question: str, backend: str, retrieved: list[Passage], english: bool) -> Answer:
    """The refusal answer: one sentence, no citations."""
    return Answer(
        question=question,
        text=refusal_text(english),
        citations=[],
        refused=True,
        backend=backend,
        retrieved=retrieved,
    )
