"""The two baselines every evaluation can run beside ours: what a user would otherwise build.

- `naive`: what a first tutorial builds. LangChain's RecursiveCharacterTextSplitter (500
  characters, no overlap) over the raw files, dense-only retrieval with the same e5 model, a plain
  "answer from the context" prompt and the model's text as it comes (no refusal rule, no gate, no
  repair). Without a model it quotes the top passage's first two sentences, each with its marker.
- `competent`: what a skilled user builds with stock parts in an afternoon. The same articles and
  the same chunks as ours; langchain's `EnsembleRetriever` (reciprocal-rank fusion) over
  `BM25Retriever` (lower-cased whitespace tokens, which for Vietnamese are syllables) and a Chroma
  retriever with the same e5 embeddings; the same chat model; the standard "answer only from the
  context, cite [n], say you don't know" prompt; the reply taken as it comes (a reply that says it
  does not know counts as a refusal). No gates, no repairs.

Only the pipeline differs from ours, so the side-by-side columns measure our choices.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_core.documents import Document
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.cite import append_marker, cite, parse_markers
from assistant.config import Settings
from assistant.embeddings import E5Embeddings
from assistant.errors import BackendUnavailableError
from assistant.ingest.chunking import chunk_corpus, tiktoken_counter
from assistant.ingest.corpus import ARTICLE_SUFFIXES, decode_text, load_corpus
from assistant.lang.normalize import fold, normalize
from assistant.lang.sentences import split_sentences
from assistant.prompts import render_prompt
from assistant.types import ANSWERED, Answer, Decision, Message, Passage

BASELINES = ("naive", "competent")
BASELINE_TOP_K = 5  # passages a baseline's model reads: the usual tutorial and afternoon choice
CHUNK_CHARS = 500
EXTRACTIVE_SENTENCES = 2
# how the competent prompt tells a refusal (its own "say you don't know" sentence, either language)
_DONT_KNOW = re.compile(r"\b(toi khong biet|khong biet|khong co thong tin|i don't know|i do not know)\b")


def _chroma_client():
    return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))


class NaivePipeline:
    """Character chunks → dense top-k → plain prompt; built in memory for one evaluation run."""

    name = "naive"

    def __init__(self, corpus_dir: Path, embedder: E5Embeddings, chat: BaseChatModel | None = None) -> None:
        self.embedder = embedder
        self.chat = chat
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=0)
        ids, docs, metas = [], [], []
        for path in sorted(corpus_dir.iterdir()):
            if path.suffix.lower() not in ARTICLE_SUFFIXES:
                continue
            text = normalize(decode_text(path.read_bytes(), path.name))
            for i, piece in enumerate(splitter.split_text(text)):
                ids.append(f"{path.stem}-{i}")
                docs.append(piece)
                metas.append({"doc_id": path.stem})
        self.collection = _chroma_client().create_collection(
            f"naive-{id(self)}", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self.collection.add(ids=ids, documents=docs, metadatas=metas, embeddings=embedder.embed_passages(docs))
        self.size = len(ids)

    def retrieve(self, question: str, history: list[Message], k: int) -> list[Passage]:
        query = "\n".join([m.content for m in history if m.role == "user"] + [question])
        res = self.collection.query(query_embeddings=self.embedder.embed_queries([query]), n_results=min(k, self.size))
        return [
            Passage(chunk_id=cid, doc_id=str(meta["doc_id"]), text=doc, title=str(meta["doc_id"]), score=1 - dist)
            for cid, doc, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
        ]

    def ask(self, question: str, history: list[Message], top_k: int, depth: int) -> Answer:
        retrieved = self.retrieve(question, history, max(top_k, depth))
        passages = retrieved[:top_k]
        if self.chat is None:
            sentences = [s.text for s in split_sentences(passages[0].text)][:EXTRACTIVE_SENTENCES]
            text = " ".join(append_marker(s, 1) for s in sentences)
        else:
            context = "\n\n".join(f"[{n}] {p.text}" for n, p in enumerate(passages, start=1))
            prompt = render_prompt("naive_user", passages=context, question=question)
            text = str(self.chat.invoke([HumanMessage(prompt)]).content).strip()
        return Answer(
            question=question,
            text=text,
            citations=cite(passages, parse_markers(text)),
            decision=ANSWERED,
            backend="naive",
            retrieved=retrieved,
            context=passages,
        )


def _syllable_tokens(text: str) -> list[str]:
    return text.lower().split()


class CompetentPipeline:
    """langchain's EnsembleRetriever over BM25 and Chroma (our chunks, our e5), a standard cited prompt."""

    name = "competent"

    def __init__(
        self, settings: Settings, embedder: E5Embeddings, chat: BaseChatModel | None = None, depth: int = 10
    ) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community announces its sunset
            from langchain_chroma import Chroma
            from langchain_classic.retrievers import EnsembleRetriever
            from langchain_community.retrievers import BM25Retriever

        self.chat = chat
        s = settings.index
        articles = load_corpus(s.corpus_dir)
        chunks = chunk_corpus(articles, tiktoken_counter(s.tokenizer), s.chunk_tokens, s.chunk_overlap_tokens)
        titles = {a.id: a.title for a in articles}
        docs = [
            Document(
                page_content=c.text,
                metadata={"doc_id": c.doc_id, "chunk_id": c.id, "title": titles.get(c.doc_id, "")},
                id=c.id,
            )
            for c in chunks
        ]
        bm25 = BM25Retriever.from_documents(docs, preprocess_func=_syllable_tokens, k=depth)
        store = Chroma(
            collection_name=f"competent-{id(self)}",
            embedding_function=embedder,
            client=_chroma_client(),
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        store.add_documents(docs, ids=[d.id for d in docs])
        dense = store.as_retriever(search_kwargs={"k": depth})
        self.retriever = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])

    def retrieve(self, question: str, history: list[Message]) -> list[Passage]:
        query = "\n".join([m.content for m in history if m.role == "user"] + [question])
        documents = self.retriever.invoke(query)
        return [
            Passage(
                chunk_id=str(d.metadata["chunk_id"]),
                doc_id=str(d.metadata["doc_id"]),
                text=d.page_content,
                title=str(d.metadata.get("title", "")),
                score=1.0 / rank,
            )
            for rank, d in enumerate(documents, start=1)
        ]

    def ask(self, question: str, history: list[Message], top_k: int, depth: int) -> Answer:
        retrieved = self.retrieve(question, history)
        passages = retrieved[:top_k]
        if self.chat is None:
            raise BackendUnavailableError(
                "The competent baseline answers with a model: use --backend local (or openai); "
                "benchmarks/external.py measures its retrieval alone"
            )
        context = "\n\n".join(f"[{n}] {p.title}\n{p.text}" for n, p in enumerate(passages, start=1))
        prompt = render_prompt("competent_user", passages=context, question=question)
        text = str(self.chat.invoke([HumanMessage(prompt)]).content).strip()
        refused = not text or bool(_DONT_KNOW.search(fold(text)))
        return Answer(
            question=question,
            text=text,
            citations=[] if refused else cite(passages, parse_markers(text)),
            decision=Decision(False, "model_refused") if refused else ANSWERED,
            backend="competent",
            retrieved=retrieved,
            context=passages,
        )
