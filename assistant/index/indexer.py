"""Keep the store, the BM25 index and the article listing in step with the corpus folder.

Chunk ids are content hashes, so indexing is incremental: only new chunks are embedded, removed
ones are deleted. One lock serialises every change, so the app's upload and a re-index never
interleave; the retriever reloads its BM25 side after each change.

Adding, replacing and removing an article all change the corpus folder first and then run the
same incremental `index()`, so Chroma, BM25 and the listing can only ever reflect the folder. A
replaced or removed file is set aside under a hidden name until that succeeds, and restored if it
does not: a failure half-way loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.config import IndexSettings
from assistant.embeddings import MODEL_NAME, E5Embeddings
from assistant.errors import ArticleExistsError, ArticleNotFoundError, EmptyCorpusError
from assistant.index.store import ChunkStore, IndexReport
from assistant.ingest.chunking import chunk_corpus, tiktoken_counter
from assistant.ingest.corpus import corpus_files, document_id_of, find_repeated_passages, load_corpus
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
        # the store was seen holding chunks: `ensure_index` need not count them on every question
        # (a Chroma `count()` was ~8 ms of a search at 15k chunks)
        self._seen_chunks = False

    def load_chunks(self) -> CorpusStats:
        s = self.settings
        articles = load_corpus(s.corpus_dir)
        if not articles:
            raise EmptyCorpusError(
                f"No readable document (.txt, .md, .html, .pdf, .docx) in {s.corpus_dir} (set ASSISTANT_CORPUS_DIR)",
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
        """Build the index if the store is empty (first run); otherwise leave it as it is.

        Once the store has been seen holding chunks it is not counted again in this process.
        """
        if self._seen_chunks:
            return None
        if self.store.count() == 0:
            log.info("No index at %s yet: building it", self.store.location)
            return self.index()
        self._seen_chunks = True
        return None

    def add_article(
        self, file_name: str, raw: bytes, max_bytes: int, replace: bool = False
    ) -> tuple[Article, IndexReport]:
        """Check an uploaded document, save it into the corpus folder and index it incrementally.

        Nothing changes unless every check passes. An existing article is replaced only with
        `replace=True` (the app asks first); its file is set aside, not deleted, until the new one
        is indexed, and put back (and indexed again) if anything fails.
        """
        upload = check_upload(file_name, raw, max_bytes)
        with self.lock:
            corpus_dir = self.settings.corpus_dir
            existing = self.files_of(upload.doc_id)
            if existing and not replace:
                raise ArticleExistsError(
                    f"An article with id {upload.doc_id!r} already exists; rename the file or replace it",
                    vi=f"Đã có bài viết mang tên {upload.doc_id}; hãy đổi tên tệp, hoặc xác nhận thay thế bài cũ.",
                    doc_id=upload.doc_id,
                )
            corpus_dir.mkdir(parents=True, exist_ok=True)
            target = corpus_dir / upload.file_name
            with self._set_aside(existing):
                write_atomically(target, upload.data)
                try:
                    report = self.index()
                except BaseException:
                    target.unlink(missing_ok=True)
                    raise
            return upload.article, report

    def remove(self, doc_id: str) -> IndexReport:
        """Delete an article: its file leaves the corpus folder and its chunks the store and BM25.

        The file is set aside first and deleted only once the index no longer holds the article;
        if re-indexing fails it is put back and indexed again, so the corpus is as before.
        """
        with self.lock:
            files = self.files_of(doc_id)
            if not files:
                raise ArticleNotFoundError(
                    f"No article with id {doc_id!r} in {self.settings.corpus_dir}",
                    vi=f"Không có bài viết mang mã {doc_id} trong kho.",
                )
            with self._set_aside(files):
                return self.index()

    def files_of(self, doc_id: str) -> list[Path]:
        """The corpus files that hold the document `doc_id` (one, unless two formats share a name)."""
        corpus_dir = self.settings.corpus_dir
        if not corpus_dir.is_dir():
            return []
        return [p for p in corpus_files(corpus_dir) if document_id_of(corpus_dir, p) == doc_id]

    @contextmanager
    def _set_aside(self, files: list[Path]) -> Iterator[None]:
        """Move `files` to hidden names for the block; delete them if it succeeds, restore them if not."""
        moved = []
        try:
            for path in files:
                aside = path.with_name(f".{path.name}.removed")
                path.replace(aside)
                moved.append((path, aside))
            yield
        except BaseException:
            for path, aside in moved:
                aside.replace(path)
            if moved:
                try:
                    self.index()  # the store may have lost the old chunks before the failure
                except Exception:
                    log.exception("Re-indexing after a failed change also failed; run `assistant index`")
            raise
        for _path, aside in moved:
            aside.unlink(missing_ok=True)
