"""A question and its history analysed once, into a `Query` every later stage reads.

- Language, folded form, numbers, dates, key terms and the kind of answer asked for come from
  the question itself.
- A follow-up ("Nó diễn ra khi nào?", "Ông ấy nói gì thêm?") names its topic only through the
  history. Rewriting it with an LLM costs a model call; prefixing the previous user question and
  the assistant's answer gives retrieval the same topic words at no cost. A question that names
  its own topic (long, no pronoun) is left alone so an old topic does not leak into a new one.
- A Vietnamese question typed without diacritics is restored from the corpus's own spelling of
  the same words (`spellings`: texts a lexical search finds for it), for the reader.
- An English question gets a Vietnamese search form from `translate` (a model), because BM25
  cannot match English words against Vietnamese text and e5 ranks across languages poorly.
- A question about two named, dated events ("… ở cả hai sự kiện ITU Digital World 2021 và Tuần
  lễ Số Quốc tế 2022 là ai?") is split into one question per event (`parts`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from assistant.errors import InvalidInputFileError, InvalidQuestionError
from assistant.lang import phrase_pattern
from assistant.lang.detect import is_english
from assistant.lang.facts import date_like, extract_facts, numbers_in, percentages_in
from assistant.lang.normalize import fold, has_diacritics, normalize
from assistant.lang.restore import restore_diacritics
from assistant.lang.words import content_terms
from assistant.types import Message, Query

log = logging.getLogger(__name__)

_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")
_SHORT_QUESTION_WORDS = 6
_ANSWER_CHARS = 300
_AND = {"và", "and"}
# an event's name runs from its first capitalised word to its year: "Tuần lễ Số Quốc tế Việt Nam 2022"
_MAX_NAME_WORDS = 8
# lower-case words in a row inside a name: "Hội nghị Thế giới số 2021"
_MAX_LOWER_RUN = 2
_EDGE_PUNCTUATION = "\"'“”‘’«»()[],.;:!?"
OWN_TERMS = 3  # fewer key terms than this: a question names too little to rank or check on its own

Translate = Callable[[str], str]
Spellings = Callable[[str], Sequence[str]]


def validate_question(question: object, max_chars: int) -> str:
    """NFC, trimmed, non-empty and not absurdly long; otherwise one clear error."""
    if not isinstance(question, str):
        raise InvalidQuestionError("The question must be text.", vi="Câu hỏi phải là văn bản.")
    question = normalize(question).strip()
    if not question:
        raise InvalidQuestionError("The question is empty.", vi="Câu hỏi đang trống.")
    if len(question) > max_chars:
        raise InvalidQuestionError(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,} "
            "(ASSISTANT_MAX_QUESTION_CHARS).",
            vi=f"Câu hỏi quá dài ({len(question):,} ký tự); giới hạn là {max_chars:,} ký tự.",
        )
    return question


def build_query(
    question: str,
    history: Sequence[Message] = (),
    spellings: Spellings | None = None,
    translate: Translate | None = None,
) -> Query:
    """Analyse `question` (already validated) after `history`.

    `translate` failing (a backend that is down) propagates: the caller answers without a model
    at once rather than wait for the same timeout a second time.
    """
    history = tuple(history)
    english = is_english(question)
    follow_up = bool(history) and is_follow_up(question)
    standalone = condense(question, history) if follow_up else question
    folded = fold(question)
    typed_plain = not english and not has_diacritics(question)
    restored = question
    if typed_plain and spellings is not None:
        restored = restore_diacritics(question, spellings(standalone))
    search_vi = ""
    if english and translate is not None:
        translated = translate(question)
        if translated:
            search_vi = condense(translated, history) if follow_up else translated
    terms = tuple(dict.fromkeys(content_terms(question)))
    return Query(
        text=question,
        history=history,
        language="en" if english else "vi",
        folded=folded,
        typed_without_diacritics=typed_plain,
        restored=restored,
        follow_up=follow_up,
        standalone=standalone,
        search_vi=search_vi,
        parts=tuple(question_parts(question)),
        terms=terms,
        self_contained=len(terms) >= OWN_TERMS,
        numbers=frozenset(numbers_in(question)),
        percentages=frozenset(percentages_in(question)),
        dates=frozenset(date_like(folded)),
        facts=tuple(extract_facts(question, english)),
        answer_type=answer_type(folded),
    )


def answer_type(folded: str) -> str:
    """`quantity`, `time`, `person` or `other`: what a sentence must contain to answer the question."""
    for kind, lexicon in (("quantity", "asks_quantity"), ("time", "asks_time"), ("person", "asks_person")):
        if phrase_pattern(lexicon).search(folded):
            return kind
    return "other"


def is_follow_up(question: str) -> bool:
    """Does the question lean on earlier turns (a pronoun, or too short to stand alone)?"""
    folded = fold(question)
    return bool(phrase_pattern("references").search(folded)) or len(folded.split()) < _SHORT_QUESTION_WORDS


def condense(question: str, history: Sequence[Message]) -> str:
    """The retrieval query for a follow-up: the last user question, the last answer (no markers), then it."""
    last_user = next((m.content for m in reversed(history) if m.role == "user"), "")
    last_answer = next((m.content for m in reversed(history) if m.role == "assistant"), "")
    last_answer = _MARKER.sub("", last_answer)[:_ANSWER_CHARS]
    parts = [p.strip() for p in (last_user, last_answer, question) if p.strip()]
    return "\n".join(parts)


def question_parts(question: str) -> list[str]:
    """One question per event when `question` joins two named, dated events with "và"/"and", else [].

    A name is a run of capitalised words (up to two lower-case words continue it after a
    capitalised one: "Tuần lễ", "Thế giới số") ending in a number; both sides of the "và" must
    be one, so "Bộ Thông tin và Truyền thông" stays whole. Each part is the question with the
    other name left out.
    """
    words = normalize(question).split()
    for i, word in enumerate(words):
        if word.lower() not in _AND or i == 0:
            continue
        right = _name_after(words, i + 1)
        left = _name_before(words, i - 1)
        if right is None or left is None:
            continue
        # the sentence's closing "?" stays with the part that loses the name it was attached to
        closing = words[right - 1][len(words[right - 1].rstrip(_EDGE_PUNCTUATION)) :] if right == len(words) else ""
        first = " ".join(words[:i] + words[right:]) + closing
        return [first, " ".join(words[:left] + words[i + 1 :])]
    return []


def bare_word(word: str) -> str:
    """`word` without the quotes, brackets and punctuation around it."""
    return word.strip(_EDGE_PUNCTUATION)


def _capitalised(word: str) -> bool:
    bare = bare_word(word)
    return bool(bare) and (bare[0].isupper() or bare[0].isdigit())


def _name_word(words: list[str], i: int) -> bool:
    """Can `words[i]` be part of a name? A question's first word is capitalised anyway ("Who", "Những")."""
    return _capitalised(words[i]) and (i > 0 or bool(content_terms(words[i])))


def _name_after(words: list[str], start: int) -> int | None:
    """The index just past a name that starts at `start` and ends in a number, if there is one."""
    if start >= len(words) or not _capitalised(words[start]):
        return None
    for j in range(start, min(len(words), start + _MAX_NAME_WORDS)):
        if any(ch.isdigit() for ch in bare_word(words[j])):
            return j + 1
        if not any(_capitalised(w) for w in words[max(start, j - _MAX_LOWER_RUN) : j + 1]):
            return None
    return None


def _name_before(words: list[str], end: int) -> int | None:
    """The index where a name ending at `end` in a number starts, if there is one."""
    if end < 0 or not any(ch.isdigit() for ch in bare_word(words[end])):
        return None
    j = end
    while j > 0 and end - j < _MAX_NAME_WORDS:
        before = j - 1
        leads = range(max(0, before - _MAX_LOWER_RUN), before)
        if _name_word(words, before) or (not _edge(words[before]) and any(_name_word(words, i) for i in leads)):
            j -= 1
            continue
        break
    # a name starts with a capital: "Hội nghị Thế giới số 2021", not "số 2021"
    while j < end and not _name_word(words, j):
        j += 1
    return j if j < end else None


def _edge(word: str) -> bool:
    """Does `word` end a clause (so it cannot continue a name)?"""
    return word != bare_word(word) and word[-1] in ",.;:!?"


def parse_history(data: object, where: str = "history") -> list[Message]:
    """Validate a decoded history list (CLI file, eval file, app API); each problem names its message."""
    if not isinstance(data, list):
        raise InvalidInputFileError(
            f"{where}: expected a JSON list of messages, got {type(data).__name__}",
            vi="Lịch sử hội thoại phải là một danh sách tin nhắn.",
        )
    messages = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            raise InvalidInputFileError(f'{where}: message {i} needs a string "content"')
        role = item.get("role")
        if role not in ("user", "assistant"):
            raise InvalidInputFileError(f'{where}: message {i} has role {role!r}; use "user" or "assistant"')
        messages.append(Message(role, normalize(item["content"])))
    return messages
