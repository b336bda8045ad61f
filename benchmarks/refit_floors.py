"""Re-fit the refusal floors on the external sets' fit split, and report them where nothing was fitted.

Usage: python benchmarks/refit_floors.py [--out benchmarks/results/refit_floors.json]

The floors of `off_topic` (e5 similarity of the best passage, one for Vietnamese questions and one
for English ones) and of `quote_off_question` (key-term coverage of the quoted passages) were
fitted on the project's own questions, where no question is refused wrongly; out of sample they
refuse a third of the answerable questions. Here every set of `benchmarks/ablation.py` is answered
once by the extractive backend with those rules off, and each question keeps what the rules read:
the best e5 similarity, the coverage of the quote's passages, the folded coverage of a question
typed without diacritics. Every choice of floors then gives each question's decision without
asking again (the other rules are unchanged, and switching these off changes no quote).

Fitted on: the external sets' `fit` split (30% of paragraphs), Vietnamese and English questions
pooled. Objectives (`--objective`): `balanced`, the mean of (answerable questions answered) and
(unanswerable questions refused), so that the seven-to-one share of answerable questions does not
make "never refuse" the winner; `net`, right answers minus wrong ones (what a user who trusts
every answer gains). `--rows` re-fits from a saved run's rows without answering again. Reported
on every set, each with its label; the `report` splits and their counterfactual questions
(`report-cf`) are out-of-sample.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation.judges import LexicalJudge  # noqa: E402
from assistant.evaluation.runner import METRIC_DEPTH, CachedJudge, score_answer  # noqa: E402
from assistant.lang.words import term_coverage  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from benchmarks.ablation import question_sets  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

FITTED = ("off_topic", "quote_off_question")
GRID = {
    "min_dense_similarity": np.round(np.arange(0.70, 0.851, 0.005), 3),
    "min_dense_similarity_en": np.round(np.arange(0.70, 0.851, 0.005), 3),
    "min_quote_coverage": np.round(np.arange(0.0, 0.901, 0.05), 2),
}


def features(assistant: Assistant, questions, judge: CachedJudge) -> list[dict]:
    """Each question answered with the fitted rules off, and what those rules would read."""
    s = assistant.settings.decide
    rows = []
    for q in questions:
        query = assistant.analyse(q.question, q.history, "extractive")
        retrieval = assistant.retrieve(query, METRIC_DEPTH)
        answer = assistant.ask(q.question, history=q.history, depth=METRIC_DEPTH, backend="extractive")
        row = score_answer(q, answer, assistant, judge)
        top = "\n".join(p.text for p in retrieval.passages[:5])
        quoted = "\n".join(c.text for c in answer.citations)
        checked = not query.english and query.self_contained
        rows.append(
            {
                "id": q.id,
                "answerable": q.answerable,
                "english": query.english,
                "refused_by_others": answer.refused,
                "right": bool(row.get("key_facts")),
                "best_dense": retrieval.best_dense,
                # off_topic lets a question typed without diacritics through on its folded terms
                "folded_ok": query.typed_without_diacritics
                and term_coverage(query.standalone, top, assistant.retriever.idf).score >= s.min_coverage_folded,
                "quote_coverage": term_coverage(query.text, quoted, assistant.retriever.idf).score if checked else None,
            }
        )
    return rows


def decide(rows: list[dict], floors: dict[str, float]) -> np.ndarray:
    """Refused or not, per row, under `floors` (the rules in `decide.py`'s order)."""
    out = []
    for r in rows:
        floor = floors["min_dense_similarity_en" if r["english"] else "min_dense_similarity"]
        off_topic = r["best_dense"] < floor and not r["folded_ok"]
        quote_off = r["quote_coverage"] is not None and r["quote_coverage"] < floors["min_quote_coverage"]
        out.append(off_topic or r["refused_by_others"] or quote_off)
    return np.array(out, dtype=bool)


def scores(rows: list[dict], refused: np.ndarray) -> dict[str, float | int]:
    answerable = np.array([r["answerable"] for r in rows], dtype=bool)
    right = np.array([r["right"] for r in rows], dtype=bool)
    answered = ~refused
    out: dict[str, float | int] = {"n": len(rows), "n_unanswerable": int((~answerable).sum())}
    if answerable.any():
        out["false_refusal"] = round(float(refused[answerable].mean()), 4)
        out["key_facts"] = round(float((answered & right)[answerable].mean()), 4)
        out["coverage"] = round(float(answered[answerable].mean()), 4)
    if (~answerable).any():
        out["refusal_accuracy"] = round(float(refused[~answerable].mean()), 4)
    if answered.any():
        out["answer_precision"] = round(float((right & answerable)[answered].mean()), 4)
    parts = [1 - out[k] if k == "false_refusal" else out[k] for k in ("false_refusal", "refusal_accuracy") if k in out]
    out["balanced_refusal_accuracy"] = round(float(np.mean(parts)), 4)
    return out


def net_gain(rows: list[dict], refused: np.ndarray) -> float:
    """Right answers minus wrong ones (an answer to an unanswerable question is wrong)."""
    right = np.array([r["right"] and r["answerable"] for r in rows], dtype=bool)
    return float((~refused & right).sum() - (~refused & ~right).sum())


def objective(name: str, rows: list[dict], refused: np.ndarray) -> float:
    return net_gain(rows, refused) if name == "net" else float(scores(rows, refused)["balanced_refusal_accuracy"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "ablation")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "refit_floors.json")
    parser.add_argument("--objective", choices=("balanced", "net"), default="balanced")
    parser.add_argument("--rows", type=Path, help="re-fit from this saved run (its .rows.json) instead of answering")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    rows_file = args.work / "refit_floors.rows.json"
    per_set: dict[str, dict] = json.loads(args.rows.read_text(encoding="utf-8")) if args.rows else {}
    embedder = None if args.rows else E5Embeddings()
    for name, label, corpus, store, questions in [] if args.rows else question_sets(args):
        settings = Settings(corpus_dir=corpus, persist_dir=store, llm="extractive", rules_off=",".join(FITTED))
        assistant = Assistant(settings, embedder=embedder)
        assistant.ensure_index()
        judge = CachedJudge(LexicalJudge(embedder, settings.eval.judge_lexical_threshold))
        per_set[name] = {"label": label, "rows": features(assistant, questions, judge)}
        print(f"  {name}: {len(questions)} questions", file=sys.stderr, flush=True)
    defaults = Settings().decide
    before = {k: float(getattr(defaults, k)) for k in GRID}
    fit_rows = [r for name, data in per_set.items() if name.endswith("/fit") for r in data["rows"]]
    best, best_score = before, -1.0
    for values in itertools.product(*GRID.values()):
        floors = dict(zip(GRID, map(float, values), strict=True))
        score = objective(args.objective, fit_rows, decide(fit_rows, floors))
        if score > best_score + 1e-9:
            best, best_score = floors, score
    result = {
        "machine": machine(),
        "fitted_on": "external sets, fit split (Vietnamese and English questions pooled); extractive backend",
        "objective": args.objective,
        "floors_before": before,
        "floors_after": best,
        "sets": {
            name: {
                "label": data["label"],
                "before": scores(data["rows"], decide(data["rows"], before))
                | {"net_gain": net_gain(data["rows"], decide(data["rows"], before))},
                "after": scores(data["rows"], decide(data["rows"], best))
                | {"net_gain": net_gain(data["rows"], decide(data["rows"], best))},
            }
            for name, data in per_set.items()
        },
        "seconds": round(time.perf_counter() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    if not args.rows:
        rows_file.parent.mkdir(parents=True, exist_ok=True)
        rows_file.write_text(json.dumps(per_set, ensure_ascii=False), encoding="utf-8")
    keys = ("false_refusal", "refusal_accuracy", "key_facts", "balanced_refusal_accuracy", "net_gain")
    print(f"floors before {before}\nfloors after  {best}")
    print("| set | label | " + " | ".join(f"{k} before → after" for k in keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for name, data in result["sets"].items():
        cells = [f"{data['before'].get(k, '–')} → {data['after'].get(k, '–')}" for k in keys]
        print(f"| {name} | {data['label']} | " + " | ".join(cells) + " |")
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
