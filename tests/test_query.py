"""A question analysed once: language, folding, follow-ups, restored diacritics, two events, key facts."""

import pytest

from assistant.errors import InvalidInputFileError
from assistant.query import answer_type, build_query, condense, is_follow_up, parse_history, question_parts
from assistant.types import Message
from tests.dev_regression import VIDW_THEME

HISTORY = (Message("user", VIDW_THEME), Message("assistant", "… [1]."))


@pytest.mark.regression
def test_regression_a_standalone_question_keeps_its_own_words_for_retrieval():
    q = "Hội nghị Thế giới số ITU Digital World 2021 khai mạc vào ngày nào trong tháng 10?"
    query = build_query(q, HISTORY)
    assert not query.follow_up and query.standalone == q
    assert query.language == "vi" and query.answer_type == "time"
    assert query.numbers == {"2021", "10"} and query.self_contained


@pytest.mark.regression
def test_regression_a_follow_up_is_searched_with_the_conversations_subject():
    assert is_follow_up("Nó diễn ra khi nào?")
    query = build_query("Nó diễn ra khi nào?", HISTORY)
    assert query.follow_up and "Tuần lễ Số" in query.standalone and not query.self_contained
    assert "[1]" not in condense("Nó diễn ra khi nào?", HISTORY)  # markers of the last answer are dropped


def test_an_english_question_gets_a_vietnamese_search_form_from_the_translator():
    asked = []

    def translate(text: str) -> str:
        asked.append(text)
        return "Chủ đề của Tuần lễ Số Quốc tế Việt Nam 2022 là gì?"

    query = build_query("What is the theme of Vietnam International Digital Week 2022?", translate=translate)
    assert query.english and query.search_vi.startswith("Chủ đề") and len(asked) == 1
    vietnamese = build_query("Chủ đề của Tuần lễ Số 2022 là gì?", translate=translate)
    assert not vietnamese.english and vietnamese.search_vi == "" and len(asked) == 1  # never asked for Vietnamese


def test_a_failing_translator_fails_the_analysis():
    def down(_text: str) -> str:
        raise ConnectionError("server down")

    with pytest.raises(ConnectionError):
        build_query("Who opened the ITU Digital World 2021?", translate=down)


def test_diacritics_are_restored_from_the_spelling_of_the_passages_found():
    query = build_query(
        "Tong thu ky ITU du hoi nghi la ai?",
        spellings=lambda _text: ["Tổng thư ký ITU Houlin Zhao dự hội nghị và phát biểu."],
    )
    assert query.typed_without_diacritics and query.restored == "Tổng thư ký ITU dự hội nghị là ai?"
    assert query.folded == "tong thu ky itu du hoi nghi la ai?"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Có bao nhiêu đại biểu tham dự?", "quantity"),
        ("Hội nghị diễn ra khi nào?", "time"),
        ("Ai là Tổng thư ký ITU?", "person"),
        ("Who opened the event?", "person"),
        ("Chủ đề của hội nghị là gì?", "other"),
    ],
)
def test_the_kind_of_answer_asked_for(question, kind):
    assert build_query(question).answer_type == kind
    assert answer_type(build_query(question).folded) == kind


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


def test_history_is_validated_message_by_message():
    assert parse_history([{"role": "user", "content": "Xin chào"}]) == [Message("user", "Xin chào")]
    with pytest.raises(InvalidInputFileError, match="message 1 has role 'bot'"):
        parse_history([{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}])
    with pytest.raises(InvalidInputFileError, match="JSON list"):
        parse_history({"role": "user"})
