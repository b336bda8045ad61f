"""Fit and report splits of an external question set, so that tuning never sees what is reported.

Questions are split by their paragraph (the gold source, or the left-out paragraph of an
unanswerable one): 30% `fit`, 70% `report`, by a hash of the paragraph id, so one paragraph's
questions never straddle both and the split is the same on every machine and after every change.
Anything tuned on an external set is tuned on `fit`; headline figures are `report`'s.
"""

from __future__ import annotations

import hashlib

from assistant.evaluation.dataset import EvalQuestion

FIT_SHARE = 3  # of 10


def paragraph_of(q: EvalQuestion) -> str:
    """The paragraph a question was written about (imported ids are `<paragraph>-q<n>`)."""
    return (q.sources or [q.id.rsplit("-q", 1)[0]])[0]


def split_of(q: EvalQuestion) -> str:
    """`fit` or `report`."""
    digest = hashlib.sha1(f"split:{paragraph_of(q)}".encode()).hexdigest()
    return "fit" if int(digest, 16) % 10 < FIT_SHARE else "report"


def report_sample(questions: list[EvalQuestion], n: int) -> list[EvalQuestion]:
    """A fixed sample of `n` report-split questions (stable across runs and code changes)."""
    report = [q for q in questions if split_of(q) == "report"]
    return sorted(report, key=lambda q: hashlib.sha1(q.id.encode()).hexdigest())[:n]
