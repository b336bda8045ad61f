import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.cite import (
    answer_sentences,
    append_marker,
    cite,
    collapse_repeats,
    drop_invalid_markers,
    finalize,
    missing_part_query,
    parse_markers,
    strip_markers,
)
from assistant.config import DecideSettings
from assistant.decide import after_answer
from assistant.query import build_query
from assistant.types import ANSWERED, Answer, Context, Decision, Passage, Query
from tests.dev_regression import VIDW_DATES_FOLLOW_UP, VIETTEL_5G_PRICE


def _uniform(_term: str) -> float:
    return 1.0


def shown(question: str, passages: list[Passage], pool: list[Passage] = ()) -> tuple[Query, Context]:
    """The query for `question` and a context that shows `passages`; `pool` was retrieved but not shown."""
    query = build_query(question)
    retrieved = list(passages) + [p for p in pool if p not in passages]
    return query, Context(query, list(passages), [p.text for p in passages], [], retrieved)


def finalize_reply(
    question: str,
    text: str,
    passages: list[Passage],
    backend: str = "t",
    pool: list[Passage] = (),
    extra: list[Passage] | None = None,
) -> Answer:
    """`cite.finalize` of a reply `text` to `question` (no similarity: key terms alone, uniform weights)."""
    query, context = shown(question, passages, pool)
    return finalize(query, text, context, backend, extra=extra)


def test_marker_forms():
    assert parse_markers("A [1]. B [2, 3]. C [3][4]. D [1].") == [1, 2, 3, 4]
    assert parse_markers("không có trích dẫn") == []


def test_invalid_markers_are_dropped():
    assert drop_invalid_markers("A [1]. B [7]. C [2, 9].", 2) == "A [1]. B . C [2]."
    assert strip_markers("A [1]. B [2, 3].") == "A. B."


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6), st.integers(min_value=0, max_value=10))
def test_after_dropping_every_marker_points_at_a_passage(numbers, n_passages):
    text = " ".join(f"Câu {i} [{n}]." for i, n in enumerate(numbers))
    kept = parse_markers(drop_invalid_markers(text, n_passages))
    assert all(1 <= n <= n_passages for n in kept)
    assert set(kept) == {n for n in numbers if 1 <= n <= n_passages}


def test_cite_maps_numbers_to_passages():
    passages = [Passage("c1", "d1", "một"), Passage("c2", "d2", "hai", also_in=("d3",))]
    cited = cite(passages, [2, 5])
    assert [(c.n, c.doc_id, c.also_in) for c in cited] == [(2, "d2", ("d3",))]


def test_finalize_repairs_a_missing_marker_and_flags_an_invented_sentence():
    passages = [
        Passage("c1", "d1", "Hội nghị đã có 2380 đại biểu đến từ 159 quốc gia."),
        Passage("c2", "d2", "Ông Lê Đăng Dũng là Tổng Giám đốc Tập đoàn Viettel."),
    ]
    text = "Tổng Giám đốc Tập đoàn Viettel là ông Lê Đăng Dũng. Ông ấy thích chơi bóng đá vào cuối tuần [9]."
    answer = finalize_reply("Ai là Tổng Giám đốc Viettel?", text, passages, "test")
    assert "Lê Đăng Dũng [2]." in answer.text and "[9]" not in answer.text
    assert [c.doc_id for c in answer.citations] == ["d2"]
    assert answer.support[0].supported and answer.support[0].cited == (2,)
    assert not answer.support[1].supported and answer.support[1].cited == ()


@pytest.mark.regression
def test_regression_a_marker_naming_a_passage_that_does_not_back_the_sentence_moves_to_one_that_does():
    opening = Passage("a", "d", "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc vào sáng ngày 11/10 tại Hà Nội.")
    dates = Passage("b", "d", "Tuần lễ Số Quốc tế Việt Nam sẽ diễn ra từ ngày 11-14/10.", title="VIDW 2022")
    question = VIDW_DATES_FOLLOW_UP
    moved = finalize_reply(
        question, "Tuần lễ Số Quốc tế Việt Nam 2022 diễn ra từ ngày 11-14/10 [1].", [opening, dates], "t"
    )
    assert moved.text.endswith("11-14/10 [2].") and moved.support[0].supported  # 2022 is in its title
    kept = finalize_reply(
        question, "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc sáng ngày 11/10 [1].", [opening, dates], "t"
    )
    assert kept.text.endswith("11/10 [1].")
    # nothing backs an invented date: the marker stays, the sentence is flagged
    invented = finalize_reply(question, "Tuần lễ diễn ra từ ngày 20-25/10 [1].", [opening, dates], "t")
    assert invented.support[0].cited == (1,) and not invented.support[0].supported


def test_a_list_of_markers_leaves_no_stray_commas():
    passages = [Passage(f"c{i}", "d", "Lộ trình 5G cho ASEAN đến năm 2025.") for i in range(3)]
    answer = finalize_reply(
        "Lộ trình 5G đến năm nào?", "Lộ trình 5G cho ASEAN đến năm 2025 [1], [2], [3].", passages, "t"
    )
    assert answer.text == "Lộ trình 5G cho ASEAN đến năm 2025 [1][2][3]."
    assert answer.support[0].sentence == "Lộ trình 5G cho ASEAN đến năm 2025."


def test_marker_after_the_period_belongs_to_the_sentence_before():
    assert answer_sentences("Hội nghị khai mạc tối 12/10. [1] Có 350 đại biểu [2].") == [
        ("Hội nghị khai mạc tối 12/10. [1]", [1]),
        ("Có 350 đại biểu [2].", [2]),
    ]


# --- property-based: citation repair on generated answers ----------------------------------------
_FACTS = [
    "Hội nghị đã có 2380 đại biểu đến từ 159 quốc gia.",
    "Ông Lê Đăng Dũng là Tổng Giám đốc Tập đoàn Viettel.",
    "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc tại Hạ Long.",
    "Triển lãm số đón 160.000 lượt khách tham quan trực tuyến.",
]
_PASSAGES = [Passage(f"c{i}", f"d{i}", fact) for i, fact in enumerate(_FACTS)]
_sentence = st.one_of(
    st.sampled_from(_FACTS).map(lambda f: ("fact", f)),
    st.sampled_from(["Trời hôm nay rất đẹp và mát mẻ ở khắp nơi.", "Có 999 con mèo đang ngủ trên mái nhà."]).map(
        lambda f: ("invented", f)
    ),
)
_marker = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=9).map(lambda n: [n]),
    st.lists(st.integers(0, 9), min_size=2, max_size=3),
)


@given(st.lists(st.tuples(_sentence, _marker), min_size=1, max_size=5))
def test_repair_leaves_only_valid_markers_and_never_supports_an_invented_sentence(parts):
    text = " ".join(
        append_marker(sentence, 0).replace("[0]", "[" + ", ".join(map(str, marks)) + "]") if marks else sentence
        for (_kind, sentence), marks in parts
    )
    answer = finalize_reply("Câu hỏi?", text, _PASSAGES, "test")
    markers = parse_markers(answer.text)
    assert all(1 <= n <= len(_PASSAGES) for n in markers)
    assert [c.n for c in answer.citations] == markers  # citations are exactly the markers shown
    assert len(answer.support) == len(parts)
    for ((kind, sentence), _marks), support in zip(parts, answer.support, strict=True):
        if kind == "invented":
            assert not support.supported
        elif support.cited:
            # a true fact ends up cited to its own passage (a marker naming another is moved there)
            own = _FACTS.index(sentence) + 1
            assert own in support.cited and support.supported
        # every uncited true fact is repaired with its own passage
        if kind == "fact" and not support.cited:
            raise AssertionError(f"fact left uncited: {sentence}")


@pytest.mark.regression
def test_regression_restating_the_question_backs_nothing():
    # was citations.backed_by_any: now the `unsupported_answer` rule of decide.py, judged after the reply
    passages = [Passage("c1", "d1", "Viettel chính thức thử nghiệm mạng 5G tại Hà Nội từ năm 2019 với nhiều trạm.")]
    question = VIETTEL_5G_PRICE
    query, context = shown(question, passages)

    def judged(reply: str) -> Decision:
        draft = finalize(query, reply, context, "t")
        return after_answer(query, context, draft, reply, "llm", DecideSettings(rules_off=frozenset()), _uniform)

    invented = judged(f"{question} Giá cước 5G của Viettel năm 2022 là 100.000 đồng/tháng.")
    assert not invented.answered and invented.reason == "unsupported_answer"
    assert judged("Viettel thử nghiệm mạng 5G tại Hà Nội từ năm 2019 [1].") == ANSWERED


# --- two-part questions ------------------------------------------------------------------------
_ITU = Passage(
    "i1", "itu", "Tối 12.10, ITU Digital World 2021 khai mạc tại Hà Nội. Bộ trưởng Nguyễn Mạnh Hùng phát biểu."
)
_VIDW = Passage(
    "v1",
    "vidw",
    "Sáng 11/10, Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc tại Hà Nội, Bộ trưởng Nguyễn Mạnh Hùng chủ trì.",
)
_ITU_OTHER = Passage("i2", "itu", "Hội nghị ITU Digital World 2021 có 2380 đại biểu.")
_VIRUS = Passage("x1", "x", "Bộ trưởng Nguyễn Mạnh Hùng làm việc với Liên hợp quốc.")


def test_a_two_event_answer_cites_a_passage_of_each_event():
    question = "Bộ trưởng phát biểu ở cả ITU Digital World 2021 và Tuần lễ Số Quốc tế 2022 là ai?"
    answer = finalize_reply(
        question, "Bộ trưởng Nguyễn Mạnh Hùng và Bộ trưởng Nguyễn Mạnh Hùng [2].", [_ITU_OTHER, _VIDW, _ITU], "t"
    )
    assert answer.text == "Bộ trưởng Nguyễn Mạnh Hùng [2][3]."  # not the ITU passage without the name
    assert [c.doc_id for c in answer.citations] == ["vidw", "itu"]
    assert answer.support[0].cited == (2, 3) and answer.support[0].supported

    # each date from its own article
    question = "ITU Digital World 2021 và Tuần lễ Số Quốc tế Việt Nam 2022 lần lượt khai mạc ngày nào?"
    text = "ITU Digital World 2021 khai mạc tối 12.10, Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc sáng 11/10 [1]."
    assert finalize_reply(question, text, [_VIDW, _ITU], "t").support[0].cited == (1, 2)


def test_a_question_the_cited_passage_covers_gets_no_second_article():
    question = "Ai chủ trì Tuần lễ Số Quốc tế Việt Nam 2022?"
    answer = finalize_reply(question, "Bộ trưởng Nguyễn Mạnh Hùng chủ trì [1].", [_VIDW, _ITU, _VIRUS], "t")
    assert answer.support[0].cited == (1,) and answer.text.count("[") == 1


def test_a_phrase_joined_to_itself_is_said_once():
    assert collapse_repeats("Ông A Bờ và Ông A Bờ [1].") == "Ông A Bờ [1]."
    assert collapse_repeats("Nhật Bản và Hàn Quốc; Hà Nội và Hà Nam.") == "Nhật Bản và Hàn Quốc; Hà Nội và Hà Nam."
    assert collapse_repeats("số và số hoá") == "số và số hoá"  # one word is not a phrase


def test_the_other_part_may_be_cited_from_a_retrieved_passage_the_model_was_not_shown():
    question = "Bộ trưởng phát biểu ở cả ITU Digital World 2021 và Tuần lễ Số Quốc tế 2022 là ai?"
    answer = finalize_reply(question, "Bộ trưởng Nguyễn Mạnh Hùng [1].", [_VIDW, _ITU_OTHER], "t", pool=[_VIDW, _ITU])
    assert answer.text == "Bộ trưởng Nguyễn Mạnh Hùng [1][3]."
    assert [(c.n, c.doc_id) for c in answer.citations] == [(1, "vidw"), (3, "itu")]
    assert answer.support[0].cited == (1, 3) and answer.support[0].supported


def test_the_other_event_is_searched_for_when_no_retrieved_passage_backs_it():
    # the search was a callback of finalize; now missing_part_query names it and the pipeline passes
    # what it finds back to finalize as `extra`
    question = "Bộ trưởng phát biểu ở cả ITU Digital World 2021 và Tuần lễ Số Quốc tế 2022 là ai?"
    reply = "Bộ trưởng Nguyễn Mạnh Hùng [1]."
    draft = finalize_reply(question, reply, [_VIDW], pool=[_VIDW, _ITU_OTHER])
    assert draft.text == reply  # no retrieved passage backs the 2021 event
    assert missing_part_query(build_query(question), draft) == (
        "Bộ trưởng phát biểu ở cả ITU Digital World 2021 là ai? Nguyễn Mạnh Hùng"
    )
    answer = finalize_reply(question, reply, [_VIDW], pool=[_VIDW, _ITU_OTHER], extra=[_VIRUS, _ITU])
    assert answer.text == "Bộ trưởng Nguyễn Mạnh Hùng [1][2]."  # the passage of the 2021 event, not _VIRUS
    assert [c.doc_id for c in answer.citations] == ["vidw", "itu"]

    # a one-event question, or one whose retrieved passages already back both events, searches nothing
    one = "Ai chủ trì Tuần lễ Số Quốc tế Việt Nam 2022?"
    assert (
        missing_part_query(build_query(one), finalize_reply(one, "Bộ trưởng Nguyễn Mạnh Hùng chủ trì [1].", [_VIDW]))
        == ""
    )
    both = finalize_reply(question, reply, [_VIDW], pool=[_ITU])
    assert both.text == "Bộ trưởng Nguyễn Mạnh Hùng [1][2]."
    assert missing_part_query(build_query(question), both) == ""


def test_no_second_article_when_the_cited_article_holds_the_missing_part():
    # the model cited the wrong passage of the right article: the other article merely shares words
    question = "Với kinh nghiệm trong đại dịch COVID-19, Việt Nam sẵn sàng hợp tác về lĩnh vực gì?"
    cited = Passage("u1", "un", "Việt Nam sẵn sàng hợp tác với Liên hợp quốc về chuyển đổi số.")
    same = Passage("u2", "un", "Với kinh nghiệm trong đại dịch COVID-19, Việt Nam sẵn sàng chia sẻ.")
    other = Passage("i9", "itu", "Kinh nghiệm chuyển đổi số trong đại dịch COVID-19 của nhiều nước.")
    answer = finalize_reply(
        question, "Việt Nam sẵn sàng hợp tác về chuyển đổi số [1].", [cited, other], "t", pool=[same]
    )
    assert answer.support[0].cited == (1,) and [c.doc_id for c in answer.citations] == ["un"]


def test_an_unmarked_english_sentence_is_tied_to_the_passage_holding_its_numbers():
    passages = [
        Passage("c1", "d1", "Hội nghị đã có 2380 đại biểu đến từ 159 quốc gia."),
        Passage("c2", "d2", "Kinh tế số góp phần đưa Việt Nam đạt thu nhập trung bình cao vào năm 2030."),
    ]
    question = "By which year should the digital economy help Vietnam reach upper-middle income?"
    answer = finalize_reply(question, "Vietnam should reach upper-middle income by 2030.", passages, "t")
    assert answer.text == "Vietnam should reach upper-middle income by 2030 [2]."
    # a number no passage holds ties nothing
    assert finalize_reply(question, "Vietnam should reach it by 2040.", passages, "t").citations == []
