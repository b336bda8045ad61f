"""What the benchmarks that try one setting at several values share: the question sets, the report.

`token_budget.py` and `context_pool.py` each run the project set (in-sample) and samples of the
external SQuAD files (imported and indexed as `benchmarks/external.py` does) once per value of one
setting, then write one JSON and print one table of the same shape.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.config import Settings
from assistant.embeddings import E5Embeddings
from assistant.evaluation.dataset import EvalQuestion, load_questions
from assistant.evaluation.squad import import_squad
from assistant.pipeline import Assistant

ROOT = Path(__file__).resolve().parent.parent


def project_set(embedder: E5Embeddings, limit: int) -> tuple[str, str, Assistant, list[EvalQuestion]]:
    """The first `limit` questions of `eval/questions.jsonl`, on the default index."""
    project = Assistant(Settings(), embedder=embedder)
    project.ensure_index()
    return "project", "in-sample", project, load_questions(ROOT / "eval" / "questions.jsonl")[:limit]


def external_assistant(path: Path, work: Path, embedder: E5Embeddings) -> tuple[Assistant, list[EvalQuestion]]:
    """One external file imported into `work/<stem>` and indexed there, with all its questions."""
    data_dir = work / path.stem
    imported = import_squad([path], data_dir, leave_out=0.1, seed=0)
    settings = Settings(corpus_dir=imported.corpus_dir, persist_dir=data_dir / "vectorstore")
    assistant = Assistant(settings, embedder=embedder)
    assistant.index()
    return assistant, load_questions(imported.questions_file)


def write_report(out: Path, result: dict, by: str, column: str, cols: tuple[str, ...]) -> None:
    """Write `result` as JSON and print its table: one row per set and value of `result["sets"][*][by]`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"| set | {column} | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name, data in result["sets"].items():
        for value, agg in data[by].items():
            print(f"| {name} ({data['label']}) | {value} | " + " | ".join(str(agg.get(c, "–")) for c in cols) + " |")
    print(f"Wrote {out}")
