"""Counterfactual questions: an answerable question with one stated value changed becomes unanswerable.

The external sets' unanswerable questions come from left-out paragraphs, so they are about other
subjects; a user's unanswerable question is often about the right subject with a wrong value
("… năm 2024?" over articles of 2021). These are made mechanically from the answerable
questions, with no look at any answer: the first year of a question moves by 7, the first other
number by a factor that keeps its digit count. A changed question is kept only when its new
value is written nowhere in the corpus, so no passage can answer it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.evaluation.dataset import EvalQuestion
from assistant.lang.facts import extract_facts
from assistant.lang.normalize import fold


def _changed(value: int, kind: str) -> int:
    if kind == "year":
        return value + 7
    if value < 10:
        return value + 3 if value < 7 else value - 3
    return value * 3 // 2 + 1


def perturbed(questions: list[EvalQuestion], corpus_text: str) -> list[EvalQuestion]:
    """One unanswerable variant (id `<id>-cf`) of each answerable question that states a year or a number."""
    folded_corpus = fold(corpus_text)
    out: list[EvalQuestion] = []
    for q in questions:
        if not q.answerable or q.history:
            continue
        fact = next(
            (f for f in extract_facts(q.question) if f.kind in ("year", "number") and f.text.strip().isdigit()), None
        )
        if fact is None:
            continue
        new = str(_changed(int(fact.text.strip()), fact.kind))
        if re.search(rf"(?<![\d.,]){new}(?![.,]?\d)", folded_corpus):
            continue
        text = q.question[: fact.start] + new + q.question[fact.end :]
        out.append(
            replace(
                q, id=f"{q.id}-cf", question=text, answerable=False, must_include=[], sources=[], kind="counterfactual"
            )
        )
    return out
