"""Chat backends behind LangChain's chat-model interface: `local` (llama.cpp) and `openai`.

`local` runs a GGUF model in-process with llama-cpp-python. The prompt is rendered with our own
ChatML template and sent through `create_completion`: the Jinja chat template embedded in the
file comes from an unknown publisher and is never rendered. The model loads once per process and
llama.cpp reuses the evaluated prefix (system prompt) between consecutive questions.

`openai` is any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, OpenAI) through
langchain-openai, with a timeout and no silent retries so a dead server fails fast and the caller
can fall back to the extractive answer. The API key is a SecretStr and never logged.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.config import Settings
from assistant.errors import BackendUnavailableError

log = logging.getLogger(__name__)

_ROLE = {"system": "system", "human": "user", "ai": "assistant"}
END_OF_TURN = "<|im_end|>"


# Control-token spellings (`<|im_start|>`, `<|endoftext|>`, …): llama.cpp parses them in the prompt as
# real special tokens, so a document or question containing one could open a fake system turn.
_CONTROL_TOKEN = re.compile(r"<\|[^|<>\s]{1,40}\|>")


def neutralize(text: str) -> str:
    """Text with control-token spellings defused (the bars become ¦), so they stay plain text."""
    return _CONTROL_TOKEN.sub(lambda m: m.group().replace("|", "¦"), text)


def render_chatml(messages: list[BaseMessage]) -> str:
    """Qwen's ChatML, written here rather than taken from the model file; contents cannot add turns."""
    parts = [f"<|im_start|>{_ROLE.get(m.type, 'user')}\n{neutralize(str(m.content))}{END_OF_TURN}\n" for m in messages]
    return "".join(parts) + "<|im_start|>assistant\n"


class StreamingChatModel(BaseChatModel):
    """A chat model written as `_stream` alone; a non-streaming call joins the streamed pieces."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


class LlamaCppChat(StreamingChatModel):
    """A GGUF model on the CPU via llama-cpp-python, greedy (temperature 0) and streaming."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 256
    _llm: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def warm_up(self) -> None:
        """Load the model now (idempotent); ~1 s and 1.2-1.9 GB RSS for the 1.5B file here."""
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise BackendUnavailableError(
                    "The local backend needs llama-cpp-python: pip install -e '.[llm]' (compiles, ~5 min)",
                    vi="Chưa cài llama-cpp-python cho mô hình cục bộ.",
                ) from exc
            # chat_format is ours (chatml); the file's own template is never rendered
            self._llm = Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                chat_format="chatml",
                verbose=False,
            )
            log.info("Loaded %s", Path(self.model_path).name)

    def count_tokens(self, text: str) -> int:
        self.warm_up()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self.warm_up()
        prompt = render_chatml(messages)
        with self._lock:  # one llama.cpp context: one generation at a time
            for part in self._llm.create_completion(
                prompt,
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=0.0,
                stop=[END_OF_TURN, *(stop or [])],
                stream=True,
            ):
                text = part["choices"][0]["text"]
                if text:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk

    def next_token_probabilities(self, messages: list[BaseMessage], candidates: Sequence[str]) -> dict[str, float]:
        """P of each candidate as the reply's first token, normalised over the candidates.

        Read from the logits of one decoding step (a logits processor sees them), so it needs
        neither `logits_all=True` (which would triple the RAM) nor parsing free text.
        """
        self.warm_up()
        ids = {}
        for c in candidates:
            tokens = self._llm.tokenize(c.encode("utf-8"), add_bos=False, special=False)
            if len(tokens) != 1:
                raise ValueError(f"{c!r} is {len(tokens)} tokens for this model; candidates must be single tokens")
            ids[c] = tokens[0]
        seen: list[np.ndarray] = []

        def capture(_input_ids, scores):
            seen.append(np.array([scores[i] for i in ids.values()], dtype=np.float64))
            return scores

        from llama_cpp import LogitsProcessorList

        with self._lock:
            self._llm.create_completion(
                render_chatml(messages), max_tokens=1, temperature=0.0, logits_processor=LogitsProcessorList([capture])
            )
        logits = seen[0]
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return dict(zip(ids, (float(x) for x in p), strict=True))


_LOCAL_MODELS: dict[tuple[str, int], LlamaCppChat] = {}
_LOCAL_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    # llama-cpp-python frees its model in __del__ during interpreter shutdown, when the C bindings
    # may already be gone ("'NoneType' object is not callable"); close them while they still exist.
    for chat in _LOCAL_MODELS.values():
        if chat._llm is not None:
            chat._llm.close()
            chat._llm = None


def local_model_path(settings: Settings) -> Path:
    """ASSISTANT_LLM_MODEL_PATH, else a hub GGUF (Spaces), else the packaged model assembled once."""
    if settings.llm_hub_repo:
        return hub_model_path(settings)
    if settings.llm_model_path:
        if not settings.llm_model_path.is_file():
            raise BackendUnavailableError(f"ASSISTANT_LLM_MODEL_PATH {settings.llm_model_path} is not a file")
        return settings.llm_model_path
    from assistant.model_files import PACKAGED_MODELS, assemble_model_file

    model = PACKAGED_MODELS.get(settings.llm_model)
    if model is None:
        raise BackendUnavailableError(
            f"Unknown packaged model {settings.llm_model!r}; choose one of {sorted(PACKAGED_MODELS)} "
            "or set ASSISTANT_LLM_MODEL_PATH to a GGUF file"
        )
    return assemble_model_file(model, settings.model_cache_dir)


def hub_model_path(settings: Settings) -> Path:
    """A GGUF file from the Hugging Face hub (`ASSISTANT_LLM_HUB_REPO`/`_FILE`), cached after the first run.

    Meant for a Space, where the hub is reachable; offline (HF_HUB_OFFLINE=1) only a file already in
    the cache is used, and a missing one is a clear error rather than a hang.
    """
    if not settings.llm_hub_file:
        raise BackendUnavailableError("ASSISTANT_LLM_HUB_REPO needs ASSISTANT_LLM_HUB_FILE (the .gguf file name)")
    from huggingface_hub import hf_hub_download

    try:
        return Path(
            hf_hub_download(settings.llm_hub_repo, settings.llm_hub_file, cache_dir=settings.model_cache_dir / "hub")
        )
    except Exception as exc:  # offline, unknown repo, gated model: all end the same way for the user
        raise BackendUnavailableError(
            f"Cannot get {settings.llm_hub_file} from {settings.llm_hub_repo}: {type(exc).__name__}",
            vi=f"Không tải được mô hình {settings.llm_hub_file} từ Hugging Face Hub.",
        ) from exc


def local_chat(settings: Settings, n_ctx: int | None = None) -> LlamaCppChat:
    """The process-wide local model for these settings (loaded once, shared by all requests).

    `n_ctx` asks for another instance with a context of that size over the same file. The file
    is mapped (mmap), so its pages are shared, but llama.cpp repacks the weights for the CPU per
    instance: measured here, a second 512-token instance adds ~0.7 GB of anonymous memory.
    """
    path = str(local_model_path(settings))
    key = (path, n_ctx or settings.llm_n_ctx)
    with _LOCAL_LOCK:
        if key not in _LOCAL_MODELS:
            _LOCAL_MODELS[key] = LlamaCppChat(
                model_path=path,
                n_ctx=key[1],
                n_threads=settings.llm_threads,
                max_tokens=settings.llm_max_tokens,
            )
        return _LOCAL_MODELS[key]


def openai_chat(settings: Settings) -> BaseChatModel:
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


def local_backend_installed(settings: Settings | None = None) -> bool:
    """llama-cpp-python importable, and a model to load: a path, a hub file, or the packaged parts."""
    import importlib.util

    from assistant.model_files import QWEN_1_5B

    if not importlib.util.find_spec("llama_cpp"):
        return False
    if settings and (settings.llm_model_path or settings.llm_hub_repo):
        return True
    return bool(importlib.util.find_spec(QWEN_1_5B.part_packages()[0]))
