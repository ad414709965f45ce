"""All configuration in one pydantic-settings object (env vars ``BRIEFBOT_*`` and ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import httpx
from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from briefbot.errors import ConfigError


def default_store_path() -> Path:
    return Path(user_data_dir("briefbot", appauthor=False)) / "store"


class Settings(BaseSettings):
    """Every knob briefbot has. ``.env.example`` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="BRIEFBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- store -------------------------------------------------------------------------
    store_path: Path = Field(
        default_factory=default_store_path,
        description="Directory of the embedded Chroma store (used when no server URL is set).",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000); overrides store_path.",
    )
    collection_prefix: str = Field(
        default="briefbot", description="Prefix of the Chroma collection names."
    )

    # --- embeddings and chunking -------------------------------------------------------
    embedder: str = Field(
        default="minilm",
        description="Embedder name from the registry: 'minilm' (local, offline) or 'openai'.",
    )
    openai_embedding_model: str = Field(
        default="text-embedding-3-small", description="Model used by the 'openai' embedder."
    )
    embed_batch_size: int = Field(default=64, ge=1, description="Texts per embedding call.")
    chunk_max_tokens: int = Field(
        default=256,
        ge=16,
        description="Upper bound of a chunk in the embedder's own tokens; clamped to the "
        "embedder's maximum sequence length (MiniLM: 256 word pieces).",
    )
    chunk_overlap_sentences: int = Field(
        default=1, ge=0, le=3, description="Sentences repeated at the start of the next chunk."
    )

    # --- ingestion ---------------------------------------------------------------------
    max_file_bytes: int = Field(
        default=5_000_000, ge=1, description="Files and downloads larger than this are refused."
    )
    fetch_timeout_s: float = Field(default=15.0, gt=0, description="Timeout of one HTTP fetch.")
    fetch_max_redirects: int = Field(default=5, ge=0, description="Redirects followed per fetch.")
    allow_private_hosts: bool = Field(
        default=False,
        description="Allow fetching from loopback/private addresses (an intranet news server).",
    )
    fetch_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts ('host' or 'host:port') fetched even when they resolve to a private, "
        "loopback or link-local address: an explicit allowlist for intranets and tests. "
        "Env var as JSON, e.g. BRIEFBOT_FETCH_ALLOWED_HOSTS='[\"news.intranet:8080\"]'.",
    )
    fetch_proxy: SecretStr | None = Field(
        default=None,
        description="HTTP proxy for fetching articles and feeds, e.g. http://proxy.newsroom:3128 "
        "(credentials allowed; kept secret). Host names are still resolved and checked here "
        "before the proxy is asked to connect. Unset: direct connections; HTTP(S)_PROXY is "
        "ignored.",
    )
    near_duplicate_threshold: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Estimated Jaccard similarity of word shingles above which two articles "
        "are the same wire copy (stored once, every outlet recorded).",
    )
    feed_max_entries: int = Field(default=50, ge=1, description="Entries taken from one feed.")

    # --- retrieval and answers ---------------------------------------------------------
    top_k: int = Field(default=5, ge=1, description="Passages retrieved for an answer.")
    relevance_floor: float = Field(
        default=0.3,
        description="Minimum cosine similarity of the best passage; below it briefbot refuses.",
    )
    retriever: Literal["hybrid", "dense", "bm25"] = Field(
        default="hybrid",
        description="Retriever: 'hybrid' (dense + BM25, rank fusion, MMR), 'dense' or 'bm25'.",
    )
    retrieval_candidates: int = Field(
        default=50, ge=1, description="Candidates each retriever contributes before fusion."
    )
    rrf_k: int = Field(default=60, ge=1, description="Constant k of reciprocal rank fusion.")
    recency_weight: float = Field(
        default=1.0,
        ge=0,
        description="Recency prior: a passage's rank score is multiplied by 1 + weight x "
        "0.5^(age / half-life), its article's age counted from when the question is asked. "
        "0 turns it off.",
    )
    recency_half_life_days: float = Field(
        default=7.0, gt=0, description="Age in days at which the recency boost halves."
    )
    mmr_lambda: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="MMR trade-off: 1 ranks by relevance only, lower values favour diversity.",
    )
    chunk_duplicate_threshold: float = Field(
        default=0.92,
        gt=0,
        le=1,
        description="Cosine similarity above which a retrieved chunk counts as a near-duplicate "
        "of a better one (wire copy, chunk overlap) and is dropped.",
    )
    unsupported: Literal["flag", "remove"] = Field(
        default="flag",
        description="What to do with answer sentences the sources do not support.",
    )
    support_threshold: float = Field(
        default=0.55,
        ge=0,
        le=1,
        description="Minimum support score (content-word recall, embedding similarity and "
        "fact consistency against the cited span) for an answer sentence to count as supported.",
    )
    answer_max_sentences: int = Field(
        default=3, ge=1, le=10, description="Sentences the extractive engine quotes at most."
    )
    brief_max_words: int = Field(default=120, ge=20, description="Words in a brief paragraph.")
    brief_max_articles: int = Field(
        default=8, ge=1, description="Articles a topic brief reads at most (best matches first)."
    )
    brief_article_floor: float = Field(
        default=0.25,
        description="A topic brief includes an article whose best chunk has at least this cosine "
        "similarity to the query (once the best of all clears relevance_floor).",
    )
    brief_search_chunks: int = Field(
        default=50,
        ge=1,
        description="Chunks a topic brief retrieves to find its articles (each read in full).",
    )

    # --- framing -----------------------------------------------------------------------
    framing_lexicon_dir: Path | None = Field(
        default=None,
        description="Directory whose loaded_terms.csv, hedges.txt, attribution_verbs.txt or "
        "evaluative.txt replace the bundled framing lexicons (format: docs/lexicons.md).",
    )
    framing_similarity: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="Cosine similarity at which claims of two articles count as the same fact "
        "(corroboration and cross-outlet alignment).",
    )
    framing_max_articles: int = Field(
        default=5, ge=2, description="Articles a framing comparison by query compares at most."
    )

    # --- language model ----------------------------------------------------------------
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "BRIEFBOT_OPENAI_API_KEY"),
        description="API key; read from the environment or .env only, never logged.",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "BRIEFBOT_OPENAI_BASE_URL"),
        description="OpenAI-compatible server (Ollama, vLLM, llama.cpp server).",
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name.")
    llm_context_tokens: int = Field(
        default=8192, ge=512, description="Context window of the chat model, in tokens."
    )
    llm_max_answer_tokens: int = Field(default=512, ge=16, description="Tokens kept for output.")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one LLM request.")
    llm_max_retries: int = Field(
        default=3, ge=0, description="Retries with backoff on 429 and 5xx responses."
    )
    llm_judge: bool = Field(
        default=False, description="Also ask the LLM to judge each sentence's support."
    )
    llm_provider: str = Field(
        default="openai",
        description="Chat model backend from the registry: 'openai' (OpenAI or any "
        "OpenAI-compatible server at OPENAI_BASE_URL).",
    )
    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    llm_backoff_s: float = Field(
        default=0.5, ge=0, description="Delay before the first LLM retry; doubles each retry."
    )
    llm_backoff_max_s: float = Field(
        default=8.0, ge=0, description="Upper bound of one delay between LLM retries."
    )
    llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="USD per million (prompt, completion) tokens by model name, as JSON; "
        "added to and overriding the built-in price table (unknown models: no cost estimate).",
    )
    prompts_dir: Path | None = Field(
        default=None,
        description="Directory of the prompt files; default: prompts/ of the briefbot checkout.",
    )

    @field_validator("fetch_proxy")
    @classmethod
    def _proxy_is_an_http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            url = httpx.URL(value.get_secret_value().strip())
        except (httpx.InvalidURL, ValueError):
            raise ValueError("not a valid proxy URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the proxy must be an http:// or https:// URL with a host")
        return value

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def store_location(self) -> str:
        """Where the store lives, for messages: the server URL or the directory."""
        return self.chroma_url or str(self.store_path)


def load_settings() -> Settings:
    """Settings from the environment and ``.env``; an invalid value becomes a ``ConfigError``
    that names its variable and never repeats the value (it may be a secret)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"BRIEFBOT_{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None
