"""Prompt building for LLM backends: focused passages, token budget, history (no model needed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assistant.condense import Message
from assistant.generation import LLMAnswerer, focus_passage
from assistant.retrieval import Passage

TEXT = (
    "Hội nghị ITU Digital World 2021 do Việt Nam đăng cai. Sự kiện khai mạc tối 12/10 tại Hà Nội. "
    "Thời tiết hôm đó đẹp. Nhiều doanh nghiệp tham gia triển lãm. Bế mạc ngày 14/10."
)


def test_focus_keeps_the_best_sentence_and_its_successor_in_order():
    out = focus_passage("ITU Digital World 2021 do nước nào đăng cai?", TEXT, 2)
    assert out == "Hội nghị ITU Digital World 2021 do Việt Nam đăng cai. Sự kiện khai mạc tối 12/10 tại Hà Nội."


def test_focus_leaves_short_passages_whole():
    assert focus_passage("bế mạc", "Một câu. Hai câu.", 3) == "Một câu. Hai câu."


@given(st.lists(st.sampled_from(TEXT.split(". ")), min_size=1, max_size=12), st.integers(1, 5))
def test_focus_never_returns_more_sentences_than_asked_nor_invents_text(sentences, k):
    text = ". ".join(sentences)
    out = focus_passage("khai mạc ở đâu", text, k)
    assert out.count(".") <= max(k, text.count(".")) and all(w in text for w in out.split())


def _answerer(sentences: int, budget: int = 10_000) -> LLMAnswerer:
    return LLMAnswerer(
        chat=None, name="t", count_tokens=lambda s: len(s.split()), context_tokens=budget, passage_sentences=sentences
    )  # type: ignore[arg-type]


def test_focused_prompt_is_shorter_and_keeps_passage_numbers():
    passages = [Passage(f"c{i}", f"d{i}", TEXT, title=f"Bài {i}") for i in range(3)]
    whole = _answerer(0).messages("Khai mạc ngày nào?", passages, [])[-1].content
    focused = _answerer(2).messages("Khai mạc ngày nào?", passages, [])[-1].content
    assert len(focused) < len(whole) and all(f"[{n}]" in focused for n in (1, 2, 3))
    assert "Nhiều doanh nghiệp" in whole and "Nhiều doanh nghiệp" not in focused


def test_budget_drops_whole_passages_never_the_first():
    passages = [Passage(f"c{i}", f"d{i}", TEXT, title=f"Bài {i}") for i in range(3)]
    prompt = _answerer(0, budget=5).messages("Khai mạc?", passages, [])[-1].content
    assert "[1]" in prompt and "[2]" not in prompt


def test_history_enters_as_earlier_turns():
    history = [Message("user", "ITU Digital World là gì?"), Message("assistant", "Là một hội nghị [1].")]
    msgs = _answerer(2).messages("Nó khai mạc khi nào?", [Passage("c", "d", TEXT)], history)
    assert [m.type for m in msgs] == ["system", "human", "ai", "human"]
