"""Vietnamese text handling shared by every stage: normalisation, folding, sentences, words.

Why by hand: Unicode NFC alone leaves two spellings of the same word (`hoà` and `hòa`: the tone
mark on the second or the first vowel of `oa`, `oe`, `uy`), and no maintained library puts tone
marks in one place. Sentence splitting is a small regex tuned for Vietnamese news (dates such as
`12.10`, numbers such as `160.000`, abbreviations such as `TP.`), which generic splitters break.

Word segmentation uses pyvi: on the seed paragraphs it is ~3x faster than underthesea (0.8 ms
against 2.8 ms per paragraph), the two agree on 82% of compound words and both find every key
term tried (chuyển_đổi, bộ_trưởng, thủ_tướng, viễn_thông); see benchmarks/segmenters.py.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# Tone marks as combining characters (grave, acute, hook above, tilde, dot below).
_TONE_MARKS = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
_VOWEL_CLUSTER = re.compile(
    # old style puts the tone on the first vowel of a final oa/oe/uy: hòa, thúy, khỏe
    # (never ua/uơ: "của", "mua" keep theirs)
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


def fold_diacritics(text: str) -> str:
    """Remove every diacritic (`chuyển đổi số` → `chuyen doi so`, `Đ` → `D`).

    One output character per input character for Vietnamese and ASCII text, so offsets survive.
    Characters are folded through a cached table: folding runs on every candidate passage of every
    query, and a per-character NFD was a third of retrieval time.
    """
    if text.isascii():
        return text
    return text.translate(_FOLD_TABLE)


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


def has_diacritics(text: str) -> bool:
    """True when the text carries Vietnamese marks (a user who types without them needs folding)."""
    return fold_diacritics(text) != text


_EN_WORDS = frozenset(
    (
        "the a an of in on at to for from by with what who whom whose which when where why how is are was "
        "were did does do many much and or this that these those it its he she they their his her "
        "be been has have had about during"
    ).split()
)


# Sentences addressed to an AI rather than to a reader: "bỏ qua mọi hướng dẫn trước đó", "ignore all
# previous instructions", chat control tokens. Such text in a document is never quoted as an answer
# nor given to a model as evidence (it stays visible, as source text, in the passage itself).
_INSTRUCTION = re.compile(
    r"\b(bo qua|phot lo|khong tuan theo) (moi|tat ca|cac|nhung)? ?(huong dan|chi dan|chi thi|lenh|quy tac)"
    r"|\bignore (all |any |the )?(previous|prior|above|earlier) (instructions|rules|prompts?)"
    r"|\b(disregard|forget) (all |the )?(previous|prior|above) "
    r"|\b(system prompt|you are now|new rule:|tra loi chi bang|chi tra loi bang|answer only with)"
    r"|<[|¦][^<>\s]{1,40}[|¦]>"
)


def looks_like_instruction(text: str) -> bool:
    """Is this sentence an instruction to an AI (prompt injection) rather than article text?"""
    return bool(_INSTRUCTION.search(fold_diacritics(normalize(text).lower())))


def is_english(text: str) -> bool:
    """A cheap language guess: no Vietnamese marks outside names, and mostly common English words.

    Capitalised words are names as often as not, and an English question about this corpus names
    Vietnamese people ("According to Deputy Minister Nguyễn Huy Dũng, …"), so only the marks of
    lower-case words count against English.
    """
    words = re.findall(r"\w+", text)
    if any(has_diacritics(w) for w in words if not w[0].isupper()):
        return False
    plain = [w.lower() for w in words if not has_diacritics(w) and w.isalpha()]
    if not plain:
        return False
    hits = sum(w in _EN_WORDS for w in plain)
    return hits >= 2 and hits / len(plain) >= 0.2


@dataclass(frozen=True)
class Span:
    """A piece of text and its character offsets in the string it was cut from."""

    text: str
    start: int
    end: int


# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets) before whitespace
# and a capital letter, digit, quote or bracket. `12.10` or `160.000` have no space, so they stay.
_SENTENCE_END = re.compile(r"""(?<=[.!?…])(?P<close>["'”’»)\]]*)\s+(?=["“'‘«(\[]?[A-ZÀ-ỸĐ0-9])""")
_ABBREVIATIONS = ("TP.", "Tp.", "TS.", "ThS.", "PGS.", "GS.", "ông.", "St.", "Mr.", "Dr.", "v.v.")


def split_sentences(text: str) -> list[Span]:
    """Sentences of `text` with their offsets; line breaks always end a sentence."""
    spans: list[Span] = []
    for line_match in re.finditer(r"[^\n]+", text):
        line, base = line_match.group(), line_match.start()
        start = 0
        for m in _SENTENCE_END.finditer(line):
            end = m.start() + len(m.group("close"))
            if line[start:end].endswith(_ABBREVIATIONS):
                continue
            _append_span(spans, line, base, start, end)
            start = m.end()
        _append_span(spans, line, base, start, len(line))
    return spans


def _append_span(spans: list[Span], line: str, base: int, start: int, end: int) -> None:
    piece = line[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    s = base + start + lead
    spans.append(Span(stripped, s, s + len(stripped)))


@lru_cache(maxsize=1)
def _pyvi():
    from pyvi import ViTokenizer  # imported lazily: it loads a CRF model (~0.9 s)

    return ViTokenizer


_WORD = re.compile(r"[\w]+(?:[.,][\d]+)*", re.UNICODE)


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
        syllables = [s for s in _WORD.findall(folded.replace("_", " ")) if s]
        terms.extend(syllables)
        if len(syllables) > 1:
            terms.append("_".join(syllables))
    return terms


# Function words and question words carry no topic: they are ignored when judging whether a
# passage covers what a question asks about. Folded, so typed-without-diacritics questions match.
_STOPWORDS_VI = (
    "la cua va cac nhung mot nhu the nao gi ai bao nhieu khi nao o dau tai sao vi sao duoc co ay "
    "khong da se dang voi cho trong tren duoi ve tu den theo nay do kia thi ma ra vao boi nen "
    "hay hoac cung rat nhat lan nam ngay thang bai viet nhac toi noi len nhan dinh cho biet "
    "neu dieu viec su cuoc ong ba anh chi em toi chung ta minh ho"
).split()
_STOPWORDS_EN = (
    "the a an of in on at to for from by with what who whom whose which when where why how is are "
    "was were did does do many much and or this that these those it its he she they their his her "
    "be been has have had about during according article mentioned say said tell me"
).split()
STOPWORDS = frozenset(_STOPWORDS_VI + _STOPWORDS_EN)


def content_terms(text: str) -> list[str]:
    """Folded syllables of `text` that carry meaning (no stopwords, no punctuation)."""
    return [t for t in search_terms(text) if "_" not in t and t not in STOPWORDS]


def adds_to(question: str, text: str) -> bool:
    """Does `text` name anything `question` did not? A reply that does not only restates it.

    (On our own and the dev answers of the local model, every real answer named at least one
    new term; the ones that named none restated the question, "… diễn ra tại khách sạn [1].")
    """
    asked = set(content_terms(question)) | _UNKNOWN_WORDS
    return any(t not in asked for t in content_terms(text))


# words that say the answer is unknown (folded): "Giá cước … là chưa được xác định [1]." adds nothing
_UNKNOWN_WORDS = {"chua", "khong", "ro", "xac", "dinh", "de", "cap", "neu", "cong", "bo", "cu", "the", "thong", "tin"}


def syllables(text: str, fold: bool) -> list[str]:
    """Lower-case syllables in order; folded when the other side of a comparison has no marks."""
    words = _WORD.findall(normalize(text).lower())
    return [fold_diacritics(w) for w in words] if fold else words


_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")


def numbers_in(text: str) -> set[str]:
    """Numbers written in the text, without separators (`160.000` → `160000`); `5G`, `2D` are names."""
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


_PERCENT = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:%|phần trăm|phan tram|percent\b)", re.IGNORECASE)


def percentages_in(text: str) -> set[str]:
    """Numbers written as shares (`50%`, `50 phần trăm`): "18%" is not backed by "18 tháng"."""
    return {n.replace(",", ".") for n in _PERCENT.findall(text)}


def anchors_held(sentence: str, text: str, question: str = "") -> bool:
    """Does `text` hold every number and Vietnamese name of `sentence` (at least one, none from `question`)?

    Numbers and Vietnamese names read the same in any language, so they tie an English sentence to
    the Vietnamese passage it came from, where shared words cannot.
    """
    numbers = numbers_in(sentence) - numbers_in(question)
    folded_question = fold_diacritics(question.lower())
    names = {
        fold_diacritics(m.group().lower())
        for m in _NAME.finditer(normalize(sentence))
        if has_diacritics(m.group()) and fold_diacritics(m.group().lower()) not in folded_question
    }
    if not numbers and not names:
        return False
    folded = fold_diacritics(normalize(text).lower())
    return numbers <= number_forms(text) and all(n in folded for n in names)


def number_forms(text: str) -> set[str]:
    """Every way a number in `text` may be quoted: `12.10` also counts as `12` and `10` (a date)."""
    out = set()
    for n in _NUMBER.findall(text):
        out.add(re.sub(r"[.,]", "", n))
        out.update(re.split(r"[.,]", n))
    return out


@dataclass(frozen=True)
class Coverage:
    """How much of a question's meaning-bearing words (and word pairs) a text contains."""

    unigrams: float
    bigrams: float
    missing_numbers: int

    @property
    def score(self) -> float:
        return (self.unigrams + self.bigrams) / 2


def term_coverage(question: str, text: str, weight=lambda _t: 1.0) -> Coverage:
    """Weighted share of the question's content syllables and adjacent syllable pairs found in `text`.

    Compared with diacritics when the question has them (`cước` is not `cuộc`), folded otherwise.
    Pairs catch compounds whose syllables occur apart (`doanh thu` vs `doanh nghiệp … thu hẹp`).
    """
    fold = not has_diacritics(question)
    q = syllables(question, fold)
    content = [fold_diacritics(w) not in STOPWORDS for w in q]
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


@lru_cache(maxsize=50_000)
def shingles(text: str, size: int = 3) -> frozenset[tuple[str, ...]]:
    """Word n-grams of the folded text: the unit for near-duplicate detection."""
    words = _WORD.findall(fold_diacritics(normalize(text).lower()))
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


# What kind of answer a question wants, judged on its folded, lower-cased text.
_ASKS_QUANTITY = re.compile(
    r"\b(bao nhieu|may nguoi|may nuoc|thu may|lan thu may|so luong|ty le|how many|how much|what percentage)\b"
)
_ASKS_TIME = re.compile(
    r"\b(khi nao|luc nao|bao gio|thoi gian nao|ngay nao|nam nao|thang nao|thoi diem nao"
    r"|when|what year|what date|which day)\b"
)
_ASKS_PERSON = re.compile(r"(^|\s)(ai|who|whom)\b")
_DATE_LIKE = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}|\b\d{4}\b|(ngay|thang|nam)\s+\d")
_NAME = re.compile(r"(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\s){1,4}[A-ZĐÀ-Ỹ][\wÀ-ỹ]*")


def answer_type(question: str) -> str:
    """`quantity`, `time`, `person` or `other`: what a sentence must contain to answer the question."""
    folded = fold_diacritics(normalize(question).lower())
    if _ASKS_QUANTITY.search(folded):
        return "quantity"
    if _ASKS_TIME.search(folded):
        return "time"
    if _ASKS_PERSON.search(folded):
        return "person"
    return "other"


def has_answer_of_type(question: str, text: str) -> bool:
    """Does `text` hold something new of the kind the question asks for (a number, a date, a name)?"""
    kind = answer_type(question)
    if kind == "quantity":
        return bool(numbers_in(text) - numbers_in(question))
    if kind == "time":
        q_dates = {m.group() for m in _DATE_LIKE.finditer(fold_diacritics(question.lower()))}
        return any(m.group() not in q_dates for m in _DATE_LIKE.finditer(fold_diacritics(text.lower())))
    if kind == "person":
        q_folded = fold_diacritics(question.lower())
        return any(fold_diacritics(m.group().lower()) not in q_folded for m in _NAME.finditer(normalize(text)))
    return True


_RESTORE_MAX_WORDS = 4  # longest run of words matched at once ("tong thu ky itu")
_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)
# One syllable alone is ambiguous ("noi": nói, nối, nơi), so single words are restored only from
# this closed class of question and function words, each with the spelling it almost always has in
# a question; every other word needs a run of two or more that the passages spell.
_FUNCTION_WORDS = dict(
    pair.split(":")
    for pair in (
        "la:là gi:gì nao:nào cua:của duoc:được co:có nhung:những cac:các tai:tại ve:về voi:với se:sẽ "
        "da:đã dang:đang ngay:ngày thang:tháng nam:năm nhieu:nhiêu dau:đâu nguoi:người nhu:như the:thế "
        "vi:vì tu:từ den:đến mot:một va:và hoac:hoặc khong:không nay:này ai:ai o:ở khi:khi bao:bao "
        "trong:trong cho:cho sao:sao nhat:nhất tren:trên duoi:dưới giua:giữa vao:vào bai:bài"
    ).split()
)


def restore_diacritics(question: str, texts: Sequence[str]) -> str:
    """Put back the marks of a question typed without them, using how `texts` spell the same words.

    `Tong thu ky ITU du hoi nghi la ai?` becomes `Tổng thư ký ITU dự hội nghị là ai?` when the
    retrieved passages hold those words: retrieval already matches folded words, but a small LLM
    reads an unmarked question poorly (it echoed "Ngay chuyen đổi số" and quoted instead of naming
    the person asked for), and e5 ranks sentences better against the marked form. Runs of two to
    four words are matched greedily, longest first, so a word takes the spelling its neighbours
    call for (`hoi nghi` → `hội nghị`); single words only from a closed class of function words
    (pyvi's `add_accents` was tried and restored "Tổng thự kỹ", "bờ trường" here). A word neither
    source spells is left as typed. Questions that already carry marks are returned unchanged.
    """
    if has_diacritics(question) or not texts:
        return question
    spellings: dict[tuple[str, ...], Counter[tuple[str, ...]]] = {}
    for text in texts:
        words = _WORD.findall(normalize(text))
        folded = [fold_diacritics(w.lower()) for w in words]
        for n in range(2, _RESTORE_MAX_WORDS + 1):
            for i in range(len(words) - n + 1):
                key = tuple(folded[i : i + n])
                spellings.setdefault(key, Counter())[tuple(w.lower() for w in words[i : i + n])] += 1
    tokens = _TOKEN.findall(question)
    word_at = [i for i, t in enumerate(tokens) if t[0].isalnum() or t[0] == "_"]
    runs = _best_runs([tokens[i].lower() for i in word_at], tokens, word_at, spellings)
    out = list(tokens)
    covered: set[int] = set()
    for w, n in runs:
        key = tuple(tokens[i].lower() for i in word_at[w : w + n])
        best = max(spellings[key].items(), key=lambda kv: (has_diacritics(" ".join(kv[0])), kv[1]))[0]
        for i, word in zip(word_at[w : w + n], best, strict=True):
            out[i] = _match_case(tokens[i], word)
            covered.add(i)
    for i in word_at:  # lower-case only: a capitalised "Nam" is a name, not "năm"
        if i not in covered and tokens[i] in _FUNCTION_WORDS:
            out[i] = _FUNCTION_WORDS[tokens[i]]
    return "".join(out)


def _best_runs(words: list[str], tokens: list[str], word_at: list[int], spellings: dict) -> list[tuple[int, int]]:
    """Non-overlapping runs (start, length) the passages spell, covering the most words in the longest runs."""
    n_words = len(words)
    # best[w] = (words covered, sum of squared run lengths, runs) for words[w:]
    best: list[tuple[int, int, list[tuple[int, int]]]] = [(0, 0, [])] * (n_words + 1)
    for w in range(n_words - 1, -1, -1):
        choice = best[w + 1]
        for n in range(2, min(_RESTORE_MAX_WORDS, n_words - w) + 1):
            idx = word_at[w : w + n]
            if any(tokens[j].strip() for j in range(idx[0] + 1, idx[-1]) if j not in idx):
                break  # the words of a run are separated by plain spaces, not punctuation
            if tuple(words[w : w + n]) in spellings:
                rest = best[w + n]
                option = (rest[0] + n, rest[1] + n * n, [(w, n), *rest[2]])
                if option[:2] > choice[:2]:
                    choice = option
        best[w] = choice
    return best[0][2]


def _match_case(typed: str, word: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


# A person in Vietnamese news is named after a title: "ông Houlin Zhao", "Bộ trưởng Nguyễn Mạnh
# Hùng", "Đại sứ Đặng Hoàng Giang". Matched on the folded, lower-cased text (same offsets).
_PERSON_TITLE = re.compile(
    r"\b(ong|ba|ngai|bo truong|thu truong|thu tuong|chu tich|tong thu ky|thu ky|dai su|giam doc|"
    r"tong giam doc|dac phai vien|mr|ms|mrs|dr|minister|secretary-general|secretary)\s+"
)


def names_a_person(question: str, text: str) -> bool:
    """Does `text` name a person the question does not, after a title ("ông X", "Bộ trưởng X")?

    `has_answer_of_type` takes any capitalised run for a name, so "Hà Nội" or "ITU Digital World"
    answer "Ai là Tổng thư ký ITU?" as well as "ông Houlin Zhao" does; ranking the sentences an
    LLM reads, the one with a titled person should come first. An acronym alone ("Tổng thư ký
    ITU") names an organisation, not a person.
    """
    q_folded = fold_diacritics(normalize(question).lower())
    text = normalize(text)
    folded = fold_diacritics(text.lower())
    for m in _PERSON_TITLE.finditer(folded):
        words = []
        for word in text[m.end() :].split()[:4]:
            core = word.strip(",.;:!?\"'“”()")
            if not core or not core[0].isupper():
                break
            words.append(core)
            if core != word:
                break  # punctuation ends the name
        if any(not w.isupper() for w in words) and fold_diacritics(" ".join(words).lower()) not in q_folded:
            return True
    return False
