"""The transformers backend, proven offline by loading the packaged 0.5B GGUF through transformers.

Slow (de-quantises to float32: ~45 s, ~3.8 GB here), so it generates only a few tokens.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("transformers", reason="the transformers extra is not installed")
pytest.importorskip("gguf", reason="the transformers extra is not installed")


def test_packaged_gguf_loads_through_transformers_and_streams(monkeypatch, tmp_path):
    from langchain_core.messages import HumanMessage, SystemMessage

    from assistant.answer.model_files import QWEN_0_5B, assemble_model_file
    from assistant.answer.transformers_chat import transformers_chat
    from assistant.config import Settings

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = assemble_model_file(QWEN_0_5B, Settings().answer.model_cache_dir)
    chat = transformers_chat(Settings(transformers_gguf_file=str(path), llm_max_tokens=6).answer)
    messages = [SystemMessage("Answer in one word."), HumanMessage("What is the capital of France?")]
    chunks = [c.content for c in chat.stream(messages)]
    assert len(chunks) >= 2  # streamed piece by piece
    assert "paris" in "".join(chunks).lower()
    assert chat.count_tokens("Hà Nội") > 0


def test_unconfigured_transformers_backend_is_a_clear_error():
    from assistant.answer.transformers_chat import transformers_chat
    from assistant.config import Settings
    from assistant.errors import BackendUnavailableError

    with pytest.raises(BackendUnavailableError, match="ASSISTANT_TRANSFORMERS_MODEL"):
        transformers_chat(Settings().answer)
