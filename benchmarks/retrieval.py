"""Retrieval quality and speed, ours against a naive baseline, in one run; writes JSON.

Usage: python benchmarks/retrieval.py [--questions eval/questions.jsonl] [--out benchmarks/results/retrieval.json]

Ours: cleaned articles, sentence-aware token chunks, dense + BM25 fused, duplicates collapsed.
Naive: raw files split by LangChain's RecursiveCharacterTextSplitter(500, 0), dense only, same
e5 model and Chroma. Both are built into temporary folders, so the real index is untouched.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.config import Settings
from assistant.embeddings import E5Embeddings
from assistant.evaluation.dataset import load_questions
from assistant.evaluation.metrics import doc_ranking, mean, mrr_at_k, recall_at_k
from assistant.pipeline import Assistant

DEPTH = 10


def percentiles(ms: list[float]) -> dict[str, float]:
    arr = np.array(ms)
    return {f"p{p}": round(float(np.percentile(arr, p)), 2) for p in (50, 95, 99)}


def score(rankings: list[list[str]], questions) -> dict[str, float]:
    pairs = [(r, q) for r, q in zip(rankings, questions, strict=True) if q.answerable]
    return {
        "recall@1": round(mean([recall_at_k(r, q.sources, 1) for r, q in pairs]), 4),
        "recall@3": round(mean([recall_at_k(r, q.sources, 3) for r, q in pairs]), 4),
        "recall@5": round(mean([recall_at_k(r, q.sources, 5) for r, q in pairs]), 4),
        "mrr@10": round(mean([mrr_at_k(r, q.sources, 10) for r, q in pairs]), 4),
        "n_answerable": len(pairs),
    }


def run_ours(questions, corpus: Path, tmp: Path, embedder: E5Embeddings) -> dict:
    assistant = Assistant(Settings(corpus_dir=corpus, persist_dir=tmp / "ours"), embedder=embedder)
    t0 = time.perf_counter()
    report = assistant.index()
    index_s = time.perf_counter() - t0
    rankings, latencies = [], []
    for q in questions:
        t = time.perf_counter()
        r = assistant.retrieve(assistant.analyse(q.question, q.history), DEPTH)
        latencies.append((time.perf_counter() - t) * 1000)
        rankings.append(doc_ranking([p.doc_ids for p in r.passages]))
    return {
        "index_seconds": round(index_s, 2),
        "chunks": report.added,
        **score(rankings, questions),
        "latency_ms": percentiles(latencies),
    }


def run_naive(questions, corpus: Path, tmp: Path, embedder: E5Embeddings) -> dict:
    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=0)
    t0 = time.perf_counter()
    ids, docs, metas = [], [], []
    for path in sorted(corpus.glob("*.txt")):
        for i, piece in enumerate(splitter.split_text(path.read_text(encoding="utf-8"))):
            ids.append(f"{path.stem}-{i}")
            docs.append(piece)
            metas.append({"doc_id": path.stem})
    client = chromadb.PersistentClient(path=str(tmp / "naive"), settings=ChromaSettings(anonymized_telemetry=False))
    col = client.create_collection("naive", embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
    col.add(ids=ids, documents=docs, metadatas=metas, embeddings=embedder.embed_passages(docs))
    index_s = time.perf_counter() - t0
    rankings, latencies = [], []
    for q in questions:
        t = time.perf_counter()
        query = "\n".join([m.content for m in q.history if m.role == "user"] + [q.question])
        res = col.query(query_embeddings=embedder.embed_queries([query]), n_results=min(DEPTH, len(ids)))
        latencies.append((time.perf_counter() - t) * 1000)
        rankings.append(doc_ranking([(m["doc_id"],) for m in res["metadatas"][0]]))
    return {
        "index_seconds": round(index_s, 2),
        "chunks": len(ids),
        **score(rankings, questions),
        "latency_ms": percentiles(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("seeds"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/retrieval.json"))
    args = parser.parse_args()
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        # separate embedders: the cache must not let one side reuse the other's work
        ours = run_ours(questions, args.corpus, Path(tmp), E5Embeddings(cache_size=0))
        naive = run_naive(questions, args.corpus, Path(tmp), E5Embeddings(cache_size=0))
    result = {
        "questions": str(args.questions),
        "n_questions": len(questions),
        "ours": ours,
        "naive": naive,
        "ratio_ours_over_naive": {
            k: round(ours[k] / naive[k], 3) if naive[k] else None
            for k in ("recall@1", "recall@3", "recall@5", "mrr@10")
        },
        "latency_p50_ratio": round(ours["latency_ms"]["p50"] / naive["latency_ms"]["p50"], 2),
        "median_latency_ms": {"ours": ours["latency_ms"]["p50"], "naive": naive["latency_ms"]["p50"]},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
