"""Prompt building for LLM backends: focused passages, token budget, history (no LLM needed).

What a model reads is now built by `assistant.context.ContextBuilder` (was `ExtractiveAnswerer.focus`),
the evidence check before the model runs by the `decide.py` rules (was `Assistant.evidence_suffices`),
and the refusals after its reply by the `decide.py` rules run through `pipeline.py` (was `AnswerStream`).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant import cite, decide
from assistant.answer.llm import LLMAnswerer
from assistant.context import ContextBuilder
from assistant.lang.normalize import fold
from assistant.lang.words import term_coverage
from assistant.query import build_query
from assistant.types import ANSWERED, Context, Message, Passage, Retrieval
from tests.dev_regression import VIDW_DELEGATES, VIETTEL_5G_PRICE

TEXT = (
    "Hội nghị ITU Digital World 2021 do Việt Nam đăng cai. Sự kiện khai mạc tối 12/10 tại Hà Nội. "
    "Thời tiết hôm đó đẹp. Nhiều doanh nghiệp tham gia triển lãm. Bế mạc ngày 14/10."
)


def _answerer(budget: int = 10_000, examples: bool = True) -> LLMAnswerer:
    return LLMAnswerer(
        chat=None,  # type: ignore[arg-type]
        name="t",
        count_tokens=lambda s: len(s.split()),
        context_tokens=budget,
        examples=examples,
    )


def _context(question: str, passages: list[Passage], texts: list[str] | None = None, history=()) -> Context:
    """A context showing `passages` (their `texts`, whole by default) for `question`."""
    query = build_query(question, history)
    return Context(query, passages, texts or [p.text for p in passages], [], passages)


def _args(question: str, passages: list[Passage], texts: list[str] | None = None, history=()):
    """`LLMAnswerer.messages` arguments for a context of `passages`."""
    context = _context(question, passages, texts, history)
    return context.query, context


def _builder(indexed, count_tokens=None, **settings) -> ContextBuilder:
    """The indexed assistant's context builder with some settings changed; every optional step off by default.

    (`focus`'s old keyword defaults: no token budget, no completion, no passage margin.)
    """
    base = {"context_budget_tokens": 0, "complete_margin": 0.0, "passage_margin": 0.0}
    context_settings = indexed.settings.context.model_copy(update=base | settings)
    return ContextBuilder(
        indexed.embedder, context_settings, count_tokens or indexed._token_counter, indexed.retriever.idf
    )


@pytest.mark.regression
def test_regression_focus_sends_the_sentence_holding_the_asked_for_number(indexed):
    query = indexed.analyse(VIDW_DELEGATES)
    retrieval = indexed.retrieve(query)
    context = _builder(indexed, top_k=3, passage_sentences=2, context_pool=5).build(query, retrieval)
    assert "350" in context.texts[0] and context.passages[0].doc_id == "002_f8a9d01e470f1569"
    assert len(context.passages) == 3
    assert all(len(t) < len(p.text) for p, t in zip(context.passages, context.texts, strict=True) if len(p.text) > 400)


@pytest.mark.regression
def test_regression_a_token_budget_keeps_the_best_sentences_and_stays_within_it(indexed):
    query = indexed.analyse(VIDW_DELEGATES)
    retrieval = indexed.retrieve(query, k=10)
    words = lambda s: len(s.split())  # noqa: E731
    options = {"top_k": 4, "passage_sentences": 2, "context_pool": 10}
    unbounded = _builder(indexed, words, **options).build(query, retrieval)
    focused = _builder(indexed, words, context_budget_tokens=60, **options).build(query, retrieval)
    assert "350" in focused.texts[0]
    assert sum(words(t) for t in focused.texts) <= 60 < sum(words(t) for t in unbounded.texts)
    # what is kept is a subset of what the unbounded context picks, best passage first
    assert focused.passages[0].chunk_id == unbounded.passages[0].chunk_id
    assert {p.chunk_id for p in focused.passages} <= {p.chunk_id for p in unbounded.passages}


@pytest.mark.regression
def test_regression_a_passage_far_below_the_best_is_left_out(indexed):
    query = indexed.analyse(VIDW_DELEGATES)
    retrieval = indexed.retrieve(query, k=10)
    options = {"top_k": 3, "passage_sentences": 2, "context_pool": 10}
    everything = _builder(indexed, **options).build(query, retrieval)
    close = _builder(indexed, passage_margin=0.01, **options).build(query, retrieval)
    assert len(close.passages) < len(everything.passages) == 3
    assert (close.passages[0], close.texts[0]) == (everything.passages[0], everything.texts[0])
    assert "350" in close.texts[0]
    wide = _builder(indexed, passage_margin=10.0, **options).build(query, retrieval)
    assert (wide.passages, wide.texts) == (everything.passages, everything.texts)


def test_focused_texts_replace_passage_text_but_keep_numbers_and_titles():
    passages = [Passage(f"c{i}", f"d{i}", TEXT, title=f"Bài {i}") for i in range(3)]
    texts = ["Sự kiện khai mạc tối 12/10 tại Hà Nội."] * 3
    prompt = _answerer().messages(*_args("Khai mạc ngày nào?", passages, texts))[-1].content
    assert all(f"[{n}] (Bài {n - 1}" in prompt for n in (1, 2, 3))
    assert "Thời tiết" not in prompt and prompt.count("khai mạc tối 12/10") == 3


def test_budget_drops_whole_passages_never_the_first():
    passages = [Passage(f"c{i}", f"d{i}", TEXT, title=f"Bài {i}") for i in range(3)]
    prompt = _answerer(budget=5).messages(*_args("Khai mạc?", passages))[-1].content
    assert "[1]" in prompt and "[2]" not in prompt


def test_history_enters_as_earlier_turns():
    history = [Message("user", "ITU Digital World là gì?"), Message("assistant", "Là một hội nghị [1].")]
    msgs = _answerer(examples=False).messages(*_args("Nó khai mạc khi nào?", [Passage("c", "d", TEXT)], None, history))
    assert [m.type for m in msgs] == ["system", "human", "ai", "human"]
    assert [m.content for m in msgs[1:3]] == [h.content for h in history]


def test_the_worked_example_precedes_history_in_the_questions_language_and_is_a_shared_prefix():
    history = [Message("user", "ITU Digital World là gì?"), Message("assistant", "Là một hội nghị [1].")]
    passage = [Passage("c", "d", TEXT)]
    vi = _answerer().messages(*_args("Nó khai mạc khi nào?", passage, None, history))
    assert [m.type for m in vi] == ["system", "human", "ai", "human", "ai", "human"]
    assert "[1]" in vi[2].content and "Câu hỏi:" in vi[1].content and vi[3].content == history[0].content
    other = _answerer().messages(*_args("Ai khai mạc hội nghị?", passage))
    assert [m.content for m in other[:3]] == [m.content for m in vi[:3]]  # cached once, reused by every question
    en = _answerer().messages(*_args("When did it open?", passage))
    assert en[2].content != vi[2].content and "[1]" in en[2].content  # answered in English


def test_a_follow_up_that_names_its_subject_gets_sentences_about_it_not_about_the_last_turn(indexed):
    history = [
        Message("user", "Ai là Tổng Giám đốc Viettel phát biểu tại phiên toạ đàm ngay trước bế mạc?"),
        Message("assistant", "Ông Lê Đăng Dũng [1]."),
    ]
    question = "Theo ông ấy, Viettel đã hỗ trợ ngành giáo dục như thế nào?"
    query = indexed.analyse(question, history)
    retrieval = indexed.retrieve(query, k=10)
    context = indexed.contexts.build(query, retrieval)
    assert "học trực tuyến" in " ".join(context.texts)
    # and the evidence check (the rules before the model runs, on the user's own words) lets the model answer it
    rules = indexed.settings.decide
    assert decide.before_answer(query, retrieval, context, "llm", rules, indexed.retriever.idf) == ANSWERED


def test_a_question_typed_without_diacritics_reaches_the_model_with_them(indexed):
    question = "He thong dich vu cong truc tuyen do Viettel phat trien da xu ly bao nhieu ho so?"
    restored = "Hệ thống dịch vụ công trực tuyến do Viettel phát triển đã xử lý bao nhiêu hồ sơ?"
    query = indexed.analyse(question)
    assert query.restored == restored
    context = indexed.contexts.build(query, indexed.retrieve(query, k=10))
    assert f"Câu hỏi: {restored}" in _answerer().messages(query, context)[-1].content
    english = "How many delegates attended?"
    assert indexed.analyse(english).restored == english


def test_a_year_named_only_in_a_passage_title_backs_an_answer(indexed):
    # the model reads "[n] (title, date)": the checker reads the same heading
    from assistant.cite import read_text
    from assistant.verify import check_sentence

    body = "Sự kiện có chủ đề Đối tác toàn cầu vì Tương lai số Bền vững."
    claim = "Tuần lễ Số Quốc tế Việt Nam 2022 có chủ đề Đối tác toàn cầu vì Tương lai số Bền vững."
    titled = Passage("c", "d", body, title="Tuần lễ Số Quốc tế Việt Nam 2022")
    untitled = Passage("c", "d", body, title="Tuần lễ Số Quốc tế Việt Nam")
    assert check_sentence(claim, [read_text(titled)]).supported
    assert "2022" in check_sentence(claim, [read_text(untitled)]).reason


def test_a_lower_passage_that_holds_the_other_event_takes_the_last_place(indexed):
    # a question about two events whose best passages all come from one article
    vidw = "Bộ trưởng Nguyễn Mạnh Hùng phát biểu ở cả lễ khai mạc và bế mạc Tuần lễ Số Quốc tế Việt Nam 2022."
    passages = [
        Passage(f"v{i}", "vidw", f"{vidw} Sự kiện có nhiều phiên thảo luận số {i} về kinh tế số.", title="VIDW 2022")
        for i in range(3)
    ]
    itu = "Hội nghị ITU Digital World 2021 có sự tham dự của ông Nguyễn Mạnh Hùng cùng nhiều khách mời."
    passages.append(Passage("i", "itu", itu, title="Khai mạc hội nghị"))
    question = "Bộ trưởng nào phát biểu ở cả ITU Digital World 2021 và Tuần lễ Số Quốc tế Việt Nam 2022?"
    query = build_query(question)
    retrieval = Retrieval(query, passages, best_dense=1.0)
    options = {"top_k": 3, "passage_sentences": 2, "context_pool": 10}
    plain = _builder(indexed, **options).build(query, retrieval)
    completed = _builder(indexed, complete_margin=0.05, **options).build(query, retrieval)
    assert "itu" not in {p.doc_id for p in plain.passages}
    assert "itu" in {p.doc_id for p in completed.passages} and completed.passages[0].doc_id == plain.passages[0].doc_id
    # what the model reads now names both events, so the evidence check no longer misses "2021"
    idf = indexed.retriever.idf
    assert term_coverage(question, plain.evidence(), idf).missing_numbers == 1
    assert term_coverage(question, completed.evidence(), idf).missing_numbers == 0


def test_translation_is_the_models_vietnamese_or_nothing():
    def answerer(reply: str) -> LLMAnswerer:
        chat = GenericFakeChatModel(messages=iter([AIMessage(reply)]))
        return LLMAnswerer(chat=chat, name="t", count_tokens=len, context_tokens=1200, examples=True)

    vietnamese = "Có bao nhiêu đại biểu tham dự?"
    assert answerer(f"“{vietnamese}”").translate("How many delegates?") == vietnamese
    # an English echo (the model did not translate) adds nothing to retrieval
    assert answerer("How many delegates attended the event?").translate("How many delegates attended?") == ""

    class Broken(GenericFakeChatModel):
        def _stream(self, *args, **kwargs):
            raise ConnectionError("refused")

    # a dead backend is the caller's to handle (it falls back at once instead of waiting twice)
    broken = LLMAnswerer(chat=Broken(messages=iter([])), name="t", count_tokens=len, context_tokens=1200, examples=True)
    with pytest.raises(ConnectionError):
        broken.translate("How many delegates?")


def scripted(indexed, question: str, *replies: str):
    """`indexed.ask(question)` through the openai backend, whose model replies `replies` in turn.

    An English question costs one reply first: the model's Vietnamese translation for retrieval.
    """
    chat = GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))
    indexed._answerers["openai"] = LLMAnswerer(chat, "openai", len, 1200, True)
    try:
        return indexed.ask(question, backend="openai")
    finally:
        indexed._answerers.pop("openai", None)


def test_a_model_that_only_restates_the_question_has_refused(indexed):
    question = "Hội nghị ASEAN về 5G tại VIDW2022 đã thông qua bao nhiêu khuyến nghị cụ thể?"
    echoed = scripted(
        indexed, question, "Hội nghị ASEAN về 5G tại VIDW2022 đã thông qua bao nhiêu khuyến nghị cụ thể [1]?"
    )
    assert echoed.refused and echoed.citations == [] and echoed.decision.reason == "unsupported_answer"
    assert "khuyến nghị cụ thể [1]" not in echoed.text and echoed.support == []
    where = "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc ở đâu?"
    answered = scripted(indexed, where, "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc tại Hà Nội [1].")
    assert not answered.refused and answered.decision.reason == "answered"
    assert answered.text == "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc tại Hà Nội [1]."
    assert answered.citations and answered.support[0].supported


@pytest.mark.regression
def test_regression_a_model_that_calls_the_answer_unknown_has_refused(indexed):
    price = VIETTEL_5G_PRICE
    unknown = scripted(indexed, price, "Giá cước 5G của Viettel năm 2022 không rõ [1].")
    assert unknown.refused and unknown.citations == [] and unknown.decision.reason == "unsupported_answer"
    undecided = scripted(indexed, price, "Giá cước 5G của Viettel năm 2022 là chưa được xác định [1].")
    assert undecided.refused and undecided.citations == [] and undecided.decision.reason == "unsupported_answer"
    # (the old "How much does Viettel's 5G cost?" is now refused as off_topic before any model runs:
    # an on-topic English question lets the model's reply reach the rules after it)
    english = scripted(
        indexed,
        "How many delegates attended the opening of VIDW2022?",
        VIDW_DELEGATES,  # the translation for retrieval
        "The number is not specified in the passages.",
    )
    assert english.refused and english.decision.reason == "model_refused"
    query = indexed.analyse("Chuyển đổi số là gì?")
    context = indexed.contexts.build(query, indexed.retriever.retrieve(query, 10))
    unclear_reply = "Chuyển đổi số không rõ [1]."
    draft = cite.finalize(query, unclear_reply, context, "openai", indexed.retriever.idf)
    assert (
        decide.unsupported_answer(query, context, draft, unclear_reply, indexed.settings.decide, indexed.retriever.idf)
        is not None
    )


def test_an_undated_passage_is_headed_by_its_title_alone():
    prompt = _answerer().messages(*_args("Khai mạc?", [Passage("c", "d", TEXT, title="Bài A")]))[-1].content
    assert "[1] (Bài A)\n" in prompt
    dated = _answerer().messages(*_args("Khai mạc?", [Passage("c", "d", TEXT, title="Bài A", date="12/10/2021")]))
    assert "[1] (Bài A, 12/10/2021)\n" in dated[-1].content


def test_no_prompt_repeats_the_corpus_it_is_measured_on():
    """An example answer copied from a seed article would teach the model that article's facts."""
    root = Path(__file__).resolve().parent.parent
    seeds = "\n".join(p.read_text(encoding="utf-8") for p in (root / "seeds").glob("*.txt"))
    corpus = " " + " ".join(re.findall(r"\w+", fold(seeds))) + " "
    for prompt in resources.files("assistant.prompts").iterdir():
        if prompt.name.endswith((".md", ".txt")):
            words = re.findall(r"\w+", fold(prompt.read_text(encoding="utf-8")))
            grams = {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}
            copied = sorted(g for g in grams if f" {g} " in corpus)
            assert not copied, f"{prompt.name} repeats the corpus: {copied[:3]}"
