"""How cost grows with corpus size: index time, chunks/s, disk, retrieval latency, planted-fact recall, RAM.

Usage: python benchmarks/scale.py [--sizes 1000 10000] [--out benchmarks/results/scale.json]
       python benchmarks/scale.py --sizes 100000      # by hand: embedding 100k chunks takes a while

Each size runs in its own process (so peak RSS is that size's own) on a corpus from
`benchmarks/make_corpus.py`: index it, restart (a new process loads the saved index: start-up time),
then time retrieval (dense + BM25 + fusion, no LLM) for the planted questions and a mix of seed
questions, and the naive baseline's dense-only Chroma query on the same vectors in the same run.
Writes JSON and a PNG chart beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {f"p{p}": round(float(np.percentile(ms, p)), 2) for p in (50, 95, 99)}


def index_one(size: int, work: Path) -> dict:
    """Phase 1 (own process): make the corpus and index it."""
    from assistant.config import Settings
    from assistant.pipeline import Assistant
    from benchmarks.make_corpus import make_corpus

    made = make_corpus(size, work / "corpus")
    settings = Settings(corpus_dir=work / "corpus", persist_dir=work / "vectorstore", llm="extractive")
    t0 = time.perf_counter()
    report = Assistant(settings).index()
    seconds = time.perf_counter() - t0
    chunks = report.added + report.updated + report.unchanged
    return {
        "size": size,
        "articles": made["articles"],
        "chunks": chunks,
        "index_s": round(seconds, 1),
        "chunks_per_s": round(chunks / seconds, 1),
        "disk_mb": round(_dir_size(work / "vectorstore") / 1e6, 1),
        "index_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def query_one(work: Path, questions_file: Path) -> dict:
    """Phase 2 (new process): start on the existing index, then time retrieval."""
    from assistant.config import Settings
    from assistant.evaluation.dataset import load_questions
    from assistant.pipeline import Assistant

    settings = Settings(corpus_dir=work / "corpus", persist_dir=work / "vectorstore", llm="extractive")
    t0 = time.perf_counter()
    assistant = Assistant(settings)
    assistant.retriever.warm_up()
    startup_s = time.perf_counter() - t0
    planted = load_questions(questions_file)
    seeds = [q for q in load_questions(ROOT / "eval" / "questions.jsonl") if not q.history][:40]
    ours, naive, hits = [], [], 0
    for q in planted + seeds:
        t = time.perf_counter()
        retrieval = assistant.retriever.retrieve(q.question, 5)
        ours.append((time.perf_counter() - t) * 1000)
        if q in planted and set(q.sources) & {d for p in retrieval.passages for d in p.doc_ids}:
            hits += 1
        t = time.perf_counter()
        assistant.store.query(assistant.embedder.embed_queries([q.question])[0], 10)  # naive: dense only
        naive.append((time.perf_counter() - t) * 1000)
    return {
        "startup_s": round(startup_s, 2),
        "queries": len(ours),
        "retrieval_ms": _percentiles(ours),
        "naive_dense_ms": _percentiles(naive),
        "planted_recall@5": round(hits / len(planted), 3) if planted else None,
        "query_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_size(size: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"scale-{size}-") as tmp:
        work = Path(tmp)
        row = {}
        for phase in ("index", "query"):
            out = subprocess.run(
                [sys.executable, __file__, "--phase", phase, "--work", str(work)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT), "SCALE_SIZE": str(size)},
                check=True,
            )
            row |= json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        return row


def chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["chunks"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    a.plot(sizes, [r["retrieval_ms"]["p50"] for r in rows], "o-", label="ours p50")
    a.plot(sizes, [r["retrieval_ms"]["p95"] for r in rows], "o--", label="ours p95")
    a.plot(sizes, [r["naive_dense_ms"]["p50"] for r in rows], "s-", label="naive dense p50")
    a.set(xscale="log", xlabel="chunks", ylabel="ms", title="Retrieval latency")
    a.legend()
    b.plot(sizes, [r["index_s"] for r in rows], "o-")
    b.set(xscale="log", yscale="log", xlabel="chunks", ylabel="seconds", title="Index time")
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    parser.add_argument("--phase", choices=["index", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "index":
        print(json.dumps(index_one(int(os.environ["SCALE_SIZE"]), args.work)))
        return
    if args.phase == "query":
        print(json.dumps(query_one(args.work, args.work / "corpus-questions.jsonl")))
        return
    rows = [run_size(size) for size in args.sizes]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows}, indent=2), encoding="utf-8")
    chart(rows, args.out.with_suffix(".png"))
    print(f"Wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
