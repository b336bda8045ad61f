"""The only place that wires the stages: a question flows down one path, and holds no rules of its own.

```
question + history ─query─▶ Query ─retrieve─▶ Retrieval ─context─▶ Context ─decide (before)─▶ Decision
   ─answer (extractive | llm)─▶ reply ─cite + verify─▶ draft ─[other_event_search]─▶ ─decide (after)─▶ Answer
```
The CLI, the UI and the evaluation harness all talk to `Assistant`; none of them holds retrieval,
prompting or decision logic. Heavy parts (the embedding model, the store, BM25, a chat model)
load lazily and once. A backend that fails (connection refused, timeout, cut stream) ends in the
extractive answer from the same context, with a visible notice saying why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from assistant import cite, decide
from assistant.answer import CHAT_BACKENDS, LoadedChat
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.config import Settings
from assistant.context import ContextBuilder
from assistant.embeddings import E5Embeddings
from assistant.errors import BackendUnavailableError
from assistant.index.indexer import IndexedArticle, Indexer, bm25_cache_dir, fingerprint
from assistant.index.store import ChunkStore, IndexReport
from assistant.ingest.chunking import tiktoken_counter
from assistant.lang.words import segment_words
from assistant.prompts import refusal_text, render_prompt
from assistant.query import build_query, validate_question
from assistant.retrieve import HybridRetriever
from assistant.types import Answer, Article, Context, Decision, Message, Query, Retrieval

if TYPE_CHECKING:  # imported when a model backend is first used: langchain's chat classes cost ~0.5 s
    from assistant.answer.llm import LLMAnswerer

log = logging.getLogger(__name__)

_SPELLING_PASSAGES = 10  # passages whose spelling restores a question typed without diacritics
# probes that load and prefill at start-up what a first question would otherwise pay for
_WARM_UP_QUESTION = "Chuyển đổi số là gì?"
_WARM_UP_ENGLISH = "What is digital transformation?"


class AnswerStream:
    """Iterate to receive text as it is generated; `answer` is the final `Answer` once iteration ends."""

    def __init__(
        self, tokens: Iterator[str], finish: Callable[[str, str], Answer], context: Context | None = None
    ) -> None:
        self._tokens = tokens
        self._finish = finish
        self.answer: Answer | None = None
        # the passages the model is about to read, known before its first token: the app shows
        # them at once as a preview (None for an answer known without a model)
        self.context = context

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
        except BackendUnavailableError:  # not installed or not configured: the caller says so
            raise
        except Exception as exc:  # backend faults end in the fallback answer, never a traceback
            log.warning("Answer backend failed: %s", type(exc).__name__)
            error = describe_failure(exc)
        self.answer = self._finish("".join(parts), error)


def describe_failure(exc: Exception) -> str:
    """What the user's notice says went wrong with the backend (never the exception's text: it may hold a key)."""
    name = type(exc).__name__
    if "Timeout" in name:
        return "hết thời gian chờ"
    if "Connection" in name:
        return "không kết nối được"
    return name


class Assistant:
    """Index the corpus and answer questions about it, with citations and a named decision."""

    def __init__(self, settings: Settings, embedder: E5Embeddings | None = None) -> None:
        decide.check_rules_off(settings.decide.rules_off)
        self.settings = settings
        self.embedder = embedder or E5Embeddings(batch_size=settings.index.embedding_batch_size)
        self.store = ChunkStore(settings.index, fingerprint(settings.index))
        self.retriever = HybridRetriever(
            self.store,
            self.embedder,
            settings.retrieval,
            bm25_cache_dir(settings.index, settings.answer.model_cache_dir),
        )
        self.indexer = Indexer(
            settings.index, self.embedder, self.store, self.retriever.refresh, settings.retrieval.duplicate_threshold
        )
        self.contexts = ContextBuilder(self.embedder, settings.context, self._token_counter, self.retriever.idf)
        self.extractive = ExtractiveAnswerer(settings.context)
        self._lock = threading.RLock()
        self._answerers: dict[str, LLMAnswerer] = {}
        self._loading: set[str] = set()
        self._count_tokens: Callable[[str], int] | None = None

    # --- indexing (delegated: index/indexer.py) ----------------------------------------------
    def index(self, rebuild: bool = False) -> IndexReport:
        """Bring the store in line with the corpus folder (incremental unless `rebuild`)."""
        return self.indexer.index(rebuild)

    def index_on_cluster(self, address: str, rebuild: bool = False, workers: int | None = None) -> IndexReport:
        """The same index, with the embedding done on a Dask cluster (index/cluster.py)."""
        from assistant.index.cluster import connect, index_on_cluster

        with self.indexer.lock, connect(address, workers) as client:
            report = index_on_cluster(self.settings.index, self.store.fingerprint, client, rebuild=rebuild)
        self.store._collection = None  # its metadata (the corpus key) changed under it
        self.retriever.refresh()
        return report

    def ensure_index(self) -> IndexReport | None:
        """Build the index if the store is empty (first run)."""
        return self.indexer.ensure_index()

    def add_article(self, file_name: str, raw: bytes, replace: bool = False) -> tuple[Article, IndexReport]:
        """Check an uploaded document, save it into the corpus folder and index it (all or nothing)."""
        return self.indexer.add_article(file_name, raw, self.settings.index.max_upload_bytes, replace=replace)

    def remove_article(self, doc_id: str) -> IndexReport:
        """Delete an article from the corpus folder, the store and BM25 (all or nothing)."""
        return self.indexer.remove(doc_id)

    def indexed_articles(self) -> list[IndexedArticle]:
        """Articles in the store with their chunk counts, in document-id order."""
        return [IndexedArticle(**a) for a in self.retriever.articles()]

    # --- backends ---------------------------------------------------------------------------------
    def available_backends(self) -> dict[str, str]:
        """Each backend name mapped to "" when usable here, else to why not (shown in the app)."""
        return {"extractive": ""} | {name: b.unavailable(self.settings.answer) for name, b in CHAT_BACKENDS.items()}

    def resolve_backend(self, backend: str | None = None) -> str:
        """The backend a request will use: explicit, else ASSISTANT_LLM, `auto` meaning local if installed."""
        name = backend or self.settings.answer.llm
        if name == "auto":
            name = "local" if not CHAT_BACKENDS["local"].unavailable(self.settings.answer) else "extractive"
        if name != "extractive" and name not in CHAT_BACKENDS:
            raise BackendUnavailableError(
                f"Unknown backend {name!r}; use one of extractive, {', '.join(CHAT_BACKENDS)}"
            )
        return name

    def answerer(self, backend: str) -> LLMAnswerer:
        """The model answerer for `backend`, built once (a local model loads once per process)."""
        with self._lock:
            if backend not in self._answerers:
                from assistant.answer.llm import LLMAnswerer

                spec = CHAT_BACKENDS[backend]
                loaded: LoadedChat = spec.load(self.settings.answer)
                answerer = LLMAnswerer(
                    loaded.chat,
                    backend,
                    loaded.count_tokens or tiktoken_counter(self.settings.index.tokenizer),
                    self.settings.answer.context_tokens,
                    self.settings.answer.llm_examples,
                    helper=loaded.helper,
                )
                if spec.primes_prefix:
                    # a real prompt (the probe question's passages), so the first question's prefill is
                    # not llama.cpp's first large batch either: primed on an empty context, the first
                    # answer's first token came 1.4 s later than the same question's asked again
                    probe = build_query(_WARM_UP_QUESTION)
                    context = Context(probe, [], [], [], [])
                    if self.retriever.chunk_count:
                        context = self.contexts.build(probe, self.retrieve(probe))
                    answerer.prime(probe, context)
                self._answerers[backend] = answerer
            return self._answerers[backend]

    def preload(self, backend: str) -> None:
        """Load `backend`'s model on a background thread; a question asked meanwhile waits for it.

        A failed load is logged and forgotten: the next question loads again and reports the error
        the usual way (extractive fallback with a notice).
        """

        def load() -> None:
            try:
                answerer = self.answerer(backend)
                if CHAT_BACKENDS[backend].primes_prefix:
                    # the English path's own model context: loaded and its prompt prefilled now, so
                    # the first English question waits for neither (a second llama.cpp context)
                    answerer.translate(_WARM_UP_ENGLISH, max_tokens=1)
            except Exception:
                log.exception("Loading the %s model failed", backend)
            finally:
                self._loading.discard(backend)

        self._loading.add(backend)
        threading.Thread(target=load, name=f"load-{backend}", daemon=True).start()

    def warm_up(self) -> None:
        """Everything a first question touches besides a model, used once now, not on that question.

        The index, BM25, the e5 model, the token counter, the word lists, sentence splitting and the
        verifier load lazily; one probe question through the extractive path loads them all.
        """
        self.ensure_index()
        self.retriever.warm_up()
        self.ask(_WARM_UP_QUESTION, backend="extractive")

    def load(self) -> None:
        """Open the store and load what every question reads, without asking one: a command's start-up.

        The index (built if missing), BM25, the e5 model, pyvi's segmenter and the token counter.
        Unlike `warm_up`, no probe question runs, so a shell user's one question pays for itself
        only, and its `retrieve_ms` is that question's work (`assistant ask` reports `startup_ms`
        beside it).
        """
        self.ensure_index()
        self.retriever.warm_up()
        segment_words("Việt Nam")
        self._token_counter("")

    def loading(self, backend: str) -> bool:
        """Is `backend`'s model still loading in the background?"""
        return backend in self._loading

    def _token_counter(self, text: str) -> int:
        """cl100k count for the context budget, the encoder made on first use (~0.2 s of start-up)."""
        if self._count_tokens is None:
            self._count_tokens = tiktoken_counter(self.settings.index.tokenizer)
        return self._count_tokens(text)

    def _similarity(self, sentences: list[str], passages: list[str]):
        return self.embedder.embed_passages(sentences) @ self.embedder.embed_passages(passages).T

    # --- answering --------------------------------------------------------------------------------
    def validate_question(self, question: object) -> str:
        """NFC, trimmed, non-empty and not absurdly long; otherwise one clear error."""
        return validate_question(question, self.settings.answer.max_question_chars)

    def analyse(self, question: str, history: Sequence[Message] = (), backend: str = "extractive") -> Query:
        """The `Query` for `question`: an English one is translated by `backend`'s model (if it has one)."""
        translate = None if backend == "extractive" else (lambda text: self.answerer(backend).translate(text))
        return build_query(question, history, spellings=self._spellings, translate=translate)

    def _spellings(self, text: str) -> list[str]:
        return self.retriever.lexical_texts(text, _SPELLING_PASSAGES)

    def retrieve(self, query: Query, k: int | None = None) -> Retrieval:
        """Passages for an analysed query (the evaluation and benchmarks read rankings this way)."""
        self.ensure_index()
        return self.retriever.retrieve(query, k or self.settings.context.context_pool)

    def stream(
        self,
        question: str,
        history: Sequence[Message] | None = None,
        top_k: int | None = None,
        depth: int | None = None,
        backend: str | None = None,
    ) -> AnswerStream:
        """Answer as a stream of text; the final `Answer` (citations, support, decision) is ready when it ends.

        `depth` retrieves more passages than the answer uses, so the evaluation can measure
        recall@5 and MRR@10 on the same ranking; the answer still reads the context.
        """
        question = self.validate_question(question)
        name = self.resolve_backend(backend)
        t0 = time.perf_counter()
        self.ensure_index()
        failure = ""
        try:
            query = self.analyse(question, history or (), name)
        except Exception as exc:  # the backend is down: answer without it now, not after a 2nd timeout
            if isinstance(exc, BackendUnavailableError):
                raise
            log.warning("Translating the question failed: %s", type(exc).__name__)
            failure = describe_failure(exc)
            query = self.analyse(question, history or (), "extractive")
        depth = max(depth or 0, self.settings.context.context_pool, top_k or 0)
        retrieval = self.retriever.retrieve(query, depth)
        searched = time.perf_counter()
        context = self.contexts.build(query, retrieval, top_k)
        t1 = time.perf_counter()
        marks = (t0, searched, t1)
        if failure:
            return self._timed(AnswerStream.ready(self._fallback(query, retrieval, context, name, failure)), marks)
        kind = "extractive" if name == "extractive" else "llm"
        decision = self._decide_before(query, retrieval, context, kind)
        if not decision.answered:
            return self._timed(AnswerStream.ready(self._refusal(query, retrieval, context, decision, name)), marks)

        def tokens() -> Iterator[str]:
            # the model is fetched on the first read, not here: a caller can show the context while
            # a model that is still loading in the background finishes (a failed load falls back)
            answerer = self.extractive if name == "extractive" else self.answerer(name)
            yield from answerer.stream(query, context)

        def finish(text: str, error: str) -> Answer:
            if error:
                return self._fallback(query, retrieval, context, name, error)
            return self._finish(query, retrieval, context, text, kind, name)

        return self._timed(AnswerStream(tokens(), finish, context), marks)

    def ask(
        self,
        question: str,
        history: Sequence[Message] | None = None,
        top_k: int | None = None,
        depth: int | None = None,
        backend: str | None = None,
    ) -> Answer:
        """Answer `question` (after `history`), with citations and a named decision."""
        stream = self.stream(question, history, top_k, depth, backend)
        for _ in stream:
            pass
        assert stream.answer is not None
        return stream.answer

    def _decide_before(self, query: Query, retrieval: Retrieval, context: Context, kind: str) -> Decision:
        return decide.before_answer(query, retrieval, context, kind, self.settings.decide, self.retriever.idf)

    def _finish(
        self, query: Query, retrieval: Retrieval, context: Context, reply: str, kind: str, backend: str
    ) -> Answer:
        """Cite and verify the reply, search for a two-event answer's missing event, then judge it."""
        off = self.settings.decide.rules_off
        similarity = self._similarity if kind == "llm" else None
        draft = cite.finalize(query, reply, context, backend, self.retriever.idf, similarity, off)
        if "other_event_search" not in off and (search := cite.missing_part_query(query, draft)):
            known = {p.chunk_id for p in context.pool}
            extra = [
                p for p in self.retriever.search(search, self.settings.context.context_pool) if p.chunk_id not in known
            ]
            if extra:
                draft = cite.finalize(query, reply, context, backend, self.retriever.idf, similarity, off, extra)
        if kind == "llm" and self.settings.decide.model_check and "model_check" not in off and draft.support:
            t = time.perf_counter()
            draft.check_score = self.answerer(backend).second_opinion(query, context, reply)
            draft.timings["check_ms"] = round((time.perf_counter() - t) * 1000, 1)
        decision = decide.after_answer(query, context, draft, reply, kind, self.settings.decide, self.retriever.idf)
        if not decision.answered:
            refusal = self._refusal(query, retrieval, context, decision, backend)
            refusal.check_score, refusal.timings = draft.check_score, dict(draft.timings)
            return refusal
        draft.retrieved = retrieval.passages
        return draft

    def _refusal(
        self, query: Query, retrieval: Retrieval, context: Context, decision: Decision, backend: str
    ) -> Answer:
        return Answer(
            question=query.text,
            text=refusal_text(query.english),
            citations=[],
            decision=decision,
            backend=backend,
            retrieved=retrieval.passages,
            context=context.passages,
        )

    def _fallback(self, query: Query, retrieval: Retrieval, context: Context, backend: str, reason: str) -> Answer:
        """The extractive answer from the same context, with the notice saying why `backend` did not answer."""
        decision = self._decide_before(query, retrieval, context, self.extractive.kind)
        name = self.extractive.name  # the answer is the extractive one, whatever backend was asked for
        if decision.answered:
            quote = self.extractive.answer(query, context)
            answer = self._finish(query, retrieval, context, quote, self.extractive.kind, name)
        else:
            answer = self._refusal(query, retrieval, context, decision, name)
        answer.notice = render_prompt("fallback_notice_vi", reason=reason)
        return answer

    @staticmethod
    def _timed(inner: AnswerStream, marks: tuple[float, float, float]) -> AnswerStream:
        """`inner`, with the answer's timings filled in when it ends.

        `retrieve_ms` is everything before the answerer (analysis, search, the context's sentences),
        split into `search_ms` (analysis and hybrid search) and `context_ms` (sentence choice).
        """
        t0, searched, t1 = marks

        def timed() -> Iterator[str]:
            first = None
            for token in inner:
                first = first or time.perf_counter()
                yield token
            t2 = time.perf_counter()
            answer = inner.answer
            assert answer is not None
            answer.timings = {
                **answer.timings,  # what the answer's own steps measured (the model check)
                "retrieve_ms": round((t1 - t0) * 1000, 1),
                "search_ms": round((searched - t0) * 1000, 1),
                "context_ms": round((t1 - searched) * 1000, 1),
                "first_token_ms": round(((first or t2) - t0) * 1000, 1),
                "generate_ms": round((t2 - t1) * 1000, 1),
                "total_ms": round((t2 - t0) * 1000, 1),
            }

        return AnswerStream(timed(), lambda _text, _err: inner.answer, inner.context)
