"""The `extractive` answerer: the context's own best sentences, each cited.

No model, so it is deterministic, instant and always available: the default when no model is
installed, what most tests use, and the fallback when a model backend fails. It quotes the best
sentence of the context (ranked by `context.py`) and a second one when it scores nearly as well;
a sentence that opens with a back-reference already brings its predecessor along.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.cite import append_marker
from assistant.config import ContextSettings
from assistant.prompts import load_prompt
from assistant.types import Context, Query, ScoredSentence

_SECOND_SENTENCE_MARGIN = 0.03


class ExtractiveAnswerer:
    """Quotes and cites the best sentences of the context."""

    kind = "extractive"
    name = "extractive"

    def __init__(self, settings: ContextSettings) -> None:
        self.max_sentences = settings.extractive_max_sentences

    def stream(self, query: Query, context: Context) -> Iterator[str]:
        yield self.answer(query, context)

    def answer(self, query: Query, context: Context) -> str:
        """The quote with its markers ("" when the context has no sentence to quote)."""
        chosen = self.choose(context.sentences)
        if not chosen:
            return ""
        chosen.sort(key=lambda c: (c.n, c.start))
        parts = [append_marker(c.text, c.n) for c in chosen]
        preamble = load_prompt("extractive_preamble_en") + " " if query.english else ""
        return preamble + " ".join(parts)

    def choose(self, sentences: list[ScoredSentence]) -> list[ScoredSentence]:
        """The best sentence (answers of the asked-for kind first), and the next ones nearly as good."""
        typed = [s for s in sentences if s.has_answer_type] or sentences
        ranked = sorted(typed, key=lambda s: (-s.score, s.n, s.start))
        if not ranked:
            return []
        best = ranked[0]
        chosen = [best]
        for c in ranked[1:]:
            if len(chosen) >= self.max_sentences or c.score < best.score - _SECOND_SENTENCE_MARGIN:
                break
            overlaps = any(c.n == o.n and c.start < o.end and o.start < c.end for o in chosen)
            if not overlaps:
                chosen.append(c)
        return chosen
