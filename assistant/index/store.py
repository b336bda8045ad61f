"""The Chroma collection that holds chunk vectors: embedded folder by default, a server when configured.

Chunk ids are content hashes, so `sync` is incremental: only new chunks are embedded, removed ones
are deleted, unchanged ones are left alone. The collection's metadata records the embedding model
and chunking settings (its fingerprint); opening it with different ones rebuilds it rather than
mixing vectors from two models. Vectors are always passed explicitly: Chroma's default embedding
function would try to download a model.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from assistant.config import IndexSettings
from assistant.errors import AssistantError, StoreUnavailableError
from assistant.lang.words import search_terms
from assistant.types import Chunk

log = logging.getLogger(__name__)

SCHEMA_VERSION = "2"  # 2: each chunk carries its BM25 terms; the collection its corpus key
_WRITE_BATCH = 512
_PROGRESS_MIN = 64
_FINGERPRINT_PREFIX = "fp_"
CORPUS_KEY = "corpus_key"  # hash of every chunk id: which BM25 cache matches this collection


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store (what BM25 and the corpus listing are built from)."""

    id: str
    doc_id: str
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class IndexReport:
    """What one `sync` changed; `updated` counts chunks of an article replaced by new text."""

    added: int
    updated: int
    removed: int
    unchanged: int
    rebuilt: bool
    seconds: float

    def summary(self) -> str:
        rebuilt = " (rebuilt)" if self.rebuilt else ""
        return (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}{rebuilt} in {self.seconds:.1f} s"
        )


def _server_errors(method):
    """In server mode, a server that stops answering mid-session is a clear `StoreUnavailableError`."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except AssistantError:
            raise
        except Exception as exc:
            if not self.host:
                raise
            self._client = self._collection = None  # reconnect on the next call
            raise StoreUnavailableError(
                f"The Chroma server at {self.host}:{self.port} stopped answering ({type(exc).__name__}); "
                "is `chroma run` still running?",
                vi="Máy chủ kho vector không phản hồi.",
            ) from exc

    return guarded


class ChunkStore:
    """Chunk vectors and texts in one Chroma collection."""

    def __init__(self, settings: IndexSettings, fingerprint: dict[str, str]) -> None:
        self.fingerprint = {k: str(v) for k, v in fingerprint.items()} | {"schema": SCHEMA_VERSION}
        self.persist_dir = settings.persist_dir
        self.collection_name = settings.collection
        self.host = settings.chroma_host
        self.port = settings.chroma_port
        self.timeout_s = settings.chroma_timeout_s
        self._client = None
        self._collection = None

    @property
    def location(self) -> str:
        return f"chroma server {self.host}:{self.port}" if self.host else f"{self.persist_dir}/"

    # --- connection -------------------------------------------------------------------------
    def _connect(self):
        if self._client is not None:
            return self._client
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if self.host:
                self._client = chromadb.HttpClient(host=self.host, port=self.port, settings=chroma_settings)
                self._client.heartbeat()
            else:
                self.persist_dir.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(self.persist_dir), settings=chroma_settings)
        except Exception as exc:  # chromadb raises many types for "cannot reach/open"
            self._client = None
            raise StoreUnavailableError(
                f"Cannot open the vector store at {self.location}: {type(exc).__name__}: {exc}. "
                + (
                    "Is `chroma run` running there? (ASSISTANT_CHROMA_HOST/ASSISTANT_CHROMA_PORT)"
                    if self.host
                    else "Check ASSISTANT_PERSIST_DIR is a writable folder."
                ),
                vi=f"Không mở được kho vector tại {self.location}.",
            ) from exc
        return self._client

    def _get_collection(self, create: bool):
        if self._collection is not None:
            return self._collection
        client = self._connect()
        names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
        if self.collection_name not in names:
            if not create:
                return None
            self._collection = self._create(client)
            return self._collection
        col = client.get_collection(self.collection_name, embedding_function=None)
        stored = {
            k.removeprefix(_FINGERPRINT_PREFIX): v
            for k, v in (col.metadata or {}).items()
            if k.startswith(_FINGERPRINT_PREFIX)
        }
        if stored != self.fingerprint:
            if not create:
                return None
            log.warning("Index was built with other settings (%s); rebuilding it with %s", stored, self.fingerprint)
            client.delete_collection(self.collection_name)
            self._collection = self._create(client)
            self._rebuilt = True
            return self._collection
        self._collection = col
        return col

    def _create(self, client):
        metadata = {f"{_FINGERPRINT_PREFIX}{k}": v for k, v in self.fingerprint.items()}
        return client.create_collection(
            self.collection_name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=metadata,
        )

    # --- writing ----------------------------------------------------------------------------
    @_server_errors
    def sync(
        self,
        chunks: Sequence[Chunk],
        embed: Callable[[list[str]], np.ndarray],
        rebuild: bool = False,
    ) -> IndexReport:
        """Make the collection hold exactly `chunks`; embed only the ones it does not have yet.

        New chunks are written before stale ones are deleted, so an interrupted run never leaves
        an article with fewer chunks than before; the next run finishes the job.
        """
        t0 = time.perf_counter()
        self._rebuilt = False
        if rebuild:
            self.drop()
            self._rebuilt = True
        col = self._get_collection(create=True)
        existing = self._existing_ids(col)
        wanted = {c.id: c for c in chunks}
        new = [c for c in chunks if c.id not in existing]
        stale = [i for i in existing if i not in wanted]

        # one bar with an ETA for the whole run; each batch is written as soon as it is embedded, so
        # an interrupted run keeps what it wrote and the next one embeds only what is missing.
        # Word segmentation for BM25 (~20 ms a chunk, pure Python) of the next batch runs on a
        # worker thread while the C embedder works on this one (measured: 10.6 → 12.8 chunks/s).
        batches = [new[start : start + _WRITE_BATCH] for start in range(0, len(new), _WRITE_BATCH)]
        if new or stale:  # until the run ends, no saved BM25 index can be taken for this collection's state
            col.modify(metadata={**(col.metadata or {}), CORPUS_KEY: f"partial-{uuid.uuid4().hex}"})
        with (
            tqdm(total=len(new), desc="Indexing", unit="chunk", disable=len(new) < _PROGRESS_MIN) as bar,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25-terms") as pool,
        ):
            pending = pool.submit(_metadatas, batches[0]) if batches else None
            for i, batch in enumerate(batches):
                vectors = embed([embedding_text(c) for c in batch])
                assert pending is not None
                metadatas = pending.result()
                pending = pool.submit(_metadatas, batches[i + 1]) if i + 1 < len(batches) else None
                col.upsert(
                    ids=[c.id for c in batch],
                    embeddings=vectors,
                    documents=[c.text for c in batch],
                    metadatas=metadatas,
                )
                bar.update(len(batch))
        for start in range(0, len(stale), _WRITE_BATCH):
            col.delete(ids=stale[start : start + _WRITE_BATCH])
        if new or stale or (col.metadata or {}).get(CORPUS_KEY) is None:
            col.modify(metadata={**(col.metadata or {}), CORPUS_KEY: corpus_key(wanted)})

        added_by_doc: dict[str, int] = defaultdict(int)
        removed_by_doc: dict[str, int] = defaultdict(int)
        for c in new:
            added_by_doc[c.doc_id] += 1
        for i in stale:
            removed_by_doc[existing[i]] += 1
        updated = sum(min(n, removed_by_doc[d]) for d, n in added_by_doc.items())
        return IndexReport(
            added=len(new) - updated,
            updated=updated,
            removed=len(stale) - updated,
            unchanged=len(chunks) - len(new),
            rebuilt=self._rebuilt,
            seconds=time.perf_counter() - t0,
        )

    @_server_errors
    def drop(self) -> None:
        """Delete the collection (used by `--rebuild`)."""
        client = self._connect()
        names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
        if self.collection_name in names:
            client.delete_collection(self.collection_name)
        self._collection = None

    @staticmethod
    def _existing_ids(col) -> dict[str, str]:
        """id -> doc_id of everything in the collection, read in pages."""
        out: dict[str, str] = {}
        offset = 0
        while True:
            page = col.get(include=["metadatas"], limit=5000, offset=offset)
            for cid, meta in zip(page["ids"], page["metadatas"], strict=True):
                out[cid] = str((meta or {}).get("doc_id", ""))
            if len(page["ids"]) < 5000:
                return out
            offset += 5000

    # --- reading ----------------------------------------------------------------------------
    @_server_errors
    def count(self) -> int:
        col = self._get_collection(create=False)
        return col.count() if col is not None else 0

    @_server_errors
    def all_chunks(self) -> list[StoredChunk]:
        """Every stored chunk with its text and metadata, in a stable order."""
        col = self._get_collection(create=False)
        if col is None:
            return []
        out: list[StoredChunk] = []
        offset = 0
        while True:
            page = col.get(include=["documents", "metadatas"], limit=5000, offset=offset)
            for cid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                meta = dict(meta or {})
                out.append(StoredChunk(cid, str(meta.get("doc_id", "")), doc or "", meta))
            if len(page["ids"]) < 5000:
                break
            offset += 5000
        out.sort(key=lambda c: (c.doc_id, int(c.metadata.get("index", 0)), c.id))
        return out

    def corpus_key(self) -> str | None:
        """The key `sync` recorded for the current set of chunks (None for an empty or older index)."""
        col = self._get_collection(create=False)
        return str((col.metadata or {}).get(CORPUS_KEY)) if col is not None and col.metadata else None

    @_server_errors
    def get(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The stored chunks with these ids (missing ids are left out)."""
        col = self._get_collection(create=False)
        if col is None or not ids:
            return {}
        page = col.get(ids=list(ids), include=["documents", "metadatas"])
        return {
            cid: StoredChunk(cid, str((meta or {}).get("doc_id", "")), doc or "", dict(meta or {}))
            for cid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        }

    @_server_errors
    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The `n` nearest chunks as (id, cosine similarity), best first."""
        col = self._get_collection(create=False)
        if col is None or n <= 0:
            return []
        # no count() first (~8 ms at 15k chunks): Chroma returns what there is when n exceeds it
        res = col.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]


def corpus_key(ids) -> str:
    """Order-independent hash of a set of chunk ids."""
    return hashlib.sha1("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


def lexical_terms(chunk: Chunk) -> list[str]:
    """What BM25 indexes for a chunk (title and text), computed once when the chunk is written."""
    title = str(chunk.metadata.get("title", ""))
    return search_terms(f"{title}\n{chunk.text}")


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded: the article title gives a short chunk the topic it lacks on its own."""
    title = str(chunk.metadata.get("title", ""))
    return f"{title}\n{chunk.text}" if title else chunk.text


def _metadatas(batch: Sequence[Chunk]) -> list[dict[str, str | int | float | bool]]:
    """What Chroma stores beside each vector: the chunk's metadata and its BM25 terms."""
    return [_clean_metadata(c.metadata) | {"terms": " ".join(lexical_terms(c))} for c in batch]


def _clean_metadata(meta: dict[str, Any]) -> dict[str, str | int | float | bool]:
    return {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}
