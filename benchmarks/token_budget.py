"""What the model reads against what it gets right: answer speed and quality per context budget, in one run.

Usage: python benchmarks/token_budget.py [--budgets 400,250,150] [--project 40] [--external 20]
       [--backend local] [--out benchmarks/results/token_budget.json]

Prefill of the passages and question is most of a CPU model's wait (issue 21), so the smallest
budget (`context.context_budget_tokens`, cl100k tokens of passage sentences) that loses nothing
is the one to keep. Each budget is one pass over every question. (Not the budgets one after the
other for the same question: the shorter prompt is then a prefix of the longer one still in the
model's KV cache, and its prefill is nearly free.)
Sets: the first `--project` questions of `eval/questions.jsonl` (in-sample) and a fixed sample of
`--external` report-split questions of each external SQuAD file (out-of-sample; imported and
indexed as `benchmarks/external.py` does). Quality is scored by the evaluation's own scorer (key
facts, refusals, answer precision); speed from each answer's own timings. Writes JSON with the
machine it ran on, and prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation.judges import LexicalJudge  # noqa: E402
from assistant.evaluation.runner import METRIC_DEPTH, CachedJudge, aggregate, score_answer  # noqa: E402
from assistant.evaluation.splits import report_sample  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from benchmarks.external import DEFAULT_FILES  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from benchmarks.variants import external_assistant, project_set, write_report  # noqa: E402

_QUALITY = ("key_facts", "refusal_accuracy", "false_refusal", "answer_precision", "coverage", "wrong_answer_rate")


def question_sets(args, embedder: E5Embeddings) -> list[tuple[str, str, Assistant, list]]:
    """(name, label, assistant, questions) for the project set and each external file."""
    sets = [project_set(embedder, args.project)]
    for path in args.files:
        assistant, questions = external_assistant(path, args.work, embedder)
        sets.append((path.stem, "out-of-sample", assistant, report_sample(questions, args.external)))
    return sets


def summary(rows: list[dict]) -> dict:
    out = {k: v for k, v in aggregate(rows).items() if k in (*_QUALITY, "n")}
    generated = [r for r in rows if r["generated"]]
    for key in ("first_token_ms", "total_ms"):
        values = [r["timings"][key] for r in generated if key in r["timings"]]
        out[f"median_{key}"] = round(statistics.median(values), 1) if values else None
    out["generated"] = len(generated)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="400,250,150")
    parser.add_argument("--project", type=int, default=40, help="first questions of eval/questions.jsonl")
    parser.add_argument("--external", type=int, default=20, help="report-split questions per external file")
    parser.add_argument("--files", type=Path, nargs="*", default=DEFAULT_FILES)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "token_budget")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "token_budget.json")
    args = parser.parse_args(argv)
    budgets = [int(b) for b in args.budgets.split(",")]
    embedder = E5Embeddings()
    sets = question_sets(args, embedder)
    t0 = time.perf_counter()
    rows: dict[tuple[str, int], list[dict]] = {}
    judges = {}
    for name, _, assistant, _ in sets:
        judges[name] = CachedJudge(LexicalJudge(embedder, assistant.settings.eval.judge_lexical_threshold))
        assistant.answerer(assistant.resolve_backend(args.backend))  # load before the first timing
        assistant.warm_up()
    for budget in budgets:
        for name, _, assistant, questions in sets:
            assistant.settings.context.context_budget_tokens = budget
            for q in questions:
                answer = assistant.ask(q.question, history=q.history, depth=METRIC_DEPTH, backend=args.backend)
                row = score_answer(q, answer, assistant, judges[name])
                # the model wrote something (a refusal decided before it runs costs no generation)
                row["generated"] = answer.backend == args.backend and answer.timings.get("generate_ms", 0) > 50
                row["budget"] = budget
                rows.setdefault((name, budget), []).append(row)
            print(f"  budget {budget}: {name} done", file=sys.stderr, flush=True)
    result = {
        "machine": machine(),
        "backend": args.backend,
        "label": "project: in-sample; external: out-of-sample (report split); nothing fitted here",
        "budgets": budgets,
        "sets": {
            name: {"label": label, "questions": len(qs), "by_budget": {b: summary(rows[(name, b)]) for b in budgets}}
            for name, label, _, qs in sets
        },
        "rows": {f"{n}/{b}": r for (n, b), r in rows.items()},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_report(args.out, result, "by_budget", "budget", ("median_first_token_ms", "median_total_ms", *_QUALITY))


if __name__ == "__main__":
    main()
