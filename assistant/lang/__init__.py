"""Vietnamese and English text: normalisation, folding, sentences, words, language, facts.

Modules: `normalize` (NFC, one tone-mark convention, folding), `sentences` (splitting with
offsets), `words` (pyvi segmentation, search terms, key terms, coverage, near-duplicates),
`detect` (English or Vietnamese, instructions aimed at a model), `restore` (diacritics put back
from the corpus's own spelling), `facts` (numbers, shares, dates), `names` (people after a title).
Word lists are data files in `lexicons/`, read with `lexicon()` and `phrase_pattern()`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=64)
def lexicon_lines(name: str) -> tuple[str, ...]:
    """The non-comment lines of `lexicons/<name>.txt`, stripped, in file order."""
    text = resources.files("assistant.lang").joinpath("lexicons", f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


@lru_cache(maxsize=64)
def lexicon(name: str) -> frozenset[str]:
    """The whitespace-separated words of a lexicon file, as a set."""
    return frozenset(word for line in lexicon_lines(name) for word in line.split())


@lru_cache(maxsize=64)
def lexicon_pairs(name: str) -> dict[str, str]:
    """A lexicon of `key:value` words (`la:là`), as a dict."""
    return dict(word.split(":", 1) for line in lexicon_lines(name) for word in line.split())


@lru_cache(maxsize=64)
def phrase_pattern(name: str) -> re.Pattern[str]:
    """One regex matching any phrase of a lexicon (one phrase per line) as whole words."""
    phrases = sorted(lexicon_lines(name), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in phrases) + r")\b")
