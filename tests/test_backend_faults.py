"""A misbehaving OpenAI-compatible server: HTTP 500, malformed JSON, a broken stream, no answer at all.

Each time the user still gets the extractive answer with a visible notice, nothing waits beyond
the configured timeout, and the API key never shows up in logs, output or the answer.
(Connection refused and a server killed mid-stream are in test_llm.py.)
"""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.pipeline import Assistant
from tests.dev_regression import VIDW_OPENING_DELEGATES

SECRET = "sk-test-PLANTED-SECRET-fault-9876543210"
TIMEOUT_S = 2.0


class _Faulty(BaseHTTPRequestHandler):
    mode = "500"
    requests = 0

    def do_POST(self):
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        mode = type(self).mode
        if mode == "hang":
            time.sleep(TIMEOUT_S * 4)
            return
        if mode == "500":
            body, status, kind = b'{"error": {"message": "internal error"}}', 500, "application/json"
        elif mode == "malformed":
            body, status, kind = b"{this is not json", 200, "application/json"
        else:  # a stream that starts, then turns to garbage
            body = b'data: {"choices": [{"delta": {"content": "Hello"}, "index": 0}]}\n\ndata: {broken\n\n'
            status, kind = 200, "text/event-stream"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def faulty_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


QUESTIONS = {
    "vi": VIDW_OPENING_DELEGATES,
    # an English question first asks the server for its translation: a dead server costs one timeout
    "en": "How many delegates attended the opening of Vietnam International Digital Week 2022?",
}


@pytest.mark.regression
@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("mode", ["500", "malformed", "broken-stream", "hang"])
def test_regression_faulty_server_falls_back_with_a_notice_and_never_leaks_the_key(
    indexed, faulty_server, mode, language, caplog, capsys
):
    pytest.importorskip("langchain_openai", reason="the llm extra is not installed")
    _Faulty.mode, _Faulty.requests = mode, 0
    caplog.set_level(logging.DEBUG)
    settings = indexed.settings.replace(
        llm="openai", openai_base_url=faulty_server, openai_api_key=SECRET, llm_timeout_s=TIMEOUT_S
    )
    api = Assistant(settings, embedder=indexed.embedder)
    t0 = time.perf_counter()
    answer = api.ask(QUESTIONS[language])
    elapsed = time.perf_counter() - t0
    assert answer.notice and "trích nguyên văn" in answer.notice  # visible: the user knows why
    assert answer.backend == "extractive"
    if language == "vi":
        assert answer.citations and "350" in answer.text
    assert elapsed < TIMEOUT_S * 3  # a dead server costs the timeout, not a hang
    assert _Faulty.requests == 1  # and is asked once: a failed translation is not followed by the answer call
    captured = capsys.readouterr()
    for place in (caplog.text, captured.out, captured.err, str(answer.to_json())):
        assert SECRET not in place
