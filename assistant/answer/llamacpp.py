"""The `local` backend: a GGUF model in-process with llama-cpp-python, as a LangChain chat model.

The prompt is rendered with our own ChatML template and sent through `create_completion`: the
Jinja chat template embedded in the file comes from an unknown publisher and is never rendered.
The model loads once per process and llama.cpp reuses the evaluated prefix (system prompt and
worked example) between consecutive questions.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import PrivateAttr

from assistant.answer.chat import END_OF_TURN, StreamingChatModel, render_chatml
from assistant.config import AnswerSettings
from assistant.errors import BackendUnavailableError

log = logging.getLogger(__name__)


class LlamaCppChat(StreamingChatModel):
    """A GGUF model on the CPU via llama-cpp-python, greedy (temperature 0) and streaming."""

    model_path: str
    n_ctx: int
    n_threads: int
    max_tokens: int
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


def local_model_path(settings: AnswerSettings) -> Path:
    """ASSISTANT_LLM_MODEL_PATH, else a hub GGUF (Spaces), else the packaged model assembled once."""
    if settings.llm_hub_repo:
        return hub_model_path(settings)
    if settings.llm_model_path:
        if not settings.llm_model_path.is_file():
            raise BackendUnavailableError(f"ASSISTANT_LLM_MODEL_PATH {settings.llm_model_path} is not a file")
        return settings.llm_model_path
    from assistant.answer.model_files import PACKAGED_MODELS, assemble_model_file

    model = PACKAGED_MODELS.get(settings.llm_model)
    if model is None:
        raise BackendUnavailableError(
            f"Unknown packaged model {settings.llm_model!r}; choose one of {sorted(PACKAGED_MODELS)} "
            "or set ASSISTANT_LLM_MODEL_PATH to a GGUF file"
        )
    return assemble_model_file(model, settings.model_cache_dir)


def hub_model_path(settings: AnswerSettings) -> Path:
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


def local_chat(settings: AnswerSettings, n_ctx: int | None = None) -> LlamaCppChat:
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


def local_backend_installed(settings: AnswerSettings | None = None) -> bool:
    """llama-cpp-python importable, and a model to load: a path, a hub file, or the packaged parts."""
    import importlib.util

    from assistant.answer.model_files import QWEN_1_5B

    if not importlib.util.find_spec("llama_cpp"):
        return False
    if settings and (settings.llm_model_path or settings.llm_hub_repo):
        return True
    return bool(importlib.util.find_spec(QWEN_1_5B.part_packages()[0]))
