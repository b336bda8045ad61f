"""The `transformers` backend: any causal LM that transformers can load, as a LangChain chat model.

For GPUs and Spaces (`ASSISTANT_TRANSFORMERS_MODEL` = a hub name where the hub is reachable, or a
local directory). Offline it can load the packaged GGUF through transformers' GGUF support
(`ASSISTANT_TRANSFORMERS_GGUF_FILE`), which de-quantises to float32: measured here on the 0.5B file
≈45 s to load, 3.8 GB peak, ≈1.5 tokens/s, so on this CPU the llama.cpp backend is the default.

Why not langchain-huggingface: it pulls sentence-transformers and runs the model's own chat template;
this class is small, streams with transformers' TextIteratorStreamer, and uses our ChatML prompt
(`render_chatml`) so no template shipped inside a model file is executed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import PrivateAttr

from assistant.answer.chat import END_OF_TURN, StreamingChatModel, render_chatml
from assistant.config import AnswerSettings
from assistant.errors import BackendUnavailableError


class TransformersChat(StreamingChatModel):
    """Greedy decoding with a transformers causal LM on the CPU (or a GPU if torch sees one)."""

    model_name: str
    gguf_file: str | None = None
    max_tokens: int
    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "transformers"

    def warm_up(self) -> None:
        """Load tokenizer and model once (slow: tens of seconds for a de-quantised GGUF)."""
        if self._model is not None:
            return
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise BackendUnavailableError(
                "The transformers backend needs: pip install -e '.[transformers]'",
                vi="Chưa cài transformers cho backend này.",
            ) from exc
        kwargs = {"gguf_file": self.gguf_file} if self.gguf_file else {}
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_name, **kwargs)
            self._model = AutoModelForCausalLM.from_pretrained(self.model_name, **kwargs)
        except OSError as exc:  # missing files offline, unknown hub name
            raise BackendUnavailableError(
                f"transformers cannot load {self.model_name!r}: {exc}".splitlines()[0],
                vi="Không tải được mô hình transformers.",
            ) from exc
        self._model.eval()

    def count_tokens(self, text: str) -> int:
        self.warm_up()
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from transformers import TextIteratorStreamer

        self.warm_up()
        inputs = self._tokenizer(render_chatml(messages), return_tensors="pt", add_special_tokens=False)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        end_id = self._tokenizer.convert_tokens_to_ids(END_OF_TURN)
        generate = {
            **inputs,
            "max_new_tokens": kwargs.get("max_tokens", self.max_tokens),
            "do_sample": False,
            "streamer": streamer,
            "eos_token_id": [i for i in (end_id, self._tokenizer.eos_token_id) if isinstance(i, int)],
        }
        with self._lock:
            worker = threading.Thread(target=self._model.generate, kwargs=generate, daemon=True)
            worker.start()
            for text in streamer:
                if text:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
            worker.join()


_MODELS: dict[tuple[str, str | None], TransformersChat] = {}
_LOCK = threading.Lock()


def transformers_chat(settings: AnswerSettings) -> TransformersChat:
    """The process-wide transformers model for these settings (loaded once)."""
    name = settings.transformers_model
    gguf = settings.transformers_gguf_file
    if not name:
        if not gguf:
            raise BackendUnavailableError(
                "The transformers backend needs ASSISTANT_TRANSFORMERS_MODEL (hub name or directory) "
                "or ASSISTANT_TRANSFORMERS_GGUF_FILE",
                vi="Chưa cấu hình mô hình cho backend transformers.",
            )
        name = str(Path(gguf).parent)
    if gguf:
        gguf = Path(gguf).name
    with _LOCK:
        key = (name, gguf)
        if key not in _MODELS:
            _MODELS[key] = TransformersChat(model_name=name, gguf_file=gguf, max_tokens=settings.llm_max_tokens)
        return _MODELS[key]


def transformers_installed() -> bool:
    import importlib.util

    return bool(importlib.util.find_spec("transformers") and importlib.util.find_spec("torch"))
