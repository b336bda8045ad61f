"""An OpenAI-compatible endpoint beside the chat page: `POST /v1/chat/completions`, `GET /v1/models`.

Any tool that speaks the OpenAI chat API (the official clients, langchain's ChatOpenAI, Open
WebUI) can ask the assistant and get its grounded answer: the text keeps its `[n]` markers, and a
`citations` list (document id, title, page, quote) travels in the response object and in the last
stream chunk. A refusal is a normal answer with `finish_reason: "stop"` and `refused: true`.

Streaming sends the *checked* answer: the support check runs on the whole answer, and may remove
a sentence or refuse, so tokens are not passed on as the model writes them (a sentence the check
removes must never reach a client). While the model works, SSE comment lines keep the connection
alive; OpenAI clients skip them.

The endpoint and the page share one `AnswerSlots`: as many questions are answered at once as the
page's queue allows (`ASSISTANT_UI_CONCURRENCY`, one CPU model), the rest wait their turn.
With `ASSISTANT_API_KEY` set, every request needs `Authorization: Bearer <key>`; the key is
compared in constant time and never logged.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.errors import AssistantError, BackendUnavailableError, InvalidQuestionError
from assistant.pipeline import Assistant
from assistant.types import Answer, Message

log = logging.getLogger(__name__)

MODEL_ID = "tro-ly-chuyen-doi-so"
_KEEP_ALIVE_S = 2.0


class AnswerSlots:
    """The one queue for the model: the chat page and the API each take a slot to answer."""

    def __init__(self, slots: int, timeout_s: float) -> None:
        self._semaphore = threading.BoundedSemaphore(max(1, slots))
        self.timeout_s = timeout_s

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self.timeout_s):
            raise QueueFullError("The assistant is busy; try again later", vi="Trợ lý đang bận; hãy thử lại sau.")
        try:
            yield
        finally:
            self._semaphore.release()


class QueueFullError(AssistantError):
    """No answer slot became free in time."""


def model_ids(assistant: Assistant) -> list[str]:
    """`tro-ly-chuyen-doi-so` (the default backend) and `tro-ly-chuyen-doi-so:<backend>` per usable one."""
    usable = [name for name, why in assistant.available_backends().items() if not why]
    return [MODEL_ID, *(f"{MODEL_ID}:{name}" for name in usable)]


def parse_request(body: Any, known_models: list[str]) -> tuple[str, list[Message], str | None, bool]:
    """(question, history, backend, stream) from a chat-completions request body, or `InvalidQuestionError`."""
    if not isinstance(body, dict):
        raise InvalidQuestionError("The request body must be a JSON object")
    model = body.get("model") or MODEL_ID
    if model not in known_models:
        raise InvalidQuestionError(f"Unknown model {model!r}; GET /v1/models lists {', '.join(known_models)}")
    backend = model.split(":", 1)[1] if ":" in model else None
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidQuestionError("'messages' must be a non-empty list")
    turns: list[Message] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant"):
            raise InvalidQuestionError(f"messages[{i}] needs a role of system, user or assistant")
        if m["role"] in ("system", "developer"):
            continue  # the assistant's own instructions decide how it answers
        turns.append(Message(m["role"], _content_text(m.get("content"), i)))
    if not turns or turns[-1].role != "user":
        raise InvalidQuestionError("The last message must come from the user")
    return turns[-1].content, turns[:-1], backend, bool(body.get("stream", False))


def _content_text(content: Any, i: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": "…"}, …]
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if parts:
            return "\n".join(parts)
    raise InvalidQuestionError(f"messages[{i}].content must be text")


def citations_json(answer: Answer) -> list[dict]:
    return [
        {
            "n": c.n,
            "doc_id": c.doc_id,
            "title": c.title,
            "page": c.page,
            "section": c.section,
            "date": c.date,
            "source": c.source,
            "quote": c.quote or c.text,
        }
        for c in answer.citations
    ]


def completion_json(answer: Answer, model: str, completion_id: str, created: int) -> dict:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": citations_json(answer),
        "refused": answer.refused,
        "decision": answer.decision.to_json(),
    }


def _chunk(completion_id: str, created: int, model: str, delta: dict, finish: str | None = None, **extra) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _pieces(text: str, size: int = 24) -> Iterator[str]:
    """The answer in word-aligned pieces of about `size` characters (stream deltas)."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        space = text.find(" ", end)
        end = len(text) if space < 0 else space + 1
        yield text[start:end]
        start = end


def build_api(assistant: Assistant, slots: AnswerSlots, api_key: str | None = None):
    """A FastAPI app with the two /v1 routes and /health; the chat page is mounted on it afterwards."""
    app = FastAPI(title="Trợ lý Chuyển đổi số", docs_url=None, redoc_url=None, openapi_url=None)

    def error(status: int, message: str, kind: str) -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": kind, "code": None}}, status_code=status)

    def authorised(request: Request) -> bool:
        if not api_key:
            return True
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(token.strip().encode(), api_key.encode())

    @app.get("/health")
    def health():
        """Up, and whether the default model is loaded yet (a question asked before waits for it).

        For a Space's or a load balancer's health check, and for a benchmark that times the
        first question after start-up rather than the load; it names no document or key.
        """
        backend = assistant.resolve_backend()
        return {"status": "ok", "backend": backend, "ready": not assistant.loading(backend)}

    @app.get("/v1/models")
    def models(request: Request):
        if not authorised(request):
            return error(401, "Missing or wrong API key (Authorization: Bearer …)", "invalid_api_key")
        created = int(time.time())
        data = [{"id": m, "object": "model", "created": created, "owned_by": "tro-ly"} for m in model_ids(assistant)]
        return {"object": "list", "data": data}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        if not authorised(request):
            return error(401, "Missing or wrong API key (Authorization: Bearer …)", "invalid_api_key")
        try:
            body = await request.json()
        except ValueError:
            return error(400, "The request body is not valid JSON", "invalid_request_error")
        try:
            question, history, backend, stream = parse_request(body, model_ids(assistant))
            question = assistant.validate_question(question)
        except AssistantError as exc:
            return error(400, exc.message, "invalid_request_error")
        model = body.get("model") or MODEL_ID
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if not stream:
            try:
                answer = await run_in_threadpool(_answer, assistant, slots, question, history, backend)
            except AssistantError as exc:
                return _failure(error, exc)
            return completion_json(answer, model, completion_id, created)
        return StreamingResponse(
            _stream(assistant, slots, question, history, backend, model, completion_id, created),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return app


def _failure(error, exc: AssistantError):
    if isinstance(exc, BackendUnavailableError | QueueFullError):
        return error(503, exc.message, "server_error")
    return error(400, exc.message, "invalid_request_error")


def _answer(assistant: Assistant, slots: AnswerSlots, question: str, history, backend) -> Answer:
    with slots.slot():
        return assistant.ask(question, history, backend=backend)


def _stream(assistant, slots, question, history, backend, model, completion_id, created) -> Iterator[str]:
    """SSE events: role, keep-alive comments while the model works, the checked answer, citations, [DONE]."""
    yield _chunk(completion_id, created, model, {"role": "assistant", "content": ""})
    try:
        with slots.slot():
            stream = assistant.stream(question, history, backend=backend)
            last = time.monotonic()
            for _token in stream:
                if time.monotonic() - last > _KEEP_ALIVE_S:
                    last = time.monotonic()
                    yield ": generating\n\n"
            answer = stream.answer
            assert answer is not None
    except AssistantError as exc:
        body = {"error": {"message": exc.message, "type": "server_error", "code": None}}
        yield f"data: {json.dumps(body, ensure_ascii=False)}\n\n"
        return
    except Exception:
        log.exception("Answering an API request failed")
        yield f"data: {json.dumps({'error': {'message': 'internal error', 'type': 'server_error'}})}\n\n"
        return
    for piece in _pieces(answer.text):
        yield _chunk(completion_id, created, model, {"content": piece})
    yield _chunk(
        completion_id,
        created,
        model,
        {},
        "stop",
        citations=citations_json(answer),
        refused=answer.refused,
        decision=answer.decision.to_json(),
    )
    yield "data: [DONE]\n\n"
