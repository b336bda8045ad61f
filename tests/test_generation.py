"""Prompt building for LLM backends: focused passages, token budget, history (no LLM needed)."""

from __future__ import annotations

from assistant.condense import Message
from assistant.generation import LLMAnswerer
from assistant.retrieval import Passage

TEXT = (
    "Hội nghị ITU Digital World 2021 do Việt Nam đăng cai. Sự kiện khai mạc tối 12/10 tại Hà Nội. "
    "Thời tiết hôm đó đẹp. Nhiều doanh nghiệp tham gia triển lãm. Bế mạc ngày 14/10."
)


def _answerer(budget: int = 10_000) -> LLMAnswerer:
    return LLMAnswerer(chat=None, name="t", count_tokens=lambda s: len(s.split()), context_tokens=budget)  # type: ignore[arg-type]


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
    msgs = _answerer().messages("Nó khai mạc khi nào?", [Passage("c", "d", TEXT)], history)
    assert [m.type for m in msgs] == ["system", "human", "ai", "human"]


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
