"""Run a question file through the assistant (and optionally the naive baseline) and score every answer.

Each answer is produced exactly as `assistant ask` would produce it; the retrieved documents are
taken `METRIC_DEPTH` deep so recall@5 and MRR@10 are measured on the same ranking the answer saw.
Claims and citations are judged against the passages the answer was written from (its context).
Everything is deterministic (temperature 0, no sampling), so a run can be repeated exactly.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from assistant.cite import answer_sentences, strip_markers
from assistant.evaluation.claims import atomic_claims
from assistant.evaluation.dataset import EvalQuestion, load_questions
from assistant.evaluation.judge_eval import calibration_accuracy
from assistant.evaluation.judges import Judge, make_judge
from assistant.evaluation.metrics import (
    citation_scores,
    context_precision,
    cosine,
    doc_ranking,
    exact_match,
    faithfulness,
    key_facts_present,
    mean,
    mrr_at_k,
    recall_at_k,
    risk_coverage,
    token_f1,
)
from assistant.evaluation.report import summary_table, write_chart, write_markdown, write_risk_coverage
from assistant.pipeline import Assistant
from assistant.types import Answer

log = logging.getLogger(__name__)

METRIC_DEPTH = 10
CONTEXT_DEPTH = 5  # context precision is measured on the first five retrieved passages, for every pipeline
# What a question set's figures mean: fitted there, chosen by watching it, or measured on material
# nothing was tuned on. Every report names its set's label; a user's own set is out-of-sample.
LABELS = ("in-sample", "tuned-on", "out-of-sample")
_KNOWN_LABELS = {
    "eval/questions.jsonl": "in-sample",
    "eval/claims.jsonl": "in-sample",
    "dev.jsonl": "tuned-on",
    "claims-dev.jsonl": "tuned-on",
}
# Aggregated over answerable questions (None values, e.g. a refusal's faithfulness, are skipped)
_ANSWERABLE_METRICS = (
    "recall@1",
    "recall@3",
    "recall@5",
    "mrr@10",
    "context_precision",
    "key_facts",
    "answer_similarity",
    "false_refusal",
    "exact_match",
    "f1",
)
_ANSWER_METRICS = ("faithfulness", "citation_recall", "citation_precision")


@dataclass
class EvalReport:
    """Per-question results and their aggregates (per pipeline and per kind), as written to report.json."""

    backend: str
    questions_file: str
    label: str = "out-of-sample"
    judge: dict = field(default_factory=dict)
    results: list[dict] = field(default_factory=list)
    aggregates: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    baseline: dict[str, dict] = field(default_factory=dict)
    risk_coverage: list[dict[str, float]] = field(default_factory=list)

    def summary_table(self) -> str:
        rows = {"all": self.aggregates, **dict(sorted(self.by_kind.items()))}
        for name, base in self.baseline.items():
            rows[f"{name} (baseline)"] = base["aggregates"]
        return summary_table(rows)

    def to_json(self) -> dict:
        return {
            "backend": self.backend,
            "questions_file": self.questions_file,
            "label": self.label,
            "judge": self.judge,
            "aggregates": self.aggregates,
            "by_kind": self.by_kind,
            "baseline": self.baseline,
            "risk_coverage": self.risk_coverage,
            "questions": self.results,
        }


class CachedJudge:
    """Remembers verdicts within a run: citation precision asks about the same pairs repeatedly."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self.name = judge.name
        self._cache: dict[tuple[str, tuple[str, ...]], object] = {}

    def verdict(self, claim: str, passages: Sequence[str]):
        key = (claim, tuple(passages))
        if key not in self._cache:
            self._cache[key] = self.judge.judge(claim, list(passages))
        return self._cache[key]

    def supports(self, claim: str, passages: Sequence[str]) -> bool:
        return bool(self.verdict(strip_markers(claim), passages).supported)


def label_for(questions_file: Path) -> str:
    """The label of a known project file; any other set is out-of-sample (nothing here was fitted on it)."""
    path = questions_file.as_posix()
    for known, label in _KNOWN_LABELS.items():
        if path.endswith(known):
            return label
    return "out-of-sample"


def run_eval(
    assistant: Assistant,
    questions_file: Path,
    out_dir: Path,
    backend: str | None = None,
    limit: int | None = None,
    judge: str = "lexical",
    kinds: Sequence[str] | None = None,
    compare: Sequence[str] = (),
    label: str | None = None,
) -> EvalReport:
    """Answer every question, score it, write report.json, report.md and chart.png into `out_dir`."""
    questions = [q for q in load_questions(questions_file) if not kinds or q.kind in kinds][:limit]
    backend = assistant.resolve_backend(backend)
    assistant.ensure_index()
    the_judge = CachedJudge(make_judge(judge, assistant.settings, assistant.embedder))
    report = EvalReport(
        backend=backend,
        questions_file=str(questions_file),
        label=label or label_for(questions_file),
        judge={
            "name": judge,
            "calibration_accuracy": calibration_accuracy(assistant.settings.eval.judge_calibration, judge),
            "calibrated_on": str(assistant.settings.eval.judge_calibration),
        },
    )
    report.results = score_all(questions, ours_answerer(assistant, backend), assistant, the_judge, "ours")
    report.aggregates = aggregate(report.results)
    report.risk_coverage = risk_coverage(report.results)
    kinds_seen = sorted({r["kind"] for r in report.results})
    report.by_kind = {k: aggregate([r for r in report.results if r["kind"] == k]) for k in kinds_seen}
    for name in compare:
        results = score_all(questions, baseline_answerer(assistant, name, backend), assistant, the_judge, name)
        report.baseline[name] = {"aggregates": aggregate(results), "questions": results}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    write_markdown(report.to_json(), out_dir / "report.md")
    write_chart(report.to_json(), out_dir / "chart.png")
    write_risk_coverage(report.to_json(), out_dir / "risk_coverage.png")
    return report


AnswerFn = Callable[[EvalQuestion], Answer]


def ours_answerer(assistant: Assistant, backend: str) -> AnswerFn:
    """Each question answered exactly as `assistant ask` answers it, ranked `METRIC_DEPTH` deep."""

    def ours(q: EvalQuestion) -> Answer:
        return assistant.ask(q.question, history=q.history, depth=METRIC_DEPTH, backend=backend)

    return ours


def baseline_answerer(assistant: Assistant, name: str, backend: str) -> AnswerFn:
    """A baseline pipeline over the same corpus, with the same chat model as `backend` (none if extractive)."""
    from assistant.evaluation.baselines import BASELINE_TOP_K, BASELINES, CompetentPipeline, NaivePipeline

    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; use one of {', '.join(BASELINES)}")
    chat = None if backend == "extractive" else assistant.answerer(backend).chat
    top_k = BASELINE_TOP_K
    if name == "naive":
        pipeline: NaivePipeline | CompetentPipeline = NaivePipeline(
            assistant.settings.index.corpus_dir, assistant.embedder, chat
        )
    else:
        pipeline = CompetentPipeline(assistant.settings, assistant.embedder, chat, depth=METRIC_DEPTH)

    def answer(q: EvalQuestion) -> Answer:
        return pipeline.ask(q.question, q.history, top_k, METRIC_DEPTH)

    return answer


def score_all(
    questions: list[EvalQuestion],
    answer_fn: AnswerFn,
    assistant: Assistant,
    judge: CachedJudge,
    label: str,
) -> list[dict]:
    """Answer and score every question, with a progress bar on stderr."""
    out = []
    for q in tqdm(questions, desc=f"Evaluating ({label})", unit="q", disable=len(questions) < 10):
        t0 = time.perf_counter()
        answer = answer_fn(q)
        elapsed = (time.perf_counter() - t0) * 1000
        result = score_answer(q, answer, assistant, judge)
        result["elapsed_ms"] = round(elapsed, 1)
        out.append(result)
    return out


def score_answer(q: EvalQuestion, answer: Answer, assistant: Assistant, judge: CachedJudge) -> dict:
    """Every metric of one answer; judge-based ones only for answers that say something."""
    ranking = doc_ranking([p.doc_ids for p in answer.retrieved])
    result: dict = {
        "id": q.id,
        "kind": q.kind,
        "question": q.question,
        "answerable": q.answerable,
        "answer": answer.text,
        "refused": answer.refused,
        # what the app shows as backed: every sentence marked supported by the answer-time checker
        "marked_supported": all(s.supported for s in answer.support) if answer.support else None,
        # the weakest sentence's support (0 when one is not backed): what a verification threshold cuts on
        "support_score": min((s.score if s.supported else 0.0) for s in answer.support) if answer.support else None,
        "check_score": answer.check_score,
        "decision": answer.decision.to_json(),
        "citations": list(dict.fromkeys(d for c in answer.citations for d in (c.doc_id, *c.also_in))),
        "retrieved": ranking,
        "gold_sources": q.sources,
        "timings": answer.timings,
        "backend": answer.backend,
        "notice": answer.notice,
    }
    passages = [p.text for p in answer.context or answer.retrieved[:CONTEXT_DEPTH]]
    if not answer.refused and passages:
        claims = atomic_claims(answer.text)
        verdicts = [judge.verdict(c, passages) for c in claims]
        result["claims"] = [
            {"claim": c, "supported": bool(v.supported), "score": v.score, "reason": v.reason}
            for c, v in zip(claims, verdicts, strict=True)
        ]
        result["faithfulness"] = faithfulness([bool(v.supported) for v in verdicts])
        recall, precision = citation_scores(answer_sentences(answer.text), numbered(answer), judge.supports)
        result["citation_recall"], result["citation_precision"] = recall, precision
    if q.answerable:
        gold = set(q.sources)
        result |= {
            "recall@1": recall_at_k(ranking, q.sources, 1),
            "recall@3": recall_at_k(ranking, q.sources, 3),
            "recall@5": recall_at_k(ranking, q.sources, 5),
            "mrr@10": mrr_at_k(ranking, q.sources, 10),
            "context_precision": context_precision(
                [bool(gold & set(p.doc_ids)) for p in answer.retrieved[:CONTEXT_DEPTH]]
            ),
            "key_facts": float(not answer.refused and key_facts_present(answer.text, q.must_include)),
            "exact_match": _span_metric(exact_match, answer, q),
            "f1": _span_metric(token_f1, answer, q),
            "answer_similarity": _similarity(assistant, answer, q.reference),
            "false_refusal": float(answer.refused),
        }
    else:
        result["refusal_correct"] = float(answer.refused)
    return result


def _span_metric(metric: Callable[[str, Sequence[str]], float], answer: Answer, q: EvalQuestion) -> float | None:
    """SQuAD EM or F1 of the answer text (markers stripped) against the gold spans; 0 for a refusal."""
    golds = q.answers or [alt for group in q.must_include for alt in group]
    if not golds:
        return None
    return 0.0 if answer.refused else round(metric(strip_markers(answer.text), golds), 4)


def numbered(answer: Answer) -> list[str]:
    """Passage texts by the numbers the answer's markers use (1-based; "" where nothing is cited).

    A model answer numbers the passages it was shown, which after focusing and completion need
    not be the first ones retrieved: scoring `[1]` against the top-ranked passage credited or
    blamed the wrong text (citation recall 0.40 on our set for answers whose citations were right).
    """
    texts = [""] * max((c.n for c in answer.citations), default=0)
    for c in answer.citations:
        texts[c.n - 1] = c.text
    return texts


def _similarity(assistant: Assistant, answer: Answer, reference: str) -> float | None:
    """Semantic similarity of the answer to the reference answer (e5 cosine); 0 for a refusal."""
    if not reference:
        return None
    if answer.refused:
        return 0.0
    a, b = assistant.embedder.embed_passages([strip_markers(answer.text), reference])
    return round(cosine(a, b), 4)


def aggregate(results: list[dict]) -> dict[str, float]:
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    agg: dict[str, float] = {"n": len(results), "n_answerable": len(answerable), "n_unanswerable": len(unanswerable)}
    for key in _ANSWERABLE_METRICS:
        values = [r[key] for r in answerable if r.get(key) is not None]
        if values:
            agg[key] = round(mean(values), 4)
    for key in _ANSWER_METRICS:
        values = [r[key] for r in results if r.get(key) is not None]
        if values:
            agg[key] = round(mean(values), 4)
    if unanswerable:
        agg["refusal_accuracy"] = round(mean([r["refusal_correct"] for r in unanswerable]), 4)
    answered = [r for r in results if not r["refused"]]
    answered_answerable = [r for r in answered if r["answerable"]]
    if answerable:
        agg["coverage"] = round(len(answered_answerable) / len(answerable), 4)
    if answered_answerable:
        agg["answer_precision"] = round(mean([r["key_facts"] for r in answered_answerable]), 4)
    if answered:
        wrong = [r for r in answered if not r["answerable"] or not r["key_facts"]]
        agg["wrong_answer_rate"] = round(len(wrong) / len(answered), 4)
        if any(r.get("marked_supported") is not None for r in answered):  # baselines mark nothing
            # the failure a user cannot see: a wrong answer the app marks as backed by its sources
            shown_backed = sum(bool(r.get("marked_supported")) for r in wrong)
            agg["wrong_marked_supported"] = round(shown_backed / len(answered), 4)
    decisions = [1.0 - r["false_refusal"] for r in answerable] + [r["refusal_correct"] for r in unanswerable]
    agg["refusal_decision_accuracy"] = round(mean(decisions), 4)
    totals = sorted(r["timings"].get("total_ms", 0.0) for r in results if r.get("timings"))
    if totals:
        agg["median_total_ms"] = round(totals[len(totals) // 2], 1)
    elapsed = sorted(r["elapsed_ms"] for r in results if "elapsed_ms" in r)
    if elapsed:
        agg["median_elapsed_ms"] = round(elapsed[len(elapsed) // 2], 1)
    return agg


def check_gate(aggregates: dict[str, float], gate: dict[str, float]) -> list[str]:
    """The gate's failures: each metric below its minimum (or above its maximum for `max_…` keys)."""
    failures = []
    for key, bound in gate.items():
        if key.startswith("max_"):
            metric = key[4:]
            value = aggregates.get(metric)
            if value is None or value > bound:
                failures.append(f"{metric} = {value} > {bound}")
        else:
            value = aggregates.get(key)
            if value is None or value < bound:
                failures.append(f"{key} = {value} < {bound}")
    return failures
