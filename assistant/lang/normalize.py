"""Unicode and spelling normalisation, and folding of diacritics.

Why by hand: Unicode NFC alone leaves two spellings of the same word (`hoà` and `hòa`: the tone
mark on the second or the first vowel of `oa`, `oe`, `uy`), and no maintained library puts tone
marks in one place. Folding (`chuyển đổi số` → `chuyen doi so`) keeps one character per
character, so offsets into the original text survive.
"""

from __future__ import annotations

import re
import unicodedata

# old style puts the tone on the first vowel of a final oa/oe/uy: hòa, thúy, khỏe (never ua/uơ:
# "của", "mua" keep theirs); tone marks as combining characters: grave, acute, hook, tilde, dot
_VOWEL_CLUSTER = re.compile(
    r"(?<![qQ])([oO](?=[\u0300\u0301\u0309\u0303\u0323][aAeE])|[uU](?=[\u0300\u0301\u0309\u0303\u0323][yY]))"
    r"([\u0300\u0301\u0309\u0303\u0323])([aAeEyY])(?![\w\u0300-\u036f])"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalize(text: str) -> str:
    """NFC with one tone-mark convention (new style: `hoà`, `thuý`), so equal words compare equal.

    Also drops control and zero-width characters, which arrive from copy-pasted web pages and
    would otherwise split words invisibly.
    """
    text = _CONTROL.sub("", text)
    decomposed = unicodedata.normalize("NFD", text)
    moved = _VOWEL_CLUSTER.sub(lambda m: m.group(1) + m.group(3) + m.group(2), decomposed)
    return unicodedata.normalize("NFC", moved)


def clean_whitespace(text: str) -> str:
    """Collapse runs of spaces inside lines; keep line breaks (they separate paragraphs)."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(lines)


class _FoldTable(dict):
    """str.translate table that computes (and remembers) each character's folded form on first use."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch in "đĐ":
            folded = "d" if ch == "đ" else "D"
        else:
            stripped = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            folded = stripped if len(stripped) == 1 else ch
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold_diacritics(text: str) -> str:
    """Remove every diacritic (`chuyển đổi số` → `chuyen doi so`, `Đ` → `D`).

    One output character per input character for Vietnamese and ASCII text, so offsets survive.
    Characters are folded through a cached table: folding runs on every candidate passage of every
    query, and a per-character NFD was a third of retrieval time.
    """
    if text.isascii():
        return text
    return text.translate(_FOLD_TABLE)


def fold(text: str) -> str:
    """Lower-case, normalised and folded: the form word lists and patterns are matched on."""
    return fold_diacritics(normalize(text).lower())


def has_diacritics(text: str) -> bool:
    """True when the text carries Vietnamese marks (a user who types without them needs folding)."""
    return fold_diacritics(text) != text
