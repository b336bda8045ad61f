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
