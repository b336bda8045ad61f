"""Hybrid retrieval: dense (e5 in Chroma) and BM25 (bm25s over folded Vietnamese terms), fused.

Dense search finds paraphrases and English questions about Vietnamese text; BM25 finds exact
names, numbers and questions typed without diacritics (both sides of BM25 are folded, so
`chuyen doi so` matches `chuyển đổi số`). Each list's scores are scaled to 0..1 over its own
candidates and summed with weights (`fused_scores`), so neither side's raw scale has to be
calibrated against the other's, and a clear lead on one side is kept. Passages that repeat another higher-ranked passage
(the same press release in two papers) are collapsed into it, keeping both article ids.

An English question's Vietnamese search form (`Query.search_vi`) carries the ranking with its
own dense and BM25 lists, beside the question's dense list; an English question without one is
ranked by its dense list alone (its BM25 list, English words against Vietnamese text, only adds
noise). Whether the passages can answer is not judged here: that is `decide.py`'s.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

from assistant.config import RetrievalSettings
from assistant.embeddings import E5Embeddings
from assistant.index.bm25 import Bm25Index
from assistant.index.store import ChunkStore, corpus_key
from assistant.lang.sentences import split_sentences
from assistant.lang.words import overlap_ratio
from assistant.types import Passage, Query, Retrieval

log = logging.getLogger(__name__)


def fused_scores(lists: list[tuple[float, list[tuple[str, float]]]], fusion: str, rrf_k: int) -> dict[str, float]:
    """One score per candidate of the (weight, [(id, score)]) lists.

    `scores` (the default): each list's scores scaled to 0..1 over its own candidates, then summed
    with the lists' weights. Unlike reciprocal rank this keeps how far ahead a list's first
    candidate is. On the external sets' fit split it raised paragraph R@1 over RRF (regulations
    0.865 -> 0.883, Wikipedia 0.915 -> 0.952, with BM25's syllable pairs; the run is
    `benchmarks/retrieval_fusion.py`). `rrf`: weighted reciprocal rank with constant `rrf_k`.
    """
    scores: dict[str, float] = {}
    for weight, ranking in lists:
        if fusion == "rrf":
            for rank, (cid, _) in enumerate(ranking):
                scores[cid] = scores.get(cid, 0.0) + weight / (rrf_k + rank + 1)
            continue
        values = [v for _, v in ranking]
        lo, hi = min(values, default=0.0), max(values, default=0.0)
        for cid, v in ranking:
            scores[cid] = scores.get(cid, 0.0) + weight * ((v - lo) / (hi - lo) if hi > lo else 1.0)
    return scores


class HybridRetriever:
    """Dense + BM25 retrieval over a `ChunkStore`, fused by reciprocal rank."""

    def __init__(
        self, store: ChunkStore, embedder: E5Embeddings, settings: RetrievalSettings, bm25_cache: Path | None
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.bm25_cache = bm25_cache
        self._bm25: Bm25Index | None = None
        self._leads: dict[str, str] = {}  # doc_id -> opening sentence, for the index `_bm25` was built on
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Read the store and build the BM25 side (idempotent; call `refresh` after re-indexing)."""
        if self._bm25 is None:
            self.refresh()

    def refresh(self) -> None:
        """Load the BM25 index saved for the store's current chunks, or build (and save) it."""
        with self._lock:
            key = self.store.corpus_key()
            pairs = self.settings.bm25_pairs
            index = Bm25Index.load(self.bm25_cache, key, pairs) if key and self.bm25_cache else None
            if index is None:
                chunks = self.store.all_chunks()
                index = Bm25Index.from_chunks(chunks, pairs)
                key = key or corpus_key(c.id for c in chunks)
                if self.bm25_cache and chunks:
                    index.save(self.bm25_cache, key)
                log.info("BM25 built for %d chunks", len(chunks))
            self._bm25 = index
            self._leads = {}
            self.embedder.warm_up()
            log.info("Retriever ready: %d chunks", len(index.ids))

    @property
    def bm25(self) -> Bm25Index:
        self.warm_up()
        assert self._bm25 is not None
        return self._bm25

    def idf(self, term: str) -> float:
        """Rarity of a folded term in the indexed corpus (weights key terms in coverage scores)."""
        return self.bm25.idf(term)

    def articles(self) -> list[dict]:
        """The indexed articles (doc_id, title, date, source, chunks), in doc-id order."""
        return self.bm25.articles

    @property
    def chunk_count(self) -> int:
        return len(self.bm25.ids)

    def retrieve(self, query: Query, k: int) -> Retrieval:
        """The `k` best passages for `query`, near-duplicates collapsed."""
        s = self.settings
        texts = [query.standalone, query.search_vi] if query.search_vi else [query.standalone]
        vectors = self.embedder.embed_queries(texts)
        dense = self.store.query(vectors[0], s.candidates)
        if query.search_vi:
            lists = [
                (s.dense_weight, dense),
                (s.dense_weight, self.store.query(vectors[1], s.candidates)),
                (s.bm25_weight, self.bm25.search(query.search_vi, s.candidates)),
            ]
        elif query.english:
            # English words against Vietnamese text: BM25 only adds noise. On the external sets' fit
            # split, English R@1 0.184 -> 0.367 (regulations) and 0.625 -> 0.896 (Wikipedia) without it.
            lists = [(s.dense_weight, dense)]
        else:
            lists = [(s.dense_weight, dense), (s.bm25_weight, self.bm25.search(query.standalone, s.candidates))]
        passages = self._with_leads(self._collapse_duplicates(self._fuse(lists))[:k])
        return Retrieval(query=query, passages=passages, best_dense=max((v for _, v in dense), default=0.0))

    def _with_leads(self, passages: list[Passage]) -> list[Passage]:
        """Each passage with its article's opening sentence (`Passage.about`).

        Kept per article until the next `refresh`; an article not seen yet is read by its first
        chunk's id (`Bm25Index.lead_ids`), which costs ~1 ms where Chroma's metadata-filtered read
        of first chunks cost ~13 ms at 15k chunks.
        """
        leads = self._leads
        missing = sorted({p.doc_id for p in passages} - leads.keys())
        if missing:
            lead_ids = self.bm25.lead_ids
            stored = self.store.get([lead_ids[d] for d in missing if d in lead_ids])
            texts = {c.doc_id: c.text for c in stored.values()}
            for doc_id in missing:
                sentences = split_sentences(texts.get(doc_id, ""))
                leads[doc_id] = sentences[0].text if sentences else ""
        return [replace(p, about=leads[p.doc_id]) for p in passages]

    def search(self, text: str, k: int) -> list[Passage]:
        """Plain-text hybrid search (a follow-up search for a part an answer's citations miss)."""
        vector = self.embedder.embed_queries([text])[0]
        lists = [
            (self.settings.dense_weight, self.store.query(vector, self.settings.candidates)),
            (self.settings.bm25_weight, self.bm25.search(text, self.settings.candidates)),
        ]
        return self._collapse_duplicates(self._fuse(lists))[:k]

    def lexical_texts(self, text: str, n: int) -> list[str]:
        """Texts of the `n` best BM25 matches of `text` (how the corpus spells a question's words)."""
        hits = self.bm25.search(text, n)
        stored = self.store.get([cid for cid, _ in hits])
        return [stored[cid].text for cid, _ in hits if cid in stored]

    def _fuse(self, lists: list[tuple[float, list[tuple[str, float]]]]) -> list[Passage]:
        """The passages of (weight, ranking) lists, dense ones first and BM25 last, fused by `fused_scores`."""
        scores = fused_scores(lists, self.settings.fusion, self.settings.rrf_k)
        dense_by_id = dict(lists[0][1])
        bm25_by_id = dict(lists[-1][1]) if len(lists) > 1 else {}
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
                    page=int(meta["page"]) if meta.get("page") else None,
                    section=str(meta.get("section", "")),
                )
            )
        return out

    def _collapse_duplicates(self, passages: list[Passage]) -> list[Passage]:
        kept: list[Passage] = []
        for p in passages:
            for i, q in enumerate(kept):
                if overlap_ratio(p.text, q.text) >= self.settings.duplicate_threshold:
                    if p.doc_id not in q.doc_ids:
                        kept[i] = replace(q, also_in=(*q.also_in, p.doc_id))
                    break
            else:
                kept.append(p)
        return kept
