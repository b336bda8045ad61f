import pytest

from assistant.citations import parse_markers
from assistant.condense import Message, is_follow_up, question_parts, standalone_query
from assistant.errors import InvalidQuestionError


def test_answer_cites_the_right_article(indexed):
    answer = indexed.ask("Ai là Tổng Giám đốc Tập đoàn Viettel?")
    assert not answer.refused
    assert "Lê Đăng Dũng" in answer.text
    assert answer.citations and answer.citations[0].doc_id == "003_b67893258f750185"
    assert parse_markers(answer.text) == [c.n for c in answer.citations]
    for c in answer.citations:
        assert c.quote and c.quote in c.text  # the quoted sentence is really in the passage


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "Ai là tác giả bài viết “Tăng cường hợp tác chuyển đổi số, thu hẹp khoảng cách số giữa các quốc gia”?",
            "Thu Anh",
        ),
        ("Bài viết “Sứ mệnh khác biệt của chuyển đổi số” được lấy từ nguồn nào?", "ictvietnam.vn"),
    ],
)
def test_questions_about_an_articles_header_are_answered_from_its_card(indexed, question, expected):
    answer = indexed.ask(question)
    assert not answer.refused and expected in answer.text
    assert answer.citations and answer.citations[0].text.startswith("Bài viết “")  # the card is the cited passage


def test_extractive_answers_are_deterministic(indexed):
    q = "Có bao nhiêu đại biểu tham dự lễ khai mạc VIDW2022?"
    assert indexed.ask(q).text == indexed.ask(q).text


def test_number_question_gets_the_number(indexed):
    answer = indexed.ask("Chỉ trong 3 ngày có bao nhiêu người đến thăm triển lãm số?")
    assert "160.000" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "Ai là Tổng thư ký ITU năm 2024?",
        "Công thức nấu phở bò ngon nhất là gì?",
        "Doanh thu năm 2021 của Viettel là bao nhiêu?",
    ],
)
def test_unanswerable_questions_are_refused_without_citations(indexed, question):
    answer = indexed.ask(question)
    assert answer.refused and answer.citations == []
    assert answer.text == "Tôi không tìm thấy thông tin này trong các bài viết."


def test_english_refusal_is_in_english(indexed):
    answer = indexed.ask("What is the best recipe for beef noodle soup?")
    assert answer.refused and answer.text == "I could not find this information in the articles."


def test_follow_up_uses_the_history(indexed):
    history = [
        Message("user", "Ai là Tổng Giám đốc Tập đoàn Viettel được nhắc tới?"),
        Message("assistant", "Ông Lê Đăng Dũng [1]."),
    ]
    retrieval = indexed.retrieve("Ông ấy nói Viettel hỗ trợ ngành giáo dục thế nào?", history)
    assert "Viettel" in retrieval.query
    assert retrieval.passages[0].doc_id == "003_b67893258f750185"


def test_condense_leaves_standalone_questions_alone():
    history = [Message("user", "Tuần lễ Số Quốc tế Việt Nam 2022 có chủ đề gì?"), Message("assistant", "…")]
    q = "Hội nghị Thế giới số ITU Digital World 2021 khai mạc vào ngày nào trong tháng 10?"
    assert standalone_query(q, history) == q
    assert is_follow_up("Nó diễn ra khi nào?")
    assert "Tuần lễ Số" in standalone_query("Nó diễn ra khi nào?", history)


def test_a_two_event_question_is_split_into_one_question_per_event():
    parts = question_parts("Ai khai mạc cả Hội nghị Thế giới số 2021 và Tuần lễ Số Quốc tế Việt Nam 2022?")
    assert parts == [
        "Ai khai mạc cả Hội nghị Thế giới số 2021?",
        "Ai khai mạc cả Tuần lễ Số Quốc tế Việt Nam 2022?",
    ]
    assert question_parts("Who opened both ITU Digital World 2021 and Vietnam Digital Week 2022?")[1] == (
        "Who opened both Vietnam Digital Week 2022?"
    )
    # a name with "và" inside, or names without a year, are one thing each
    assert question_parts("Bộ Thông tin và Truyền thông tổ chức sự kiện gì năm 2022?") == []
    assert question_parts("Việt Nam và Liên hợp quốc gặp nhau ngày 01/9/2022 để làm gì?") == []


def test_the_event_a_two_event_answer_does_not_cite_is_searched_for(indexed):
    from assistant.citations import missing_part_query

    question = "Ai là Bộ trưởng đã phát biểu tại cả Tuần lễ Số Quốc tế Việt Nam 2022 và ITU Digital World 2021?"
    cited = [p for p in indexed.retrieve("Bộ trưởng phát biểu khai mạc Tuần lễ Số Quốc tế Việt Nam 2022", k=1).passages]
    query = missing_part_query(question, "Đó là Bộ trưởng Nguyễn Mạnh Hùng [1].", cited)
    assert "ITU Digital World 2021" in query and "Tuần lễ" not in query and "Nguyễn Mạnh Hùng" in query
    found = indexed.retriever.retrieve(query, 3).passages
    assert any("2021" in f"{p.title} {p.text}" and "Nguyễn Mạnh Hùng" in p.text for p in found)


def test_a_two_event_answer_ends_up_citing_both_events(indexed):
    """The pipeline end to end, with a scripted model reply: the real index, focus and search."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.generation import LLMAnswerer

    question = (
        "Bộ trưởng Bộ TT&TT phát biểu tại cả ITU Digital World 2021 và Tuần lễ Số Quốc tế Việt Nam 2022 tên là gì?"
    )
    chat = GenericFakeChatModel(messages=iter([AIMessage("Đó là Bộ trưởng Nguyễn Mạnh Hùng [1].")]))
    indexed._answerers["openai"] = LLMAnswerer(chat, "openai", len, similarity=indexed._similarity)
    try:
        answer = indexed.ask(question, backend="openai")
    finally:
        del indexed._answerers["openai"]
    assert not answer.refused and len(answer.support[0].cited) == 2
    cited = [f"{c.title} {c.date} {c.text}" for c in answer.citations]
    assert all("Nguyễn Mạnh Hùng" in c for c in cited)
    assert any("2021" in c for c in cited) and any("2022" in c for c in cited)


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\u200b"])
def test_empty_questions_are_rejected(indexed, question):
    with pytest.raises(InvalidQuestionError, match="empty"):
        indexed.ask(question)


def test_overlong_question_is_rejected(indexed):
    with pytest.raises(InvalidQuestionError, match="limit"):
        indexed.ask("chuyển đổi số " * 20_000)


def test_decomposed_question_gets_the_same_answer(indexed):
    import unicodedata

    q = "Ai là Tổng Giám đốc Tập đoàn Viettel?"
    assert indexed.ask(unicodedata.normalize("NFD", q)).text == indexed.ask(q).text


def test_json_shape(indexed):
    data = indexed.ask("Tuần lễ Số Quốc tế Việt Nam 2022 có chủ đề gì?").to_json()
    assert set(data) >= {"question", "answer", "refused", "citations", "retrieved", "backend", "timings"}
    assert set(data["timings"]) >= {"retrieve_ms", "generate_ms", "total_ms", "first_token_ms"}
    assert set(data["citations"][0]) >= {"n", "doc_id", "chunk_id", "title", "text", "score"}
    assert set(data["retrieved"][0]) >= {"doc_id", "chunk_id", "score"}
