"""BM25 over folded syllables, compound words and syllable pairs, using bm25s's sparse matrices.

Pairs of neighbouring syllables ("hoc|phi") reward a question that keeps the corpus's word order
where pyvi's compounds miss (it segments questions and passages differently); on the external
sets' fit split they raised BM25's paragraph R@1 on the regulations from 0.828 to 0.871
(`benchmarks/retrieval_fusion.py`). They are made here from the stored terms, so the chunks in
the store need no new terms.

Built from the terms each chunk carries in the store (segmenting 100k chunks with pyvi would take
minutes), and saved beside the index so a start-up loads it instead of building it. It also keeps
the article listing the app shows, because reading every chunk back from the store at start-up
takes seconds at 100k chunks, and each article's first chunk id (`lead_ids`), so the retriever
reads an article's opening by id: Chroma's metadata-filtered read of first chunks was ~13 ms of a
~45 ms search at 15k chunks.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from itertools import pairwise
from pathlib import Path

import numpy as np

from assistant.index.store import StoredChunk
from assistant.lang.words import search_terms

log = logging.getLogger(__name__)

FORMAT = 3  # 2: syllable pairs; 3: lead chunk ids; a saved index of another format is rebuilt


def with_pairs(terms: list[str]) -> list[str]:
    """`terms` (from `search_terms`) plus each pair of neighbouring syllables."""
    syllables = [t for t in terms if "_" not in t]
    return terms + [f"{a}|{b}" for a, b in pairwise(syllables)]


class Bm25Index:
    """Lexical search and term rarity over the stored chunks."""

    def __init__(
        self,
        ids: list[str],
        docs: list[list[str]] | None = None,
        articles: list[dict] | None = None,
        pairs: bool = True,
        lead_ids: dict[str, str] | None = None,
    ) -> None:
        import bm25s

        self.ids = ids
        self.pairs = pairs  # whether `docs` carry syllable pairs (and queries get them too)
        # what the app's corpus tab lists (doc_id, title, date, source, chunks)
        self.articles = articles or []
        self.lead_ids = lead_ids or {}  # doc_id -> id of its first chunk (where it names its event)
        self._bm25 = bm25s.BM25()
        self._doc_freq: dict[str, int] = {}
        if docs is not None:
            for terms in docs:
                for t in set(terms):
                    if "|" not in t:  # rarity is asked of words, never of pairs: keep the saved file small
                        self._doc_freq[t] = self._doc_freq.get(t, 0) + 1
            if ids:
                self._bm25.index([d or ["_"] for d in docs], show_progress=False)

    @classmethod
    def from_chunks(cls, chunks: list[StoredChunk], pairs: bool = True) -> Bm25Index:
        docs = [
            str(c.metadata["terms"]).split()
            if "terms" in c.metadata
            else search_terms(f"{c.metadata.get('title', '')}\n{c.text}")
            for c in chunks
        ]
        if pairs:
            docs = [with_pairs(d) for d in docs]
        by_doc: dict[str, dict] = {}
        first: dict[str, tuple[int, str]] = {}
        for c in chunks:
            position = (int(c.metadata.get("index", 0)), c.id)
            if c.doc_id not in first or position < first[c.doc_id]:
                first[c.doc_id] = position
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
        lead_ids = {doc_id: cid for doc_id, (_, cid) in first.items()}
        return cls([c.id for c in chunks], docs, [by_doc[d] for d in sorted(by_doc)], pairs, lead_ids)

    def save(self, directory: Path, key: str) -> None:
        """Write the index and its key; a reader never sees a half-written cache (rename at the end)."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self._bm25.save(str(tmp / "bm25s"))
        meta = {
            "key": key,
            "format": FORMAT,
            "pairs": self.pairs,
            "ids": self.ids,
            "doc_freq": self._doc_freq,
            "articles": self.articles,
            "lead_ids": self.lead_ids,
        }
        (tmp / "index.json").write_text(json.dumps(meta))
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)

    @classmethod
    def load(cls, directory: Path, key: str, pairs: bool = True) -> Bm25Index | None:
        """The saved index if it was built for `key`, else None (missing, stale or unreadable)."""
        import bm25s

        try:
            meta = json.loads((directory / "index.json").read_text())
            if meta.get("key") != key or meta.get("format") != FORMAT or meta.get("pairs") != pairs:
                return None
            index = cls(meta["ids"], articles=meta["articles"], pairs=pairs, lead_ids=meta["lead_ids"])
            index._doc_freq = meta["doc_freq"]
            if index.ids:
                index._bm25 = bm25s.BM25.load(str(directory / "bm25s"))
            return index
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            log.warning("BM25 cache at %s unusable (%s); rebuilding it", directory, type(exc).__name__)
            return None

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        terms = search_terms(query)
        terms = with_pairs(terms) if self.pairs else terms
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
