"""The whole pipeline against a real Chroma server (`chroma run`), as a deployment beyond one machine runs it.

Index, ask, eval and the app run through `HttpClient`; a server that is down, or that stops during a
session, is one clear error (exit code 2), not a hang or a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_seeds, free_port, wait_for_url
from tests.dev_regression import VIDW_THEME, VIETTEL_CEO

pytestmark = pytest.mark.slow
CHROMA = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_url(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, 60, "chroma run")
    return proc


@pytest.fixture
def server(tmp_path):
    port = free_port()
    proc = start_chroma(tmp_path / "chroma-data", port)
    yield proc, port
    proc.kill()
    proc.wait()


def _cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "assistant.app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


@pytest.mark.regression
def test_regression_index_ask_eval_and_app_against_a_chroma_server(server, tmp_path):
    proc, port = server
    env = os.environ | {
        "ASSISTANT_CORPUS_DIR": str(copy_seeds(tmp_path / "seeds")),
        "ASSISTANT_PERSIST_DIR": str(tmp_path / "unused-local-store"),
        "ASSISTANT_CHROMA_HOST": "127.0.0.1",
        "ASSISTANT_CHROMA_PORT": str(port),
        "ASSISTANT_LLM": "extractive",
    }
    first = _cli(env, "index")
    assert first.returncode == 0, first.stderr
    assert "added" in first.stdout
    assert "added 0, updated 0, removed 0" in _cli(env, "index").stdout  # incremental on the server too
    assert not (tmp_path / "unused-local-store").exists()  # nothing was written locally

    out = _cli(env, "ask", VIETTEL_CEO, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["citations"][0]["doc_id"] == "003_b67893258f750185"

    ev = _cli(env, "eval", "--questions", "eval/questions.jsonl", "--limit", "8", "--out", str(tmp_path / "r"))
    assert ev.returncode == 0, ev.stderr
    assert json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))["aggregates"]["recall@5"] > 0.8

    from gradio_client import Client

    from tests.test_app import start_app

    app, url, _ = start_app(tmp_path / "app", extra_env={k: v for k, v in env.items() if k.startswith("ASSISTANT_C")})
    try:
        _text, answer = Client(url, verbose=False).predict(VIETTEL_CEO, [], api_name="/ask")
        assert answer["citations"][0]["doc_id"] == "003_b67893258f750185"
    finally:
        app.terminate()
        app.wait(timeout=30)

    proc.kill()  # the server goes away
    proc.wait()
    down = _cli(env, "ask", VIETTEL_CEO)
    assert down.returncode == 2 and "Traceback" not in down.stderr
    assert f"127.0.0.1:{port}" in down.stderr and "chroma run" in down.stderr


@pytest.mark.regression
def test_regression_a_server_that_stops_mid_session_is_a_clear_error(server, tmp_path, embedder):
    from assistant.config import Settings
    from assistant.errors import StoreUnavailableError
    from assistant.pipeline import Assistant

    proc, port = server
    settings = Settings(
        corpus_dir=copy_seeds(tmp_path / "seeds"), chroma_host="127.0.0.1", chroma_port=port, llm="extractive"
    )
    assistant = Assistant(settings, embedder=embedder)
    assistant.index()
    assert not assistant.ask(VIETTEL_CEO).refused
    proc.kill()
    proc.wait()
    with pytest.raises(StoreUnavailableError, match=r"stopped answering|Cannot open"):
        assistant.ask(VIDW_THEME)
