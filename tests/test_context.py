"""What the reader is shown: the best passages, each cut to its best sentences, numbered, within budget."""

import pytest

from assistant.ingest.chunking import tiktoken_counter
from tests.dev_regression import VIDW_THEME, VIETTEL_CEO


def context_for(assistant, question, history=(), **settings):
    saved = assistant.settings
    if settings:
        assistant.settings = saved.replace(**settings)
        assistant.contexts.settings = assistant.settings.context
    try:
        query = assistant.analyse(question, history)
        return assistant.contexts.build(query, assistant.retrieve(query))
    finally:
        assistant.settings = saved
        assistant.contexts.settings = saved.context


def test_the_best_sentence_of_a_how_many_question_holds_a_number(indexed):
    context = context_for(indexed, "Chỉ trong 3 ngày có bao nhiêu người đến thăm triển lãm số?")
    best = context.sentences[0]
    assert best.has_answer_type and "160.000" in best.text
    assert best.text in context.texts[best.n - 1]  # the reader is shown it, in the passage it is numbered by


@pytest.mark.regression
def test_regression_passages_are_numbered_in_the_order_shown_and_cut_to_their_best_sentences(indexed):
    context = context_for(indexed, VIDW_THEME)
    assert 1 <= len(context.passages) <= indexed.settings.context.top_k
    assert len(context.texts) == len(context.passages)
    for passage, text in zip(context.passages, context.texts, strict=True):
        assert len(text) <= len(passage.text)
    assert {s.n for s in context.sentences} <= set(range(1, len(context.passages) + 1))
    assert context.pool[: len(context.passages)] != [] and len(context.pool) >= len(context.passages)


def test_what_is_shown_fits_the_token_budget(indexed):
    count = tiktoken_counter()
    context = context_for(indexed, "Hội nghị ITU Digital World 2021 có những nội dung gì?", context_budget_tokens=120)
    spent = sum(count(t) for t in context.texts)
    first = max(count(t) for t in context.texts)
    assert spent <= 120 or (len(context.texts) == 1 and spent == first)  # one sentence always gets in


@pytest.mark.regression
def test_regression_whole_passages_are_shown_when_no_sentence_limit_is_set(indexed):
    context = context_for(indexed, VIDW_THEME, passage_sentences=0)
    assert context.texts == [p.text for p in context.passages]


@pytest.mark.regression
def test_regression_a_passage_far_below_the_best_is_left_out_only_with_the_margin(indexed):
    question = VIETTEL_CEO
    # the whole pool is read, so that three passages have sentences to show without the margin
    narrow = context_for(indexed, question, passage_margin=0.01, sentence_pool=10)
    wide = context_for(indexed, question, passage_margin=0.0, sentence_pool=10)
    assert len(narrow.passages) < len(wide.passages) == indexed.settings.context.top_k


@pytest.mark.regression
def test_regression_evidence_is_every_heading_and_text_the_reader_reads(indexed):
    context = context_for(indexed, VIETTEL_CEO)
    evidence = context.evidence()
    assert all(p.title in evidence and t in evidence for p, t in zip(context.passages, context.texts, strict=True))
