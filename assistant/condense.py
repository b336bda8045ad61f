"""Turn a follow-up question and the chat history into a standalone query for retrieval.

A follow-up ("Nó diễn ra khi nào?", "Ông ấy nói gì thêm?") names its topic only through the
history. Rewriting it with an LLM costs a model call per question; prefixing the previous user
question and the assistant's answer gives retrieval the same topic words at no cost. A question
that already names its own topic (long, no pronoun) is left alone so an old topic does not leak
into a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.errors import InvalidInputFileError
from assistant.text import fold_diacritics, normalize

_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
# Pronouns and references that point back into the conversation (folded, lower-case).
_REFERENCES = re.compile(
    r"\b(no|ong ay|ba ay|anh ay|chi ay|ho|su kien (do|nay)|hoi nghi (do|nay)|chuong trinh (do|nay)|"
    r"to chuc (do|nay)|nguoi do|nguoi nay|dieu do|viec do|cai do|them|con gi|"
    r"it|he|she|they|them|his|her|its|that event|this event|the event|more)\b"
)
_SHORT_QUESTION_WORDS = 6
_ANSWER_CHARS = 300


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
