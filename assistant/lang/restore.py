"""Put back the diacritics of a Vietnamese question typed without them, from the corpus's own spelling.

Why by hand: pyvi's `add_accents` was tried and restored "Tổng thự kỹ", "bờ trường" here. Runs of
two to four words are matched greedily against how the given texts spell the same folded words,
longest first, so a word takes the spelling its neighbours call for (`hoi nghi` → `hội nghị`);
single words only from a closed class of function words (`lexicons/function_words_vi.txt`). A
word neither source spells is left as typed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from assistant.lang import lexicon_pairs
from assistant.lang.normalize import fold_diacritics, has_diacritics, normalize
from assistant.lang.words import WORD

_RESTORE_MAX_WORDS = 4  # longest run of words matched at once ("tong thu ky itu")
_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)


def restore_diacritics(question: str, texts: Sequence[str]) -> str:
    """`Tong thu ky ITU du hoi nghi la ai?` → `Tổng thư ký ITU dự hội nghị là ai?` when `texts` spell those words.

    A small LLM reads an unmarked question poorly (it echoed "Ngay chuyen đổi số" and quoted
    instead of naming the person asked for), and e5 ranks sentences better against the marked
    form. Questions that already carry marks are returned unchanged.
    """
    if has_diacritics(question) or not texts:
        return question
    spellings: dict[tuple[str, ...], Counter[tuple[str, ...]]] = {}
    for text in texts:
        words = WORD.findall(normalize(text))
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
    function_words = lexicon_pairs("function_words_vi")
    for i in word_at:  # lower-case only: a capitalised "Nam" is a name, not "năm"
        if i not in covered and tokens[i] in function_words:
            out[i] = function_words[tokens[i]]
    return "".join(out)


def _best_runs(words: list[str], tokens: list[str], word_at: list[int], spellings: dict) -> list[tuple[int, int]]:
    """Non-overlapping runs (start, length) the texts spell, covering the most words in the longest runs."""
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
