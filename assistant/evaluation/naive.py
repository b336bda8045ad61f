"""The naive RAG baseline the evaluation compares against (`assistant eval --compare naive`).

What a first tutorial builds: LangChain's RecursiveCharacterTextSplitter (500 characters, no
overlap) over the raw files, dense-only retrieval with the same e5 model, a plain "answer from the
context" prompt, the model's text taken as it comes (no evidence gate, no refusal detection, no
citation repair). With the extractive backend the baseline quotes the top passage's first sentences.
Only the pipeline differs from ours, so the report's side-by-side columns measure our choices.
"""

from __future__ import annotations

from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.citations import Answer, cite, parse_markers
from assistant.condense import Message
from assistant.corpus import ARTICLE_SUFFIXES, decode_text
from assistant.embeddings import E5Embeddings
from assistant.prompts import render_prompt
from assistant.retrieval import Passage
from assistant.text import normalize, split_sentences

CHUNK_CHARS = 500
EXTRACTIVE_SENTENCES = 2


class NaivePipeline:
    """Character chunks → dense top-k → plain prompt; built in memory for one evaluation run."""

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
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        name = f"naive-{id(self)}"
        self.collection = client.create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
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
            text = " ".join(sentences) + " [1]"
        else:
            context = "\n\n".join(f"[{n}] {p.text}" for n, p in enumerate(passages, start=1))
            prompt = render_prompt("naive_user", passages=context, question=question)
            text = str(self.chat.invoke([HumanMessage(prompt)]).content).strip()
        return Answer(
            question=question,
            text=text,
            citations=cite(passages, parse_markers(text)),
            refused=False,
            backend="naive",
            retrieved=retrieved,
        )
