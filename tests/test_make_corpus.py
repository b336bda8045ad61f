"""The scale-corpus generator is deterministic and its planted questions are answerable from it."""

from __future__ import annotations

import json

from benchmarks.make_corpus import make_corpus


def test_same_seed_same_corpus_and_planted_facts_are_in_their_articles(tmp_path):
    a = make_corpus(200, tmp_path / "a", seed=3)
    b = make_corpus(200, tmp_path / "b", seed=3)
    assert a["planted"] == b["planted"]
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files_a == sorted(p.name for p in (tmp_path / "b").iterdir()) and a["articles"] == len(files_a)
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)
    questions = [json.loads(line) for line in (tmp_path / "a-questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(questions) == a["planted"] > 0
    for q in questions:
        text = (tmp_path / "a" / f"{q['sources'][0]}.txt").read_text(encoding="utf-8")
        assert q["must_include"][0][0] in text and q["reference"] in text
