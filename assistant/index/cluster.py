"""Indexing on a Dask cluster: `assistant index --cluster ADDRESS` (or `auto` for a local one).

Why Dask distributed: it is pure Python (installs in seconds next to everything else here, and
Ray has no wheel on this project's registry), a scheduler address is all a user with a cluster
needs to give, and `LocalCluster` starts real worker processes on loopback for tests and for one
big machine. Dask reschedules a task whose worker died, which is what makes a killed worker
survivable; everything else here is plain functions.

How it splits the work. The driver lists the corpus (the same listing and ids as `load_corpus`),
reads the files and sends their bytes to the workers in batches of articles, so the workers need
no shared file system. A worker cleans, chunks, segments the words for BM25 and embeds (the e5 model
is loaded once per worker process and kept), then writes straight to the Chroma server. Only a
list of chunk ids comes back. The driver then deletes the chunks that no article produced any more,
and records the corpus key. The chunk ids, texts, metadata, BM25 terms and vectors are those of the
single-process path (`ChunkStore.sync`): the same functions make them.

Resumable and safe: before the first write the collection's corpus key is set to a fresh
"partial" value, so no BM25 cache of an earlier state can be taken for this one. A batch writes
only the chunks the store lacks (content-hash ids, upserted, so a batch run twice writes nothing
twice), and stale chunks are deleted only after every batch has succeeded. A killed worker's
batch runs again elsewhere; a stopped job leaves what it wrote, and the next run embeds only the
rest.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import IndexSettings
from assistant.errors import AssistantError, EmptyCorpusError
from assistant.index.store import CORPUS_KEY, ChunkStore, IndexReport, _metadatas, corpus_key, embedding_text

log = logging.getLogger(__name__)

_WORKER: dict[str, Any] = {}  # per worker process: the loaded embedder (kept across batches)


@dataclass(frozen=True)
class BatchResult:
    """What one batch did: every chunk id its articles have now (id → doc id), what it wrote and skipped."""

    ids: dict[str, str]
    written: int
    skipped: list[str]
    seconds: float


def corpus_listing(corpus_dir: Path) -> list[tuple[str, Path]]:
    """(document id, file) for every document `load_corpus` would read, in id order, one file per id."""
    from assistant.ingest.corpus import corpus_files, document_id_of

    seen: dict[str, Path] = {}
    for path in corpus_files(corpus_dir):
        seen.setdefault(document_id_of(corpus_dir, path), path)
    return sorted(seen.items())


def index_batch(files: list[tuple[str, str, bytes]], settings: dict, fingerprint: dict[str, str]) -> BatchResult:
    """On a worker: read, chunk, segment and embed one batch of articles and write what the store lacks."""
    from assistant.embeddings import E5Embeddings
    from assistant.errors import InvalidInputFileError
    from assistant.ingest.chunking import chunk_corpus, tiktoken_counter
    from assistant.ingest.formats import read_document

    t0 = time.perf_counter()
    s = IndexSettings(**settings)
    articles, skipped = [], []
    for doc_id, name, raw in files:
        try:
            articles.append(read_document(doc_id, name, raw, path=name))
        except InvalidInputFileError as exc:
            skipped.append(f"{name}: {exc.message}")
    chunks = chunk_corpus(articles, tiktoken_counter(s.tokenizer), s.chunk_tokens, s.chunk_overlap_tokens)
    store = ChunkStore(s, fingerprint)
    col = store._get_collection(create=False)
    if col is None:
        raise AssistantError(f"The collection {s.collection!r} is missing or was built with other settings")
    have = set(col.get(ids=[c.id for c in chunks], include=[])["ids"]) if chunks else set()
    new = [c for c in chunks if c.id not in have]
    if new:
        embedder = _WORKER.get("embedder")
        if embedder is None:
            embedder = _WORKER["embedder"] = E5Embeddings(batch_size=s.embedding_batch_size, show_progress=False)
        for start in range(0, len(new), 512):
            batch = new[start : start + 512]
            col.upsert(
                ids=[c.id for c in batch],
                embeddings=embedder.embed_passages([embedding_text(c) for c in batch]),
                documents=[c.text for c in batch],
                metadatas=_metadatas(batch),
            )
    return BatchResult({c.id: c.doc_id for c in chunks}, len(new), skipped, time.perf_counter() - t0)


def _batches(listing: list[tuple[str, Path]], size: int, corpus_dir: Path) -> Iterator[list[tuple[str, str, bytes]]]:
    for start in range(0, len(listing), size):
        out = []
        for doc_id, path in listing[start : start + size]:
            try:
                out.append((doc_id, str(path.relative_to(corpus_dir)), path.read_bytes()))
            except OSError as exc:
                log.warning("Skipping %s: %s", path, exc.strerror)
        yield out


@contextmanager
def connect(address: str, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: to the scheduler at `address`, or (`auto`) to a new local cluster on loopback.

    The local cluster runs one single-threaded worker per core: Dask limits each worker's math
    libraries to one thread (OMP_NUM_THREADS=1), so one worker per core is what uses the machine.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise AssistantError(
            'Distributed indexing needs Dask: pip install -e ".[cluster]"',
            vi="Cần cài Dask để lập chỉ mục phân tán.",
        ) from exc
    if address == "auto":
        with (
            LocalCluster(
                n_workers=workers or os.cpu_count() or 2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout="20s")
    except OSError as exc:
        raise AssistantError(f"Cannot reach the Dask scheduler at {address}: {exc}") from exc
    with client:
        yield client


def index_on_cluster(
    settings: IndexSettings,
    fingerprint: dict[str, str],
    client,
    rebuild: bool = False,
    batch_articles: int | None = None,
    in_flight_per_worker: int = 2,
) -> IndexReport:
    """Make the Chroma server's collection hold exactly the corpus folder's chunks, computed on `client`'s workers."""
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    if not settings.chroma_host:
        raise AssistantError(
            "Distributed indexing writes to a Chroma server: set ASSISTANT_CHROMA_HOST (and ASSISTANT_CHROMA_PORT)",
            vi="Lập chỉ mục phân tán cần một máy chủ Chroma (ASSISTANT_CHROMA_HOST).",
        )
    t0 = time.perf_counter()
    store = ChunkStore(settings, fingerprint)
    if rebuild:
        store.drop()
    col = store._get_collection(create=True)
    rebuilt = rebuild or getattr(store, "_rebuilt", False)
    existing = store._existing_ids(col)
    listing = corpus_listing(settings.corpus_dir)
    if not listing:
        raise EmptyCorpusError(f"No readable document in {settings.corpus_dir}")
    col.modify(metadata={**(col.metadata or {}), CORPUS_KEY: f"partial-{uuid.uuid4().hex}"})

    plain = settings.model_dump(mode="json")
    window = max(1, in_flight_per_worker * max(1, len(client.scheduler_info()["workers"])))
    batches = _batches(listing, batch_articles or settings.cluster_batch_articles, settings.corpus_dir)
    wanted: dict[str, str] = {}
    written, skipped = 0, []
    futures = as_completed()
    for batch in batches:
        futures.add(client.submit(index_batch, batch, plain, store.fingerprint, pure=False, retries=2))
        if futures.count() >= window:
            break
    with tqdm(total=len(listing), desc="Indexing (cluster)", unit="article") as bar:
        for future in futures:
            result: BatchResult = future.result()
            wanted.update(result.ids)
            written += result.written
            skipped += result.skipped
            bar.update(len({d for d in result.ids.values()}) + len(result.skipped))
            future.release()
            nxt = next(batches, None)
            if nxt is not None:
                futures.add(client.submit(index_batch, nxt, plain, store.fingerprint, pure=False, retries=2))
    for line in skipped:
        log.warning("Skipped %s", line)
    stale = [i for i in existing if i not in wanted]
    for start in range(0, len(stale), 512):
        col.delete(ids=stale[start : start + 512])
    col.modify(metadata={**(col.metadata or {}), CORPUS_KEY: corpus_key(wanted)})

    added_by_doc: dict[str, int] = defaultdict(int)
    removed_by_doc: dict[str, int] = defaultdict(int)
    for cid, doc in wanted.items():
        if cid not in existing:
            added_by_doc[doc] += 1
    for cid in stale:
        removed_by_doc[existing[cid]] += 1
    new = sum(added_by_doc.values())
    updated = sum(min(n, removed_by_doc[d]) for d, n in added_by_doc.items())
    return IndexReport(
        added=new - updated,
        updated=updated,
        removed=len(stale) - updated,
        unchanged=len(wanted) - new,
        rebuilt=rebuilt,
        seconds=time.perf_counter() - t0,
    )
