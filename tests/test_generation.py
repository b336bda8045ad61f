"""Prompt building for LLM backends: focused passages, token budget, history (no LLM needed)."""

from __future__ import annotations

import pytest

from assistant.condense import Message
from assistant.generation import LLMAnswerer
from assistant.retrieval import Passage
from assistant.text import term_coverage

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


def test_focus_sends_the_sentence_holding_the_asked_for_number(indexed):
    question = "Có bao nhiêu đại biểu tham dự khai mạc VIDW2022?"
    retrieval = indexed.retrieve(question)
    focused = indexed.extractive.focus(question, retrieval.query, retrieval.passages[:5], indexed.retriever.idf, 3, 2)
    passage, text = focused[0]
    assert "350" in text and passage.doc_id == "002_f8a9d01e470f1569"
    assert len(focused) == 3 and all(len(t) < len(p.text) for p, t in focused if len(p.text) > 400)


def test_a_token_budget_keeps_the_best_sentences_and_stays_within_it(indexed):
    question = "Có bao nhiêu đại biểu tham dự khai mạc VIDW2022?"
    retrieval = indexed.retrieve(question, k=10)
    words = lambda s: len(s.split())  # noqa: E731
    unbounded = indexed.extractive.focus(question, retrieval.query, retrieval.passages, indexed.retriever.idf, 4, 2)
    focused = indexed.extractive.focus(
        question, retrieval.query, retrieval.passages, indexed.retriever.idf, 4, 2, budget=60, count=words
    )
    assert "350" in focused[0][1]
    assert sum(words(t) for _, t in focused) <= 60 < sum(words(t) for _, t in unbounded)
    # what is kept is a subset of what the unbounded focus picks, best passage first
    assert focused[0][0].chunk_id == unbounded[0][0].chunk_id
    assert {p.chunk_id for p, _ in focused} <= {p.chunk_id for p, _ in unbounded}


def test_a_passage_far_below_the_best_is_left_out(indexed):
    question = "Có bao nhiêu đại biểu tham dự khai mạc VIDW2022?"
    retrieval = indexed.retrieve(question, k=10)
    args = (question, retrieval.query, retrieval.passages, indexed.retriever.idf, 3, 2)
    everything = indexed.extractive.focus(*args)
    close = indexed.extractive.focus(*args, passage_margin=0.01)
    assert len(close) < len(everything) == 3
    assert close[0] == everything[0] and "350" in close[0][1]
    assert indexed.extractive.focus(*args, passage_margin=10.0) == everything


def test_focused_texts_replace_passage_text_but_keep_numbers_and_titles():
    passages = [Passage(f"c{i}", f"d{i}", TEXT, title=f"Bài {i}") for i in range(3)]
    texts = ["Sự kiện khai mạc tối 12/10 tại Hà Nội."] * 3
    prompt = _answerer().messages("Khai mạc ngày nào?", passages, [], texts)[-1].content
    assert all(f"[{n}] (Bài {n - 1}" in prompt for n in (1, 2, 3))
    assert "Thời tiết" not in prompt and prompt.count("khai mạc tối 12/10") == 3


def test_budget_drops_whole_passages_never_the_first():
    passages = [Passage(f"c{i}", f"d{i}", TEXT, title=f"Bài {i}") for i in range(3)]
    prompt = _answerer(budget=5).messages("Khai mạc?", passages, [])[-1].content
    assert "[1]" in prompt and "[2]" not in prompt


def test_history_enters_as_earlier_turns():
    history = [Message("user", "ITU Digital World là gì?"), Message("assistant", "Là một hội nghị [1].")]
    msgs = _answerer(examples=False).messages("Nó khai mạc khi nào?", [Passage("c", "d", TEXT)], history)
    assert [m.type for m in msgs] == ["system", "human", "ai", "human"]
    assert [m.content for m in msgs[1:3]] == [h.content for h in history]


def test_the_worked_example_precedes_history_in_the_questions_language_and_is_a_shared_prefix():
    history = [Message("user", "ITU Digital World là gì?"), Message("assistant", "Là một hội nghị [1].")]
    passage = [Passage("c", "d", TEXT)]
    vi = _answerer().messages("Nó khai mạc khi nào?", passage, history)
    assert [m.type for m in vi] == ["system", "human", "ai", "human", "ai", "human"]
    assert "[1]" in vi[2].content and "Câu hỏi:" in vi[1].content and vi[3].content == history[0].content
    other = _answerer().messages("Ai khai mạc hội nghị?", passage, [])
    assert [m.content for m in other[:3]] == [m.content for m in vi[:3]]  # cached once, reused by every question
    en = _answerer().messages("When did it open?", passage, [])
    assert en[2].content != vi[2].content and "[1]" in en[2].content  # answered in English


def test_a_follow_up_that_names_its_subject_gets_sentences_about_it_not_about_the_last_turn(indexed):
    history = [
        Message("user", "Ai là Tổng Giám đốc Viettel phát biểu tại phiên toạ đàm ngay trước bế mạc?"),
        Message("assistant", "Ông Lê Đăng Dũng [1]."),
    ]
    question = "Theo ông ấy, Viettel đã hỗ trợ ngành giáo dục như thế nào?"
    retrieval = indexed.retrieve(question, history, k=10)
    focused = indexed.focus(question, retrieval)
    assert "học trực tuyến" in " ".join(t for _, t in focused)
    # and the evidence check (on the user's own words) lets the model answer it
    assert indexed.evidence_suffices(question, retrieval, [f"{p.title}\n{p.date}\n{t}" for p, t in focused])


def test_a_question_typed_without_diacritics_reaches_the_model_with_them(indexed):
    question = "He thong dich vu cong truc tuyen do Viettel phat trien da xu ly bao nhieu ho so?"
    retrieval = indexed.retrieve(question, k=10)
    assert indexed.reader_question(question, retrieval) == (
        "Hệ thống dịch vụ công trực tuyến do Viettel phát triển đã xử lý bao nhiêu hồ sơ?"
    )
    english = "How many delegates attended?"
    assert indexed.reader_question(english, indexed.retrieve(english)) == english


def test_numbers_in_a_passage_title_count_as_evidence(indexed):
    # the model reads "[n] (title, date)": a year named only in the title is not missing
    question = "Tuần lễ Số Quốc tế Việt Nam 2022 có chủ đề gì?"
    retrieval = indexed.retrieve(question, k=10)
    body = ["Sự kiện có chủ đề Đối tác toàn cầu vì Tương lai số Bền vững."]
    assert not indexed.evidence_suffices(question, retrieval, body)
    assert indexed.evidence_suffices(question, retrieval, [f"Tuần lễ Số Quốc tế Việt Nam 2022\n{body[0]}"])


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
    idf = indexed.retriever.idf
    plain = indexed.extractive.focus(question, question, passages, idf, 3, 2)
    completed = indexed.extractive.focus(question, question, passages, idf, 3, 2, complete_margin=0.05)
    assert "itu" not in {p.doc_id for p, _ in plain}
    assert "itu" in {p.doc_id for p, _ in completed} and completed[0][0].doc_id == plain[0][0].doc_id
    # what the model reads now names both events, so the evidence check no longer misses "2021"
    read = lambda focus: "\n".join(f"{p.title}\n{t}" for p, t in focus)  # noqa: E731
    assert term_coverage(question, read(plain), idf).missing_numbers == 1
    assert term_coverage(question, read(completed), idf).missing_numbers == 0


def test_translation_is_the_models_vietnamese_or_nothing():
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    def answerer(reply: str) -> LLMAnswerer:
        chat = GenericFakeChatModel(messages=iter([AIMessage(reply)]))
        return LLMAnswerer(chat=chat, name="t", count_tokens=len)

    vietnamese = "Có bao nhiêu đại biểu tham dự?"
    assert answerer(f"“{vietnamese}”").translate("How many delegates?") == vietnamese
    # an English echo (the model did not translate) adds nothing to retrieval
    assert answerer("How many delegates attended the event?").translate("How many delegates attended?") == ""

    class Broken(GenericFakeChatModel):
        def _stream(self, *args, **kwargs):
            raise ConnectionError("refused")

    # a dead backend is the caller's to handle (it falls back at once instead of waiting twice)
    broken = LLMAnswerer(chat=Broken(messages=iter([])), name="t", count_tokens=len)
    with pytest.raises(ConnectionError):
        broken.translate("How many delegates?")


def test_a_model_that_only_restates_the_question_has_refused(indexed):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    def answer(question: str, reply: str):
        chat = GenericFakeChatModel(messages=iter([AIMessage(reply)]))
        answerer = LLMAnswerer(chat=chat, name="t", count_tokens=len)
        retrieval = indexed.retrieve(question)
        stream = answerer.stream(question, retrieval, [], retrieval.passages[:3], fallback=lambda: None)
        list(stream)
        return stream.answer

    question = "Hội nghị ASEAN về 5G tại VIDW2022 đã thông qua bao nhiêu khuyến nghị cụ thể?"
    echoed = answer(question, "Hội nghị ASEAN về 5G tại VIDW2022 đã thông qua bao nhiêu khuyến nghị cụ thể [1]?")
    assert echoed.refused and echoed.citations == []
    where = "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc ở đâu?"
    assert not answer(where, "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc tại Hà Nội [1].").refused


def test_a_model_that_calls_the_answer_unknown_has_refused(indexed):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    def answer(question: str, reply: str):
        chat = GenericFakeChatModel(messages=iter([AIMessage(reply)]))
        retrieval = indexed.retrieve(question)
        stream = LLMAnswerer(chat=chat, name="t", count_tokens=len).stream(
            question, retrieval, [], retrieval.passages[:3], fallback=lambda: None
        )
        list(stream)
        return stream.answer

    unknown = answer("Giá cước 5G của Viettel năm 2022 là bao nhiêu?", "Giá cước 5G của Viettel năm 2022 không rõ [1].")
    assert unknown.refused and unknown.citations == []
    undecided = answer(
        "Giá cước 5G của Viettel năm 2022 là bao nhiêu?", "Giá cước 5G của Viettel năm 2022 là chưa được xác định [1]."
    )
    assert undecided.refused and undecided.citations == []
    assert answer("How much does Viettel's 5G cost?", "The price is not specified in the passages.").refused
    # "không rõ ràng" (not clear-cut) is not "không rõ" (unknown)
    clear = answer("Chuyển đổi số là gì?", "Ranh giới giữa ứng dụng CNTT và chuyển đổi số không rõ ràng [1].")
    assert not clear.refused


def test_an_undated_passage_is_headed_by_its_title_alone():
    prompt = _answerer().messages("Khai mạc?", [Passage("c", "d", TEXT, title="Bài A")], [])[-1].content
    assert "[1] (Bài A)\n" in prompt
    dated = _answerer().messages("Khai mạc?", [Passage("c", "d", TEXT, title="Bài A", date="12/10/2021")], [])
    assert "[1] (Bài A, 12/10/2021)\n" in dated[-1].content
