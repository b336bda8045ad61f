"""The one support checker, on the failure kinds it must catch and the paraphrases it must pass."""

import pytest

from assistant.verify import anchors_held, check_sentence, negation_differs

ITU = (
    "Tăng cường hợp tác chuyển đổi số (ITU Digital World 2021)\n"
    "Sau 3 ngày làm việc từ 12 - 14/10/2021, Hội nghị Thế giới số ITU 2021 do Việt Nam đăng cai tổ chức đã bế "
    "mạc tối 14/10. Hội nghị đã có 2380 đại biểu đến từ 159 quốc gia."
)
VIETTEL = "Viettel hỗ trợ xử lý 72 triệu hồ sơ dịch vụ công trực tuyến cho 930.000 người dân."
UN = "Buổi gặp có sự hiện diện của Đại sứ Đặng Hoàng Giang và Phó Tổng thư ký Liên hợp quốc Amandeep Singh Gill."


@pytest.mark.parametrize(
    ("sentence", "passage"),
    [
        ("Hội nghị Thế giới số ITU 2021 bế mạc tối 14/10.", ITU),
        ("Hội nghị có 2380 đại biểu đến từ 159 quốc gia.", ITU),
        ("Viettel đã giúp xử lý 72 triệu hồ sơ dịch vụ công trực tuyến.", VIETTEL),
        ("ITU Digital World 2021 closed on 14 October with 2,380 delegates from 159 countries.", ITU),
    ],
)
def test_correct_sentences_and_paraphrases_are_supported(sentence, passage):
    check = check_sentence(sentence, [passage])
    assert check.supported, check.reason


@pytest.mark.parametrize(
    ("sentence", "passage", "why"),
    [
        ("Hội nghị Thế giới số ITU 2021 khai mạc tối 14/10.", ITU, "date"),  # opening vs closing
        ("Hội nghị Thế giới số ITU bế mạc ngày 15/10/2021.", ITU, "date"),
        ("Hội nghị Thế giới số ITU 2022 bế mạc tối 14/10.", ITU, "year"),  # event year swapped
        ("Viettel đã hỗ trợ 72 triệu người dân dùng dịch vụ công.", VIETTEL, "number"),  # noun swap
        ("Hội nghị có 2830 đại biểu đến từ 159 quốc gia.", ITU, "number"),
        ("Đại sứ Nguyễn Văn An đã gặp Phó Tổng thư ký Liên hợp quốc.", UN, "name"),  # person swap
        ("The conference closed on 15 October 2021.", ITU, "date"),
        ("Hội nghị không có đại biểu đến từ 159 quốc gia.", ITU, "negation"),
    ],
)
def test_each_kind_of_wrong_sentence_is_caught_with_its_reason(sentence, passage, why):
    check = check_sentence(sentence, [passage])
    assert not check.supported and why in check.reason and check.hard


def test_a_fact_the_question_named_must_still_be_in_the_passage():
    check = check_sentence("Ông Houlin Zhao là Tổng thư ký ITU năm 2024.", [ITU], "Ai là Tổng thư ký ITU năm 2024?")
    assert not check.supported and "2024" in check.reason


def test_a_year_in_the_articles_opening_backs_a_sentence_that_gives_it():
    assert not check_sentence("Hội nghị năm 2021 có nhiều đại biểu.", ["Hội nghị có nhiều đại biểu."]).supported
    opening = ["Hội nghị ITU Digital World 2021 khai mạc tối 12/10."]
    claim, passage = "Hội nghị năm 2021 có nhiều đại biểu.", "Hội nghị có nhiều đại biểu."
    assert check_sentence(claim, [passage], about=opening).supported


@pytest.mark.parametrize(
    ("claim", "passage", "differs"),
    [
        ("Ông Dũng nói về tác động của đại dịch.", "Ông Dũng nói tác động của đại dịch là chưa từng có.", False),
        ("CĐS là chuyển đổi tư duy.", "CĐS không chỉ là chuyển đổi công nghệ mà là chuyển đổi tư duy.", False),
        ("Hội nghị diễn ra trực tuyến.", "Hội nghị không diễn ra trực tuyến.", True),
        ("Hoi nghi khong dien ra truc tuyen.", "Hội nghị diễn ra trực tuyến.", True),
    ],
)
def test_phrases_whose_negation_word_negates_nothing_are_not_negations(claim, passage, differs):
    assert negation_differs(claim, passage) is differs


def test_an_english_sentence_needs_a_fact_or_a_name_to_be_tied_to_a_vietnamese_passage():
    assert not check_sentence("The conference was a great success.", [ITU]).supported
    assert anchors_held("It had 2,380 delegates.", ITU) and not anchors_held("It had 2,830 delegates.", ITU)


def test_a_count_held_only_by_another_years_event_does_not_back_the_sentence():
    week_2022 = "Tham dự khai mạc VIDW2022 có hơn 350 đại biểu."
    conference_2021 = "Hội nghị ITU Digital World 2021 khai mạc tối 12/10."
    claim = "ITU Digital World 2021 có hơn 350 đại biểu."
    check = check_sentence(claim, [conference_2021, week_2022])
    assert not check.supported and "another year" in check.reason
    # a passage that states no year may be of any event
    assert check_sentence(claim, [conference_2021, "Hội nghị có hơn 350 đại biểu."]).supported
