"""Distributed indexing on a real local Dask cluster (loopback) into a real `chroma run`.

The cluster's index must equal the single-process one chunk for chunk (ids, texts, metadata with
BM25 terms, vectors, corpus key), after a first build and after the corpus changes; a worker
killed mid-job and a driver killed mid-job both leave a store the next run completes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from assistant.config import Settings
from assistant.pipeline import Assistant
from benchmarks.make_corpus import make_corpus
from tests.conftest import ROOT, copy_seeds, free_port
from tests.documents import make_docx, make_pdf, seed_paragraphs
from tests.test_chroma_server import start_chroma

pytestmark = pytest.mark.slow
pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma-data"), port)
    yield port
    proc.kill()
    proc.wait()


@pytest.fixture
def corpus(tmp_path):
    folder = copy_seeds(tmp_path / "corpus")
    _title, paragraphs = seed_paragraphs(n=6)
    (folder / "bao-cao").mkdir()
    (folder / "bao-cao" / "itu.pdf").write_bytes(make_pdf([paragraphs[:3], paragraphs[3:]], title="Báo cáo ITU"))
    sections = [("Mở đầu", paragraphs[:2]), ("Kết quả", paragraphs[2:4])]
    (folder / "so-tay.docx").write_bytes(make_docx("Sổ tay", sections))
    (folder / "ban-quet.pdf").write_bytes(b"%PDF-1.4 broken")  # skipped with a warning on both paths
    make_corpus(120, tmp_path / "synthetic", seed=5)
    for f in sorted((tmp_path / "synthetic").glob("*.txt"))[:12]:
        f.rename(folder / f"tong-hop-{f.name}")
    return folder


def settings(corpus, port: int, collection: str, tmp_path) -> Settings:
    return Settings(
        corpus_dir=corpus,
        persist_dir=tmp_path / f"unused-{collection}",
        chroma_host="127.0.0.1",
        chroma_port=port,
        collection=collection,
        model_cache_dir=tmp_path / "cache",
        llm="extractive",
    )


def snapshot(assistant: Assistant) -> dict:
    col = assistant.store._get_collection(create=False)
    got = col.get(include=["documents", "metadatas", "embeddings"])
    rows = {
        cid: (doc, meta, np.asarray(vec))
        for cid, doc, meta, vec in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True)
    }
    assistant.store._collection = None
    return {"rows": rows, "key": assistant.store.corpus_key(), "bm25": sorted(assistant.retriever.bm25.ids)}


def assert_same(a: dict, b: dict) -> None:
    assert a["key"] == b["key"] and not a["key"].startswith("partial")
    assert a["rows"].keys() == b["rows"].keys()
    for cid, (doc, meta, vec) in a["rows"].items():
        other = b["rows"][cid]
        assert doc == other[0] and meta == other[1]
        assert np.allclose(vec, other[2], atol=1e-6)
    assert a["bm25"] == b["bm25"] == sorted(a["rows"])


def chunks_in(assistant: Assistant, name: str) -> int:
    """Chunks in collection `name` so far (0 before the job has created it: never create it here)."""
    try:
        return assistant.store._connect().get_collection(name).count()
    except Exception:  # not created yet
        return 0


def test_the_cluster_builds_the_same_index_as_one_process(corpus, chroma, tmp_path, embedder):
    single = Assistant(settings(corpus, chroma, "single", tmp_path), embedder=embedder)
    single.index()
    cluster = Assistant(settings(corpus, chroma, "cluster", tmp_path), embedder=embedder)
    report = cluster.index_on_cluster("auto", workers=2)
    assert report.added == len(snapshot(single)["rows"]) and report.unchanged == 0
    assert_same(snapshot(single), snapshot(cluster))
    pages = {m.get("page") for _d, m, _v in snapshot(cluster)["rows"].values() if m["doc_id"] == "bao-cao/itu"}
    assert pages >= {1, 2}

    # the corpus changes: one article removed, one edited, one added; both paths follow it
    (corpus / "004_420aa052df190f23.txt").unlink()
    edited = corpus / "001_49942c841792d2c4.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nMột đoạn mới về dữ liệu số được thêm vào.\n", "utf-8")
    (corpus / "moi.txt").write_text("Bài mới\nHà Nội thử nghiệm bản đồ số cho 30 quận huyện.\n", "utf-8")
    single.index()
    report = cluster.index_on_cluster("auto", workers=2)
    assert report.removed > 0 and report.unchanged > 0 and report.added + report.updated > 0
    assert_same(snapshot(single), snapshot(cluster))


def test_a_killed_worker_and_a_killed_job_are_survived(corpus, chroma, tmp_path, embedder):
    from dask.distributed import Client, LocalCluster

    from assistant.index.cluster import index_on_cluster

    reference = Assistant(settings(corpus, chroma, "reference", tmp_path), embedder=embedder)
    reference.index()
    target = Assistant(settings(corpus, chroma, "survivor", tmp_path), embedder=embedder)

    # a worker is killed (SIGKILL) while batches are running: its batch runs again on another
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        killed = []

        def kill_one_when_writing():
            deadline = time.time() + 120
            while time.time() < deadline and not killed:
                if chunks_in(target, "survivor") > 0:
                    pid = next(iter(pids.values()))
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                time.sleep(0.05)

        watcher = threading.Thread(target=kill_one_when_writing)
        watcher.start()
        index_on_cluster(target.settings.index, target.store.fingerprint, client, batch_articles=2)
        watcher.join()
    assert killed
    target.retriever.refresh()
    assert_same(snapshot(reference), snapshot(target))

    # the whole job (the driver) is killed half-way: the store stays usable, the next run finishes it
    again = settings(corpus, chroma, "stopped", tmp_path)
    env = os.environ | {
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_PERSIST_DIR": str(tmp_path / "unused-stopped"),
        "ASSISTANT_CHROMA_HOST": "127.0.0.1",
        "ASSISTANT_CHROMA_PORT": str(chroma),
        "ASSISTANT_COLLECTION": "stopped",
        "ASSISTANT_MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "ASSISTANT_CLUSTER_BATCH_ARTICLES": "1",
    }
    job = subprocess.Popen(
        [sys.executable, "-m", "assistant.app.cli", "index", "--cluster", "auto"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    stopped = Assistant(again, embedder=embedder)
    deadline = time.time() + 180
    while time.time() < deadline:
        if chunks_in(stopped, "stopped") >= 10:
            break
        time.sleep(0.1)
    os.killpg(job.pid, signal.SIGKILL)  # the driver and its local cluster
    job.wait()
    partial = stopped.store._connect().get_collection("stopped")
    written = partial.count()
    assert 0 < written < len(snapshot(reference)["rows"])
    assert str(partial.metadata.get("corpus_key", "")).startswith("partial-")  # no stale BM25 cache matches
    stopped.retriever.refresh()
    assert sorted(stopped.retriever.bm25.ids) == sorted(partial.get(include=[])["ids"])  # BM25 agrees with Chroma
    report = stopped.index_on_cluster("auto", workers=2)
    assert report.unchanged == written  # only the missing work was done
    assert_same(snapshot(reference), snapshot(stopped))
