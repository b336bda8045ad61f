"""Choose the refusal settings on a question file; print them and write every question's features.

Usage: python benchmarks/calibrate_refusal.py [eval/questions.jsonl] [--out benchmarks/results/refusal.json]

Two knobs decide refusals in the extractive backend:
- `min_dense_similarity` (+ `_en`): refuse off-topic questions before answering. Set just under
  the least similar answerable question (minus a margin), so it never refuses those.
- `extractive_min_coverage`: refuse when the quoted passages cover too little of the question.
  Chosen to maximise balanced accuracy (answerable answered, unanswerable refused).
Run it on the project's own set, never on the dev set, so the dev set stays a fair check.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation.dataset import load_questions
from assistant.pipeline import Assistant

MARGIN = 0.01


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", nargs="?", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/refusal.json"))
    args = parser.parse_args()

    # measure with both refusal mechanisms off
    settings = Settings(min_dense_similarity=0.0, min_dense_similarity_en=0.0, extractive_min_coverage=0.0)
    assistant = Assistant(settings)
    assistant.ensure_index()
    rows = []
    for q in load_questions(args.questions):
        r = assistant.retrieve(q.question, q.history)
        answer = assistant.ask(q.question, q.history)
        rows.append(
            {
                "id": q.id,
                "kind": q.kind,
                "answerable": q.answerable,
                **r.features,
                "answer_coverage": answer.features.get("coverage", 0.0),
                "refused_without_threshold": answer.refused,
            }
        )

    answerable = [r for r in rows if r["answerable"]]
    floor_vi = min(r["dense"] for r in answerable if not r["english"]) - MARGIN
    floor_en = min((r["dense"] for r in answerable if r["english"]), default=floor_vi + MARGIN) - MARGIN

    def balanced_accuracy(threshold: float) -> float:
        scored = [r for r in rows if not r["english"] and not r["refused_without_threshold"]]
        pos = [r for r in scored if r["answerable"]]
        neg = [r for r in scored if not r["answerable"]]
        tpr = sum(r["answer_coverage"] >= threshold for r in pos) / max(len(pos), 1)
        tnr = sum(r["answer_coverage"] < threshold for r in neg) / max(len(neg), 1)
        return (tpr + tnr) / 2

    grid = [round(0.05 * i, 2) for i in range(0, 17)]
    best = max(grid, key=lambda t: (balanced_accuracy(t), -t))
    result = {
        "questions": str(args.questions),
        "settings": {
            "ASSISTANT_MIN_DENSE_SIMILARITY": round(floor_vi, 3),
            "ASSISTANT_MIN_DENSE_SIMILARITY_EN": round(floor_en, 3),
            "ASSISTANT_EXTRACTIVE_MIN_COVERAGE": best,
        },
        "balanced_accuracy_by_coverage_threshold": {t: round(balanced_accuracy(t), 4) for t in grid},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
