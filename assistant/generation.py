"""Grounded generation with an LLM: numbered passages in, streamed answer out, citations checked.

The prompt (prompts/system_*.md, user.md) states the citation rule, the refusal sentence and
that passage text is data, not instructions. Passages are added best-first until the context
budget (counted with the model's own tokenizer, or tiktoken cl100k for APIs) is used, so the
prompt never overflows `n_ctx`. History enters as earlier turns, trimmed to the last exchanges.

On a 2-core CPU the prompt's prefill is most of the wait before the first token (~70 tokens/s),
so the caller may pass each passage's best sentences as `texts` (ExtractiveAnswerer.focus); the
reader still sees, and the citation still points at, the whole passage.

If the backend fails (connection refused, timeout, HTTP error, cut stream), the user still gets
an answer: the extractive one, with a visible notice saying why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.citations import Answer, backed_by_any, finalize, strip_markers
from assistant.condense import Message
from assistant.llm import neutralize
from assistant.prompts import load_prompt, refusal_text, render_prompt
from assistant.retrieval import Passage, Retrieval
from assistant.text import adds_to, fold_diacritics, is_english, normalize

log = logging.getLogger(__name__)

_HISTORY_MESSAGES = 4
_HISTORY_CHARS = 600
# the model's own ways of saying it has no answer (a Vietnamese reply that only adds "không rõ",
# "chưa được xác định" to the question is caught by `adds_to`)
_REFUSAL_PATTERNS = re.compile(
    r"khong tim thay thong tin|khong co thong tin|could not find|cannot find|no information|not mentioned|"
    r"not (specified|stated)"
)


class AnswerStream:
    """Iterate to receive text as it is generated; `answer` is the final `Answer` once iteration ends."""

    def __init__(self, tokens: Iterator[str], finish: Callable[[str, str], Answer]) -> None:
        self._tokens = tokens
        self._finish = finish
        self.answer: Answer | None = None

    @classmethod
    def ready(cls, answer: Answer) -> AnswerStream:
        """A stream of an answer known before any model runs (a refusal, a quote, a fallback)."""
        return cls(iter([answer.text]), lambda _text, _error: answer)

    def __iter__(self) -> Iterator[str]:
        parts: list[str] = []
        error = ""
        try:
            for token in self._tokens:
                parts.append(token)
                yield token
        except Exception as exc:  # backend faults end in the fallback answer, never a traceback
            log.warning("Answer backend failed: %s", type(exc).__name__)
            error = describe_failure(exc)
        self.answer = self._finish("".join(parts), error)


def fallback_answer(fallback: Callable[[], Answer], reason: str) -> Answer:
    """The fallback answer, with the visible notice saying why the model did not answer."""
    answer = fallback()
    answer.notice = render_prompt("fallback_notice_vi", reason=reason)
    return answer


def describe_failure(exc: Exception) -> str:
    """What the user's notice says went wrong with the backend (never the exception's text: it may hold a key)."""
    name = type(exc).__name__
    if "Timeout" in name:
        return "hết thời gian chờ"
    if "Connection" in name:
        return "không kết nối được"
    return name


class LLMAnswerer:
    """Answers with a LangChain chat model from numbered passages."""

    def __init__(
        self,
        chat: BaseChatModel,
        name: str,
        count_tokens: Callable[[str], int],
        context_tokens: int = 1200,
        similarity: Callable[[list[str], list[str]], object] | None = None,
        helper: BaseChatModel | None = None,
        examples: bool = True,
    ) -> None:
        self.chat = chat
        self.helper = helper or chat  # short side calls (translation); its own context if local
        self.name = name
        self.count_tokens = count_tokens
        self.context_tokens = context_tokens
        self.similarity = similarity
        self.examples = examples

    def messages(
        self,
        question: str,
        passages: list[Passage],
        history: list[Message],
        texts: list[str] | None = None,
    ) -> list[BaseMessage]:
        """The chat messages: system rules, recent history, then numbered passages and the question.

        `texts` replaces each passage's text in the prompt (its best sentences); the numbering,
        titles and dates stay those of `passages`.
        """
        english = is_english(question)
        system = render_prompt("system_en" if english else "system_vi", refusal=refusal_text(english))
        texts = texts or [p.text for p in passages]
        blocks, used = [], 0
        for n, (p, text) in enumerate(zip(passages, texts, strict=True), start=1):
            # an undated passage shows its title alone: a placeholder ("không rõ ngày") got copied into answers
            heading = ", ".join(part for part in (p.title, p.date) if part)
            block = render_prompt("passage", n=n, heading=heading, text=text)
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
        for m in history[-_HISTORY_MESSAGES:]:
            content = m.content[:_HISTORY_CHARS]
            out.append(HumanMessage(content) if m.role == "user" else AIMessage(content))
        out.append(HumanMessage(render_prompt("user", passages="\n\n".join(blocks), question=question)))
        # no document, question or earlier turn may smuggle in a chat control token (any backend)
        return [type(m)(neutralize(str(m.content))) for m in out]

    def prime(self) -> None:
        """Prefill the system prompt once, so the first question finds it in llama.cpp's KV cache.

        llama.cpp reuses the longest prefix shared with the previous prompt; every prompt starts with
        the same system text, so after this only the passages and the question are prefilled.
        """
        for _ in self.chat.stream(self.messages("Xin chào", [], []), max_tokens=1):
            pass

    def translate(self, question: str, max_tokens: int = 80) -> str:
        """The English `question` in Vietnamese, for retrieval over Vietnamese passages ("" if not translated).

        BM25 cannot match English words against Vietnamese text and e5 ranks across languages
        poorly: on the 11 answerable English questions of our set and the dev set, the key facts
        were in the top 10 for 3, and for 7 with the translation's rankings fused in. One short
        call (~2 s here) is the price.
        """
        messages = [SystemMessage(render_prompt("translate_question")), HumanMessage(neutralize(question))]
        # a failing backend raises here: the caller answers with the fallback at once rather than
        # wait for the same timeout a second time in the answer call
        parts = [c.content for c in self.helper.stream(messages, max_tokens=max_tokens)]
        text = "".join(p for p in parts if isinstance(p, str)).strip().strip('"“”')
        return "" if is_english(text) else normalize(text)

    def stream(
        self,
        question: str,
        retrieval: Retrieval,
        history: list[Message],
        passages: list[Passage],
        fallback: Callable[[], Answer],
        weight: Callable[[str], float] | None = None,
        texts: list[str] | None = None,
        prompt_question: str | None = None,
        search: Callable[[str], list[Passage]] | None = None,
    ) -> AnswerStream:
        """Stream the model's answer from `passages` (numbered 1..n as given); finalise citations at the end.

        `prompt_question` is what the model is asked (the question with its diacritics restored);
        the answer still records the user's own words. `search` retrieves passages for a
        citation the answer lacks (the other event of a two-event question).
        """
        messages = self.messages(prompt_question or question, passages, history, texts)

        def tokens() -> Iterator[str]:
            for chunk in self.chat.stream(messages):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content

        def finish(text: str, error: str) -> Answer:
            if error:
                return fallback_answer(fallback, error)
            return self._finalize(question, text, retrieval, passages, weight, search)

        return AnswerStream(tokens(), finish)

    def _finalize(
        self,
        question: str,
        text: str,
        retrieval: Retrieval,
        passages: list[Passage],
        weight,
        search: Callable[[str], list[Passage]] | None = None,
    ) -> Answer:
        english = is_english(question)
        if not text.strip() or _REFUSAL_PATTERNS.search(fold_diacritics(text.lower())):
            return Answer(question, refusal_text(english), [], True, self.name, retrieved=retrieval.passages)
        if not adds_to(question, strip_markers(text)):
            # a small model that has no answer may restate the question with a marker ("… diễn ra
            # tại khách sạn [1].", "… thông qua bao nhiêu khuyến nghị [1]?"): that is a refusal
            refused = Answer(question, refusal_text(english), [], True, self.name, retrieved=retrieval.passages)
            refused.notice = "model restated the question"
            return refused
        answer = finalize(
            question, text, passages, self.name, self.similarity, weight, pool=retrieval.passages, search=search
        )
        answer.retrieved = retrieval.passages
        if answer.support and not backed_by_any(answer, passages, weight):
            # nothing the model wrote is backed by a passage: say so instead of showing it
            refused = Answer(question, refusal_text(english), [], True, self.name, retrieved=retrieval.passages)
            refused.notice = "unsupported model answer withheld"
            return refused
        return answer
