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

    p_ask = sub.add_parser("ask", help="answer a question with citations")
    p_ask.add_argument("question")
    p_ask.add_argument("--history", type=Path, help='JSON list of {"role","content"} messages')
    p_ask.add_argument("--json", action="store_true", help="print one JSON object")
    p_ask.add_argument("--top-k", type=int, default=None)
    p_ask.add_argument("--backend", default=None, help="local, openai or extractive (default: ASSISTANT_LLM)")

    p_serve = sub.add_parser("serve", help="start the Gradio chat app (same as python app.py)")
    p_serve.add_argument("--port", type=int, default=None, help="default: ASSISTANT_PORT (7860)")

    p_eval = sub.add_parser("eval", help="evaluate on a JSONL question file")
    p_eval.add_argument("--questions", type=Path, required=True)
    p_eval.add_argument("--out", type=Path, default=Path("runs/eval"))
    p_eval.add_argument("--backend", default=None, help="answer backend (default: ASSISTANT_LLM)")
    p_eval.add_argument("--limit", type=int, default=None, help="only the first N questions")
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
    report = assistant.index(rebuild=args.rebuild)
    print(f"Indexed {assistant.settings.corpus_dir} into {assistant.store.location}: {report.summary()}")
    print(f"{assistant.store.count()} chunks in the index")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    history = load_history(args.history) if args.history else []
    assistant = _assistant()
    stream = assistant.stream(args.question, history=history, top_k=args.top_k, backend=args.backend)
    if args.json:
        for _ in stream:
            pass
        assert stream.answer is not None
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
    if answer.notice:
        print(f"\n({answer.notice})")
    if answer.citations:
        print()
        for c in answer.citations:
            where = ", ".join(x for x in (c.date, c.source) if x)
            print(f"[{c.n}] {c.title} ({c.doc_id}{'; ' + where if where else ''})")
            print(f"    “{c.quote or c.text}”")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation.runner import run_eval

    assistant = _assistant()
    report = run_eval(assistant, args.questions, args.out, backend=args.backend, limit=args.limit)
    print(report.summary_table())
    print(f"\nWrote {args.out / 'report.json'} and {args.out / 'report.md'}")
    return 0


def load_history(path: Path):
    """Read a chat history file: a JSON list of {"role": "user"|"assistant", "content": str}."""

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputFileError(f"Cannot read history file {path}: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputFileError(f"History file {path} is not valid UTF-8 JSON: {exc}") from exc
    from assistant.condense import parse_history

    return parse_history(data, str(path))


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.ui import launch

    launch(port=args.port)
    return 0


_COMMANDS = {"index": cmd_index, "ask": cmd_ask, "eval": cmd_eval, "serve": cmd_serve}

if __name__ == "__main__":
    sys.exit(main())
