"""What language a question is in, and whether a sentence is an instruction aimed at a model."""

from __future__ import annotations

import re

from assistant.lang import lexicon
from assistant.lang.normalize import fold, has_diacritics


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
    english = lexicon("english_words")
    hits = sum(w in english for w in plain)
    return hits >= 2 and hits / len(plain) >= 0.2


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
    return bool(_INSTRUCTION.search(fold(text)))
