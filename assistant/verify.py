"""The one support checker: does a passage back an answer sentence?

Used wherever a sentence is judged against passages: the support marks shown with an answer and
the withhold decision (`cite.finalize`, `decide.unsupported_answer`), citation repair (which passage
a marker should name), and the evaluation's lexical judge. A sentence is backed only when

1. every typed fact it states (`lang/facts.py`: dates, ranges, years, times, numbers with their
   noun, shares, money) is stated in the passages as the same value, a fact the question gave
   included: "Ai là Tổng thư ký ITU năm 2024?" answered "… năm 2024 [1]" needs 2024 in [1];
2. every name it gives (a run of capitalised words, not the sentence's first) is in the passages or
   their headings, so another person, place or event is never backed;
3. it does not negate what the passages state, nor state what they negate;
4. its words are there: most of its key terms (weighted by rarity) for a Vietnamese sentence; an
   English sentence shares no words with Vietnamese passages, so it needs its facts and names held
   (at least one), or, with a `similarity` given, an e5 similarity to the best passage sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.lang import phrase_pattern
from assistant.lang.detect import is_english
from assistant.lang.facts import Fact, extract_facts, fact_held
from assistant.lang.names import titled_people, vietnamese_names
from assistant.lang.normalize import fold, has_diacritics, normalize
from assistant.lang.sentences import split_sentences
from assistant.lang.words import term_coverage

if TYPE_CHECKING:
    import numpy as np

SUPPORTED = 0.5  # share of a Vietnamese sentence's key terms its passages must hold
ENGLISH_SIMILARITY = 0.82  # e5 similarity of an English sentence to its best Vietnamese passage sentence
Weight = Callable[[str], float]
Similarity = Callable[[list[str], list[str]], "np.ndarray"]  # e5 similarities, one row per sentence

# Matched with diacritics where the text has them: folded, "chứa" (contains) reads as "chưa" (not
# yet), "nó" (it) as "no" and "khổng lồ" as "không". "không" is also a syllable of nouns ("không
# gian" space, "hàng không" aviation): those negate nothing.
_NEGATION = re.compile(r"\b(?<!hàng )(không(?! (gian|khí|quân|trung|phận))|chưa|chẳng|chả|never|not|no)\b")
_NEGATION_FOLDED = re.compile(r"\b(?<!hang )(khong(?! (gian|khi|quan|trung|phan))|chua|chang|cha|never|not|no)\b")
# a capitalised run that is not the sentence's first word: a name ("Lê Đăng Dũng", "Hà Nội", "ITU")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-ZĐ][\wÀ-ỹ]*(?:\s+[A-ZĐ][\wÀ-ỹ]*)*)")


def _uniform(_term: str) -> float:
    return 1.0


@dataclass(frozen=True)
class Check:
    """The checker's verdict on one sentence: backed or not, a score (0..1) and, if not, why."""

    supported: bool
    score: float
    reason: str = ""
    hard: bool = False  # failed on a fact, a name or a negation: no rewording could make it supported


def check_sentence(
    sentence: str,
    passages: Sequence[str],
    question: str = "",
    weight: Weight = _uniform,
    similarity: Similarity | None = None,
    about: Sequence[str] = (),
) -> Check:
    """Is `sentence` (markers already stripped) backed by `passages` (with their headings)?

    `about` holds the passages' article openings (`Passage.about`): an event's year stated there
    backs a sentence that gives it.
    """
    sentence = normalize(sentence)
    evidence = "\n".join(passages)
    english = is_english(sentence)
    claimed = extract_facts(sentence, english)
    held_facts = extract_facts(evidence, False)
    years = extract_facts("\n".join(about), False) if about else []
    for fact in claimed:
        if not fact_held(fact, held_facts + years if fact.kind == "year" else held_facts):
            return Check(False, 0.0, f"{_KIND[fact.kind]} not in the passage: {fact.describe()}", hard=True)
    if swapped := _other_event_fact(claimed, passages, about):
        return Check(False, 0.0, f"stated only for another year's event: {swapped.describe()}", hard=True)
    folded_evidence = fold(evidence)
    folded_question = fold(question)
    # an English sentence spells places its own way ("Hanoi"): only names with Vietnamese marks compare
    names = [n for n in _names(sentence) if fold(n) not in folded_question and (not english or has_diacritics(n))]
    for name in names:
        if fold(name) not in folded_evidence:
            return Check(False, 0.0, f"name not in the passage: {name}", hard=True)
    if role := _role_swapped(sentence, evidence):
        return Check(False, 0.0, f"role not in the passage: {role}", hard=True)
    if not english and negation_differs(sentence, best_sentence(sentence, evidence)):
        return Check(False, 0.0, "negation differs from the passage", hard=True)
    if english:
        anchored = bool(claimed) or any(has_diacritics(n) for n in names) or bool(vietnamese_names(sentence))
        if anchored:
            return Check(True, 1.0, "facts and names held")
        if similarity is not None:
            candidates = [s.text for s in split_sentences(evidence)] or [evidence]
            score = float(similarity([sentence], candidates).max())
            ok = score >= ENGLISH_SIMILARITY
            return Check(ok, round(score, 4), "" if ok else f"similarity {score:.3f} < {ENGLISH_SIMILARITY}")
        return Check(False, 0.0, "an English sentence with no fact or name to tie it to the passage")
    coverage = term_coverage(sentence, "\n".join([question, evidence]), weight).unigrams
    if coverage < SUPPORTED:
        return Check(False, round(coverage, 4), f"key-term coverage {coverage:.2f} < {SUPPORTED}")
    return Check(True, round(coverage, 4))


def _other_event_fact(claimed: list[Fact], passages: Sequence[str], about: Sequence[str]) -> Fact | None:
    """A value of the sentence held only by passages of another year's event than the sentence names.

    "ITU Digital World 2021 có hơn 350 đại biểu [1][2]": 350 is in [2], a passage of the 2022
    week, and 2021 in [1]; each fact is in some cited passage, but not the count in one of 2021.
    A passage that states no year (in its text, heading or article opening) may be of any event.
    """
    asked_years = {f.value[0] for f in claimed if f.kind == "year"}
    if not asked_years:
        return None
    openings = list(about) + [""] * (len(passages) - len(about))
    per_passage = [extract_facts(f"{text}\n{opening}", False) for text, opening in zip(passages, openings, strict=True)]
    for fact in claimed:
        if fact.kind == "year":
            continue
        holders = [facts for facts in per_passage if fact_held(fact, facts)]
        if holders and not any(_years_of(facts) & asked_years or not _years_of(facts) for facts in holders):
            return fact
    return None


def _years_of(facts: list[Fact]) -> set[int]:
    return {f.value[-1] for f in facts if f.kind in ("year", "date", "range") and f.value[-1] is not None}


_KIND = {
    "date": "date",
    "range": "date range",
    "year": "year",
    "time": "time",
    "number": "number",
    "percent": "percentage",
    "money": "amount",
}


def _role_swapped(sentence: str, evidence: str) -> str:
    """A person the passages give one title and the sentence another ("Thứ trưởng" for a "Bộ trưởng")."""
    stated: dict[str, set[str]] = {}
    for title, name in titled_people(evidence):
        stated.setdefault(name, set()).add(title)
    for title, name in titled_people(sentence):
        if name in stated and title not in stated[name]:
            return f"{title} {name}"
    return ""


_NOT_NAMES = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


def _names(sentence: str) -> list[str]:
    """Names in the sentence (capitalised runs after its first word); months and days are dates, not names."""
    return [n for n in _NAME.findall(sentence) if len(n) > 1 and n.lower() not in _NOT_NAMES]


@lru_cache(maxsize=1)
def _not_negations() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Phrases whose negation word negates nothing, with and without diacritics."""
    idioms = phrase_pattern("not_negations")
    return idioms, re.compile(fold(idioms.pattern))


def negation_differs(claim: str, sentence: str) -> bool:
    """Does one of the two negate where the other does not?"""

    idioms, idioms_folded = _not_negations()

    def negated(text: str) -> bool:
        text = normalize(text).lower()
        text = (idioms if has_diacritics(text) else idioms_folded).sub(" ", text)
        return bool((_NEGATION if has_diacritics(text) else _NEGATION_FOLDED).search(text))

    return negated(claim) != negated(sentence)


def best_sentence(claim: str, evidence: str) -> str:
    """The evidence sentence that shares most of the claim's key terms."""
    spans = split_sentences(evidence)
    if not spans:
        return evidence
    return max(spans, key=lambda s: term_coverage(claim, s.text).score).text


def support_score(sentence: str, texts: Iterable[str], question: str = "", weight: Weight = _uniform) -> float:
    """`check_sentence`'s score, 0 when it is not backed (what citation repair compares passages by)."""
    check = check_sentence(sentence, list(texts), question, weight)
    return check.score if check.supported else 0.0


def supported(score: float) -> bool:
    return score >= SUPPORTED


def covers_fully(sentence: str, text: str, weight: Weight = _uniform) -> bool:
    """Does `text` hold every key term and fact of `sentence` (a terse answer such as "350.")?"""
    if term_coverage(sentence, text, weight).unigrams < 1.0:
        return False
    held = extract_facts(text, False)
    return all(fact_held(f, held) for f in extract_facts(sentence))


def anchors_held(sentence: str, text: str, question: str = "") -> bool:
    """Does `text` hold every fact and Vietnamese name of `sentence` (at least one, none from `question`)?

    Facts and Vietnamese names read the same in any language, so they tie an English sentence to
    the Vietnamese passage it came from, where shared words cannot.
    """
    asked = extract_facts(question) if question else []
    facts: list[Fact] = [f for f in extract_facts(sentence) if not fact_held(f, asked)]
    folded_question = fold(question)
    names = {n for n in vietnamese_names(sentence) if n not in folded_question}
    if not facts and not names:
        return False
    held = extract_facts(text, False)
    folded = fold(text)
    return all(fact_held(f, held) for f in facts) and all(n in folded for n in names)
