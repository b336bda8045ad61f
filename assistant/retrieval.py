"""Hybrid retrieval: dense (e5 in Chroma) and BM25 (bm25s over folded Vietnamese terms), fused.

Dense search finds paraphrases and English questions about Vietnamese text; BM25 finds exact
names, numbers and questions typed without diacritics (both sides of BM25 are folded, so
`chuyen doi so` matches `chuyển đổi số`). Reciprocal-rank fusion combines them without having to
calibrate their scores against each other. Passages that repeat another higher-ranked passage
(the same press release in two papers) are collapsed into it, keeping both article ids.

Whether the articles can answer the question at all is judged here first, before any LLM runs
(see `AnswerabilityModel`); its floors are calibrated on the project's own question set by
`benchmarks/calibrate_refusal.py`.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.embeddings import E5Embeddings
from assistant.store import ChunkStore, StoredChunk
from assistant.text import has_diacritics, is_english, overlap_ratio, search_terms, term_coverage

log = logging.getLogger(__name__)


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

    @property
    def doc_ids(self) -> tuple[str, ...]:
        """This passage's article and every article that repeats it."""
        return (self.doc_id, *self.also_in)


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages for a query, and whether they are good enough to answer from."""

    query: str
    passages: list[Passage]
    answerability: float
    answerable: bool
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerabilityModel:
    """Refuse before answering when the best passage is off-topic or lacks a number the question names.

    e5 similarities are compressed (related Vietnamese news scores 0.8-0.95), so the floor only
    catches questions about other subjects; near-miss questions ("how many 3D booths") are
    caught later by the answerer's own evidence check. English questions against Vietnamese
    passages score lower, so they have their own floor.
    """

    min_dense: float = 0.8
    min_dense_en: float = 0.78
    # e5 similarity drops for Vietnamese typed without diacritics; there, the folded BM25 terms
    # are the better witness, so near-full key-term coverage also counts as on-topic.
    min_coverage_folded: float = 0.75

    def answerable(self, features: dict[str, float]) -> bool:
        if features.get("missing_numbers"):
            return False
        if features.get("english"):
            return features["dense"] >= self.min_dense_en
        if features.get("folded") and features["coverage"] >= self.min_coverage_folded:
            return True
        return features["dense"] >= self.min_dense


class Bm25Index:
    """BM25 over folded syllables and compound words, using bm25s's sparse matrices."""

    def __init__(self, chunks: list[StoredChunk]) -> None:
        import bm25s

        self.ids = [c.id for c in chunks]
        self._bm25 = bm25s.BM25()
        docs = [search_terms(f"{c.metadata.get('title', '')}\n{c.text}") for c in chunks]
        self._doc_freq: dict[str, int] = {}
        for terms in docs:
            for t in set(terms):
                self._doc_freq[t] = self._doc_freq.get(t, 0) + 1
        if chunks:
            self._bm25.index([d or ["_"] for d in docs], show_progress=False)

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        terms = search_terms(query)
        if not self.ids or not terms:
            return []
        scores = self._bm25.get_scores(terms)
        top = np.argsort(-scores)[:n]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def idf(self, term: str) -> float:
        """Rarity of a term; a term absent from the corpus is the rarest of all."""
        n = len(self.ids)
        df = self._doc_freq.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


class HybridRetriever:
    """Dense + BM25 retrieval over a `ChunkStore`, fused by reciprocal rank."""

    def __init__(
        self,
        store: ChunkStore,
        embedder: E5Embeddings,
        candidates: int = 30,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        bm25_weight: float = 1.0,
        duplicate_threshold: float = 0.6,
        answerability: AnswerabilityModel | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.duplicate_threshold = duplicate_threshold
        self.answerability = answerability or AnswerabilityModel()
        self._chunks: dict[str, StoredChunk] = {}
        self._bm25: Bm25Index | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Read the store and build the BM25 side (idempotent; call `refresh` after re-indexing)."""
        if self._bm25 is None:
            self.refresh()

    def refresh(self) -> None:
        with self._lock:
            chunks = self.store.all_chunks()
            self._chunks = {c.id: c for c in chunks}
            self._bm25 = Bm25Index(chunks)
            self.embedder.warm_up()
            log.info("Retriever ready: %d chunks", len(chunks))

    def idf(self, term: str) -> float:
        """Rarity of a folded term in the indexed corpus (weights key terms in coverage scores)."""
        self.warm_up()
        assert self._bm25 is not None
        return self._bm25.idf(term)

    @property
    def chunk_count(self) -> int:
        self.warm_up()
        return len(self._chunks)

    def retrieve(self, query: str, k: int = 5, english: bool | None = None) -> Retrieval:
        """The `k` best passages for `query`, near-duplicates collapsed, with an answerability verdict.

        `english` says which language the user asked in (a condensed follow-up query may mix the
        Vietnamese history into an English question); guessed from `query` when not given.
        """
        self.warm_up()
        assert self._bm25 is not None
        qvec = self.embedder.embed_queries([query])[0]
        dense = self.store.query(qvec, self.candidates)
        lexical = self._bm25.search(query, self.candidates)
        fused = self._fuse(dense, lexical)
        passages = self._collapse_duplicates(fused)[:k]
        features = self._features(query, passages, dense)
        if english is not None:
            features["english"] = float(english)
        return Retrieval(
            query=query,
            passages=passages,
            answerability=features["dense"],
            answerable=bool(passages) and self.answerability.answerable(features),
            features=features,
        )

    def _fuse(self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]]) -> list[Passage]:
        scores: dict[str, float] = {}
        dense_by_id = dict(dense)
        bm25_by_id = dict(lexical)
        for rank, (cid, _) in enumerate(dense):
            scores[cid] = scores.get(cid, 0.0) + self.dense_weight / (self.rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(lexical):
            scores[cid] = scores.get(cid, 0.0) + self.bm25_weight / (self.rrf_k + rank + 1)
        ranked = sorted(scores, key=lambda c: (-scores[c], c))
        out = []
        for cid in ranked:
            chunk = self._chunks.get(cid)
            if chunk is None:  # in Chroma but not in our snapshot: stale snapshot, skip safely
                continue
            meta = chunk.metadata
            out.append(
                Passage(
                    chunk_id=cid,
                    doc_id=chunk.doc_id,
                    text=chunk.text,
                    title=str(meta.get("title", "")),
                    date=str(meta.get("date", "")),
                    source=str(meta.get("source", "")),
                    score=round(scores[cid], 6),
                    dense_score=round(dense_by_id.get(cid, 0.0), 6),
                    bm25_score=round(bm25_by_id.get(cid, 0.0), 6),
                    start=int(meta.get("start", 0)),
                    end=int(meta.get("end", 0)),
                )
            )
        return out

    def _collapse_duplicates(self, passages: list[Passage]) -> list[Passage]:
        kept: list[Passage] = []
        for p in passages:
            for i, q in enumerate(kept):
                if overlap_ratio(p.text, q.text) >= self.duplicate_threshold:
                    if p.doc_id not in q.doc_ids:
                        kept[i] = replace(q, also_in=(*q.also_in, p.doc_id))
                    break
            else:
                kept.append(p)
        return kept

    def _features(self, query: str, passages: list[Passage], dense: list[tuple[str, float]]) -> dict[str, float]:
        assert self._bm25 is not None
        cov = term_coverage(query, "\n".join(p.text for p in passages[:5]), self._bm25.idf)
        return {
            "dense": max((s for _, s in dense), default=0.0),
            "coverage": cov.score,
            "missing_numbers": float(cov.missing_numbers),
            "english": float(is_english(query)),
            "folded": float(not has_diacritics(query)),
        }
