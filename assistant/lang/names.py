"""Names in text: capitalised runs, and people named after a title ("Bộ trưởng Nguyễn Mạnh Hùng")."""

from __future__ import annotations

import re

from assistant.lang import phrase_pattern
from assistant.lang.normalize import fold, fold_diacritics, has_diacritics, normalize

NAME = re.compile(r"(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\s){1,4}[A-ZĐÀ-Ỹ][\wÀ-ỹ]*")


def capitalised_names(text: str) -> list[str]:
    """Runs of two to five capitalised words ("Hà Nội", "ITU Digital World")."""
    return [m.group() for m in NAME.finditer(normalize(text))]


def vietnamese_names(text: str) -> set[str]:
    """Folded capitalised runs that carry Vietnamese marks: they read the same in an English answer."""
    return {fold(n) for n in capitalised_names(text) if has_diacritics(n)}


def names_new_person(question: str, text: str) -> bool:
    """Does `text` name a person the question does not, after a title ("ông X", "Bộ trưởng X")?

    Any capitalised run would answer "Ai là Tổng thư ký ITU?" with "Hà Nội" as well as with "ông
    Houlin Zhao"; a titled person is the better answer to a "who" question. An acronym alone
    ("Tổng thư ký ITU") names an organisation, not a person.
    """
    asked = fold(question)
    for _title, words in _titled(text):
        if any(not w.isupper() for w in words) and fold(" ".join(words)) not in asked:
            return True
    return False


def _titled(text: str) -> list[tuple[str, list[str]]]:
    """Each title (folded) with the capitalised words after it (up to four; punctuation ends the name)."""
    text = normalize(text)
    folded = fold_diacritics(text.lower())
    out = []
    for m in re.finditer(phrase_pattern("person_titles").pattern + r"\s+", folded):
        words = []
        for word in text[m.end() :].split()[:4]:
            core = word.strip(",.;:!?\"'“”()")
            if not core or not core[0].isupper():
                break
            words.append(core)
            if core != word:
                break
        out.append((m.group(1), words))
    return out


def titled_people(text: str) -> list[tuple[str, str]]:
    """(title, name) pairs, folded: "Bộ trưởng Nguyễn Mạnh Hùng" → ("bo truong", "nguyen manh hung")."""
    return [(title, fold(" ".join(words))) for title, words in _titled(text) if len(words) >= 2]
