"""Shared fixtures: a real index of a copy of the seeds in a temp dir, built once per session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.answer.model_files import QWEN_0_5B, assemble_model_file
from assistant.config import Settings
from assistant.embeddings import E5Embeddings
from assistant.pipeline import Assistant

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def copy_seeds(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def embedder() -> E5Embeddings:
    """One real e5 model for the session; its cache spares re-embedding the seeds in every test."""
    return E5Embeddings()


@pytest.fixture(scope="session")
def indexed(tmp_path_factory, embedder) -> Assistant:
    """An `Assistant` over a real Chroma index of the five seed articles (read-only for tests)."""
    base = tmp_path_factory.mktemp("indexed")
    settings = Settings(corpus_dir=copy_seeds(base / "seeds"), persist_dir=base / "vectorstore", llm="extractive")
    assistant = Assistant(settings, embedder=embedder)
    assistant.index()
    return assistant


@pytest.fixture
def fresh(tmp_path, embedder) -> Assistant:
    """An `Assistant` on its own copy of the seeds and an empty store, for tests that change things."""
    settings = Settings(
        corpus_dir=copy_seeds(tmp_path / "seeds"), persist_dir=tmp_path / "vectorstore", llm="extractive"
    )
    return Assistant(settings, embedder=embedder)


def wait_for_url(url: str, proc: subprocess.Popen, seconds: float, what: str, log: Path | None = None) -> None:
    """Return once `url` answers; kill `proc` and fail (with its log) if it exits or time runs out."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    proc.kill()
    details = f":\n{log.read_text(errors='replace')}" if log and log.exists() else ""
    raise RuntimeError(f"{what} did not start (exit code {proc.poll()}){details}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def llama_server(tmp_path):
    """llama-cpp-python's OpenAI-compatible server with the packaged 0.5B model on a loopback port."""
    model = assemble_model_file(QWEN_0_5B, Settings().answer.model_cache_dir)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
            "--chat_format",
            "chatml",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_url(f"http://127.0.0.1:{port}/v1/models", proc, 60, "llama_cpp.server")
    yield proc, f"http://127.0.0.1:{port}/v1"
    proc.kill()
    proc.wait()
