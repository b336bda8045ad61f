"""What every chat backend shares: the ChatML prompt we render ourselves, and control-token defusing.

langchain's `BaseChatModel` is the seam: the answerer calls `.stream(messages)` on whichever
backend the registry built (llama.cpp, an OpenAI-compatible server, transformers), and tests
drive it with langchain's own fake chat models.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

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
