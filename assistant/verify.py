"""The one support checker: does a passage back an answer sentence?

Used wherever a sentence is judged against passages: the support marks shown with an answer,
citation repair (which passage a marker should name), the withhold decision (is anything the
model wrote backed at all). A sentence is backed when the passages hold most of its key terms
(weighted by rarity) and every number and share it states: an invented number is never support.
An English sentence shares no words with Vietnamese passages, so it is tied to a passage by what
reads the same in both languages: its numbers and Vietnamese names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from assistant.lang.facts import number_forms, numbers_in
from assistant.lang.names import vietnamese_names
from assistant.lang.normalize import fold
from assistant.lang.words import term_coverage

SUPPORTED = 0.5  # share of a sentence's key terms its passages must hold
Weight = Callable[[str], float]


def _uniform(_term: str) -> float:
    return 1.0


def support_score(sentence: str, texts: Iterable[str], question: str = "", weight: Weight = _uniform) -> float:
    """How well `texts` back `sentence` (markers stripped): key-term coverage, 0 if it has a number they lack.

    The question counts as evidence too: numbers and words the user gave are not claims of the answer.
    """
    cov = term_coverage(sentence, "\n".join([question, *texts]), weight)
    return 0.0 if cov.missing_numbers else cov.unigrams


def supported(score: float) -> bool:
    return score >= SUPPORTED


def covers_fully(sentence: str, text: str, weight: Weight = _uniform) -> bool:
    """Does `text` hold every key term and number of `sentence` (a terse answer such as "350.")?"""
    cov = term_coverage(sentence, text, weight)
    return cov.unigrams == 1.0 and not cov.missing_numbers


def anchors_held(sentence: str, text: str, question: str = "") -> bool:
    """Does `text` hold every number and Vietnamese name of `sentence` (at least one, none from `question`)?

    Numbers and Vietnamese names read the same in any language, so they tie an English sentence to
    the Vietnamese passage it came from, where shared words cannot.
    """
    numbers = numbers_in(sentence) - numbers_in(question)
    asked = fold(question)
    names = {n for n in vietnamese_names(sentence) if n not in asked}
    if not numbers and not names:
        return False
    folded = fold(text)
    return numbers <= number_forms(text) and all(n in folded for n in names)
