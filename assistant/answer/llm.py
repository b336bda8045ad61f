"""The `llm` answerer: a chat model reads the numbered context and writes a cited reply.

The prompt (prompts/system_*.md, user.md) states the citation rule, the refusal sentence and
that passage text is data, not instructions; one worked example (prompts/example_*.md) precedes
the question as an earlier turn. Passages are added in context order until the prompt budget
(counted with the model's own tokenizer, or tiktoken cl100k for APIs) is used, so the prompt
never overflows `n_ctx`. History enters as earlier turns, trimmed to the last exchanges.

On a 2-core CPU the prompt's prefill is most of the wait before the first token, so the model
reads each passage's best sentences (`Context.texts`); the citation still points at the whole passage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.answer.chat import neutralize
from assistant.lang.detect import is_english
from assistant.lang.normalize import normalize
from assistant.prompts import load_prompt, refusal_text, render_prompt
from assistant.types import Context, Query

log = logging.getLogger(__name__)

_HISTORY_MESSAGES = 4
_HISTORY_CHARS = 600


class LLMAnswerer:
    """Answers with a LangChain chat model from the context's numbered passages."""

    kind = "llm"

    def __init__(
        self,
        chat: BaseChatModel,
        name: str,
        count_tokens: Callable[[str], int],
        context_tokens: int,
        examples: bool,
        helper: BaseChatModel | None = None,
    ) -> None:
        self.chat = chat
        self.helper = helper or chat  # short side calls (translation); its own context if local
        self.name = name
        self.count_tokens = count_tokens
        self.context_tokens = context_tokens
        self.examples = examples

    def messages(self, query: Query, context: Context) -> list[BaseMessage]:
        """The chat messages: system rules, the worked example, recent history, then passages and question."""
        english = query.english
        system = render_prompt("system_en" if english else "system_vi", refusal=refusal_text(english))
        blocks, used = [], 0
        for n, (p, text) in enumerate(zip(context.passages, context.texts, strict=True), start=1):
            block = render_prompt("passage", n=n, heading=p.heading, text=text)
            cost = self.count_tokens(block)
            if blocks and used + cost > self.context_tokens:
                break
            blocks.append(block)
            used += cost
        out: list[BaseMessage] = [SystemMessage(system)]
        if self.examples:
            language = "en" if english else "vi"
            out += [
                HumanMessage(load_prompt(f"example_{language}_user")),
                AIMessage(load_prompt(f"example_{language}_answer")),
            ]
        for m in query.history[-_HISTORY_MESSAGES:]:
            content = m.content[:_HISTORY_CHARS]
            out.append(HumanMessage(content) if m.role == "user" else AIMessage(content))
        out.append(HumanMessage(render_prompt("user", passages="\n\n".join(blocks), question=query.restored)))
        # no document, question or earlier turn may smuggle in a chat control token (any backend)
        return [type(m)(neutralize(str(m.content))) for m in out]

    def stream(self, query: Query, context: Context) -> Iterator[str]:
        """The model's reply as it is written (a failing backend raises; the pipeline falls back)."""
        for chunk in self.chat.stream(self.messages(query, context)):
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content

    def prime(self, probe: Query, context: Context) -> None:
        """Prefill the system prompt once, so the first question finds it in llama.cpp's KV cache.

        llama.cpp reuses the longest prefix shared with the previous prompt; every prompt starts
        with the same system text and example, so after this only the passages and the question
        are prefilled.
        """
        for _ in self.chat.stream(self.messages(probe, context), max_tokens=1):
            pass

    def second_opinion(self, query: Query, context: Context, reply: str) -> float | None:
        """The model's P(Yes) that `reply` answers the question from the passages; None if it cannot say.

        Asked of the model that wrote the reply, in the same conversation, right after: llama.cpp
        reuses the prompt prefix still in its KV cache (system, passages, question, the reply), so
        only the check's own ~40 tokens are read. Asked in English, where "Yes" and "No" are single
        tokens, as the evaluation's judge is. Only a local model exposes its next-token
        probabilities; other backends return None.
        """
        probe = getattr(self.chat, "next_token_probabilities", None)
        if probe is None:
            return None
        messages = [
            *self.messages(query, context),
            AIMessage(neutralize(reply)),
            HumanMessage(render_prompt("check_answer", question=neutralize(query.restored))),
        ]
        return float(probe(messages, ("Yes", "No"))["Yes"])

    def translate(self, question: str, max_tokens: int = 80) -> str:
        """The English `question` in Vietnamese, for retrieval over Vietnamese passages ("" if not translated).

        On the 11 answerable English questions of the project set and the dev set (tuned-on), the
        key facts were in the top 10 for 3, and for 7 with the translation's rankings fused in.
        """
        messages = [SystemMessage(render_prompt("translate_question")), HumanMessage(neutralize(question))]
        parts = [c.content for c in self.helper.stream(messages, max_tokens=max_tokens)]
        text = "".join(p for p in parts if isinstance(p, str)).strip().strip('"“”')
        return "" if is_english(text) else normalize(text)
