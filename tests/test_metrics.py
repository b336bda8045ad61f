"""Faithfulness, citation, correctness and judge metrics on hand-made cases whose right value is known."""

from __future__ import annotations

import json

import pytest

from assistant.cite import answer_sentences, cite
from assistant.config import EvalSettings
from assistant.errors import InvalidInputFileError
from assistant.evaluation.claims import atomic_claims
from assistant.evaluation.judge_eval import binary_scores, load_claims
from assistant.evaluation.judges import LexicalJudge, hard_mismatch
from assistant.evaluation.metrics import (
    citation_scores,
    context_precision,
    cosine,
    exact_match,
    faithfulness,
    squad_normalize,
    token_f1,
)
from assistant.evaluation.runner import CachedJudge, check_gate, numbered
from assistant.types import ANSWERED, Answer, Passage
from assistant.verify import negation_differs as negation_mismatch

P1 = "Hội nghị ITU Digital World 2021 khai mạc tối 12/10 tại Hà Nội. Hội nghị có 2380 đại biểu từ 159 quốc gia."
P2 = "Ông Lê Đăng Dũng là Tổng Giám đốc Tập đoàn Viettel."
P3 = "Thời tiết Hà Nội hôm đó mát mẻ."


def oracle(facts: dict[str, set[int]], passages: list[str]):
    """A judge whose truth is a table: sentence → the passage numbers that each support it alone."""

    def supports(sentence: str, given: list[str]) -> bool:
        return any(passages[n - 1] in given for n in facts.get(sentence, set()))

    return supports


# --- faithfulness ------------------------------------------------------------------------------
def test_a_fully_supported_answer_scores_one_and_an_invented_number_lowers_it(embedder):
    judge = LexicalJudge(embedder, EvalSettings().judge_lexical_threshold)
    good = atomic_claims("Hội nghị có 2380 đại biểu từ 159 quốc gia [1].")
    assert faithfulness([judge.judge(c, [P1]).supported for c in good]) == 1.0
    bad = atomic_claims("Hội nghị có 2380 đại biểu từ 159 quốc gia [1]. Triển lãm đón 500.000 khách [1].")
    assert faithfulness([judge.judge(c, [P1]).supported for c in bad]) == 0.5


def test_a_refusal_has_no_faithfulness():
    assert faithfulness([]) is None


def test_claims_split_sentences_and_coordinated_facts_and_drop_markers():
    text = "Hội nghị khai mạc tối 12/10 tại Hà Nội [1]; sự kiện có 2380 đại biểu tham dự [1]. Ông Dũng phát biểu [2]."
    assert atomic_claims(text) == [
        "Hội nghị khai mạc tối 12/10 tại Hà Nội.",
        "sự kiện có 2380 đại biểu tham dự.",
        "Ông Dũng phát biểu.",
    ]
    # a list of names is one claim, not several
    assert atomic_claims("Đại diện Việt Nam, Lào; Campuchia tham dự.") == ["Đại diện Việt Nam, Lào; Campuchia tham dự."]


# --- citations (ALCE) --------------------------------------------------------------------------
PASSAGES = [P1, P2, P3]


def test_correct_single_citations_score_one():
    s = [("Hội nghị có 2380 đại biểu.", [1]), ("Ông Dũng là Tổng Giám đốc Viettel.", [2])]
    supports = oracle({s[0][0]: {1}, s[1][0]: {2}}, PASSAGES)
    assert citation_scores(s, PASSAGES, supports) == (1.0, 1.0)


def test_an_unnecessary_citation_lowers_precision_not_recall():
    s = [("Hội nghị có 2380 đại biểu.", [1, 3])]
    supports = oracle({s[0][0]: {1}}, PASSAGES)
    assert citation_scores(s, PASSAGES, supports) == (1.0, 0.5)


def test_two_citations_needed_together_are_both_precise():
    sentence = "Hội nghị ở Hà Nội có ông Dũng dự."

    def supports(claim: str, given: list[str]) -> bool:  # only P1 and P2 together support it
        return P1 in given and P2 in given

    assert citation_scores([(sentence, [1, 2])], PASSAGES, supports) == (1.0, 1.0)


def test_a_wrong_or_missing_citation_lowers_recall():
    s = [("Hội nghị có 2380 đại biểu.", [3]), ("Ông Dũng là Tổng Giám đốc Viettel.", [])]
    supports = oracle({s[0][0]: {1}, s[1][0]: {2}}, PASSAGES)
    recall, precision = citation_scores(s, PASSAGES, supports)
    assert recall == 0.0 and precision == 0.0


def test_citations_are_scored_against_the_passages_the_answer_numbered(embedder):
    # a model answer numbers the passages it was shown: here its [1] is the third one retrieved
    retrieved = [Passage(f"c{i}", f"d{i}", t) for i, t in enumerate([P3, P2, P1])]
    text = "Hội nghị có 2380 đại biểu từ 159 quốc gia [1]."
    answer = Answer("Hội nghị có bao nhiêu đại biểu?", text, cite([retrieved[2]], [1]), ANSWERED, "local", retrieved)
    supports = CachedJudge(LexicalJudge(embedder, EvalSettings().judge_lexical_threshold)).supports
    assert numbered(answer) == [P1]
    assert citation_scores(answer_sentences(text), numbered(answer), supports) == (1.0, 1.0)
    assert citation_scores(answer_sentences(text), [p.text for p in retrieved], supports) == (0.0, 0.0)


def test_no_sentences_no_scores():
    assert citation_scores([], PASSAGES, lambda *_: True) == (None, None)


# --- retrieval and correctness -----------------------------------------------------------------
def test_context_precision_rewards_relevant_passages_ranked_first():
    assert context_precision([True, True, False]) == 1.0
    assert context_precision([False, True]) == 0.5
    assert context_precision([False, False]) == 0.0
    assert context_precision([True, False, True]) == pytest.approx((1 + 2 / 3) / 2)


def test_cosine():
    assert cosine([1, 0], [1, 0]) == 1.0 and cosine([1, 0], [0, 1]) == 0.0 and cosine([0, 0], [1, 1]) == 0.0


# --- judges ------------------------------------------------------------------------------------
def test_hard_rules_catch_numbers_names_and_negation():
    assert hard_mismatch("Hội nghị có 2830 đại biểu.", [P1]).startswith("number")
    assert hard_mismatch("Ông Nguyễn Mạnh Hùng là Tổng Giám đốc Viettel.", [P2]).startswith("name")
    assert hard_mismatch("Hội nghị có 2380 đại biểu tại Hà Nội.", [P1]) == ""
    assert negation_mismatch("Hội nghị không diễn ra tại Hà Nội.", P1.split(". ")[0])
    assert not negation_mismatch("Hội nghị diễn ra tại Hà Nội.", P1.split(". ")[0])
    # words that only fold to a negation ("chứa" → chua, "nó" → no, "khổng lồ") do not negate
    assert not negation_mismatch("Kho chứa dữ liệu khổng lồ.", "Kho chứa dữ liệu khổng lồ của nó rất lớn.")
    assert not negation_mismatch("Viettel có kho dữ liệu.", "Nó chứa dữ liệu khổng lồ của Viettel.")
    assert negation_mismatch("Hoi nghi khong dien ra.", "Hoi nghi dien ra.")  # typed without marks
    # nor do nouns with "không" as a syllable ("không gian" space, "hàng không" aviation)
    assert not negation_mismatch(
        "Tuần lễ diễn ra từ 11-14/10.", "Tuần lễ diễn ra từ 11-14/10, xây dựng không gian mạng."
    )
    assert not negation_mismatch("Ngành hàng không tăng trưởng.", "Ngành hàng không tăng trưởng mạnh.")
    assert negation_mismatch("Tuần lễ không diễn ra ở không gian mạng.", "Tuần lễ diễn ra ở không gian mạng.")


def test_lexical_judge_accepts_a_paraphrase_and_rejects_an_absent_fact(embedder):
    judge = LexicalJudge(embedder, EvalSettings().judge_lexical_threshold)
    assert judge.judge("Viettel do ông Lê Đăng Dũng làm Tổng Giám đốc.", [P2]).supported
    assert not judge.judge("Viettel đạt doanh thu cao nhất ngành viễn thông.", [P2]).supported


def test_binary_scores_and_confusion_matrix():
    preds = [
        {"label": "supported", "predicted": "supported"},
        {"label": "supported", "predicted": "not_supported"},
        {"label": "contradicted", "predicted": "not_supported"},
        {"label": "unsupported", "predicted": "supported"},
    ]
    s = binary_scores(preds)
    assert s["accuracy"] == 0.5 and s["precision_supported"] == 0.5 and s["recall_supported"] == 0.5
    assert s["confusion"]["unsupported"] == {"supported": 1, "not_supported": 0}


def test_claims_files_are_validated(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "1", "passage": "p", "claim": "c", "label": "maybe"}), encoding="utf-8")
    with pytest.raises(InvalidInputFileError, match="label"):
        load_claims(path)


def test_gate_reports_each_missed_threshold():
    assert (
        check_gate({"faithfulness": 0.9, "false_refusal": 0.2}, {"faithfulness": 0.8, "max_false_refusal": 0.3}) == []
    )
    failures = check_gate({"faithfulness": 0.7}, {"faithfulness": 0.8, "key_facts": 0.5})
    assert failures == ["faithfulness = 0.7 < 0.8", "key_facts = None < 0.5"]


# --- SQuAD answer metrics -------------------------------------------------------------------------
def test_squad_normalisation_keeps_vietnamese_words_and_drops_case_punctuation_and_articles():
    assert squad_normalize("  Tối 12/10, tại HÀ NỘI!  ") == "tối 12 10 tại hà nội"
    assert squad_normalize("The Indian Ocean") == "indian ocean"
    assert squad_normalize("cước") != squad_normalize("cuộc")  # diacritics are kept


def test_exact_match_takes_the_best_gold_span():
    assert exact_match("50 sinh viên.", ["năm mươi", "50 sinh viên"]) == 1.0
    assert exact_match("tối thiểu 50 sinh viên", ["50 sinh viên"]) == 0.0


def test_token_f1_is_the_harmonic_mean_of_token_precision_and_recall_against_the_best_span():
    # prediction 4 tokens, gold 2 tokens, 2 in common: precision 0.5, recall 1.0
    assert token_f1("tối thiểu 50 sinh", ["50 sinh", "hoàn toàn khác"]) == pytest.approx(2 / 3)
    assert token_f1("không liên quan", ["50 sinh viên"]) == 0.0
    assert token_f1("", ["50"]) == 0.0


def test_wrong_answers_the_app_marks_as_backed_are_counted_among_all_answers():
    from assistant.evaluation.runner import aggregate

    def row(answerable, refused, key_facts, marked):
        r = {"answerable": answerable, "refused": refused, "marked_supported": marked}
        if answerable:
            r |= {"key_facts": key_facts, "false_refusal": float(refused)}
        else:
            r["refusal_correct"] = float(refused)
        return r

    rows = [row(True, False, 1.0, True), row(True, False, 0.0, True), row(True, False, 0.0, False)]
    rows += [row(False, False, None, True), row(False, True, None, None)]
    agg = aggregate(rows)
    assert agg["wrong_answer_rate"] == 0.75 and agg["wrong_marked_supported"] == 0.5
    # a pipeline that marks nothing (a baseline) gets no such figure
    assert "wrong_marked_supported" not in aggregate([{**r, "marked_supported": None} for r in rows])


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Sự kiện diễn ra năm 2012 [1].", False),
        ("Sự kiện diễn ra ngày 11/9 [1].", False),
        ("Sự kiện diễn ra ngày 12 [1].", True),
        ("Ngày 1/9, sự kiện diễn ra [1].", True),
    ],
)
def test_key_facts_match_on_token_boundaries(answer, expected):
    from assistant.evaluation.metrics import key_facts_present

    assert key_facts_present(answer, [["12", "1/9"]]) is expected
