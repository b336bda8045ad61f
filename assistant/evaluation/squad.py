"""Turn SQuAD-format QA files into a corpus folder and a question file (`assistant dataset squad`).

A SQuAD file (1.1 or 2.0: `data[].title`, `data[].paragraphs[].context`, `paragraphs[].qas[]`
with `question` and `answers[].text`) was written for reading comprehension: every question
comes with its paragraph. Used as a retrieval benchmark, each paragraph becomes one article and
each question must find it among all the others; that is what a user who brings their own
documents meets, and nothing here was tuned on it.

Unanswerable questions are made the honest way: a seeded share of paragraphs is left out of the
corpus, and their questions become questions the corpus cannot answer, except those whose answer
string still occurs somewhere in the written corpus (another paragraph may say the same thing).
SQuAD 2.0's `is_impossible` questions are skipped: their paragraph is in the corpus and merely
does not answer them, which another paragraph might.

Output is deterministic for a given input and seed. Malformed input is one clear error naming the
file, the line and the field.
"""

from __future__ import annotations

import bisect
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import InvalidInputFileError
from assistant.lang.normalize import normalize

# A title shared by more than this share of a file's entries names the source ("Wikipedia"), not
# the paragraph: the paragraph's first words are its title instead.
_GENERIC_SHARE = 0.5
_GENERIC_MIN_ENTRIES = 4
_TITLE_WORDS = 10
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class SquadParagraph:
    """One paragraph of a SQuAD file and the questions asked about it."""

    doc_id: str
    title: str
    context: str
    questions: list[SquadQuestion] = field(default_factory=list)


@dataclass(frozen=True)
class SquadQuestion:
    question: str
    answers: list[str]


@dataclass(frozen=True)
class ImportReport:
    """What `import_squad` wrote."""

    articles: int
    answerable: int
    unanswerable: int
    left_out: int
    skipped_found_in_corpus: int
    skipped_impossible: int
    corpus_dir: Path
    questions_file: Path

    def summary(self) -> str:
        return (
            f"{self.articles} articles in {self.corpus_dir}, {self.answerable} answerable and "
            f"{self.unanswerable} unanswerable questions in {self.questions_file} "
            f"({self.left_out} paragraphs left out; skipped {self.skipped_found_in_corpus} whose answer "
            f"the corpus still holds and {self.skipped_impossible} SQuAD 2.0 impossible ones)"
        )


class _Located(dict):
    """A JSON object that remembers the line it started on (for error messages)."""

    line = 0


def _load_with_lines(path: Path, text: str) -> object:
    """Parse JSON recording each object's line; only used to name the line of a bad field."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder()

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        start = s_and_end[1]
        obj, end = json.decoder.JSONObject(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo)
        located = _Located(obj)
        located.line = bisect.bisect_left(newlines, start) + 1
        return located, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder.decode(text)


class _Checker:
    """Field checks that name the file, the line and the field path of the first problem."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._located: object | None = None

    def fail(self, where: str, problem: str, node_path: list[int | str]) -> None:
        line = self._line_of(node_path)
        at = f"{self.path}:{line}" if line else str(self.path)
        raise InvalidInputFileError(f"{at}: {where}: {problem}")

    def _line_of(self, node_path: list[int | str]) -> int:
        if self._located is None:
            try:
                self._located = _load_with_lines(self.path, self.text)
            except ValueError:
                return 0
        node, line = self._located, 0
        for key in node_path:
            try:
                node = node[key]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                break
            line = getattr(node, "line", line)
        return line


def read_squad(path: Path) -> list[SquadParagraph]:
    """The paragraphs (with their questions) of one SQuAD file, NFC-normalised and checked."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInputFileError(f"Cannot read SQuAD file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInputFileError(f"SQuAD file {path} is not UTF-8 (byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})") from exc
    check = _Checker(path, text)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        check.fail("top level", 'expected an object with a "data" list', [])
    entries = data["data"]
    titles = Counter(normalize(str(e.get("title", ""))).strip() for e in entries if isinstance(e, dict))
    generic = {
        t for t, n in titles.items() if len(entries) >= _GENERIC_MIN_ENTRIES and n / len(entries) > _GENERIC_SHARE
    }
    stem = _SAFE_ID.sub("-", path.stem).strip("-") or "squad"
    out: list[SquadParagraph] = []
    for i, entry in enumerate(entries):
        where = f"data[{i}]"
        if not isinstance(entry, dict):
            check.fail(where, "expected an object", ["data", i])
        paragraphs = entry.get("paragraphs")
        if not isinstance(paragraphs, list):
            check.fail(f"{where}.paragraphs", "missing or not a list", ["data", i])
        title = entry.get("title", "")
        if not isinstance(title, str):
            check.fail(f"{where}.title", "must be a string", ["data", i])
        title = normalize(title).strip()
        for j, paragraph in enumerate(paragraphs):
            pwhere = f"{where}.paragraphs[{j}]"
            node = ["data", i, "paragraphs", j]
            if not isinstance(paragraph, dict):
                check.fail(pwhere, "expected an object", node)
            context = paragraph.get("context")
            if not isinstance(context, str) or not context.strip():
                check.fail(f"{pwhere}.context", "missing or not a non-empty string", node)
            qas = paragraph.get("qas", [])
            if not isinstance(qas, list):
                check.fail(f"{pwhere}.qas", "must be a list", node)
            context = normalize(context).strip()
            questions = []
            for k, qa in enumerate(qas):
                qwhere = f"{pwhere}.qas[{k}]"
                qnode = [*node, "qas", k]
                if not isinstance(qa, dict):
                    check.fail(qwhere, "expected an object", qnode)
                question = qa.get("question")
                if not isinstance(question, str) or not question.strip():
                    check.fail(f"{qwhere}.question", "missing or not a non-empty string", qnode)
                if qa.get("is_impossible"):
                    questions.append(SquadQuestion(normalize(question).strip(), []))
                    continue
                answers = qa.get("answers")
                if not isinstance(answers, list) or not answers:
                    check.fail(f"{qwhere}.answers", "missing or empty (and the question is not is_impossible)", qnode)
                spans = []
                for a, answer in enumerate(answers):
                    span = answer.get("text") if isinstance(answer, dict) else None
                    if not isinstance(span, str) or not span.strip():
                        check.fail(f"{qwhere}.answers[{a}].text", "missing or not a non-empty string", qnode)
                    spans.append(normalize(span).strip())
                questions.append(SquadQuestion(normalize(question).strip(), list(dict.fromkeys(spans))))
            shown_title = title if title and title not in generic else first_words(context)
            out.append(SquadParagraph(f"{stem}-{i + 1:04d}-{j + 1:02d}", shown_title, context, questions))
    if not out:
        check.fail("data", "holds no paragraph", [])
    return out


def first_words(text: str, n: int = _TITLE_WORDS) -> str:
    """A title made of the paragraph's first sentence, cut to `n` words (no final punctuation)."""
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    words = sentence.split()[:n]
    return " ".join(words).rstrip(".,;:!?…")


def import_squad(files: list[Path], out_dir: Path, leave_out: float = 0.1, seed: int = 0) -> ImportReport:
    """Write `out_dir/corpus/*.txt` and `out_dir/questions.jsonl` from SQuAD files."""
    if not 0.0 <= leave_out < 1.0:
        raise InvalidInputFileError(f"--leave-out must be in [0, 1), got {leave_out}")
    paragraphs: list[SquadParagraph] = []
    for path in files:
        paragraphs.extend(read_squad(path))
    # one article per distinct paragraph text: a paragraph repeated in a file is one document
    by_text: dict[str, SquadParagraph] = {}
    for p in paragraphs:
        if p.context in by_text:
            by_text[p.context].questions.extend(p.questions)
        else:
            by_text[p.context] = SquadParagraph(p.doc_id, p.title, p.context, list(p.questions))
    unique = list(by_text.values())
    rng = random.Random(seed)
    n_out = round(leave_out * len(unique))
    left_out_ids = set(rng.sample([p.doc_id for p in unique], n_out)) if n_out else set()
    kept = [p for p in unique if p.doc_id not in left_out_ids]
    if not kept:
        raise InvalidInputFileError("Nothing would be left in the corpus; lower --leave-out")

    corpus_dir = out_dir / "corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    for old in corpus_dir.glob("*.txt"):  # a re-import replaces the corpus, it does not add to it
        old.unlink()
    for p in kept:
        (corpus_dir / f"{p.doc_id}.txt").write_text(f"{p.title}\n\n{p.context}\n", encoding="utf-8")
    corpus_text = "\n".join(p.context for p in kept).casefold()

    records: list[dict] = []
    skipped_found = skipped_impossible = 0
    for p in unique:
        seen: dict[str, dict] = {}
        for n, q in enumerate(p.questions, start=1):
            if not q.answers:
                skipped_impossible += 1
                continue
            if q.question in seen:  # the same question twice on one paragraph: one item, all answers
                seen[q.question]["must_include"][0] = list(
                    dict.fromkeys(seen[q.question]["must_include"][0] + q.answers)
                )
                continue
            if p.doc_id in left_out_ids:
                if any(a.casefold() in corpus_text for a in q.answers):
                    skipped_found += 1
                    continue
                record = {
                    "id": f"{p.doc_id}-q{n:03d}",
                    "question": q.question,
                    "history": [],
                    "answerable": False,
                    "must_include": [],
                    "sources": [],
                    "reference": "",
                    "kind": "unanswerable",
                    "answers": q.answers,
                    "left_out_source": p.doc_id,
                }
            else:
                record = {
                    "id": f"{p.doc_id}-q{n:03d}",
                    "question": q.question,
                    "history": [],
                    "answerable": True,
                    "must_include": [list(q.answers)],
                    "sources": [p.doc_id],
                    "reference": q.answers[0],
                    "kind": "factoid",
                    "answers": q.answers,
                }
            seen[q.question] = record
            records.append(record)
    for r in records:
        if r["answerable"]:
            r["answers"] = r["must_include"][0]
    questions_file = out_dir / "questions.jsonl"
    questions_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return ImportReport(
        articles=len(kept),
        answerable=sum(r["answerable"] for r in records),
        unanswerable=sum(not r["answerable"] for r in records),
        left_out=len(left_out_ids),
        skipped_found_in_corpus=skipped_found,
        skipped_impossible=skipped_impossible,
        corpus_dir=corpus_dir,
        questions_file=questions_file,
    )
