"""The OpenAI-compatible endpoint's contract: request parsing, errors, the bearer key, the shared queue."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from assistant.app.api import MODEL_ID, AnswerSlots, QueueFullError, build_api, parse_request
from assistant.errors import InvalidQuestionError
from tests.dev_regression import VIETTEL_CEO

QUESTION = {"role": "user", "content": VIETTEL_CEO}


@pytest.fixture(scope="module")
def api(indexed):
    return TestClient(build_api(indexed, AnswerSlots(1, 30.0), api_key="bi-mat-123"))


def auth(key: str = "bi-mat-123") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.regression
def test_regression_requests_are_parsed_as_the_openai_clients_send_them():
    models = [MODEL_ID, f"{MODEL_ID}:extractive"]
    body = {
        "model": f"{MODEL_ID}:extractive",
        "messages": [
            {"role": "system", "content": "Bạn là trợ lý."},
            {"role": "user", "content": [{"type": "text", "text": "Ai là Tổng Giám đốc Viettel?"}]},
            {"role": "assistant", "content": "Ông Lê Đăng Dũng [1]."},
            {"role": "user", "content": "Ông ấy nói gì?"},
        ],
        "stream": True,
    }
    question, history, backend, stream = parse_request(body, models)
    assert question == "Ông ấy nói gì?" and backend == "extractive" and stream
    assert [(m.role, m.content) for m in history] == [
        ("user", "Ai là Tổng Giám đốc Viettel?"),
        ("assistant", "Ông Lê Đăng Dũng [1]."),
    ]
    for bad in (
        {"messages": []},
        {"messages": [{"role": "assistant", "content": "x"}]},
        {"messages": [{"role": "user", "content": 5}]},
        {"messages": [{"role": "tool", "content": "x"}]},
        {"model": "gpt-4o", "messages": [QUESTION]},
        [QUESTION],
    ):
        with pytest.raises(InvalidQuestionError):
            parse_request(bad, models)


@pytest.mark.regression
def test_regression_the_key_is_required_when_set_and_errors_have_the_openai_shape(api):
    assert api.get("/v1/models").status_code == 401
    wrong = api.post("/v1/chat/completions", json={"messages": [QUESTION]}, headers=auth("sai"))
    assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "invalid_api_key"
    assert "bi-mat-123" not in wrong.text
    listed = api.get("/v1/models", headers=auth()).json()
    assert listed["object"] == "list" and listed["data"][0]["id"] == MODEL_ID
    bad = api.post("/v1/chat/completions", content=b"{not json", headers=auth())
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    empty = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "  "}]}, headers=auth())
    assert empty.status_code == 400 and empty.json()["error"]["message"]


@pytest.mark.regression
def test_regression_an_answer_carries_its_citations_streamed_or_not(api, indexed):
    body = {"model": MODEL_ID, "messages": [QUESTION]}
    reply = api.post("/v1/chat/completions", json=body, headers=auth()).json()
    expected = indexed.ask(QUESTION["content"])
    assert reply["object"] == "chat.completion" and reply["choices"][0]["message"]["content"] == expected.text
    assert [c["doc_id"] for c in reply["citations"]] == [c.doc_id for c in expected.citations]
    with api.stream("POST", "/v1/chat/completions", json={**body, "stream": True}, headers=auth()) as response:
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == expected.text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"] == reply["citations"]


def test_the_page_and_the_api_share_one_queue_for_the_model():
    slots = AnswerSlots(1, timeout_s=0.3)
    held = threading.Event()
    release = threading.Event()

    def hold():
        with slots.slot():
            held.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait(5)
    started = time.monotonic()
    with pytest.raises(QueueFullError), slots.slot():
        pass
    assert time.monotonic() - started >= 0.25  # it waited its turn before giving up
    release.set()
    worker.join()
    with slots.slot():  # free again
        pass
