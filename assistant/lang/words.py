"""Words: pyvi segmentation, the terms BM25 searches, key terms, coverage and near-duplicates.

Word segmentation uses pyvi: on the seed paragraphs it is ~3x faster than underthesea (0.8 ms
against 2.8 ms per paragraph), the two agree on 82% of compound words and both find every key
term tried (chuyển_đổi, bộ_trưởng, thủ_tướng, viễn_thông); see benchmarks/segmenters.py.
"""

from __future__ import annotations

import itertools
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from assistant.lang import lexicon
from assistant.lang.facts import number_forms, numbers_in, percentages_in
from assistant.lang.normalize import fold_diacritics, has_diacritics, normalize

WORD = re.compile(r"[\w]+(?:[.,][\d]+)*", re.UNICODE)
Weight = Callable[[str], float]


def _uniform(_term: str) -> float:
    return 1.0


@lru_cache(maxsize=1)
def _pyvi():
    """pyvi's tokenizer, imported lazily (it loads its CRF model) and without scikit-learn.

    pyvi's model is a pickled `sklearn_crfsuite.CRF`, which takes its base class from
    scikit-learn when that is installed (`sklearn_crfsuite.compat`) and from a plain class when
    it is not; tagging is pycrfsuite's alone, so the output is the same either way
    (tests/test_lang.py compares the two on the seed articles). Importing scikit-learn was most
    of this import, and of a cold `assistant ask`'s search; so the plain base class is used.
    """
    if "sklearn_crfsuite.compat" not in sys.modules:
        compat = types.ModuleType("sklearn_crfsuite.compat")
        compat.BaseEstimator = type("BaseEstimator", (), {"__module__": "sklearn_crfsuite.compat"})
        sys.modules["sklearn_crfsuite.compat"] = compat
    from pyvi import ViTokenizer

    return ViTokenizer


def segment_words(text: str) -> list[str]:
    """pyvi word segmentation: compound words joined by `_` (`chuyển_đổi`)."""
    text = normalize(text)
    if not text.strip():
        return []
    return _pyvi().tokenize(text).split()


def search_terms(text: str) -> list[str]:
    """Terms for lexical search: folded, lower-cased syllables plus the folded compound words.

    Syllables let a query typed without diacritics (which pyvi cannot segment) still match;
    compounds reward the exact multi-syllable term when the query has it.
    """
    terms: list[str] = []
    for word in segment_words(text):
        folded = fold_diacritics(word.lower())
        parts = [s for s in WORD.findall(folded.replace("_", " ")) if s]
        terms.extend(parts)
        if len(parts) > 1:
            terms.append("_".join(parts))
    return terms


def stopwords() -> frozenset[str]:
    """Function and question words of both languages, folded."""
    return lexicon("stopwords_vi") | lexicon("stopwords_en")


def content_terms(text: str) -> list[str]:
    """Folded syllables of `text` that carry meaning (no stopwords, no punctuation)."""
    stop = stopwords()
    return [t for t in search_terms(text) if "_" not in t and t not in stop]


def syllables(text: str, fold: bool) -> list[str]:
    """Lower-case syllables in order; folded when the other side of a comparison has no marks."""
    words = WORD.findall(normalize(text).lower())
    return [fold_diacritics(w) for w in words] if fold else words


@dataclass(frozen=True)
class Coverage:
    """How much of a text's meaning-bearing words (and word pairs) another text contains."""

    unigrams: float
    bigrams: float
    missing_numbers: int

    @property
    def score(self) -> float:
        return (self.unigrams + self.bigrams) / 2


def term_coverage(question: str, text: str, weight: Weight = _uniform) -> Coverage:
    """Weighted share of `question`'s content syllables and adjacent syllable pairs found in `text`.

    Compared with diacritics when the question has them (`cước` is not `cuộc`), folded otherwise.
    Pairs catch compounds whose syllables occur apart (`doanh thu` vs `doanh nghiệp … thu hẹp`).
    """
    fold = not has_diacritics(question)
    stop = stopwords()
    q = syllables(question, fold)
    content = [fold_diacritics(w) not in stop for w in q]
    t = syllables(text, fold)
    t_set, t_pairs = set(t), set(itertools.pairwise(t))
    uni = list(dict.fromkeys(w for w, c in zip(q, content, strict=True) if c))
    pairs = list(
        dict.fromkeys(
            (a, b)
            for (a, ca), (b, cb) in zip(
                zip(q, content, strict=True), zip(q[1:], content[1:], strict=True), strict=False
            )
            if ca and cb
        )
    )
    w_uni = [weight(fold_diacritics(w)) for w in uni]
    w_pairs = [weight(fold_diacritics(a)) + weight(fold_diacritics(b)) for a, b in pairs]
    uni_cov = sum(w for u, w in zip(uni, w_uni, strict=True) if u in t_set) / sum(w_uni) if uni else 0.0
    pair_cov = sum(w for p, w in zip(pairs, w_pairs, strict=True) if p in t_pairs) / sum(w_pairs) if pairs else uni_cov
    missing = len(numbers_in(question) - number_forms(text)) + len(percentages_in(question) - percentages_in(text))
    return Coverage(round(uni_cov, 4), round(pair_cov, 4), missing)


def missing_terms(question: str, text: str) -> list[str]:
    """The question's content words (as typed) that `text` does not hold."""
    fold = not has_diacritics(question)
    stop = stopwords()
    have = set(syllables(text, fold))
    words = [w for w in WORD.findall(normalize(question)) if fold_diacritics(w.lower()) not in stop]
    return list(dict.fromkeys(w for w in words if (fold_diacritics(w.lower()) if fold else w.lower()) not in have))


@lru_cache(maxsize=50_000)
def shingles(text: str, size: int = 3) -> frozenset[tuple[str, ...]]:
    """Word n-grams of the folded text: the unit for near-duplicate detection."""
    words = WORD.findall(fold_diacritics(normalize(text).lower()))
    if len(words) < size:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def overlap_ratio(a: str, b: str) -> float:
    """Share of the shorter text's word 3-grams found in the other (1.0 = one contains the other).

    Containment rather than Jaccard: a paragraph copied into a longer chunk of another article is
    still a duplicate of it.
    """
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))
