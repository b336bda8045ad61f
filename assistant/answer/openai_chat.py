"""The `openai` backend: any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, OpenAI).

Through langchain-openai's `ChatOpenAI`, with a timeout and no silent retries so a dead server
fails fast and the caller can fall back to the extractive answer. The API key is a SecretStr and
never logged.
"""

from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.config import AnswerSettings
from assistant.errors import BackendUnavailableError


def openai_chat(settings: AnswerSettings) -> BaseChatModel:
    """An OpenAI-compatible server; fails fast (timeout, no retries) so the caller can fall back."""
    if not settings.openai_base_url and not settings.openai_api_key:
        raise BackendUnavailableError(
            "The openai backend needs ASSISTANT_OPENAI_BASE_URL (and OPENAI_API_KEY for hosted APIs)",
            vi="Chưa cấu hình máy chủ mô hình (ASSISTANT_OPENAI_BASE_URL).",
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        model=settings.llm_model,
        temperature=0.0,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        streaming=True,
    )
