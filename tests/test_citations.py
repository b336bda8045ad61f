from hypothesis import given
from hypothesis import strategies as st

from assistant.citations import cite, drop_invalid_markers, parse_markers, strip_markers
from assistant.retrieval import Passage


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
    from assistant.citations import finalize

    passages = [
        Passage("c1", "d1", "Hội nghị đã có 2380 đại biểu đến từ 159 quốc gia."),
        Passage("c2", "d2", "Ông Lê Đăng Dũng là Tổng Giám đốc Tập đoàn Viettel."),
    ]
    text = "Tổng Giám đốc Tập đoàn Viettel là ông Lê Đăng Dũng. Ông ấy thích chơi bóng đá vào cuối tuần [9]."
    answer = finalize("Ai là Tổng Giám đốc Viettel?", text, passages, "test")
    assert "Lê Đăng Dũng [2]." in answer.text and "[9]" not in answer.text
    assert [c.doc_id for c in answer.citations] == ["d2"]
    assert answer.support[0].supported and answer.support[0].cited == (2,)
    assert not answer.support[1].supported and answer.support[1].cited == ()


def test_marker_after_the_period_belongs_to_the_sentence_before():
    from assistant.citations import answer_sentences

    assert answer_sentences("Hội nghị khai mạc tối 12/10. [1] Có 350 đại biểu [2].") == [
        ("Hội nghị khai mạc tối 12/10. [1]", [1]),
        ("Có 350 đại biểu [2].", [2]),
    ]
