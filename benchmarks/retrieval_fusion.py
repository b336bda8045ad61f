"""How the hybrid search fuses its lists, measured on the external sets: fit on one split, report on the other.

Usage: python benchmarks/retrieval_fusion.py [--files FILE ...] [--out benchmarks/results/retrieval_fusion.json]

Each SQuAD file is imported as `benchmarks/external.py` does (one article per paragraph) and
indexed once; every variant below then ranks the same analysed questions (Vietnamese, and the
hand-written English versions, without a translation: the extractive path), so only the fusion
differs between rows:
- `rrf`: weighted reciprocal rank (k 60, weights 1/1), BM25 on syllables and compounds: the
  retrieval before this benchmark;
- `rrf+pairs`: the same, BM25 also on neighbouring syllable pairs;
- `scores w`: each list's scores scaled to 0..1 over its candidates and summed, dense weight `w`,
  BM25 `1 - w`, with and without pairs.
The variant chosen is the best mean paragraph R@1 of the Vietnamese questions of the `fit`
split over both sets; the `report` split's figures are out-of-sample for it. Writes JSON (with
the machine) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import assistant.embeddings  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation.dataset import load_questions  # noqa: E402
from assistant.evaluation.runner import METRIC_DEPTH  # noqa: E402
from assistant.evaluation.splits import split_of  # noqa: E402
from assistant.evaluation.squad import import_squad  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from benchmarks.external import DEFAULT_FILES, english_variants, retrieval_rows, summarise  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

BEFORE = {"fusion": "rrf", "dense_weight": 1.0, "bm25_weight": 1.0, "bm25_pairs": False}


def variants() -> dict[str, dict]:
    out = {"rrf": BEFORE, "rrf+pairs": BEFORE | {"bm25_pairs": True}}
    for pairs in (False, True):
        for w in (0.4, 0.5, 0.6, 0.7, 0.8):
            name = f"scores {w}" + ("+pairs" if pairs else "")
            out[name] = {"fusion": "scores", "dense_weight": w, "bm25_weight": round(1 - w, 2), "bm25_pairs": pairs}
    return out


def run_set(path: Path, work: Path, embedder: E5Embeddings) -> dict:
    data_dir = work / path.stem
    imported = import_squad([path], data_dir, leave_out=0.1, seed=0)
    base = [q for q in load_questions(imported.questions_file) if q.answerable]
    questions = base + english_variants(base, path.name)
    split = {q.id: split_of(q) for q in questions}
    common = {"corpus_dir": imported.corpus_dir, "persist_dir": data_dir / "vectorstore", "llm": "extractive"}
    first = Assistant(Settings(**common), embedder=embedder)
    first.index()
    queries = {q.id: first.analyse(q.question, q.history, "extractive") for q in questions}
    out = {}
    for name, retrieval in variants().items():
        ranker = Assistant(Settings(**common, retrieval=retrieval), embedder=embedder)
        rows = retrieval_rows(questions, lambda q, a=ranker: a.retrieve(queries[q.id], METRIC_DEPTH).passages)
        out[name] = summarise(rows, split, retrieval_only=True)
        fit, report = out[name].get("fit", {}), out[name].get("report", {})
        print(
            f"  {path.stem} {name}: fit R@1 {fit.get('recall@1')} report R@1 {report.get('recall@1')}",
            file=sys.stderr,
        )
    return {
        "questions": len(questions),
        "split_counts": {s: list(split.values()).count(s) for s in ("fit", "report")},
        "variants": out,
    }


def fit_vi(aggregate: dict) -> float | None:
    """R@1 of the Vietnamese questions of the fit split (the English ones are `kind` english)."""
    return aggregate.get("fit_vi", {}).get("recall@1")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=Path, nargs="+", default=DEFAULT_FILES)
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "retrieval_fusion")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "retrieval_fusion.json")
    args = parser.parse_args(argv)
    assistant.embeddings._QUERY_CACHE = 10_000  # every variant asks the same ~700 questions: embed each once
    embedder = E5Embeddings()
    t0 = time.perf_counter()
    sets = {path.stem: run_set(path, args.work, embedder) for path in args.files}
    names = list(variants())
    score = {n: sum(fit_vi(s["variants"][n]) or 0.0 for s in sets.values()) / len(sets) for n in names}
    chosen = max(names, key=lambda n: (score[n], n == "rrf"))
    result = {
        "machine": machine(),
        "label": "variant chosen on the fit split (Vietnamese questions); report split out-of-sample",
        "variants": variants(),
        "chosen": chosen,
        "fit_vi_recall@1_mean": {n: round(v, 4) for n, v in score.items()},
        "sets": sets,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print("| set | variant | fit VI R@1 | report VI R@1 | report VI MRR@10 | report VI R@5 | report EN R@1 |")
    print("|---|---|---|---|---|---|---|")
    for stem, data in sets.items():
        for name in names:
            agg = data["variants"][name]
            rv, re = agg.get("report_vi", {}), agg.get("report_en", {})
            mark = " (chosen)" if name == chosen else ""
            print(
                f"| {stem} | {name}{mark} | {fit_vi(agg)} | {rv.get('recall@1')} | {rv.get('mrr@10')} | "
                f"{rv.get('recall@5')} | {re.get('recall@1')} |"
            )
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
