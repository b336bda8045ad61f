"""Counterfactual questions change one stated value to one the corpus never states."""

from assistant.evaluation.dataset import EvalQuestion
from assistant.evaluation.perturb import perturbed
from assistant.evaluation.splits import split_of


def test_a_stated_year_or_number_is_changed_to_a_value_written_nowhere():
    questions = [
        EvalQuestion("p1-q1", "Trường thành lập năm 1995 ở đâu?", True, [["Hà Nội"]], ["p1"]),
        EvalQuestion("p1-q2", "Sinh viên phải học 120 tín chỉ trong mấy năm?", True, [["4"]], ["p1"]),
        EvalQuestion("p1-q3", "Trường ở đâu?", True, [["Hà Nội"]], ["p1"]),
        EvalQuestion("p2-q1", "Năm 2002 ai làm hiệu trưởng?", False),
    ]
    corpus = "Trường thành lập năm 1995 tại Hà Nội. Sinh viên học 120 tín chỉ trong 4 năm. Năm 2002 là năm mở khoa."
    out = {q.id: q for q in perturbed(questions, corpus)}
    assert out["p1-q2-cf"].question == "Sinh viên phải học 181 tín chỉ trong mấy năm?"
    assert all(not q.answerable and not q.must_include and q.kind == "counterfactual" for q in out.values())
    assert "p1-q3-cf" not in out and "p2-q1-cf" not in out  # nothing to change; already unanswerable
    # 1995 + 7 = 2002 is written in the corpus: that variant could be answered, so it is skipped
    assert "p1-q1-cf" not in out
    assert split_of(out["p1-q2-cf"]) == split_of(questions[1])
