"""Typed facts: values read from Vietnamese and English text, compared as values."""

import pytest

from assistant.lang.facts import extract_facts, fact_held


def facts(text: str, english: bool | None = None) -> list[tuple]:
    return [(f.kind, f.value) for f in extract_facts(text, english)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tối 12.10, hội nghị khai mạc.", [("date", (12, 10, None))]),
        ("ngày 12/10/2021", [("date", (12, 10, 2021))]),
        ("ngày 12 tháng 10 năm 2021", [("date", (12, 10, 2021))]),
        ("The conference opened on October 12, 2021.", [("date", (12, 10, 2021))]),
        ("từ 12 - 14/10/2021", [("range", (12, 10, 14, 10, 2021))]),
        ("từ ngày 11-14/10", [("range", (11, 10, 14, 10, None))]),
        ("tháng 9/2022", [("date", (None, 9, 2022))]),
        ("lúc 21:30", [("time", (21, 30))]),
        ("năm 2025", [("year", (2025,))]),
        ("160.000 người", [("number", (160000.0,))]),
        ("75 nghìn lượt", [("number", (75000.0,))]),
        ("1,5 triệu người", [("number", (1500000.0,))]),
        ("18% dân số", [("percent", (18.0,))]),
        ("100.000 đồng một tháng", [("money", (100000.0, "VND"))]),
        ("COVID-19 kéo dài", []),  # part of a name, not a number
    ],
)
def test_vietnamese_values_are_read_as_values(text, expected):
    assert facts(text) == expected


def test_english_grouping_differs_from_vietnamese():
    assert facts("75,000 visitors and 4.5 million views", english=True) == [
        ("number", (75000.0,)),
        ("number", (4500000.0,)),
    ]
    assert facts("4.500 người", english=False) == [("number", (4500.0,))]


def test_a_count_carries_its_noun_and_a_date_its_role():
    counted = extract_facts("Hơn 72 triệu hồ sơ được xử lý.")[0]
    assert counted.value == (72e6,) and counted.noun == "hồ"
    opening, closing = extract_facts("Hội nghị khai mạc ngày 12/10 và bế mạc ngày 14/10.")
    assert (opening.role, closing.role) == ("open", "close")


PASSAGE = extract_facts(
    "Sau 3 ngày làm việc từ 12 - 14/10/2021, Hội nghị đã bế mạc tối 14/10. Có 72 triệu hồ sơ được xử lý."
)


@pytest.mark.parametrize(
    ("claim", "held"),
    [
        ("Hội nghị bế mạc ngày 14/10/2021.", True),
        ("Hội nghị diễn ra ngày 13/10.", True),  # a day inside the range
        ("Hội nghị khai mạc ngày 12/10.", True),  # the range's first day
        ("Hội nghị khai mạc ngày 14/10.", False),  # the closing day given as the opening
        ("Hội nghị diễn ra ngày 15/10.", False),  # outside the range
        ("Hội nghị diễn ra từ 12 đến 14/10/2021.", True),
        ("Hội nghị diễn ra năm 2021.", True),
        ("Hội nghị diễn ra năm 2022.", False),
        ("72 triệu hồ sơ đã được xử lý.", True),
        ("72 triệu người dân đã dùng dịch vụ.", False),  # the right number with another noun
        ("27 triệu hồ sơ đã được xử lý.", False),
    ],
)
def test_facts_are_held_only_as_the_same_value(claim, held):
    assert all(fact_held(f, PASSAGE) for f in extract_facts(claim)) is held


def test_a_full_date_is_not_backed_by_its_numbers_apart():
    scattered = extract_facts("Năm 2021 có 14 đoàn, mỗi đoàn 10 người.")
    assert not fact_held(extract_facts("ngày 14/10/2021")[0], scattered)


def test_a_number_glued_to_letters_is_a_name_not_a_count():
    assert facts("mạng 5G và 4G của Viettel") == []
    assert facts("hơn 5 gian hàng") == [("number", (5.0,))]
