"""How cost grows with corpus size: index time, chunks/s, disk, retrieval latency, planted-fact recall, RAM.

Usage: python benchmarks/scale.py [--sizes 1000 10000] [--out benchmarks/results/scale.json]
       python benchmarks/scale.py --cluster [1 2] [--sizes 1000]   # indexing chunks/s, 1 process vs Dask workers
       python benchmarks/scale.py --sizes 100000 --work /var/tmp/scale   # by hand: ~2.5 h of embedding

With `--work`, each size's corpus and index are kept in WORK/size-N: an interrupted run resumes
where it stopped (the store is resumable), and a finished index is reused, not rebuilt. The index
time reported is the sum over all runs that embedded something, less any seconds written to
WORK/size-N/paused_s (the indexer stopped with SIGSTOP for another clean measurement). Rows are
merged into the JSON by size, so running 100k alone keeps the 1k and 10k rows. `--app local`
also starts the real app (`python app.py`) on each index: start-up until the page answers,
five answers through `/ask`, and the app's peak RSS with the model loaded.

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
sys.path.insert(0, str(ROOT))  # the app phase imports helpers from tests/ (run as a script, not a module)


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {f"p{p}": round(float(np.percentile(ms, p)), 2) for p in (50, 95, 99)}


def index_one(size: int, work: Path) -> dict:
    """Phase 1 (own process): make the corpus and index it; resumes an interrupted run in `work`."""
    from assistant.config import Settings
    from assistant.pipeline import Assistant
    from benchmarks.make_corpus import make_corpus

    runs_file = work / "index-runs.json"
    runs = json.loads(runs_file.read_text()) if runs_file.exists() else []
    made = make_corpus(size, work / "corpus")
    settings = Settings(corpus_dir=work / "corpus", persist_dir=work / "vectorstore", llm="extractive")
    t0 = time.perf_counter()
    report = Assistant(settings).index()
    seconds = time.perf_counter() - t0
    embedded = report.added + report.updated
    if embedded:
        runs.append({"embedded": embedded, "seconds": round(seconds, 1)})
        runs_file.write_text(json.dumps(runs))
    chunks = embedded + report.unchanged
    # seconds the indexer was deliberately stopped (SIGSTOP) to take another clean measurement
    paused = float((work / "paused_s").read_text()) if (work / "paused_s").exists() else 0.0
    total_s = (sum(r["seconds"] for r in runs) or seconds) - paused
    return {
        "size": size,
        "articles": made["articles"],
        "chunks": chunks,
        "index_s": round(total_s, 1),
        "index_runs": len(runs),
        "paused_s": round(paused, 1),
        "chunks_per_s": round(sum(r["embedded"] for r in runs) / total_s, 1) if runs else None,
        "disk_mb": round(_dir_size(work / "vectorstore") / 1e6, 1),
        "index_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _questions(questions_file: Path) -> tuple[list, list]:
    from assistant.evaluation.dataset import load_questions

    planted = load_questions(questions_file)
    seeds = [q for q in load_questions(ROOT / "eval" / "questions.jsonl") if not q.history][:40]
    return planted, seeds


def query_one(work: Path, questions_file: Path) -> dict:
    """Phase 2 (new process): start on the existing index, then time what comes before the model.

    `retrieval_ms` is the answer's own `retrieve_ms` (question analysis, dense + BM25 search and
    fusion, duplicate collapsing, passage texts, the sentences the reader gets): what a person
    waits for before the model starts, as the app reports it; `search_ms` is its search part
    (analysis to passages), `context_ms` the sentence choice (e5 over sentences not seen before).
    A probe question runs first (`warm_up`, as the app does at start); the naive baseline's
    dense-only Chroma query on the same vectors is timed beside it.
    """
    from assistant.config import Settings
    from assistant.pipeline import Assistant

    settings = Settings(corpus_dir=work / "corpus", persist_dir=work / "vectorstore", llm="extractive")
    t0 = time.perf_counter()
    assistant = Assistant(settings)
    assistant.retriever.warm_up()
    startup_s = time.perf_counter() - t0
    assistant.warm_up()
    planted, seeds = _questions(questions_file)
    ours, search, context, naive, hits = [], [], [], [], 0
    for q in planted + seeds:
        answer = assistant.ask(q.question, backend="extractive")
        ours.append(answer.timings["retrieve_ms"])
        search.append(answer.timings["search_ms"])
        context.append(answer.timings["context_ms"])
        if q in planted and set(q.sources) & {d for p in answer.retrieved[:5] for d in p.doc_ids}:
            hits += 1
        t = time.perf_counter()
        assistant.store.query(assistant.embedder.embed_queries([f"naive {q.question}"])[0], 10)  # dense only
        naive.append((time.perf_counter() - t) * 1000)
    return {
        "startup_s": round(startup_s, 2),
        "queries": len(ours),
        "retrieval_ms": _percentiles(ours),
        "search_ms": _percentiles(search),
        "context_ms": _percentiles(context),
        "naive_dense_ms": _percentiles(naive),
        "planted_recall@5": round(hits / len(planted), 3) if planted else None,
        "query_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def cold_ask(work: Path, question: str) -> dict:
    """A shell user's `assistant ask --json` in a new process: its retrieve_ms (the question's own work),
    its startup_ms (imports, store, BM25, models) and the whole command's time."""
    env = {
        **os.environ,
        "ASSISTANT_LLM": "extractive",
        "ASSISTANT_CORPUS_DIR": str(work / "corpus"),
        "ASSISTANT_PERSIST_DIR": str(work / "vectorstore"),
    }
    t = time.perf_counter()
    out = subprocess.run(
        [str(Path(sys.executable).with_name("assistant")), "ask", "--json", question],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    wall_s = time.perf_counter() - t
    timings = json.loads(out.stdout)["timings"]
    return {
        "cold_ask_retrieve_ms": timings["retrieve_ms"],
        "cold_ask_search_ms": timings["search_ms"],
        "cold_ask_startup_ms": timings.get("startup_ms"),
        "cold_ask_wall_s": round(wall_s, 2),
    }


def app_one(work: Path, questions_file: Path, backend: str, n_questions: int = 5) -> dict:
    """Phase 3: the real app (`python app.py`) on this index: start-up, answers, peak RSS.

    With the extractive backend every planted and seed question is asked through `/ask`, and the
    app's own `retrieve_ms` (see `query_one`) gives warm retrieval through the app; with a model,
    the first `n_questions` are answered and timed whole.
    """
    from gradio_client import Client

    from tests.conftest import free_port, wait_for_url

    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_LLM": backend,
        "ASSISTANT_CORPUS_DIR": str(work / "corpus"),
        "ASSISTANT_PERSIST_DIR": str(work / "vectorstore"),
        "ASSISTANT_PORT": str(port),
    }
    log = work / f"app-{backend}.log"
    t0 = time.perf_counter()
    out = log.open("w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_url(url, proc, 600, "the app", log)
        startup_s = time.perf_counter() - t0
        client = Client(url, verbose=False)
        planted, seeds = _questions(questions_file)
        questions = planted + seeds if backend == "extractive" else (planted + seeds)[:n_questions]
        seconds, backends, retrieve_ms, search_ms = [], [], [], []
        for q in questions:
            t = time.perf_counter()
            _text, answer = client.predict(q.question, [], api_name="/ask")
            seconds.append(time.perf_counter() - t)
            backends.append(answer["backend"])
            retrieve_ms.append(answer["timings"]["retrieve_ms"])
            search_ms.append(answer["timings"]["search_ms"])
        status = Path(f"/proc/{proc.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        out.close()
    row = {
        f"app_{backend}_startup_s": round(startup_s, 2),
        f"app_{backend}_backends": sorted(set(backends)),
        f"app_{backend}_peak_rss_mb": round(peak_kb / 1024, 1),
    }
    if backend == "extractive":
        row |= {
            "app_retrieval_ms": _percentiles(retrieve_ms),
            "app_search_ms": _percentiles(search_ms),
            "app_answer_ms": _percentiles([x * 1000 for x in seconds]),
        }
    else:
        row[f"app_{backend}_answer_s"] = [round(x, 1) for x in seconds]
    return row


def run_size(size: int, work: Path, app_backends: list[str]) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    row = {}
    for phase in ("index", "query"):
        out = subprocess.run(  # stderr passes through: the indexing bar and its ETA stay visible
            [sys.executable, __file__, "--phase", phase, "--work", str(work)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "SCALE_SIZE": str(size)},
            check=True,
        )
        row |= json.loads(out.stdout.strip().splitlines()[-1])
    row |= cold_ask(work, "Ai là Tổng Giám đốc Tập đoàn Viettel?")
    for backend in app_backends:
        row |= app_one(work, work / "corpus-questions.jsonl", backend)
    print(json.dumps(row), flush=True)
    return row


def merge_rows(out: Path, rows: list[dict]) -> list[dict]:
    """New rows replace earlier rows of the same size; other sizes are kept."""
    old = json.loads(out.read_text(encoding="utf-8"))["rows"] if out.exists() else []
    by_size = {r["size"]: r for r in old} | {r["size"]: r for r in rows}
    return [by_size[k] for k in sorted(by_size)]


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


def _store_contents(assistant) -> dict:
    """Everything the store holds: id → (text, metadata as JSON, vector), and its corpus key."""
    col = assistant.store._get_collection(create=False)
    rows = {}
    offset = 0
    while True:
        page = col.get(include=["documents", "metadatas", "embeddings"], limit=2000, offset=offset)
        columns = (page["ids"], page["documents"], page["metadatas"], page["embeddings"])
        for cid, doc, meta, vec in zip(*columns, strict=True):
            rows[cid] = (doc, json.dumps(meta, sort_keys=True, ensure_ascii=False), np.asarray(vec))
        if len(page["ids"]) < 2000:
            break
        offset += 2000
    assistant.store._collection = None
    return {"rows": rows, "key": assistant.store.corpus_key()}


def _same_store(a: dict, b: dict) -> dict:
    """Do two stores hold the same chunks (ids, texts, metadata, corpus key), and how far apart are their vectors?"""
    same = a["key"] == b["key"] and a["rows"].keys() == b["rows"].keys()
    same = same and all(a["rows"][k][:2] == b["rows"][k][:2] for k in a["rows"])
    diff = max((float(np.abs(a["rows"][k][2] - b["rows"][k][2]).max()) for k in a["rows"] if k in b["rows"]), default=0)
    return {"same_chunks": same, "max_vector_difference": diff}


def cluster_throughput(size: int, workers: list[int], out: Path) -> None:
    """`--cluster`: chunks/s into a real `chroma run`, one process against a local Dask cluster of N workers.

    Each run indexes the same corpus into its own collection, so every run embeds every chunk.
    """
    from assistant.config import Settings
    from assistant.pipeline import Assistant
    from benchmarks.machine import machine
    from benchmarks.make_corpus import make_corpus
    from tests.conftest import free_port
    from tests.test_chroma_server import start_chroma

    with tempfile.TemporaryDirectory(prefix="scale-cluster-") as tmp:
        work = Path(tmp)
        make_corpus(size, work / "corpus")
        port = free_port()
        server = start_chroma(work / "chroma", port)
        runs: list[dict] = []
        stores: dict[str, dict] = {}
        try:
            for label in ["single", *[f"cluster-{n}" for n in workers]]:
                settings = Settings(
                    corpus_dir=work / "corpus",
                    persist_dir=work / "unused",
                    chroma_host="127.0.0.1",
                    chroma_port=port,
                    collection=label.replace("-", "_"),
                    model_cache_dir=work / "cache",
                    llm="extractive",
                )
                assistant = Assistant(settings)
                t0 = time.perf_counter()
                if label == "single":
                    report = assistant.index()
                else:
                    report = assistant.index_on_cluster("auto", workers=int(label.split("-")[1]))
                seconds = time.perf_counter() - t0
                chunks = report.added + report.updated
                runs.append({"run": label, "chunks": chunks, "seconds": round(seconds, 1)})
                runs[-1]["chunks_per_s"] = round(chunks / seconds, 2)
                print(f"{label}: {chunks} chunks in {seconds:.1f} s = {chunks / seconds:.2f} chunks/s", flush=True)
                stores[label] = _store_contents(assistant)
                if label != "single":
                    runs[-1]["compared_with_single"] = _same_store(stores["single"], stores[label])
                    print(f"  compared with one process: {runs[-1]['compared_with_single']}", flush=True)
        finally:
            server.kill()
            server.wait()
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"corpus_chunks": size, "machine": machine(), "runs": runs}
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"Wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    parser.add_argument(
        "--app", nargs="*", default=[], metavar="BACKEND", help="also time the real app, e.g. --app local"
    )
    parser.add_argument("--phase", choices=["index", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help="keep corpora and indexes here (resumable); default: temporary")
    parser.add_argument(
        "--cluster",
        type=int,
        nargs="*",
        metavar="WORKERS",
        help="instead: indexing throughput, one process vs a local Dask cluster of these sizes (default 1 2)",
    )
    args = parser.parse_args()
    if args.cluster is not None:
        out = args.out if args.out.name != "scale.json" else args.out.with_name("scale-cluster.json")
        cluster_throughput(args.sizes[0] if args.sizes != [1000, 10000] else 1000, args.cluster or [1, 2], out)
        return
    if args.phase == "index":
        print(json.dumps(index_one(int(os.environ["SCALE_SIZE"]), args.work)))
        return
    if args.phase == "query":
        print(json.dumps(query_one(args.work, args.work / "corpus-questions.jsonl")))
        return
    rows = []
    for size in args.sizes:
        if args.work:
            rows.append(run_size(size, args.work / f"size-{size}", args.app))
        else:
            with tempfile.TemporaryDirectory(prefix=f"scale-{size}-") as tmp:
                rows.append(run_size(size, Path(tmp), args.app))
    rows = merge_rows(args.out, rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from benchmarks.machine import machine

    args.out.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2), encoding="utf-8")
    chart(rows, args.out.with_suffix(".png"))
    print(f"Wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
