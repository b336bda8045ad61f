"""Crash safety: `assistant index` killed with SIGKILL at random points, then run again.

After every crash the next run must finish, and the store must hold exactly the chunks of the
corpus (the manifest chunking computes): no duplicates, no orphans, and the BM25 side built from
the store must agree with Chroma. (A corrupted model cache is covered in test_model_files.py.)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from assistant.config import Settings
from assistant.ingest.chunking import chunk_corpus, tiktoken_counter
from assistant.ingest.corpus import load_corpus
from assistant.pipeline import Assistant
from tests.conftest import SEEDS
from tests.dev_regression import VIETTEL_CEO

pytestmark = pytest.mark.slow
KILLS = 4


def _corpus(tmp_path):
    """The seeds three times over (distinct ids), so indexing lasts long enough to be interrupted."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for copy in range(3):
        for f in SEEDS.glob("*.txt"):
            (corpus / f"{copy}_{f.name}").write_bytes(f.read_bytes())
    return corpus


@pytest.mark.regression
def test_regression_index_killed_at_random_points_recovers_without_duplicates_or_orphans(tmp_path, embedder):
    corpus = _corpus(tmp_path)
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_PERSIST_DIR": str(tmp_path / "vs")}
    rng = random.Random(20261123)
    killed_after = []
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.app.cli", "index"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        delay = rng.uniform(1.0, 9.0)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_after.append(round(delay, 1))
        proc.wait()
    assert killed_after, "indexing always finished before the kill: the test did not test anything"

    final = subprocess.run(
        [sys.executable, "-m", "assistant.app.cli", "index"], env=env, capture_output=True, text=True, timeout=600
    )
    assert final.returncode == 0, final.stderr

    settings = Settings(corpus_dir=corpus, persist_dir=tmp_path / "vs", llm="extractive")
    manifest = chunk_corpus(
        load_corpus(corpus),
        tiktoken_counter(settings.index.tokenizer),
        settings.index.chunk_tokens,
        settings.index.chunk_overlap_tokens,
    )
    assistant = Assistant(settings, embedder=embedder)
    stored = [c.id for c in assistant.store.all_chunks()]
    assert len(stored) == len(set(stored)), "duplicate chunk ids in the store"
    assert set(stored) == {c.id for c in manifest}, "orphans or missing chunks"
    assert assistant.store.count() == len(manifest)
    assistant.retriever.refresh()
    assert assistant.retriever.chunk_count == len(manifest)  # BM25 and Chroma agree
    again = subprocess.run(
        [sys.executable, "-m", "assistant.app.cli", "index"], env=env, capture_output=True, text=True, timeout=600
    )
    assert "added 0, updated 0, removed 0" in again.stdout
    answer = assistant.ask(VIETTEL_CEO)
    assert not answer.refused and "Lê Đăng Dũng" in answer.text
