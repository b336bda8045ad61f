"""What each rule is worth: the evaluation with every rule on, then with each switched off in turn.

Usage: python benchmarks/ablation.py [--backends extractive,local] [--limit 40] [--rules a,b]
       [--out benchmarks/results/ablation.json]

Sets: the project's own questions (in-sample: rules and thresholds were fitted there), the shared
dev set (tuned-on), and the two external SQuAD sets imported as in benchmarks/external.py, whose
`report` split is out-of-sample (the `fit` split is reported apart, for tuning), with `report-cf`:
the report split's answerable questions with a stated year or number changed, so that nothing
answers them (`assistant/evaluation/perturb.py`). With a model
backend, the external sets use the same fixed sample of `--limit` questions per set.

Per set and configuration: key facts (answerable questions answered with a gold span), refusal
accuracy (unanswerable ones refused), false refusals, wrong-answer rate (answers that are wrong,
among all answers) and coverage. A rule earns its keep when switching it off makes the
out-of-sample sets worse: more wrong answers, or fewer right ones.

Switching a rule off changes only the decision and the citation steps, so the query, retrieval
and context of each question are computed once and reused by every configuration, and a model's
replies are cached by prompt: each configuration only generates the replies it has not seen.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from langchain_core.language_models.chat_models import BaseChatModel  # noqa: E402

from assistant import decide  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation.dataset import EvalQuestion, load_questions  # noqa: E402
from assistant.evaluation.metrics import key_facts_present  # noqa: E402
from assistant.evaluation.perturb import perturbed  # noqa: E402
from assistant.evaluation.runner import aggregate  # noqa: E402
from assistant.evaluation.splits import report_sample, split_of  # noqa: E402
from assistant.evaluation.squad import import_squad  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from benchmarks.external import DEFAULT_FILES, english_variants  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

_METRICS = (
    "key_facts",
    "refusal_accuracy",
    "false_refusal",
    "wrong_answer_rate",
    "wrong_marked_supported",
    "coverage",
    "answer_precision",
)


class _Memo:
    """Query, retrieval and context of a question computed once; chat replies cached by prompt."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.queries: dict = {}
        self.retrievals: dict = {}
        self.contexts: dict = {}
        analyse, retrieve, build = assistant.analyse, assistant.retriever.retrieve, assistant.contexts.build

        def cached_analyse(question, history=(), backend="extractive"):
            key = (question, tuple(history), backend)
            if key not in self.queries:
                self.queries[key] = analyse(question, history, backend)
            return self.queries[key]

        def cached_retrieve(query, k):
            key = (query, k)
            if key not in self.retrievals:
                self.retrievals[key] = retrieve(query, k)
            return self.retrievals[key]

        def cached_build(query, retrieval, top_k=None):
            key = (query, top_k)
            if key not in self.contexts:
                self.contexts[key] = build(query, retrieval, top_k)
            return self.contexts[key]

        assistant.analyse = cached_analyse
        assistant.retriever.retrieve = cached_retrieve
        assistant.contexts.build = cached_build


def cache_replies(chat: BaseChatModel, cache: dict) -> None:
    """Replies keyed by the prompt: the same prompt is answered once per run (temperature 0)."""
    stream = chat.stream

    def cached_stream(messages, *args, **kwargs):
        key = (tuple((m.type, str(m.content)) for m in messages), json.dumps(kwargs, sort_keys=True, default=str))
        if key not in cache:
            cache[key] = [c for c in stream(messages, *args, **kwargs)]
        yield from cache[key]

    object.__setattr__(chat, "stream", cached_stream)


def answer_rows(assistant: Assistant, questions: list[EvalQuestion], backend: str) -> list[dict]:
    rows = []
    for q in questions:
        answer = assistant.ask(q.question, history=q.history, backend=backend)
        row = {
            "id": q.id,
            "kind": q.kind,
            "answerable": q.answerable,
            "refused": answer.refused,
            "reason": answer.decision.reason,
            "marked_supported": all(s.supported for s in answer.support) if answer.support else None,
        }
        if q.answerable:
            row["key_facts"] = float(not answer.refused and key_facts_present(answer.text, q.must_include))
            row["false_refusal"] = float(answer.refused)
        else:
            row["refusal_correct"] = float(answer.refused)
        rows.append(row)
    return rows


def summarise(rows: list[dict]) -> dict:
    agg = aggregate(rows)
    return {k: agg[k] for k in ("n", *_METRICS) if k in agg}


def question_sets(args) -> list[tuple[str, str, Path, Path, list[EvalQuestion]]]:
    """(name, label, corpus, store, questions) for each set."""
    sets = [
        (
            "project",
            "in-sample",
            ROOT / "seeds",
            args.work / "seeds",
            load_questions(ROOT / "eval" / "questions.jsonl"),
        ),
    ]
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    if dev.is_file():
        sets.append(("dev", "tuned-on", ROOT / "seeds", args.work / "seeds", load_questions(dev)))
    for path in DEFAULT_FILES:
        data_dir = args.work / path.stem
        imported = import_squad([path], data_dir, leave_out=0.1, seed=0)
        base = load_questions(imported.questions_file)
        questions = base + english_variants(base, path.name)
        for split, label in (("report", "out-of-sample"), ("fit", "fit split")):
            chosen = [q for q in questions if split_of(q) == split]
            sets.append((f"{path.stem}/{split}", label, imported.corpus_dir, data_dir / "vectorstore", chosen))
        corpus_text = "\n".join(f.read_text(encoding="utf-8") for f in sorted(imported.corpus_dir.glob("*.txt")))
        changed = [q for q in perturbed(base, corpus_text) if split_of(q) == "report"]
        sets.append((f"{path.stem}/report-cf", "out-of-sample", imported.corpus_dir, data_dir / "vectorstore", changed))
    return sets


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="extractive")
    parser.add_argument("--limit", type=int, default=40, help="external questions per set for a model backend")
    parser.add_argument("--rules", default="", help="only these rules (default: every switchable one)")
    parser.add_argument("--sets", default="", help="only sets whose name contains one of these (comma-separated)")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "ablation")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ablation.json")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    rules = [r.strip() for r in args.rules.split(",") if r.strip()] or decide.switchable()
    decide.check_rules_off(rules)
    embedder = E5Embeddings()
    replies: dict = {}
    t0 = time.perf_counter()
    result: dict = {"machine": machine(), "rules": rules, "sets": {}}
    wanted = [w.strip() for w in args.sets.split(",") if w.strip()]
    for name, label, corpus, store, questions in question_sets(args):
        if wanted and not any(w in name for w in wanted):
            continue
        assistant = Assistant(Settings(corpus_dir=corpus, persist_dir=store, llm="extractive"), embedder=embedder)
        assistant.ensure_index()
        _Memo(assistant)
        base_settings = assistant.settings
        entry: dict = {"label": label, "questions": len(questions), "backends": {}}
        for backend in backends:
            chosen = questions
            if backend != "extractive":
                cache_replies(assistant.answerer(backend).chat, replies)
                if name.endswith("/report"):
                    chosen = report_sample(questions, args.limit)
                elif name.endswith("/fit"):
                    chosen = questions[: args.limit]
            configs: dict[str, dict] = {}
            for off in ["", *rules]:
                assistant.settings = base_settings.replace(rules_off=off)
                rows = answer_rows(assistant, chosen, backend)
                configs[off or "all rules on"] = summarise(rows)
                print(f"{name} {backend} off={off or '-'}: {configs[off or 'all rules on']}", file=sys.stderr)
            assistant.settings = base_settings
            base = configs["all rules on"]
            for off in rules:
                configs[off]["delta"] = {
                    k: round(configs[off][k] - base[k], 4) for k in _METRICS if k in base and k in configs[off]
                }
            entry["backends"][backend] = {"n": len(chosen), "configs": configs}
        result["sets"][name] = entry
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    table = markdown(result)
    args.out.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)


def markdown(result: dict) -> str:
    """One table per backend: rows are rules switched off, columns the change of each metric per set."""
    lines = []
    backends = sorted({b for s in result["sets"].values() for b in s["backends"]})
    for backend in backends:
        sets = [(n, s) for n, s in result["sets"].items() if backend in s["backends"]]
        lines += [f"### {backend}: change when the rule is switched off (key facts / wrong-answer rate)", ""]
        lines.append("| rule off | " + " | ".join(f"{n} ({s['label']})" for n, s in sets) + " |")
        lines.append("|---|" + "---|" * len(sets))
        base_cells = []
        for _, s in sets:
            b = s["backends"][backend]["configs"]["all rules on"]
            base_cells.append(f"{b.get('key_facts', 0):.3f} / {b.get('wrong_answer_rate', 0):.3f}")
        lines.append("| (all on: values) | " + " | ".join(base_cells) + " |")
        for rule in result["rules"]:
            cells = []
            for _, s in sets:
                d = s["backends"][backend]["configs"][rule].get("delta", {})
                cells.append(f"{d.get('key_facts', 0):+.3f} / {d.get('wrong_answer_rate', 0):+.3f}")
            lines.append(f"| {rule} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
