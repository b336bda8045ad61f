"""Judges: is a claim supported by the given passages? One interface, three implementations.

- `lexical`: deterministic and fast (CI). The answer-time checker (`assistant/verify.py`, the one
  copy of the rules: typed facts, names, negation) decides first; a claim it passes is then scored
  by key-term coverage and e5 embedding similarity against a threshold fitted on eval/claims.jsonl
  (`benchmarks/calibrate_judge.py`).
- `local`: the packaged Qwen2.5-Coder-1.5B through llama.cpp, read as the probability of the
  single-token answers "Yes"/"No" (Vietnamese "Có" is two tokens, so the question is asked in
  English about Vietnamese text). The checker's facts and names still apply first: a small model
  easily overlooks one changed digit, and a changed date is never support.
- `api`: any OpenAI-compatible chat model with the same prompt, read from its one-word reply.

No multilingual NLI or cross-encoder model ships on PyPI, so these are built from the parts we have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.config import Settings
from assistant.embeddings import E5Embeddings
from assistant.errors import BackendUnavailableError
from assistant.lang.detect import is_english
from assistant.lang.words import term_coverage
from assistant.prompts import render_prompt
from assistant.verify import best_sentence, check_sentence

JUDGES = ("lexical", "local", "api")


@dataclass(frozen=True)
class Verdict:
    """A judge's decision on one claim; `score` is its confidence that the claim is supported (0..1)."""

    supported: bool
    score: float
    reason: str = ""


class Judge(Protocol):
    name: str

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict: ...


def hard_mismatch(claim: str, passages: Sequence[str]) -> str:
    """Why the passages cannot support the claim whatever its wording (a fact, a name, a negation), or ""."""
    check = check_sentence(claim, passages)
    return check.reason if check.hard else ""


class LexicalJudge:
    """The answer-time checker's facts, names and negation must agree; then coverage and similarity must be high."""

    name = "lexical"

    def __init__(self, embedder: E5Embeddings, threshold: float, similarity_weight: float = 0.4) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.similarity_weight = similarity_weight

    def score(self, claim: str, passages: Sequence[str]) -> tuple[float, str]:
        evidence = "\n".join(passages)
        if is_english(claim):  # no shared words with Vietnamese passages: the checker's own verdict
            check = check_sentence(claim, passages, similarity=self._similarity)
            return (check.score if check.supported else 0.0), check.reason or "facts, names or similarity held"
        reason = hard_mismatch(claim, passages)
        if reason:
            return 0.0, reason
        sentence = best_sentence(claim, evidence)
        coverage = term_coverage(claim, evidence).score
        vectors = self.embedder.embed_passages([claim, sentence])
        similarity = float(vectors[0] @ vectors[1])
        # e5 similarities of unrelated Vietnamese text sit near 0.75; stretch 0.75..1 onto 0..1
        stretched = max(0.0, (similarity - 0.75) / 0.25)
        w = self.similarity_weight
        return (1 - w) * coverage + w * stretched, f"coverage {coverage:.2f}, similarity {similarity:.3f}"

    def _similarity(self, sentences: list[str], candidates: list[str]):
        return self.embedder.embed_passages(sentences) @ self.embedder.embed_passages(candidates).T

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict:
        score, reason = self.score(claim, passages)
        return Verdict(score >= self.threshold, round(score, 4), reason)


class YesNoJudge:
    """Ask a chat model whether the passages state the claim; P(Yes) against a threshold."""

    def __init__(
        self,
        name: str,
        probability: Callable[[list], float],
        threshold: float,
        max_passage_chars: int = 2400,
    ) -> None:
        self.name = name
        self.probability = probability
        self.threshold = threshold
        self.max_passage_chars = max_passage_chars

    def messages(self, claim: str, passages: Sequence[str]) -> list:
        from langchain_core.messages import HumanMessage, SystemMessage

        evidence = "\n\n".join(passages)[: self.max_passage_chars]
        return [
            SystemMessage(render_prompt("judge_system")),
            HumanMessage(render_prompt("judge_user", passage=evidence, claim=claim)),
        ]

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict:
        reason = hard_mismatch(claim, passages)
        if reason:
            return Verdict(False, 0.0, reason)
        p_yes = self.probability(self.messages(claim, passages))
        return Verdict(p_yes >= self.threshold, round(p_yes, 4), f"P(Yes) {p_yes:.3f}")


def local_judge(settings: Settings) -> YesNoJudge:
    from assistant.answer.llamacpp import local_chat

    chat = local_chat(settings.answer)

    def probability(messages: list) -> float:
        return chat.next_token_probabilities(messages, ("Yes", "No"))["Yes"]

    return YesNoJudge("local", probability, settings.eval.judge_local_threshold)


def api_judge(settings: Settings) -> YesNoJudge:
    from assistant.answer.openai_chat import openai_chat

    chat = openai_chat(settings.answer).bind(max_tokens=2, temperature=0)

    def probability(messages: list) -> float:
        reply = str(chat.invoke(messages).content).strip().lower()
        if reply.startswith("yes"):
            return 1.0
        if reply.startswith("no"):
            return 0.0
        return 0.5  # neither: undecided, counts as not supported at the default threshold

    return YesNoJudge("api", probability, threshold=0.75)


def make_judge(name: str, settings: Settings, embedder: E5Embeddings) -> Judge:
    """The judge called `name` (lexical, local or api), ready to use."""
    if name == "lexical":
        return LexicalJudge(embedder, settings.eval.judge_lexical_threshold)
    if name == "local":
        return local_judge(settings)
    if name == "api":
        if not (settings.answer.openai_base_url or settings.answer.openai_api_key):
            raise BackendUnavailableError("The api judge needs ASSISTANT_OPENAI_BASE_URL (and OPENAI_API_KEY)")
        return api_judge(settings)
    raise BackendUnavailableError(f"Unknown judge {name!r}; use one of {', '.join(JUDGES)}")


def softmax_pair(a: float, b: float) -> float:
    """P(first) from two logits."""
    m = max(a, b)
    ea, eb = np.exp(a - m), np.exp(b - m)
    return float(ea / (ea + eb))
