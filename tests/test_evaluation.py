import json

import pytest

from assistant.errors import InvalidInputFileError
from assistant.evaluation.dataset import load_questions
from assistant.evaluation.metrics import doc_ranking, key_facts_present, mrr_at_k, recall_at_k
from assistant.evaluation.runner import run_eval
from tests.dev_regression import VIDW_THEME, VIETTEL_CEO


def test_recall_and_mrr_on_known_cases():
    ranking = doc_ranking([("a",), ("b", "c"), ("a",), ("d",)])
    assert ranking == ["a", "b", "c", "d"]
    assert recall_at_k(ranking, ["c"], 1) == 0.0
    assert recall_at_k(ranking, ["c"], 3) == 1.0
    assert recall_at_k(ranking, ["a", "d"], 3) == 0.5
    assert mrr_at_k(ranking, ["c"]) == pytest.approx(1 / 3)
    assert mrr_at_k(ranking, ["z"]) == 0.0


def test_key_fact_rule():
    groups = [["160.000", "160000"], ["triển lãm"]]
    assert key_facts_present("Có 160.000 người đến thăm Triển lãm số [1].", groups)
    assert not key_facts_present("Có 160.000 người.", groups)
    assert key_facts_present("chung sống hòa bình", [["chung sống hoà bình"]])  # tone-mark spelling


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json}\n", "not valid JSON"),
        ('{"id": "x"}\n', "'question'"),
        ('{"id": "x", "question": "q", "must_include": "abc"}\n', "must_include"),
        ('{"id": "x", "question": "q"}\n{"id": "x", "question": "r"}\n', "duplicate id"),
        ('{"id": "x", "question": "q", "history": [{"role": "bot", "content": "hi"}]}\n', "role"),
        ("", "no questions"),
    ],
)
def test_malformed_question_files_name_the_problem(tmp_path, content, message):
    path = tmp_path / "q.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputFileError, match=message):
        load_questions(path)


@pytest.mark.regression
def test_regression_eval_run_writes_reports(indexed, tmp_path):
    questions = tmp_path / "q.jsonl"
    rows = [
        {
            "id": "a",
            "question": VIETTEL_CEO,
            "history": [],
            "answerable": True,
            "must_include": [["Lê Đăng Dũng"]],
            "sources": ["003_b67893258f750185"],
            "reference": "",
            "kind": "person",
        },
        {
            "id": "b",
            "question": "Ai là Tổng thư ký ITU năm 2024?",
            "history": [],
            "answerable": False,
            "must_include": [],
            "sources": [],
            "reference": "",
            "kind": "unanswerable",
        },
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    report = run_eval(indexed, questions, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    per_q = {q["id"]: q for q in data["questions"]}
    assert per_q["a"]["key_facts"] == 1.0 and per_q["a"]["recall@1"] == 1.0
    assert per_q["a"]["citations"][0] == "003_b67893258f750185"
    assert per_q["b"]["refused"] and per_q["b"]["refusal_correct"] == 1.0
    assert data["aggregates"]["refusal_accuracy"] == 1.0
    assert set(per_q["a"]) >= {"id", "answer", "refused", "citations", "retrieved"}
    assert "| all |" in report.summary_table()
    assert (tmp_path / "out" / "report.md").read_text(encoding="utf-8").startswith("# Evaluation report")
    assert per_q["a"]["support_score"] > 0  # a backed answer: its weakest sentence's support
    assert data["risk_coverage"][0]["threshold"] == 0.0 and data["risk_coverage"][0]["answered"] >= 1
    assert (tmp_path / "out" / "risk_coverage.png").stat().st_size > 1000


def test_the_naive_baseline_quotes_two_sentences_each_with_its_marker(indexed):
    from assistant.cite import answer_sentences
    from assistant.evaluation.baselines import NaivePipeline

    naive = NaivePipeline(indexed.settings.index.corpus_dir, indexed.embedder)
    answer = naive.ask("ITU Digital World 2021 khai mạc khi nào?", [], 5, 10)
    sentences = answer_sentences(answer.text)
    assert len(sentences) == 2 and all(cited == [1] for _, cited in sentences)


@pytest.mark.regression
def test_regression_the_competent_baseline_retrieves_with_langchains_ensemble_over_bm25_and_chroma(indexed):
    from assistant.evaluation.baselines import CompetentPipeline

    competent = CompetentPipeline(indexed.settings, indexed.embedder, depth=10)
    ranking = doc_ranking([p.doc_ids for p in competent.retrieve(VIETTEL_CEO, [])])
    assert ranking[0] == "003_b67893258f750185"
    # fused: at most 10 chunks from each retriever, without duplicates
    passages = competent.retrieve(VIDW_THEME, [])
    assert 10 <= len(passages) <= 20 and len({p.chunk_id for p in passages}) == len(passages)


def test_the_competent_baseline_refuses_when_its_model_says_it_does_not_know(indexed):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.evaluation.baselines import CompetentPipeline

    chat = FakeListChatModel(responses=["Tôi không biết.", "Hội nghị khai mạc tối 12/10 [1]."])
    competent = CompetentPipeline(indexed.settings, indexed.embedder, chat=chat)
    refused = competent.ask("Giá vé là bao nhiêu?", [], 5, 10)
    answered = competent.ask("ITU Digital World 2021 khai mạc khi nào?", [], 5, 10)
    assert refused.refused and not refused.citations
    assert not answered.refused and [c.n for c in answered.citations] == [1]


def test_risk_coverage_trades_answers_for_precision():
    from assistant.evaluation.metrics import risk_coverage

    rows = [
        {"answerable": True, "refused": False, "key_facts": 1.0, "support_score": 0.9},
        {"answerable": True, "refused": False, "key_facts": 0.0, "support_score": 0.4},
        {"answerable": False, "refused": False, "support_score": 0.0},  # an invented answer, not backed
        {"answerable": True, "refused": True, "key_facts": 0.0, "support_score": None},
    ]
    points = risk_coverage(rows)
    assert [p["threshold"] for p in points] == [0.0, 0.4, 0.9]
    assert points[0] == {"threshold": 0.0, "answered": 3, "coverage": round(2 / 3, 4), "precision": round(1 / 3, 4)}
    assert points[1]["precision"] == 0.5 and points[1]["coverage"] == round(2 / 3, 4)
    assert points[-1] == {"threshold": 0.9, "answered": 1, "coverage": round(1 / 3, 4), "precision": 1.0}
