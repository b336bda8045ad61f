"""Question files (JSONL in the format of `../shared/eval/dev.jsonl`), validated line by line."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import InvalidInputFileError
from assistant.lang.normalize import normalize
from assistant.query import parse_history
from assistant.types import Message


@dataclass(frozen=True)
class EvalQuestion:
    """One evaluation item: the question, what a correct answer must contain, and where it is."""

    id: str
    question: str
    answerable: bool
    must_include: list[list[str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    reference: str = ""
    kind: str = "factoid"
    history: list[Message] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # every annotator's answer span (SQuAD imports)


def read_jsonl(path: Path, what: str) -> list[tuple[str, object]]:
    """Every non-empty line of a JSONL file as (`file:line`, decoded value); a bad line names its number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidInputFileError(f"Cannot read {what} file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInputFileError(f"{what.capitalize()} file {path} is not UTF-8") from exc
    records = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            records.append((where, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InvalidInputFileError(f"{where}: not valid JSON ({exc.msg})") from exc
    return records


def load_questions(path: Path) -> list[EvalQuestion]:
    """Parse a JSONL question file; a bad line is reported with its number, never skipped silently."""
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for where, item in read_jsonl(path, "question"):
        q = _parse_item(item, where)
        if q.id in seen:
            raise InvalidInputFileError(f"{where}: duplicate id {q.id!r}")
        seen.add(q.id)
        questions.append(q)
    if not questions:
        raise InvalidInputFileError(f"Question file {path} has no questions")
    return questions


def _parse_item(item: object, where: str) -> EvalQuestion:
    if not isinstance(item, dict):
        raise InvalidInputFileError(f"{where}: expected a JSON object")
    for key in ("id", "question"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise InvalidInputFileError(f"{where}: field {key!r} must be a non-empty string")
    must = item.get("must_include", [])
    if not isinstance(must, list) or not all(
        isinstance(g, list) and g and all(isinstance(a, str) for a in g) for g in must
    ):
        raise InvalidInputFileError(f"{where}: 'must_include' must be a list of non-empty lists of strings")
    sources = item.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise InvalidInputFileError(f"{where}: 'sources' must be a list of document ids")
    answers = item.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise InvalidInputFileError(f"{where}: 'answers' must be a list of strings")
    return EvalQuestion(
        id=item["id"],
        question=normalize(item["question"]),
        answerable=bool(item.get("answerable", True)),
        must_include=[[normalize(a) for a in group] for group in must],
        sources=list(sources),
        reference=normalize(str(item.get("reference", ""))),
        kind=str(item.get("kind", "factoid")),
        history=parse_history(item.get("history", []), where),
        answers=[normalize(a) for a in answers],
    )
