"""The `assistant` command: index, ask, eval.

Errors a user can cause (`AssistantError`) end in one line on stderr and exit code 2; anything
else is a bug and keeps its traceback (exit 1). Progress and logs go to stderr so `--json`
output on stdout stays machine-readable.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from assistant.errors import AssistantError, InvalidInputFileError

log = logging.getLogger("assistant")


def _offline_environment() -> None:
    # Nothing here may reach a model hub or send telemetry; fail fast instead of hanging.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Trợ lý Chuyển đổi số: cited answers.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p_index = sub.add_parser("index", help="build or update the index of the corpus folder")
    p_index.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    p_index.add_argument(
        "--cluster",
        metavar="ADDRESS",
        default=None,
        help="embed on a Dask cluster (scheduler address, or 'auto' for a local one); needs ASSISTANT_CHROMA_HOST",
    )
    p_index.add_argument(
        "--workers", type=int, default=None, help="workers of the local cluster (--cluster auto; default: one per core)"
    )

    p_remove = sub.add_parser("remove", help="delete an article from the corpus folder and the index")
    p_remove.add_argument("doc_id", metavar="DOC_ID", help="its document id (the file path without suffix)")

    p_ask = sub.add_parser("ask", help="answer a question with citations")
    p_ask.add_argument("question")
    p_ask.add_argument("--history", type=Path, help='JSON list of {"role","content"} messages')
    p_ask.add_argument("--json", action="store_true", help="print one JSON object")
    p_ask.add_argument("--top-k", type=int, default=None)
    p_ask.add_argument(
        "--backend", default=None, help="local, openai, transformers or extractive (default: ASSISTANT_LLM)"
    )

    p_serve = sub.add_parser("serve", help="start the Gradio chat app (same as python app.py)")
    p_serve.add_argument("--port", type=int, default=None, help="default: ASSISTANT_PORT (7860)")

    p_eval = sub.add_parser("eval", help="evaluate on a JSONL question file")
    p_eval.add_argument("--questions", type=Path, required=True)
    p_eval.add_argument("--out", type=Path, default=Path("runs/eval"))
    p_eval.add_argument("--backend", default=None, help="answer backend (default: ASSISTANT_LLM)")
    p_eval.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p_eval.add_argument("--judge", default="lexical", help="lexical (default, fast), local or api")
    p_eval.add_argument("--kinds", default=None, help="comma-separated question kinds, e.g. english,follow-up")
    p_eval.add_argument(
        "--compare",
        action="append",
        default=[],
        choices=["naive", "competent"],
        help="also run a baseline (repeatable)",
    )
    p_eval.add_argument(
        "--label",
        choices=["in-sample", "tuned-on", "out-of-sample"],
        default=None,
        help="what the set's figures mean (default: known project sets by name, any other set out-of-sample)",
    )
    p_eval.add_argument("--gate", type=Path, default=None, help="JSON thresholds; exit 3 when an aggregate misses")

    p_data = sub.add_parser("dataset", help="turn a public QA dataset into a corpus folder and a question file")
    data_sub = p_data.add_subparsers(dest="format", required=True)
    p_squad = data_sub.add_parser("squad", help="SQuAD-format JSON files (1.1 or 2.0)")
    p_squad.add_argument("files", type=Path, nargs="+", metavar="FILE")
    p_squad.add_argument("--out", type=Path, required=True, help="writes OUT/corpus/ and OUT/questions.jsonl")
    p_squad.add_argument(
        "--leave-out",
        type=float,
        default=0.1,
        help="share of paragraphs kept out of the corpus; their questions become unanswerable (default 0.1)",
    )
    p_squad.add_argument("--seed", type=int, default=0, help="which paragraphs are left out (default 0)")

    p_judge = sub.add_parser("eval-judge", help="measure judges on (passage, claim, label) items")
    p_judge.add_argument("--claims", type=Path, required=True)
    p_judge.add_argument(
        "--judge", action="append", default=None, help="lexical, local or api (repeatable; default: all usable)"
    )
    p_judge.add_argument("--out", type=Path, default=Path("runs/judge"))
    return parser


def main(argv: list[str] | None = None) -> int:
    _offline_environment()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.root.handlers:  # libraries such as bm25s set their own logger levels
        handler.setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        return _COMMANDS[args.command](args)
    except AssistantError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _assistant():
    from assistant.config import Settings
    from assistant.pipeline import Assistant

    return Assistant(Settings())


def cmd_index(args: argparse.Namespace) -> int:
    assistant = _assistant()
    if args.cluster:
        report = assistant.index_on_cluster(args.cluster, rebuild=args.rebuild, workers=args.workers)
    else:
        report = assistant.index(rebuild=args.rebuild)
    print(f"Indexed {assistant.settings.index.corpus_dir} into {assistant.store.location}: {report.summary()}")
    print(f"{assistant.store.count()} chunks in the index")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    assistant = _assistant()
    report = assistant.remove_article(args.doc_id)
    print(f"Removed {args.doc_id} from {assistant.settings.index.corpus_dir}: {report.summary()}")
    print(f"{assistant.store.count()} chunks in the index")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    history = load_history(args.history) if args.history else []
    started = time.perf_counter()
    assistant = _assistant()
    assistant.load()
    startup_ms = round((time.perf_counter() - started) * 1000, 1)
    stream = assistant.stream(args.question, history=history, top_k=args.top_k, backend=args.backend)
    if args.json:
        for _ in stream:
            pass
        assert stream.answer is not None
        stream.answer.timings["startup_ms"] = startup_ms  # imports, store, BM25, models: once per command
        print(json.dumps(stream.answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    streamed = []
    for token in stream:  # tokens appear as the model writes them
        streamed.append(token)
        print(token, end="", flush=True)
    answer = stream.answer
    assert answer is not None
    if answer.text != "".join(streamed):  # citations repaired, refusal or fallback: show the final text
        print("\n\n" + answer.text if streamed else answer.text, end="")
    print()
    if answer.refused:
        print(f"\n(refused: {answer.decision.reason}: {answer.decision.detail})")
    if answer.notice:
        print(f"\n({answer.notice})")
    if answer.citations:
        print()
        for c in answer.citations:
            where = ", ".join(x for x in (c.location, c.date, c.source) if x)
            print(f"[{c.n}] {c.title} ({c.doc_id}{'; ' + where if where else ''})")
            print(f"    “{c.quote or c.text}”")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation.runner import check_gate, run_eval

    gate = _read_json_object(args.gate) if args.gate else {}
    assistant = _assistant()
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] if args.kinds else None
    report = run_eval(
        assistant,
        args.questions,
        args.out,
        backend=args.backend,
        limit=args.limit,
        judge=args.judge,
        kinds=kinds,
        compare=args.compare,
        label=args.label,
    )
    from assistant.evaluation.report import judge_line, label_line

    print(report.summary_table())
    print(f"\nQuestion set: {label_line(report.label)}. {judge_line(report.judge)}")
    print(f"Wrote {args.out / 'report.json'}, {args.out / 'report.md'} and {args.out / 'chart.png'}")
    failures = check_gate(report.aggregates, gate)
    if failures:
        print(f"Quality gate {args.gate} failed: " + "; ".join(failures), file=sys.stderr)
        return 3
    if gate:
        print(f"Quality gate {args.gate}: passed ({len(gate)} thresholds)")
    return 0


def cmd_eval_judge(args: argparse.Namespace) -> int:
    from assistant.answer.llamacpp import local_backend_installed
    from assistant.config import Settings
    from assistant.embeddings import E5Embeddings
    from assistant.evaluation.judge_eval import evaluate_judge, judge_table, load_claims, write_judge_report
    from assistant.evaluation.judges import make_judge

    settings = Settings()
    items = load_claims(args.claims)
    names = args.judge or [
        name
        for name, usable in (
            ("lexical", True),
            ("local", local_backend_installed(settings.answer)),
            ("api", bool(settings.answer.openai_base_url)),
        )
        if usable
    ]
    embedder = E5Embeddings(batch_size=settings.index.embedding_batch_size)
    results = {name: evaluate_judge(make_judge(name, settings, embedder), items) for name in names}
    print(judge_table(results))
    print(f"\nWrote {write_judge_report(results, args.claims, args.out)}")
    return 0


def cmd_dataset(args: argparse.Namespace) -> int:
    from assistant.evaluation.squad import import_squad

    report = import_squad(args.files, args.out, leave_out=args.leave_out, seed=args.seed)
    print(report.summary())
    print(
        f"Evaluate with: ASSISTANT_CORPUS_DIR={report.corpus_dir} ASSISTANT_PERSIST_DIR={args.out / 'vectorstore'} "
        f"assistant eval --questions {report.questions_file} --out {args.out / 'eval'}"
    )
    return 0


def _read_json(path: Path, what: str) -> object:
    """A JSON file's value; unreadable or malformed files are one clear error naming the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputFileError(f"Cannot read {what} file {path}: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputFileError(f"{what.capitalize()} file {path} is not valid UTF-8 JSON: {exc}") from exc


def _read_json_object(path: Path) -> dict:
    data = _read_json(path, "gate")
    if not isinstance(data, dict):
        raise InvalidInputFileError(f"{path} must be a JSON object of metric name → number")
    bounds = {k: v for k, v in data.items() if not k.startswith("_")}  # "_comment" keys are notes
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bounds.values()):
        raise InvalidInputFileError(f"{path}: every threshold must be a number")
    return {k: float(v) for k, v in bounds.items()}


def load_history(path: Path):
    """Read a chat history file: a JSON list of {"role": "user"|"assistant", "content": str}."""
    from assistant.query import parse_history

    return parse_history(_read_json(path, "history"), str(path))


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.app.ui import launch

    launch(port=args.port)
    return 0


_COMMANDS = {
    "index": cmd_index,
    "remove": cmd_remove,
    "ask": cmd_ask,
    "eval": cmd_eval,
    "eval-judge": cmd_eval_judge,
    "dataset": cmd_dataset,
    "serve": cmd_serve,
}

if __name__ == "__main__":
    sys.exit(main())
