"""Atomic claims of an answer: what the faithfulness metric judges one by one (RAGAS step 1).

RAGAS asks an LLM to list an answer's claims; on a 2-core CPU that doubles the cost of every
evaluated answer, and our answers are short (1–3 sentences), so claims are made by rule instead:
one per sentence, and a sentence that joins two facts with a coordinating conjunction or a
semicolon ("…, đồng thời …", "…; …", "…, còn …") is split there when both halves can stand as
claims (enough words, not a list of names). Citation markers are removed from the claims.
"""

from __future__ import annotations

import re

from assistant.cite import strip_markers
from assistant.lang.sentences import split_sentences

# Where Vietnamese (and English) join two statements in one sentence.
_JOINS = re.compile(
    r"\s*;\s*|,\s+(?:đồng thời|trong khi đó|trong khi|còn|nhưng|tuy nhiên|ngoài ra|bên cạnh đó|"
    r"while|whereas|and also|but)\s+",
    re.IGNORECASE,
)
_MIN_CLAIM_WORDS = 4


def atomic_claims(answer: str) -> list[str]:
    """The claims in an answer's text, in order; empty for an empty answer."""
    claims: list[str] = []
    for span in split_sentences(strip_markers(answer)):
        parts = [p.strip(" ,;") for p in _JOINS.split(span.text)]
        if all(len(p.split()) >= _MIN_CLAIM_WORDS for p in parts):
            claims.extend(_end(p) for p in parts)
        else:
            claims.append(span.text.strip())
    return [c for c in claims if c.strip(" .")]


def _end(part: str) -> str:
    return part if part.endswith((".", "!", "?", "…")) else f"{part}."
