"""Facts an answer can get wrong, read from text: numbers and shares (typed facts grow here).

A number reads the same in Vietnamese and English, so it is the surest tie between an answer
sentence and the passage it came from, and the surest sign of an invented answer.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_PERCENT = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:%|phần trăm|phan tram|percent\b)", re.IGNORECASE)
_DATE_LIKE = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}|\b\d{4}\b|(ngay|thang|nam)\s+\d")


def numbers_in(text: str) -> set[str]:
    """Numbers written in the text, without separators (`160.000` → `160000`); `5G`, `2D` are names."""
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


def number_forms(text: str) -> set[str]:
    """Every way a number in `text` may be quoted: `12.10` also counts as `12` and `10` (a date)."""
    out = set()
    for n in _NUMBER.findall(text):
        out.add(re.sub(r"[.,]", "", n))
        out.update(re.split(r"[.,]", n))
    return out


def percentages_in(text: str) -> set[str]:
    """Numbers written as shares (`50%`, `50 phần trăm`): "18%" is not backed by "18 tháng"."""
    return {n.replace(",", ".") for n in _PERCENT.findall(text)}


def date_like(folded: str) -> set[str]:
    """Date-shaped pieces of folded text (`12/10`, `2021`, `ngay 12`)."""
    return {m.group() for m in _DATE_LIKE.finditer(folded)}
