"""BM25 over folded syllables and compound words, using bm25s's sparse matrices.

Built from the terms each chunk carries in the store (segmenting 100k chunks with pyvi would take
minutes), and saved beside the index so a start-up loads it instead of building it. It also keeps
the article listing the app shows, because reading every chunk back from the store at start-up
takes seconds at 100k chunks.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from pathlib import Path

import numpy as np

from assistant.index.store import StoredChunk
from assistant.lang.words import search_terms

log = logging.getLogger(__name__)


class Bm25Index:
    """Lexical search and term rarity over the stored chunks."""

    def __init__(self, ids: list[str], docs: list[list[str]] | None = None, articles: list[dict] | None = None) -> None:
        import bm25s

        self.ids = ids
        # what the app's corpus tab lists (doc_id, title, date, source, chunks)
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
        except FileNotFoundError:
            return None
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
