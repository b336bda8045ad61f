"""Real LLM backends: the packaged Qwen GGUF in-process, and llama.cpp's own OpenAI-compatible server.

Marked slow: each loads a real model on the CPU. They run in CI (the test extra installs them).
"""

from __future__ import annotations

import pytest

from assistant.lang.detect import is_english
from assistant.pipeline import Assistant
from assistant.types import Message
from tests.conftest import free_port
from tests.dev_regression import VIDW_DATES_FOLLOW_UP, VIDW_OPENING_DELEGATES, VIDW_THEME, VIETTEL_CEO

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp", reason="the llm extra is not installed")


@pytest.fixture(scope="module")
def local(indexed) -> Assistant:
    settings = indexed.settings.replace(llm="local")
    return Assistant(settings, embedder=indexed.embedder)


@pytest.mark.regression
def test_regression_local_model_answers_streamed_and_cited(local):
    stream = local.stream(VIETTEL_CEO)
    tokens = list(stream)
    answer = stream.answer
    assert len(tokens) > 3  # streamed token by token, not one block
    assert answer.backend == "local" and not answer.refused
    assert "Lê Đăng Dũng" in answer.text
    assert answer.citations and answer.citations[0].doc_id == "003_b67893258f750185"
    assert all(s.cited for s in answer.support if s.supported)


def test_local_refuses_what_the_articles_do_not_say(local):
    answer = local.ask("Ai là Tổng thư ký ITU năm 2024?")
    assert answer.refused and answer.citations == []


@pytest.mark.regression
def test_regression_local_follow_up(local):
    history = [
        Message("user", VIDW_THEME),
        Message("assistant", "Chủ đề là “Đối tác toàn cầu vì tương lai số bền vững” [1]."),
    ]
    answer = local.ask(VIDW_DATES_FOLLOW_UP, history=history)
    assert not answer.refused
    assert "14/10" in answer.text or "14 tháng 10" in answer.text
    assert {c.doc_id for c in answer.citations} & {"001_49942c841792d2c4", "002_f8a9d01e470f1569"}


@pytest.mark.regression
def test_regression_the_app_opens_while_the_model_loads_and_a_question_waits_for_it(indexed):
    from assistant.app.ui import prepare

    assistant = prepare(indexed.settings.replace(llm="local"))
    assert assistant.loading("local")  # prepare returned before the model finished loading
    answer = assistant.ask(VIETTEL_CEO)
    assert answer.backend == "local" and "Lê Đăng Dũng" in answer.text
    assert not assistant.loading("local")


SECRET = "sk-test-PLANTED-SECRET-0123456789"


def _api_assistant(indexed, base_url: str, timeout: float = 60.0) -> Assistant:
    settings = indexed.settings.replace(
        llm="openai", openai_base_url=base_url, openai_api_key=SECRET, llm_timeout_s=timeout
    )
    return Assistant(settings, embedder=indexed.embedder)


@pytest.mark.regression
def test_regression_openai_compatible_server_round_trip(indexed, llama_server, caplog):
    _, url = llama_server
    api = _api_assistant(indexed, url)
    stream = api.stream(VIDW_OPENING_DELEGATES)
    tokens = list(stream)
    answer = stream.answer
    assert len(tokens) >= 2 and answer.backend == "openai" and not answer.notice
    assert not answer.refused and "350" in answer.text
    assert SECRET not in caplog.text and SECRET not in str(answer.to_json())


def test_server_stopped_mid_question_falls_back_to_extractive(indexed, llama_server, caplog):
    proc, url = llama_server
    api = _api_assistant(indexed, url, timeout=20)
    stream = api.stream("Tuần lễ Số Quốc tế Việt Nam 2022 tập trung thúc đẩy những ưu tiên nào?")
    for i, _ in enumerate(stream):
        if i == 0:
            proc.kill()  # the server dies while it is answering
    answer = stream.answer
    assert answer.notice and "trích nguyên văn" in answer.notice
    assert answer.backend == "extractive" and answer.citations
    assert not answer.refused
    assert SECRET not in caplog.text and SECRET not in answer.notice


@pytest.mark.regression
def test_regression_refused_connection_falls_back(indexed):
    api = _api_assistant(indexed, f"http://127.0.0.1:{free_port()}/v1", timeout=5)
    answer = api.ask(VIDW_OPENING_DELEGATES)
    assert answer.notice and "350" in answer.text
    assert "không kết nối được" in answer.notice and answer.backend == "extractive"
    assert SECRET not in answer.notice


def test_local_judge_reads_yes_no_probabilities(local):
    from assistant.evaluation.judges import local_judge

    judge = local_judge(local.settings)
    passage = "Ông Lê Đăng Dũng, Tổng Giám đốc Tập đoàn Viettel, đã trao đổi với các đại biểu về đại dịch COVID-19."
    yes = judge.judge("Ông Lê Đăng Dũng là Tổng Giám đốc Tập đoàn Viettel.", [passage])
    no = judge.judge("Ông Lê Đăng Dũng đã từ chức Tổng Giám đốc để nghiên cứu về đại dịch.", [passage])
    assert yes.reason.startswith("P(Yes)") and no.reason.startswith("P(Yes)")  # the model decided, not a rule
    assert 0.0 <= no.score < yes.score <= 1.0
    assert yes.supported and not no.supported


def test_api_judge_round_trip_through_the_openai_compatible_server(indexed, llama_server):
    from assistant.evaluation.judges import make_judge

    _, url = llama_server
    settings = indexed.settings.replace(openai_base_url=url, openai_api_key=SECRET)
    judge = make_judge("api", settings, indexed.embedder)
    passage = "Tham dự khai mạc VIDW2022 có hơn 350 đại biểu là lãnh đạo các bộ và doanh nghiệp công nghệ số."
    verdict = judge.judge("Hơn 350 đại biểu tham dự khai mạc VIDW2022.", [passage])
    assert verdict.reason.startswith("P(Yes)") and verdict.score in (0.0, 1.0)  # the model replied Yes or No
    assert not judge.judge("Có 530 đại biểu tham dự khai mạc.", [passage]).supported  # number rule first


def test_local_english_question_is_also_searched_in_vietnamese(local):
    # English words alone do not find the passage (see test_retrieval); the model's translation does
    question = (
        "According to Deputy Minister Nguyễn Huy Dũng, by which year should the digital economy "
        "help Vietnam reach upper-middle income?"
    )
    query = local.analyse(question, (), "local")
    assert query.search_vi and not is_english(query.search_vi)
    assert local.retrieve(query).passages[0].doc_id == "001_49942c841792d2c4"
    # Since the score fusion (8bc36cd) the model is shown other passages of the right article than the
    # one stating 2030 (this translation is poor: "Phó Thủ tướng", "digital economy"), and it refuses;
    # under reciprocal rank it answered. What must hold either way: no wrong answer, no other article.
    answer = local.ask(question)
    assert answer.refused or "2030" in answer.text
    assert {c.doc_id for c in answer.citations} <= {"001_49942c841792d2c4"}
