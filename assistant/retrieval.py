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

import json
import logging
import math
import shutil
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from assistant.embeddings import E5Embeddings
from assistant.store import ChunkStore, StoredChunk, corpus_key
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
    translation: str = ""  # the query in the corpus's language, when it was asked in another


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
    """BM25 over folded syllables and compound words, using bm25s's sparse matrices.

    Built from the terms each chunk carries in the store (segmenting 100k chunks with pyvi would
    take minutes), and saved beside the index so a start-up loads it instead of building it.
    """

    def __init__(self, ids: list[str], docs: list[list[str]] | None = None, articles: list[dict] | None = None) -> None:
        import bm25s

        self.ids = ids
        # what the app's corpus tab lists (doc_id, title, date, source, chunks), kept with the index
        # because reading every chunk back from the store at start-up takes seconds at 100k chunks
        self.articles = articles or []
        self._bm25 = bm25s.BM25()
        self._doc_freq: dict[str, int] = {}
        if docs is not None:
            for terms in docs:
                for t in set(terms):
                    self._doc_freq[t] = self._doc_freq.get(t, 0) + 1
            if ids:
                self._bm25.index([d or ["_"] for d in docs], show_progress=False)

    @classmethod
    def from_chunks(cls, chunks: list[StoredChunk]) -> Bm25Index:
        docs = [
            str(c.metadata["terms"]).split()
            if "terms" in c.metadata
            else search_terms(f"{c.metadata.get('title', '')}\n{c.text}")
            for c in chunks
        ]
        by_doc: dict[str, dict] = {}
        for c in chunks:
            entry = by_doc.setdefault(
                c.doc_id,
                {
                    "doc_id": c.doc_id,
                    "title": str(c.metadata.get("title", "")),
                    "date": str(c.metadata.get("date", "")),
                    "source": str(c.metadata.get("source", "")),
                    "chunks": 0,
                },
            )
            entry["chunks"] += 1
        return cls([c.id for c in chunks], docs, [by_doc[d] for d in sorted(by_doc)])

    def save(self, directory: Path, key: str) -> None:
        """Write the index and its key; a reader never sees a half-written cache (rename at the end)."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self._bm25.save(str(tmp / "bm25s"))
        meta = {"key": key, "ids": self.ids, "doc_freq": self._doc_freq, "articles": self.articles}
        (tmp / "index.json").write_text(json.dumps(meta))
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)

    @classmethod
    def load(cls, directory: Path, key: str) -> Bm25Index | None:
        """The saved index if it was built for `key`, else None (missing, stale or unreadable)."""
        import bm25s

        try:
            meta = json.loads((directory / "index.json").read_text())
            if meta.get("key") != key:
                return None
            index = cls(meta["ids"], articles=meta["articles"])
            index._doc_freq = meta["doc_freq"]
            if index.ids:
                index._bm25 = bm25s.BM25.load(str(directory / "bm25s"))
            return index
        except (OSError, ValueError, KeyError) as exc:
            log.warning("BM25 cache at %s unusable (%s); rebuilding it", directory, type(exc).__name__)
            return None

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        terms = search_terms(query)
        if not self.ids or not terms:
            return []
        scores = self._bm25.get_scores(terms)
        # the n best without sorting every score: at 100k chunks a full argsort is most of the search
        top = np.argpartition(-scores, n)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
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
        bm25_cache: Path | None = None,
    ) -> None:
        self.store = store
        self.bm25_cache = bm25_cache
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.duplicate_threshold = duplicate_threshold
        self.answerability = answerability or AnswerabilityModel()
        self._bm25: Bm25Index | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Read the store and build the BM25 side (idempotent; call `refresh` after re-indexing)."""
        if self._bm25 is None:
            self.refresh()

    def refresh(self) -> None:
        """Load the BM25 index saved for the store's current chunks, or build (and save) it."""
        with self._lock:
            key = self.store.corpus_key()
            index = Bm25Index.load(self.bm25_cache, key) if key and self.bm25_cache else None
            if index is None:
                chunks = self.store.all_chunks()
                index = Bm25Index.from_chunks(chunks)
                key = key or corpus_key(c.id for c in chunks)
                if self.bm25_cache and chunks:
                    index.save(self.bm25_cache, key)
                log.info("BM25 built for %d chunks", len(chunks))
            self._bm25 = index
            self.embedder.warm_up()
            log.info("Retriever ready: %d chunks", len(index.ids))

    def idf(self, term: str) -> float:
        """Rarity of a folded term in the indexed corpus (weights key terms in coverage scores)."""
        self.warm_up()
        assert self._bm25 is not None
        return self._bm25.idf(term)

    def articles(self) -> list[dict]:
        """The indexed articles (doc_id, title, date, source, chunks), in doc-id order."""
        self.warm_up()
        assert self._bm25 is not None
        return self._bm25.articles

    @property
    def chunk_count(self) -> int:
        self.warm_up()
        assert self._bm25 is not None
        return len(self._bm25.ids)

    def retrieve(
        self, query: str, k: int = 5, english: bool | None = None, translation: str | None = None
    ) -> Retrieval:
        """The `k` best passages for `query`, near-duplicates collapsed, with an answerability verdict.

        `english` says which language the user asked in (a condensed follow-up query may mix the
        Vietnamese history into an English question); guessed from `query` when not given.
        `translation` is the question in the corpus's language: it then carries the ranking
        (its dense and BM25 lists) beside `query`'s dense list, whose BM25 list, English words
        against Vietnamese text, only adds noise. The verdict stays on `query`, because a small
        model's translation may add words (even an answer) that the question did not hold.
        """
        self.warm_up()
        assert self._bm25 is not None
        texts = [query, translation] if translation else [query]
        vectors = self.embedder.embed_queries(texts)
        dense = self.store.query(vectors[0], self.candidates)
        if translation:
            lists = [
                (self.dense_weight, dense),
                (self.dense_weight, self.store.query(vectors[1], self.candidates)),
                (self.bm25_weight, self._bm25.search(translation, self.candidates)),
            ]
        else:
            lists = [(self.dense_weight, dense), (self.bm25_weight, self._bm25.search(query, self.candidates))]
        fused = self._fuse(lists)
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
            translation=translation or "",
        )

    def _fuse(self, lists: list[tuple[float, list[tuple[str, float]]]]) -> list[Passage]:
        """Weighted reciprocal-rank fusion of (weight, ranking) lists: dense ones first, BM25 last."""
        scores: dict[str, float] = {}
        dense_by_id = dict(lists[0][1])
        bm25_by_id = dict(lists[-1][1])
        for weight, ranking in lists:
            for rank, (cid, _) in enumerate(ranking):
                scores[cid] = scores.get(cid, 0.0) + weight / (self.rrf_k + rank + 1)
        ranked = sorted(scores, key=lambda c: (-scores[c], c))
        stored = self.store.get(ranked)  # texts come from the store: nothing held in memory per chunk
        out = []
        for cid in ranked:
            chunk = stored.get(cid)
            if chunk is None:  # listed by a stale BM25 index but gone from the store: skip safely
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
