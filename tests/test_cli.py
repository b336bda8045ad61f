"""The `assistant` command as a user runs it: a real process, real index, exit codes and messages."""

import json
import os
import subprocess
import sys

import pytest

from assistant.decide import RULES, switchable
from tests.conftest import ROOT, copy_seeds
from tests.dev_regression import VIDW_DELEGATES, VIETTEL_CEO


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    return os.environ | {
        "ASSISTANT_CORPUS_DIR": str(copy_seeds(base / "seeds")),
        "ASSISTANT_PERSIST_DIR": str(base / "vectorstore"),
        "ASSISTANT_LLM": "extractive",
    }


def run(env, *args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "assistant.app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.mark.regression
def test_regression_index_then_ask_json(env):
    first = run(env, "index")
    assert first.returncode == 0, first.stderr
    assert "added" in first.stdout and "unchanged 0" in first.stdout
    again = run(env, "index")
    assert "added 0, updated 0, removed 0" in again.stdout

    out = run(env, "ask", VIETTEL_CEO, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["citations"][0]["doc_id"] == "003_b67893258f750185"
    assert "Lê Đăng Dũng" in data["answer"] and data["refused"] is False
    assert data["backend"] == "extractive" and data["timings"]["total_ms"] > 0
    # loading is the command's start-up, reported apart from the question's own work
    timings = data["timings"]
    assert timings["startup_ms"] > 0 and 0 < timings["search_ms"] <= timings["retrieve_ms"] <= timings["total_ms"]


UNANSWERABLE = "Công thức nấu phở bò ngon nhất là gì?"


def _decision(env, question):
    out = run(env, "ask", question, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["refused"] is (not data["decision"]["answered"])
    return data["decision"]


@pytest.mark.regression
def test_regression_ask_json_names_the_decision(env):
    refused = _decision(env, UNANSWERABLE)
    assert refused["answered"] is False
    assert refused["reason"] in {rule.name for rule in RULES}
    assert isinstance(refused["detail"], str) and refused["detail"].strip()
    answered = _decision(env, VIETTEL_CEO)
    assert answered["answered"] is True and answered["reason"] == "answered"


def test_a_rule_switched_off_no_longer_refuses(env):
    refused = _decision(env, UNANSWERABLE)
    assert refused["answered"] is False
    rule = refused["reason"]
    without = _decision(env | {"ASSISTANT_RULES_OFF": rule}, UNANSWERABLE)
    assert without["answered"] or without["reason"] != rule, without


def test_an_unknown_rule_name_is_one_line_naming_the_known_rules(env):
    out = run(env | {"ASSISTANT_RULES_OFF": "off_topic,no_such_rule"}, "ask", UNANSWERABLE, "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert "Traceback" not in out.stderr and out.stderr.strip().count("\n") == 0
    assert "no_such_rule" in out.stderr
    for name in switchable():
        assert name in out.stderr


def test_ask_with_history_file(env, tmp_path):
    history = tmp_path / "h.json"
    history.write_text(
        json.dumps(
            [
                {"role": "user", "content": "Ai là Tổng Giám đốc Tập đoàn Viettel?"},
                {"role": "assistant", "content": "Ông Lê Đăng Dũng."},
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    out = run(env, "ask", "Ông ấy nói Viettel hỗ trợ ngành giáo dục thế nào?", "--history", str(history), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["retrieved"][0]["doc_id"] == "003_b67893258f750185"


@pytest.mark.parametrize(
    ("args", "history", "message"),
    [
        (["ask", "   "], None, "empty"),
        (["ask", "Ai?", "--history", "{h}"], "{not json", "not valid UTF-8 JSON"),
        (["ask", "Ai?", "--history", "{h}"], '{"role": "user"}', "expected a JSON list"),
        (["ask", "Ai?", "--history", "{h}"], '[{"role": "system", "content": "x"}]', "role"),
        (["ask", "Ai?", "--history", "/nonexistent/h.json"], None, "Cannot read history file"),
        (["eval", "--questions", "/nonexistent/q.jsonl"], None, "Cannot read question file"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(env, tmp_path, args, history, message):
    h = tmp_path / "h.json"
    if history is not None:
        h.write_text(history, encoding="utf-8")
    out = run(env, *[a.replace("{h}", str(h)) for a in args])
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0


def test_empty_corpus_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(tmp_path / "empty"), "ASSISTANT_PERSIST_DIR": str(tmp_path / "vs")}
    out = run(env, "index")
    assert out.returncode == 2 and "No readable" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.regression
def test_regression_eval_writes_report(env, tmp_path):
    q = tmp_path / "q.jsonl"
    q.write_text(
        json.dumps(
            {
                "id": "x",
                "question": VIDW_DELEGATES,
                "history": [],
                "answerable": True,
                "must_include": [["350"]],
                "sources": ["002_f8a9d01e470f1569"],
                "reference": "",
                "kind": "numeric",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    out = run(env, "eval", "--questions", str(q), "--out", str(tmp_path / "r"))
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert report["aggregates"]["key_facts"] == 1.0 and report["aggregates"]["recall@5"] == 1.0
    assert "| all |" in out.stdout


def test_eval_compares_with_the_naive_baseline_and_draws_a_chart(env, tmp_path):
    out = run(
        env,
        "eval",
        "--questions",
        "eval/questions.jsonl",
        "--kinds",
        "unanswerable,person",
        "--compare",
        "naive",
        "--out",
        str(tmp_path / "r"),
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert {q["kind"] for q in report["questions"]} == {"unanswerable", "person"}
    ours, naive = report["aggregates"], report["baseline"]["naive"]["aggregates"]
    assert naive["refusal_accuracy"] == 0.0 < ours["refusal_accuracy"]  # the baseline never refuses
    assert report["judge"]["name"] == "lexical" and report["judge"]["calibration_accuracy"] is not None
    assert (tmp_path / "r" / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "naive (baseline)" in md and "worst answers" in md and "Judge: **lexical**" in md


def test_eval_judge_writes_accuracy_per_judge(env, tmp_path):
    claims = tmp_path / "c.jsonl"
    lines = (ROOT / "eval" / "claims.jsonl").read_text(encoding="utf-8").splitlines()[:12]
    claims.write_text("\n".join(lines), encoding="utf-8")
    out = run(env, "eval-judge", "--claims", str(claims), "--judge", "lexical", "--out", str(tmp_path / "j"))
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "j" / "judge_report.json").read_text(encoding="utf-8"))
    assert 0.0 <= report["lexical"]["accuracy"] <= 1.0 and report["lexical"]["n"] == 12
    assert "| lexical | 12 |" in out.stdout and "Confusion matrix" in out.stdout


def test_the_quality_gate_holds_on_the_project_questions(env, tmp_path):
    """The CI gate: our own question set, extractive backend, lexical judge, thresholds in eval/gate.json."""
    out = run(
        env,
        "eval",
        "--questions",
        "eval/questions.jsonl",
        "--judge",
        "lexical",
        "--gate",
        "eval/gate.json",
        "--out",
        str(tmp_path / "gate"),
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Quality gate eval/gate.json: passed" in out.stdout


def test_a_missed_gate_exits_3_and_names_the_metric(env, tmp_path):
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"refusal_accuracy": 1.01}), encoding="utf-8")
    out = run(
        env,
        "eval",
        "--questions",
        "eval/questions.jsonl",
        "--kinds",
        "unanswerable",
        "--gate",
        str(gate),
        "--out",
        str(tmp_path / "r"),
        cwd=ROOT,
    )
    assert out.returncode == 3 and "refusal_accuracy" in out.stderr
