"""The model's second opinion at answer time: what it catches, what it costs, at each threshold, in one run.

Usage: python benchmarks/model_check.py [--project 40] [--external 30] [--out benchmarks/results/model_check.json]

Each question is answered once by the local model with `model_check` on and its floor at 0, so
nothing is withheld by it but every reply that reaches the check gets its P(Yes) (`check_score`)
and its cost (`check_ms`). Any floor then gives each answer's fate without asking again: a wrong
answer below the floor is caught, a right one below it is lost. Sets as `benchmarks/token_budget.py`:
the first `--project` questions of the project set (in-sample) and `--external` report-split
questions of each external file (out-of-sample). Nothing is fitted here. Writes JSON with the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation.judges import LexicalJudge  # noqa: E402
from assistant.evaluation.runner import METRIC_DEPTH, CachedJudge, score_answer  # noqa: E402
from benchmarks.external import DEFAULT_FILES  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from benchmarks.token_budget import question_sets  # noqa: E402

FLOORS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def at_floor(rows: list[dict], floor: float) -> dict:
    """What withholding below `floor` would do to these answers."""
    checked = [r for r in rows if r.get("check_score") is not None]
    withheld = [r for r in checked if r["check_score"] < floor]
    wrong = [r for r in rows if not r["refused"] and not (r["answerable"] and r.get("key_facts"))]
    right = [r for r in rows if not r["refused"] and r["answerable"] and r.get("key_facts")]
    answered_after = [r for r in rows if not r["refused"] and r not in withheld]
    answerable = [r for r in rows if r["answerable"]]
    caught = [r for r in withheld if r in wrong]
    lost = [r for r in withheld if r in right]
    return {
        "floor": floor,
        "withheld": len(withheld),
        "wrong_caught": len(caught),
        "right_lost": len(lost),
        "wrong_before": len(wrong),
        "right_before": len(right),
        "answer_precision": round(sum(r in right for r in answered_after) / len(answered_after), 4)
        if answered_after
        else None,
        "coverage": round(sum(r["answerable"] for r in answered_after) / len(answerable), 4) if answerable else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=int, default=40)
    parser.add_argument("--external", type=int, default=30)
    parser.add_argument("--files", type=Path, nargs="*", default=DEFAULT_FILES)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "token_budget")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "model_check.json")
    args = parser.parse_args(argv)
    embedder = E5Embeddings()
    sets = question_sets(args, embedder)
    t0 = time.perf_counter()
    result: dict = {"machine": machine(), "backend": args.backend, "sets": {}}
    for name, label, assistant, questions in sets:
        assistant.settings = assistant.settings.replace(model_check=True, min_model_check=0.0)
        judge = CachedJudge(LexicalJudge(embedder, assistant.settings.eval.judge_lexical_threshold))
        assistant.answerer(assistant.resolve_backend(args.backend))
        assistant.warm_up()
        rows = []
        for q in questions:
            answer = assistant.ask(q.question, history=q.history, depth=METRIC_DEPTH, backend=args.backend)
            row = score_answer(q, answer, assistant, judge)
            row["check_ms"] = answer.timings.get("check_ms")
            rows.append(row)
        costs = [r["check_ms"] for r in rows if r["check_ms"] is not None]
        totals = [r["timings"]["total_ms"] for r in rows if r["check_ms"] is not None]
        result["sets"][name] = {
            "label": label,
            "questions": len(rows),
            "checked": len(costs),
            "median_check_ms": round(statistics.median(costs), 1) if costs else None,
            "median_total_ms_of_checked": round(statistics.median(totals), 1) if totals else None,
            "floors": [at_floor(rows, f) for f in FLOORS],
            "rows": rows,
        }
        print(f"  {name}: {len(rows)} questions, {len(costs)} checked", file=sys.stderr, flush=True)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, data in result["sets"].items():
        print(
            f"{name} ({data['label']}): {data['checked']} checked, median check {data['median_check_ms']} ms "
            f"of {data['median_total_ms_of_checked']} ms"
        )
        print("| floor | withheld | wrong caught | right lost | answer precision | coverage |")
        print("|---|---|---|---|---|---|")
        for f in data["floors"]:
            print(
                f"| {f['floor']} | {f['withheld']} | {f['wrong_caught']}/{f['wrong_before']} | "
                f"{f['right_lost']}/{f['right_before']} | {f['answer_precision']} | {f['coverage']} |"
            )
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
