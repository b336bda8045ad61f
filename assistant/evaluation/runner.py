"""Run a question file through the assistant and score every answer.

Each answer is produced exactly as `assistant ask` would produce it; the retrieved documents are
taken `METRIC_DEPTH` deep so recall@5 and MRR@10 are measured on the same ranking the answer saw.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from assistant.evaluation.dataset import EvalQuestion, load_questions
from assistant.evaluation.metrics import doc_ranking, key_facts_present, mean, mrr_at_k, recall_at_k
from assistant.evaluation.report import summary_table, write_markdown
from assistant.pipeline import Assistant

log = logging.getLogger(__name__)

METRIC_DEPTH = 10


@dataclass
class EvalReport:
    """Per-question results and their aggregates, as written to report.json."""

    backend: str
    questions_file: str
    results: list[dict] = field(default_factory=list)
    aggregates: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)

    def summary_table(self) -> str:
        return summary_table(self.aggregates, self.by_kind)

    def to_json(self) -> dict:
        return {
            "backend": self.backend,
            "questions_file": self.questions_file,
            "aggregates": self.aggregates,
            "by_kind": self.by_kind,
            "questions": self.results,
        }


def run_eval(
    assistant: Assistant,
    questions_file: Path,
    out_dir: Path,
    backend: str | None = None,
    limit: int | None = None,
) -> EvalReport:
    """Answer every question, score it, write report.json and report.md into `out_dir`."""
    questions = load_questions(questions_file)[:limit]
    backend = assistant.resolve_backend(backend)
    assistant.ensure_index()
    report = EvalReport(backend=backend, questions_file=str(questions_file))
    for q in tqdm(questions, desc="Evaluating", unit="q", disable=len(questions) < 10):
        report.results.append(score_question(assistant, q, backend))
    report.aggregates = aggregate(report.results)
    kinds = sorted({r["kind"] for r in report.results})
    report.by_kind = {k: aggregate([r for r in report.results if r["kind"] == k]) for k in kinds}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    write_markdown(report.to_json(), out_dir / "report.md")
    return report


def score_question(assistant: Assistant, q: EvalQuestion, backend: str) -> dict:
    answer = assistant.ask(q.question, history=q.history, depth=METRIC_DEPTH, backend=backend)
    ranking = doc_ranking([p.doc_ids for p in answer.retrieved])
    result: dict = {
        "id": q.id,
        "kind": q.kind,
        "question": q.question,
        "answerable": q.answerable,
        "answer": answer.text,
        "refused": answer.refused,
        "citations": list(dict.fromkeys(d for c in answer.citations for d in (c.doc_id, *c.also_in))),
        "retrieved": ranking,
        "gold_sources": q.sources,
        "answerability": round(answer.answerability, 4),
        "timings": answer.timings,
        "backend": answer.backend,
        "notice": answer.notice,
    }
    if q.answerable:
        result |= {
            "recall@1": recall_at_k(ranking, q.sources, 1),
            "recall@3": recall_at_k(ranking, q.sources, 3),
            "recall@5": recall_at_k(ranking, q.sources, 5),
            "mrr@10": mrr_at_k(ranking, q.sources, 10),
            "key_facts": float(not answer.refused and key_facts_present(answer.text, q.must_include)),
            "false_refusal": float(answer.refused),
        }
    else:
        result["refusal_correct"] = float(answer.refused)
    return result


def aggregate(results: list[dict]) -> dict[str, float]:
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    agg: dict[str, float] = {"n": len(results), "n_answerable": len(answerable), "n_unanswerable": len(unanswerable)}
    for key in ("recall@1", "recall@3", "recall@5", "mrr@10", "key_facts", "false_refusal"):
        if answerable:
            agg[key] = round(mean([r[key] for r in answerable]), 4)
    if unanswerable:
        agg["refusal_accuracy"] = round(mean([r["refusal_correct"] for r in unanswerable]), 4)
    decisions = [1.0 - r["false_refusal"] for r in answerable] + [r["refusal_correct"] for r in unanswerable]
    agg["refusal_decision_accuracy"] = round(mean(decisions), 4)
    agg["median_total_ms"] = round(sorted(r["timings"]["total_ms"] for r in results)[len(results) // 2], 1)
    return agg
