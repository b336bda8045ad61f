"""Typed facts: the values an answer can get wrong, read from Vietnamese and English text.

A fact is a date (day, month, year, with its role when stated: opening or closing), a range of
days, a year, a time of day, a number with the noun it counts, a percentage or an amount of money.
Facts compare as values, not as strings: `12.10`, `12/10` and `ngày 12 tháng 10` are one date,
`14/10/2021` is not backed by a passage that only has `14`, `10` and `2021` apart, a day inside
`12 - 14/10` is in the range, `1,5 triệu` is `1.500.000`, `75,000` (English) is `75.000`, and "72
triệu hồ sơ" is not "72 triệu người". Numbers read the same in both languages, so an English
answer sentence is checked against a Vietnamese passage through the same values.

Why by hand: no maintained parser reads Vietnamese dates and number words (`dateparser` and
`number-parser` know neither `tối 12.10` nor `1,5 triệu`), and the grouping rules differ between
the two languages (`4.500` is four thousand five hundred in Vietnamese, four and a half in English).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.lang.normalize import fold

_MONTHS_EN = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_SCALES = {
    "nghin": 1e3,
    "ngan": 1e3,
    "trieu": 1e6,
    "ty": 1e9,
    "ti": 1e9,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "k": 1e3,
}
_CURRENCIES = {"dong": "VND", "vnd": "VND", "usd": "USD", "do la": "USD", "dollars": "USD", "euro": "EUR"}
_OPEN = re.compile(r"\b(khai mac|bat dau|mo man|open(ed|s|ing)?|start(ed|s)?|began|begins)\b")
_CLOSE = re.compile(r"\b(be mac|ket thuc|khep lai|clos(ed|es|ing)|end(ed|s)?|conclud(ed|es))\b")
# words that make "12.10" a date rather than a number: the day's part or a date preposition before it
_DATE_CUE = re.compile(r"\b(ngay|toi|sang|chieu|dem|trua|hom|tu|den|vao|luc|on|from|to)\s*$")

_RANGE = re.compile(
    r"(?<![\d/.])(?P<d1>\d{1,2})(?:[/.](?P<m1>\d{1,2}))?\s*(?:-|–|đến|den|to)\s*(?:ngay\s+)?(?P<d2>\d{1,2})[/.](?P<m>\d{1,2})"
    r"(?:[/.](?P<y>\d{4}))?(?![\d/])"
)
_DATE_NUM = re.compile(r"(?<![\d/.,])(?P<d>\d{1,2})(?P<sep>[/.])(?P<m>\d{1,2})(?:(?P=sep)(?P<y>\d{4}))?(?!\d|[.,/]\d)")
_DATE_VI = re.compile(r"ngay\s+(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})(?:\s+nam\s+(?P<y>\d{4}))?")
_MONTH_YEAR_VI = re.compile(r"thang\s+(?P<m>\d{1,2})\s*(?:/|nam)\s*(?P<y>\d{4})")
_DATE_EN = re.compile(
    r"\b(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon1>[a-z]{3,9})\.?|(?P<mon2>[a-z]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?)"
    r"(?:,?\s+(?P<y>\d{4}))?\b"
)
_TIME = re.compile(r"(?<![\d.,-])(?P<h>\d{1,2})\s*(?::|h(?![a-z])|gio\b)\s*(?P<mi>\d{2})?(?![\d])(?!\s*(?:%|phan))")
_YEAR = re.compile(r"(?<![\d.,/])(?P<y>(?:19|20)\d{2})(?![\d.,/]\d)")
_PERCENT = re.compile(r"(?<![\d.,])(?P<n>\d+(?:[.,]\d+)?)\s*(?:%|phan tram|percent\b)")
_NUMBER = re.compile(
    # a number glued to letters ("5G", "4G") is a name, not a count
    r"(?<![\w.,])(?<!\w-)(?P<n>\d+(?:[.,]\d+)*)(?![^\W\d])(?P<scale>\s*(?:nghin|ngan|trieu|ty|ti|thousand|million|billion)\b)?"
)


@dataclass(frozen=True)
class Fact:
    """One value stated in a text, with where it was written."""

    kind: str  # date, range, year, time, number, percent, money
    value: tuple
    text: str
    start: int
    end: int
    noun: str = ""  # the word a number counts, lower-case as spelled ("đại" of "đại biểu", "hồ" of "hồ sơ")
    role: str = ""  # "open" / "close": the date of an opening or a closing, when the sentence says so

    def describe(self) -> str:
        return f"{self.text}" + (f" ({self.noun})" if self.noun else "")


def _valid_date(d: int, m: int) -> bool:
    return 1 <= d <= 31 and 1 <= m <= 12


def _role(folded: str, start: int, end: int) -> str:
    """Opening or closing: the words right before the date, else those after it up to the clause's end.

    "… khai mạc ngày 12/10 và bế mạc ngày 14/10": each date takes the word before it; "Tối 12.10,
    hội nghị chính thức khai mạc." takes the word after it, as no other date comes between.
    """
    before = re.split(r"[.;]|\d", folded[max(0, start - 40) : start])[-1]
    after = re.split(r"[.;]\s|\d", folded[end : end + 60])[0]
    for text in (before, after):
        if _CLOSE.search(text):
            return "close"
        if _OPEN.search(text):
            return "open"
    return ""


def _number_value(raw: str, english: bool) -> float | None:
    """`160.000` → 160000, `1,5` → 1.5 (Vietnamese); `75,000` → 75000, `1.5` → 1.5 (English)."""
    groups = re.split(r"[.,]", raw)
    if len(groups) == 1:
        return float(raw)
    seps = re.findall(r"[.,]", raw)
    thousands = all(len(g) == 3 for g in groups[1:])
    if len(set(seps)) == 1 and thousands and (len(groups) > 2 or not english or seps[0] == ","):
        return float("".join(groups))
    decimal = "." if english else ","
    if (seps[-1] == decimal and len(groups[-1]) <= 2) or (len(set(seps)) == 1 and not thousands):
        whole = "".join(groups[:-1])
        try:
            return float(f"{whole}.{groups[-1]}")
        except ValueError:
            return None
    return float("".join(groups)) if thousands else None


def extract_facts(text: str, english: bool | None = None) -> list[Fact]:
    """Every typed fact in `text`, left to right; a digit is part of at most one fact."""
    from assistant.lang.detect import is_english

    english = is_english(text) if english is None else english
    folded = fold(text)  # same length as `text`: offsets carry over
    taken = [False] * len(folded)
    facts: list[Fact] = []

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def add(kind: str, value: tuple, a: int, b: int, noun: str = "", role: str = "") -> None:
        facts.append(Fact(kind, value, text[a:b], a, b, noun, role))
        for i in range(a, b):
            taken[i] = True

    for m in _RANGE.finditer(folded):
        d1, d2, mo = int(m["d1"]), int(m["d2"]), int(m["m"])
        m1 = int(m["m1"]) if m["m1"] else mo
        if _valid_date(d1, m1) and _valid_date(d2, mo) and (m1, d1) < (mo, d2) and free(m.start(), m.end()):
            year = int(m["y"]) if m["y"] else None
            add("range", (d1, m1, d2, mo, year), m.start(), m.end(), role=_role(folded, m.start(), m.end()))
    for pattern in (_DATE_VI, _DATE_NUM):
        for m in pattern.finditer(folded):
            d, mo = int(m["d"]), int(m["m"])
            if not _valid_date(d, mo) or not free(m.start(), m.end()):
                continue
            # "4.5" in English and "12.10" without a day word in Vietnamese may be numbers
            dotted = pattern is _DATE_NUM and m["sep"] == "." and not m["y"]
            if dotted and (english or not _DATE_CUE.search(folded[: m.start()])):
                continue
            year = int(m["y"]) if m["y"] else None
            add("date", (d, mo, year), m.start(), m.end(), role=_role(folded, m.start(), m.end()))
    for m in _DATE_EN.finditer(folded):
        month = _MONTHS_EN.get(m["mon1"] or m["mon2"] or "")
        day = int(m["d1"] or m["d2"])
        if month and _valid_date(day, month) and free(m.start(), m.end()):
            year = int(m["y"]) if m["y"] else None
            add("date", (day, month, year), m.start(), m.end(), role=_role(folded, m.start(), m.end()))
    for m in _MONTH_YEAR_VI.finditer(folded):
        if 1 <= int(m["m"]) <= 12 and free(m.start(), m.end()):
            add("date", (None, int(m["m"]), int(m["y"])), m.start(), m.end())
    for m in _TIME.finditer(folded):
        h, mi = int(m["h"]), int(m["mi"] or 0)
        if (
            h <= 23
            and free(m.start(), m.end())
            and (m["mi"] or re.match(r"\s*(h(?![a-z])|gio\b)", folded[m.end("h") :]))
        ):
            add("time", (h, mi), m.start(), m.end())
    for m in _PERCENT.finditer(folded):
        if free(m.start(), m.end()):
            value = _number_value(m["n"], english)
            if value is not None:
                add("percent", (value,), m.start(), m.end())
    for m in _YEAR.finditer(folded):
        if free(m.start(), m.end()) and not _NOUN_IS_COUNT(folded, m.end()):
            add("year", (int(m["y"]),), m.start(), m.end())
    for m in _NUMBER.finditer(folded):
        if not free(m.start(), m.end()):
            continue
        value = _number_value(m["n"], english)
        if value is None:
            continue
        end = m.end()
        if m["scale"]:
            value *= _SCALES[m["scale"].strip()]
        after = folded[end:]
        currency = _currency(after) or ("USD" if folded[max(0, m.start() - 1) : m.start()] == "$" else "")
        if currency:
            add("money", (value, currency), m.start(), end)
            continue
        add("number", (value,), m.start(), end, noun="" if english else _noun(text[end:]))
    return sorted(facts, key=lambda f: f.start)


def _NOUN_IS_COUNT(folded: str, end: int) -> bool:
    """`2021 người` counts people: a year is followed by no count noun."""
    after = folded[end:]
    return bool(re.match(r"\s+(nguoi|dai bieu|doanh nghiep|gian hang|luot|khach|hoc vien|sinh vien)\b", after))


def _currency(after: str) -> str:
    m = re.match(r"\s*(dong|vnd|usd|do la|dollars|euro)\b", after)
    return _CURRENCIES.get(m.group(1), "") if m else ""


# function words that may follow a number without naming what it counts (as spelled, lower-case)
_NOT_NOUNS = frozenset(
    "hơn gần khoảng trên dưới tới đến những các chiếc và hoặc của là tại từ trong với cho được đã sẽ thì mà "
    "ra vào cũng đều nay này đó to of and or in on at for".split()
)


def _noun(after: str) -> str:
    """The lower-case word a number counts (its first syllable, as spelled), "" when that is a function word."""
    m = re.match(r"\s*([^\W\d_]+)", after)
    if not m:
        return ""
    word = m.group(1).lower()
    return "" if word in _NOT_NOUNS else word


def fact_held(fact: Fact, facts: list[Fact]) -> bool:
    """Is `fact` stated among `facts` (a passage's) as the same value, with a compatible noun and role?"""
    if any(_matches(fact, other) for other in facts):
        return True
    if fact.kind == "range":  # both ends stated apart ("khai mạc 12/10 … bế mạc 14/10")
        d1, m1, d2, m2, y = fact.value
        ends = [Fact("date", (d1, m1, y), "", 0, 0), Fact("date", (d2, m2, y), "", 0, 0)]
        return all(fact_held(e, facts) for e in ends)
    return False


def _matches(fact: Fact, other: Fact) -> bool:
    if fact.kind == "date":
        if other.kind == "date":
            return _same_date(fact.value, other.value) and _roles_agree(fact.role, other.role)
        return other.kind == "range" and _in_range(fact, other)
    if fact.kind == "range":
        return (
            other.kind == "range" and fact.value[:4] == other.value[:4] and _years_agree(fact.value[4], other.value[4])
        )
    if fact.kind == "year":
        year = fact.value[0]
        return (other.kind == "year" and other.value[0] == year) or (
            other.kind in ("date", "range") and other.value[-1] == year
        )
    if fact.kind in ("time", "percent"):
        return other.kind == fact.kind and fact.value == other.value
    if fact.kind in ("number", "money") and other.kind in ("number", "money"):
        return _same_amount(fact, other)
    return False


def _in_range(fact: Fact, other: Fact) -> bool:
    """A day inside a range; an opening (closing) date only as the range's first (last) day."""
    d, m, y = fact.value
    d1, m1, d2, m2, ry = other.value
    if d is None or not (m1, d1) <= (m, d) <= (m2, d2) or not _years_agree(y, ry):
        return False
    if fact.role == "open":
        return (d, m) == (d1, m1)
    if fact.role == "close":
        return (d, m) == (d2, m2)
    return True


def _same_amount(fact: Fact, other: Fact) -> bool:
    """The same value (and currency, for money), counting the same thing when both name it."""
    if abs(fact.value[0] - other.value[0]) >= 1e-9 * max(1.0, abs(fact.value[0])):
        return False
    if fact.kind == "money" and other.kind == "money" and fact.value[1] != other.value[1]:
        return False
    return not fact.noun or not other.noun or fact.noun == other.noun


def _same_date(a: tuple, b: tuple) -> bool:
    """Same day and month (a month-and-year date, "tháng 9/2022", holds any day of that month)."""
    return (a[0] is None or a[0] == b[0]) and a[1] == b[1] and _years_agree(a[2], b[2])


def _years_agree(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def _roles_agree(a: str, b: str) -> bool:
    return not a or not b or a == b


# --- simple views used by retrieval checks and the question's analysis -------------------------------
_ANY_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_PERCENT_PLAIN = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:%|phần trăm|phan tram|percent\b)", re.IGNORECASE)
_DATE_LIKE = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}|\b\d{4}\b|(ngay|thang|nam)\s+\d")


def numbers_in(text: str) -> set[str]:
    """Numbers written in the text, without separators (`160.000` → `160000`); `5G`, `2D` are names."""
    return {re.sub(r"[.,]", "", n) for n in _ANY_NUMBER.findall(text)}


def number_forms(text: str) -> set[str]:
    """Every way a number in `text` may be quoted: `12.10` also counts as `12` and `10` (a date)."""
    out = set()
    for n in _ANY_NUMBER.findall(text):
        out.add(re.sub(r"[.,]", "", n))
        out.update(re.split(r"[.,]", n))
    return out


def percentages_in(text: str) -> set[str]:
    """Numbers written as shares (`50%`, `50 phần trăm`)."""
    return {n.replace(",", ".") for n in _PERCENT_PLAIN.findall(text)}


def date_like(folded: str) -> set[str]:
    """Date-shaped pieces of folded text (`12/10`, `2021`, `ngay 12`)."""
    return {m.group() for m in _DATE_LIKE.finditer(folded)}
