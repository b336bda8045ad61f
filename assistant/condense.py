"""Turn a follow-up question and the chat history into a standalone query for retrieval.

A follow-up ("Nó diễn ra khi nào?", "Ông ấy nói gì thêm?") names its topic only through the
history. Rewriting it with an LLM costs a model call per question; prefixing the previous user
question and the assistant's answer gives retrieval the same topic words at no cost. A question
that already names its own topic (long, no pronoun) is left alone so an old topic does not leak
into a new one.

A question about two named events ("… ở cả hai sự kiện ITU Digital World 2021 và Tuần lễ Số
Quốc tế 2022 là ai?") splits into one question per event (`question_parts`). Ranked for the
whole question, the passages of one event can fill the list; an answer cited to that event
alone then has its other half searched for with the other event's question (`citations`).
Searching each part before answering was measured too: the model then read a passage per event
and refused or mixed the events up more often (dev and own multi-doc questions), so the parts
only serve the citation check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.errors import InvalidInputFileError
from assistant.text import content_terms, fold_diacritics, normalize

_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
# Pronouns and references that point back into the conversation (folded, lower-case).
_REFERENCES = re.compile(
    r"\b(no|ong ay|ba ay|anh ay|chi ay|ho|su kien (do|nay)|hoi nghi (do|nay)|chuong trinh (do|nay)|"
    r"to chuc (do|nay)|nguoi do|nguoi nay|dieu do|viec do|cai do|them|con gi|"
    r"it|he|she|they|them|his|her|its|that event|this event|the event|more)\b"
)
_SHORT_QUESTION_WORDS = 6
_ANSWER_CHARS = 300
_AND = {"và", "and"}
# an event's name runs from its first capitalised word to its year: "Tuần lễ Số Quốc tế Việt Nam 2022"
_MAX_NAME_WORDS = 8
# lower-case words in a row inside a name: "Hội nghị Thế giới số 2021"
_MAX_LOWER_RUN = 2
_EDGE_PUNCTUATION = "\"'“”‘’«»()[],.;:!?"


@dataclass(frozen=True)
class Message:
    """One chat turn."""

    role: str
    content: str


def is_follow_up(question: str) -> bool:
    """Does the question lean on earlier turns (a pronoun, or too short to stand alone)?"""
    folded = fold_diacritics(normalize(question).lower())
    return bool(_REFERENCES.search(folded)) or len(folded.split()) < _SHORT_QUESTION_WORDS


def standalone_query(question: str, history: list[Message], follow_up: bool | None = None) -> str:
    """The retrieval query for `question` asked after `history`.

    `follow_up` overrides the guess, e.g. for a translation, which should be condensed exactly
    when the question it translates was.
    """
    if not history or not (is_follow_up(question) if follow_up is None else follow_up):
        return question
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
