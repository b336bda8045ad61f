"""Keep the store, the BM25 index and the article listing in step with the corpus folder.

Chunk ids are content hashes, so indexing is incremental: only new chunks are embedded, removed
ones are deleted. One lock serialises every change, so the app's upload and a re-index never
interleave; the retriever reloads its BM25 side after each change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.config import IndexSettings
from assistant.embeddings import MODEL_NAME, E5Embeddings
from assistant.errors import EmptyCorpusError, InvalidInputFileError
from assistant.index.store import ChunkStore, IndexReport
from assistant.ingest.chunking import chunk_corpus, tiktoken_counter
from assistant.ingest.corpus import find_repeated_passages, load_corpus
from assistant.ingest.upload import check_upload, write_atomically
from assistant.types import Article, Chunk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexedArticle:
    """One article as the store holds it (what the app's corpus tab lists)."""

    doc_id: str
    title: str
    date: str
    source: str
    chunks: int


@dataclass(frozen=True)
class CorpusStats:
    """What was read: the articles, their chunks and the passages repeated across them."""

    articles: list[Article]
    chunks: list[Chunk]
    repeated_passages: int | None  # None: not counted (corpus too large to compare pairwise)


def fingerprint(settings: IndexSettings) -> dict[str, str]:
    """Everything that changes the stored vectors; a different fingerprint forces a rebuild."""
    return {
        "embedding_model": MODEL_NAME,
        "tokenizer": settings.tokenizer,
        "chunk_tokens": str(settings.chunk_tokens),
        "chunk_overlap_tokens": str(settings.chunk_overlap_tokens),
    }


def bm25_cache_dir(settings: IndexSettings, model_cache_dir: Path) -> Path:
    """Where this replica keeps its BM25 index: beside the Chroma folder, or per server collection."""
    if settings.chroma_host:
        server = f"{settings.chroma_host}_{settings.chroma_port}".replace(":", "_").replace("/", "_")
        return model_cache_dir / "bm25" / f"{server}_{settings.collection}"
    return settings.persist_dir / f"bm25-{settings.collection}"


class Indexer:
    """Indexes the corpus folder into the store; `refresh` is called after every change."""

    def __init__(
        self,
        settings: IndexSettings,
        embedder: E5Embeddings,
        store: ChunkStore,
        refresh: Callable[[], None],
        duplicate_threshold: float,
    ) -> None:
        self.settings = settings
        self.duplicate_threshold = duplicate_threshold
        self.embedder = embedder
        self.store = store
        self.refresh = refresh
        self.lock = threading.RLock()

    def load_chunks(self) -> CorpusStats:
        s = self.settings
        articles = load_corpus(s.corpus_dir)
        if not articles:
            raise EmptyCorpusError(
                f"No readable .txt/.md article in {s.corpus_dir} (set ASSISTANT_CORPUS_DIR)",
                vi=f"Không có bài viết nào đọc được trong {s.corpus_dir}.",
            )
        chunks = chunk_corpus(articles, tiktoken_counter(s.tokenizer), s.chunk_tokens, s.chunk_overlap_tokens)
        if len(articles) <= s.duplicate_scan_max_articles:
            repeated: int | None = len(find_repeated_passages(articles, self.duplicate_threshold))
        else:
            repeated = None  # only logged; retrieval collapses duplicates among the passages it returns
        return CorpusStats(articles, chunks, repeated)

    def index(self, rebuild: bool = False) -> IndexReport:
        """Bring the store in line with the corpus folder (incremental unless `rebuild`)."""
        with self.lock:
            stats = self.load_chunks()
            log.info(
                "%d articles, %d chunks, %s paragraphs repeated across articles",
                len(stats.articles),
                len(stats.chunks),
                "uncounted" if stats.repeated_passages is None else stats.repeated_passages,
            )
            shown, self.embedder.show_progress = self.embedder.show_progress, False  # the store shows one bar
            try:
                report = self.store.sync(stats.chunks, self.embedder.embed_passages, rebuild=rebuild)
            finally:
                self.embedder.show_progress = shown
            self.refresh()
            return report

    def ensure_index(self) -> IndexReport | None:
        """Build the index if the store is empty (first run); otherwise leave it as it is."""
        if self.store.count() == 0:
            log.info("No index at %s yet: building it", self.store.location)
            return self.index()
        return None

    def add_article(self, file_name: str, raw: bytes, max_bytes: int) -> tuple[Article, IndexReport]:
        """Check an uploaded article, save it into the corpus folder and index it incrementally.

        Nothing changes unless every check passes; an existing article is never overwritten, and
        the saved file is removed again if indexing fails.
        """
        upload = check_upload(file_name, raw, max_bytes)
        with self.lock:
            corpus_dir = self.settings.corpus_dir
            taken = {p.stem for p in corpus_dir.iterdir() if p.is_file()} if corpus_dir.is_dir() else set()
            if upload.doc_id in taken:
                raise InvalidInputFileError(
                    f"An article with id {upload.doc_id!r} already exists; rename the file",
                    vi=f"Đã có bài viết mang tên {upload.doc_id}; hãy đổi tên tệp rồi thử lại.",
                )
            corpus_dir.mkdir(parents=True, exist_ok=True)
            target = corpus_dir / f"{upload.doc_id}.txt"
            write_atomically(target, upload.text)
            try:
                report = self.index()
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            return upload.article, report
