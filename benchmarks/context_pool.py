"""How many retrieved passages the context reads sentences from: cold cost against quality, in one run.

Usage: python benchmarks/context_pool.py [--pools 10,6,4] [--external 150] [--backend extractive]
       [--out benchmarks/results/context_pool.json]

The context scores every sentence of the first `context.sentence_pool` passages with e5, and e5
costs ~0.6 ms per token here whatever the batch: on a cold `assistant ask` it was most of
`retrieve_ms` (~0.7 s of ~0.75 s at 15k chunks). Fewer passages read means fewer sentences to embed;
the `context_pool` passages retrieved (candidates for citation repair) and the ranking measured
(R@k) do not change. The smallest pool that loses nothing is chosen on the external sets' `fit`
split and reported on their `report` split (out-of-sample) and on the project set (in-sample),
each external split with the same `--external` sample size.

Per pool and set: key facts, refusal accuracy, false refusals, answer precision, coverage, and the
cold context cost per question: e5 tokens of the sentences scored, and the context's own ms with
the sentence cache emptied before each of the first `--cold` questions of a set. Writes JSON with
the machine and prints a table.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.context import _candidates  # noqa: E402
from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation.judges import LexicalJudge  # noqa: E402
from assistant.evaluation.runner import METRIC_DEPTH, CachedJudge, aggregate, score_answer  # noqa: E402
from assistant.evaluation.splits import split_of  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from benchmarks.external import DEFAULT_FILES  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from benchmarks.variants import external_assistant, project_set, write_report  # noqa: E402

_QUALITY = ("key_facts", "refusal_accuracy", "false_refusal", "answer_precision", "coverage", "wrong_answer_rate")


def _sample(questions: list, split: str, n: int) -> list:
    """A fixed sample of `n` questions of one split (stable across runs and code changes)."""
    chosen = [q for q in questions if split_of(q) == split]
    return sorted(chosen, key=lambda q: hashlib.sha1(q.id.encode()).hexdigest())[:n]


def question_sets(args, embedder: E5Embeddings) -> list[tuple[str, str, Assistant, list]]:
    """(name, label, assistant, questions): the project set, then each external file's fit and report samples."""
    sets = [project_set(embedder, args.project)]
    for path in args.files:
        assistant, questions = external_assistant(path, args.work, embedder)
        for split, label in (("fit", "fit split (choose here)"), ("report", "out-of-sample")):
            sets.append((f"{path.stem}/{split}", label, assistant, _sample(questions, split, args.external)))
    return sets


def context_tokens(embedder: E5Embeddings, passages: list, pool: int) -> int:
    """e5 tokens of the sentences the context scores when it reads the first `pool` passages (its cold cost)."""
    model = embedder._model
    return sum(model.token_count(c.text) for c in _candidates(passages[:pool]))


def summary(rows: list[dict]) -> dict:
    out = {k: v for k, v in aggregate(rows).items() if k in (*_QUALITY, "n")}
    out["median_context_tokens"] = statistics.median(r["context_tokens"] for r in rows)
    cold = [r["context_ms"] for r in rows if r["cold"]]
    out["median_cold_context_ms"] = round(statistics.median(cold), 1) if cold else None
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", default="10,6,4")
    parser.add_argument("--project", type=int, default=93, help="first questions of eval/questions.jsonl")
    parser.add_argument("--external", type=int, default=150, help="questions per external file and split")
    parser.add_argument("--files", type=Path, nargs="*", default=DEFAULT_FILES)
    parser.add_argument("--cold", type=int, default=20, help="first questions per set timed with no cached sentence")
    parser.add_argument("--backend", default="extractive")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "context_pool")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "context_pool.json")
    args = parser.parse_args(argv)
    pools = [int(p) for p in args.pools.split(",")]
    embedder = E5Embeddings()
    embedder.warm_up()
    sets = question_sets(args, embedder)
    threshold = Settings().eval.judge_lexical_threshold
    judges = {name: CachedJudge(LexicalJudge(embedder, threshold)) for name, _, _, _ in sets}
    for _, _, assistant, _ in sets:
        assistant.warm_up()
    t0 = time.perf_counter()
    rows: dict[tuple[str, int], list[dict]] = {}
    for pool in pools:
        for name, _, assistant, questions in sets:
            assistant.settings.context.sentence_pool = pool
            for i, q in enumerate(questions):
                cold = i < args.cold
                if cold:  # these questions' sentences are embedded as on a cold start
                    embedder._cache.clear()
                answer = assistant.ask(q.question, history=q.history, depth=METRIC_DEPTH, backend=args.backend)
                row = score_answer(q, answer, assistant, judges[name])
                tokens = context_tokens(embedder, answer.retrieved, pool)
                row |= {"pool": pool, "context_tokens": tokens, "cold": cold}
                row["context_ms"] = answer.timings["context_ms"]
                rows.setdefault((name, pool), []).append(row)
            print(f"  pool {pool}: {name} done", file=sys.stderr, flush=True)
    result = {
        "machine": machine(),
        "backend": args.backend,
        "label": "project: in-sample; external fit: where the pool is chosen; external report: out-of-sample",
        "pools": pools,
        "sets": {
            name: {"label": label, "questions": len(qs), "by_pool": {p: summary(rows[(name, p)]) for p in pools}}
            for name, label, _, qs in sets
        },
        "rows": {f"{n}/{p}": r for (n, p), r in rows.items()},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_report(args.out, result, "by_pool", "pool", ("median_context_tokens", "median_cold_context_ms", *_QUALITY))


if __name__ == "__main__":
    main()
