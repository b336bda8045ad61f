"""Out-of-sample benchmark: public SQuAD-format QA sets, ours beside the naive and competent baselines.

Usage: python benchmarks/external.py [--files FILE ...] [--limit 40] [--backends extractive,local]
       [--work runs/external] [--out benchmarks/results/external.json]

Each file is imported with `assistant dataset squad` (one article per paragraph, 10% of paragraphs
left out to make unanswerable questions), indexed in its own store, and asked every question:
- retrieval and the extractive answer, ours and naive, on every question; the competent
  baseline's retrieval (langchain EnsembleRetriever over BM25 and Chroma) on every question;
- with the local model (ours, naive, competent), a fixed sample of `--limit` questions per set
  from the report split (it takes ~5-10 s a question here).

English questions: `eval/external-en.jsonl` holds hand-written English versions of 160 questions
per set; they are asked as well (kind `english`).

Splits: questions are split by their paragraph (30% `fit`, 70% `report`, by a hash of the id), so
that anything tuned on the external sets is tuned on `fit`; the headline figures are `report`'s.
Nothing is fitted here; the file only measures. Results: JSON (with the machine it ran on), a
Markdown table, and a chart.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation.dataset import EvalQuestion, load_questions  # noqa: E402
from assistant.evaluation.judges import LexicalJudge  # noqa: E402
from assistant.evaluation.metrics import doc_ranking, mean, mrr_at_k, recall_at_k  # noqa: E402
from assistant.evaluation.runner import (  # noqa: E402
    METRIC_DEPTH,
    CachedJudge,
    aggregate,
    baseline_answerer,
    ours_answerer,
    score_all,
)
from assistant.evaluation.splits import report_sample, split_of  # noqa: E402
from assistant.evaluation.squad import import_squad  # noqa: E402
from assistant.lang.normalize import normalize  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

DEFAULT_FILES = sorted((ROOT.parent / "shared" / "eval" / "external").glob("*.json"))
TRANSLATIONS = ROOT / "eval" / "external-en.jsonl"


def english_variants(questions: list[EvalQuestion], file_name: str) -> list[EvalQuestion]:
    """The hand-written English versions of some of `questions` (same gold, kind `english`)."""
    if not TRANSLATIONS.is_file():
        return []
    english = {}
    for line in TRANSLATIONS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["file"] == file_name:
            english[normalize(item["question"])] = normalize(item["question_en"])
    return [
        dataclasses.replace(q, id=f"{q.id}-en", question=english[q.question], kind="english")
        for q in questions
        if q.question in english
    ]


def retrieval_rows(questions: list[EvalQuestion], retrieve: Callable[[EvalQuestion], list]) -> list[dict]:
    """Paragraph-level ranking metrics of a retriever alone (no answer)."""
    rows = []
    for q in questions:
        t0 = time.perf_counter()
        ranking = doc_ranking([p.doc_ids for p in retrieve(q)])
        row = {
            "id": q.id,
            "kind": q.kind,
            "answerable": q.answerable,
            "retrieved": ranking[:METRIC_DEPTH],
            "elapsed_ms": round((time.perf_counter() - t0) * 1000, 1),
        }
        if q.answerable:
            row |= {
                "recall@1": recall_at_k(ranking, q.sources, 1),
                "recall@5": recall_at_k(ranking, q.sources, 5),
                "mrr@10": mrr_at_k(ranking, q.sources, 10),
            }
        rows.append(row)
    return rows


def aggregate_retrieval(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    out: dict = {"n": len(rows), "n_answerable": len(answerable)}
    for key in ("recall@1", "recall@5", "mrr@10"):
        if answerable:
            out[key] = round(mean([r[key] for r in answerable]), 4)
    if rows:
        out["median_elapsed_ms"] = round(statistics.median(r["elapsed_ms"] for r in rows), 1)
    return out


def summarise(rows: list[dict], split: dict[str, str], retrieval_only: bool = False) -> dict:
    """Aggregates per split (fit, report, all) and, within each split, per language of the question."""
    agg = aggregate_retrieval if retrieval_only else aggregate
    out = {}
    for name in ("report", "fit", "all"):
        chosen = [r for r in rows if name == "all" or split[r["id"]] == name]
        if chosen:
            out[name] = agg(chosen)
    for name in ("report", "fit"):
        within = [r for r in rows if split[r["id"]] == name]
        for lang, pick in (("vi", lambda r: r["kind"] != "english"), ("en", lambda r: r["kind"] == "english")):
            chosen = [r for r in within if pick(r)]
            if chosen:
                out[f"{name}_{lang}"] = agg(chosen)
    return out


def run_set(path: Path, args, embedder: E5Embeddings, overrides: dict) -> dict:
    stem = path.stem
    data_dir = args.work / stem
    imported = import_squad([path], data_dir, leave_out=args.leave_out, seed=args.seed)
    base = load_questions(imported.questions_file)
    questions = base + english_variants(base, path.name)
    split = {q.id: split_of(q) for q in questions}
    settings = Settings(
        corpus_dir=imported.corpus_dir, persist_dir=data_dir / "vectorstore", llm="extractive", **overrides
    )
    assistant = Assistant(settings, embedder=embedder)
    t0 = time.perf_counter()
    index = assistant.index()
    index_s = time.perf_counter() - t0
    judge = CachedJudge(LexicalJudge(embedder, settings.eval.judge_lexical_threshold))
    pipelines: dict[str, dict] = {}
    rows_out: dict[str, list[dict]] = {}

    def record(name: str, rows: list[dict], retrieval_only: bool = False) -> None:
        rows_out[name] = rows
        pipelines[name] = summarise(rows, split, retrieval_only)
        print(f"  {stem} {name}: {json.dumps(pipelines[name].get('report', {}))}", file=sys.stderr)

    if "extractive" in args.backends:
        record(
            "ours/extractive",
            score_all(questions, ours_answerer(assistant, "extractive"), assistant, judge, "ours"),
        )
        if not args.no_baselines:
            naive = baseline_answerer(assistant, "naive", "extractive")
            record("naive/extractive", score_all(questions, naive, assistant, judge, "naive"))
    if not args.no_baselines:
        from assistant.evaluation.baselines import CompetentPipeline

        competent = CompetentPipeline(settings, embedder, depth=METRIC_DEPTH)
        record(
            "competent/retrieval", retrieval_rows(questions, lambda q: competent.retrieve(q.question, q.history)), True
        )
    llm = [b for b in args.backends if b != "extractive"]
    chosen = report_sample(questions, args.limit)
    for backend in llm:
        record(f"ours/{backend}", score_all(chosen, ours_answerer(assistant, backend), assistant, judge, "ours"))
        if not args.no_baselines:
            for name in ("naive", "competent"):
                answer = baseline_answerer(assistant, name, backend)
                record(f"{name}/{backend}", score_all(chosen, answer, assistant, judge, name))
    (data_dir / "rows.json").write_text(json.dumps(rows_out, ensure_ascii=False, indent=1), encoding="utf-8")
    return {
        "file": str(path),
        "label": "out-of-sample (report split); fit split kept for tuning",
        "articles": imported.articles,
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "english": sum(q.kind == "english" for q in questions),
        "split_counts": {s: sum(1 for v in split.values() if v == s) for s in ("fit", "report")},
        "llm_sample": len(chosen) if llm else 0,
        "index": {"chunks": index.added + index.updated + index.unchanged, "seconds": round(index_s, 1)},
        "pipelines": pipelines,
    }


_TABLE = [
    ("recall@1", "R@1"),
    ("recall@5", "R@5"),
    ("mrr@10", "MRR@10"),
    ("exact_match", "EM"),
    ("f1", "F1"),
    ("key_facts", "key facts"),
    ("answer_precision", "answer prec"),
    ("coverage", "coverage"),
    ("refusal_accuracy", "refusal acc"),
    ("false_refusal", "false refusal"),
    ("wrong_answer_rate", "wrong"),
    ("wrong_marked_supported", "wrong, marked backed"),
    ("median_elapsed_ms", "median ms"),
]


def markdown(result: dict, split: str = "report") -> str:
    lines = []
    for stem, data in result["sets"].items():
        lines += [
            f"### {stem} ({data['articles']} paragraphs, {data['questions']} questions; "
            f"split `{split}`, out-of-sample)",
            "",
            "| pipeline | n | " + " | ".join(label for _, label in _TABLE) + " | EN R@1 |",
            "|---|" + "---|" * (len(_TABLE) + 2),
        ]
        for name, agg in data["pipelines"].items():
            row = agg.get(split, {})
            cells = [
                "–" if row.get(k) is None else (f"{row[k]:.0f}" if k.endswith("_ms") else f"{row[k]:.3f}")
                for k, _ in _TABLE
            ]
            en = agg.get("report_en", {}).get("recall@1")
            lines.append(
                f"| {name} | {row.get('n', 0)} | " + " | ".join(cells) + f" | {'–' if en is None else f'{en:.3f}'} |"
            )
        lines.append("")
    return "\n".join(lines)


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    metrics = [
        ("recall@1", "R@1"),
        ("mrr@10", "MRR@10"),
        ("key_facts", "key facts"),
        ("refusal_accuracy", "refusal acc"),
    ]
    sets = list(result["sets"])
    fig, axes = plt.subplots(1, len(sets), figsize=(7 * len(sets), 4.8), dpi=110, squeeze=False)
    for ax, stem in zip(axes[0], sets, strict=True):
        pipelines = result["sets"][stem]["pipelines"]
        names = list(pipelines)
        x = np.arange(len(names))
        width = 0.8 / len(metrics)
        for i, (key, label) in enumerate(metrics):
            values = [pipelines[n].get("report", {}).get(key, np.nan) for n in names]
            ax.bar(x + i * width - 0.4 + width / 2, values, width, label=label)
        ax.set_xticks(x, names, rotation=25, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{stem} (report split, out-of-sample)")
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=Path, nargs="+", default=DEFAULT_FILES)
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "external")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "external.json")
    parser.add_argument("--limit", type=int, default=40, help="questions per set for the LLM backends")
    parser.add_argument("--backends", default="extractive,local", help="comma-separated (extractive, local, …)")
    parser.add_argument("--leave-out", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baselines", action="store_true", help="ours only (faster)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a Settings field for our pipeline"
    )
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not args.files:
        parser.error("no SQuAD files given (and none found in ../shared/eval/external)")
    overrides = dict(item.split("=", 1) for item in args.set)
    embedder = E5Embeddings()
    t0 = time.perf_counter()
    result = {
        "machine": machine(),
        "settings_overrides": overrides,
        "backends": args.backends,
        "sets": {path.stem: run_set(path, args, embedder, overrides) for path in args.files},
    }
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    table = markdown(result)
    args.out.with_suffix(".md").write_text(table, encoding="utf-8")
    chart(result, args.out.with_suffix(".png"))
    print(table)
    print(f"Wrote {args.out}, {args.out.with_suffix('.md')} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
