"""Metrics, each a small pure function of plain values so each can be tested on known cases."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.text import normalize


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
    """The dev-set rule: every group has at least one alternative in the answer (case-insensitive)."""
    text = normalize(answer).casefold()
    return all(any(normalize(alt).casefold() in text for alt in group) for group in must_include)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
