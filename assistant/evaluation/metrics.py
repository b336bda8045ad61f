"""Metrics, each a small pure function of plain values so each can be tested on known cases."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from assistant.lang.normalize import normalize


def doc_ranking(passage_doc_ids: Sequence[Sequence[str]]) -> list[str]:
    """Distinct document ids in rank order, from each passage's (doc_id, *also_in)."""
    out: dict[str, None] = {}
    for ids in passage_doc_ids:
        for d in ids:
            out.setdefault(d, None)
    return list(out)


def recall_at_k(ranking: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Share of the gold documents among the first `k` distinct retrieved documents."""
    if not gold:
        return 0.0
    top = set(ranking[:k])
    return sum(g in top for g in set(gold)) / len(set(gold))


def mrr_at_k(ranking: Sequence[str], gold: Sequence[str], k: int = 10) -> float:
    """1 / rank of the first gold document within the first `k`, else 0."""
    gold_set = set(gold)
    for rank, d in enumerate(ranking[:k], start=1):
        if d in gold_set:
            return 1.0 / rank
    return 0.0


def key_facts_present(answer: str, must_include: Sequence[Sequence[str]]) -> bool:
    """The dev-set rule: every group has at least one alternative in the answer (case-insensitive).

    An alternative matches on token boundaries: `12` is not found inside `2012`, nor `1/9` inside `11/9`.
    """
    text = normalize(answer).casefold()

    def found(alt: str) -> bool:
        alt = normalize(alt).casefold().strip()
        return bool(alt) and re.search(rf"(?<!\w){re.escape(alt)}(?!\w)", text) is not None

    return all(any(found(alt) for alt in group) for group in must_include)


_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}“”‘’«»…–—]")
_ENGLISH_ARTICLES = re.compile(r"\b(a|an|the)\b")


def squad_normalize(text: str) -> str:
    """SQuAD's answer normalisation, for Vietnamese too: NFC, one tone-mark style, case, punctuation, spaces.

    As in the official SQuAD script, English articles are dropped; Vietnamese has none, so its
    words are only lower-cased (diacritics kept: "cước" and "cuộc" are different words).
    """
    text = normalize(text).casefold()
    text = _PUNCTUATION.sub(" ", text)
    text = _ENGLISH_ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals one of the gold answers."""
    pred = squad_normalize(prediction)
    return float(any(pred == squad_normalize(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1 against the best-matching gold answer (tokens are syllables for Vietnamese)."""
    pred = squad_normalize(prediction).split()
    best = 0.0
    for gold in golds:
        ref = squad_normalize(gold).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if not pred or not ref or not common:
            continue
        precision, recall = common / len(pred), common / len(ref)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# --- faithfulness, citations, correctness (judge-based) ----------------------------------------
def faithfulness(verdicts: Sequence[bool]) -> float | None:
    """RAGAS faithfulness: supported claims / all claims; None when the answer makes no claim."""
    return sum(verdicts) / len(verdicts) if verdicts else None


def citation_scores(
    sentences: Sequence[tuple[str, Sequence[int]]],
    passages: Sequence[str],
    supports: Callable[[str, Sequence[str]], bool],
) -> tuple[float | None, float | None]:
    """ALCE citation recall and precision (Gao et al. 2023) of one answer.

    Recall: share of sentences whose cited passages, together, support them (an uncited sentence
    scores 0). Precision: share of citations that are relevant; a citation is irrelevant when it
    does not support the sentence alone and the sentence stays supported without it. Citations of
    a sentence that all its citations together do not support are counted as not precise.
    Returns (None, None) for an answer with no sentences; precision is None without citations.
    """
    if not sentences:
        return None, None
    recalled, precise, total = 0, 0, 0
    for sentence, cited in sentences:
        cited = [n for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
        total += len(cited)
        if not cited:
            continue
        joint = supports(sentence, [passages[n - 1] for n in cited])
        recalled += joint
        if not joint:
            continue
        for n in cited:
            alone = len(cited) == 1 or supports(sentence, [passages[n - 1]])
            if alone:
                precise += 1
                continue
            rest = [passages[m - 1] for m in cited if m != n]
            precise += not supports(sentence, rest)  # needed with the others
    return recalled / len(sentences), (precise / total if total else None)


def context_precision(ranking_relevance: Sequence[bool]) -> float:
    """RAGAS context precision: mean of precision@k over the ranks k that hold a relevant passage."""
    hits, total = 0, 0.0
    for k, relevant in enumerate(ranking_relevance, start=1):
        if relevant:
            hits += 1
            total += hits / k
    return total / hits if hits else 0.0


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (answer vs reference embeddings)."""
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb / denom) if denom else 0.0


def risk_coverage(rows: Sequence[dict]) -> list[dict[str, float]]:
    """Answer precision against coverage as the verification threshold rises (a risk-coverage curve).

    Each answered row carries `support_score`: its weakest sentence's support (0 when a sentence is
    not backed). At threshold t the answers scoring below t would be withheld. `coverage` is the
    share of answerable questions still answered; `precision` the share of the answers kept that
    are right (an answer to an unanswerable question is wrong). One point per distinct score, from
    "keep every answer" (t = 0) up.
    """
    answerable = sum(1 for r in rows if r["answerable"])
    answered = [r for r in rows if not r["refused"]]
    thresholds = sorted({0.0, *(float(r.get("support_score") or 0.0) for r in answered)})
    points = []
    for t in thresholds:
        kept = [r for r in answered if float(r.get("support_score") or 0.0) >= t]
        if not kept:
            break
        right = sum(1 for r in kept if r["answerable"] and r.get("key_facts"))
        points.append(
            {
                "threshold": round(t, 4),
                "answered": len(kept),
                "coverage": round(sum(1 for r in kept if r["answerable"]) / answerable, 4) if answerable else 0.0,
                "precision": round(right / len(kept), 4),
            }
        )
    return points
