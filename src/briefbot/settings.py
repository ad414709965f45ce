"""All configuration in one pydantic-settings object (env vars ``BRIEFBOT_*`` and ``.env``)."""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from dotenv import dotenv_values
from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from briefbot.errors import ConfigError

ENV_PREFIX = "BRIEFBOT_"

Price = Annotated[float, Field(ge=0)]
"""USD per million tokens."""

_JSON_EXAMPLES = {
    "fetch_allowed_hosts": '["news.intranet:8080"]',
    "llm_prices": '{"my-model": [0.15, 0.6]}',
}
"""The settings given as JSON, each with an example for error messages."""

_URL_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@")
_USERINFO_IN_TEXT = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]*@")


def without_userinfo(url: str) -> str:
    """``url`` without its ``user:password@`` part; scheme, host, port and path are kept."""
    return _URL_USERINFO.sub(r"\1", url.strip())


def redact_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` part of every URL in it removed (for messages)."""
    return _USERINFO_IN_TEXT.sub(r"\1", text)


def _http_url(value: str | None, what: str) -> str | None:
    """An http(s) URL with a host, or None when unset or blank; the error never shows it."""
    if value is None or not value.strip():
        return None
    try:
        url = httpx.URL(value.strip())
    except (httpx.InvalidURL, ValueError):
        raise ValueError(f"not a valid {what} URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"the {what} must be an http:// or https:// URL with a host")
    return value.strip()


def _json(value: Any, field: str) -> Any:
    """A JSON-typed setting's text parsed (blank: unset); the error names no part of it."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at character {exc.pos}"
        raise ValueError(
            f"not valid JSON ({where}); expected e.g. {_JSON_EXAMPLES[field]}"
        ) from None


def default_store_path() -> Path:
    return Path(user_data_dir("briefbot", appauthor=False)) / "store"


class Settings(BaseSettings):
    """Every knob briefbot has. ``.env.example`` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        allow_inf_nan=False,
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
    store_lock_timeout_s: float = Field(
        default=600.0,
        gt=0,
        le=86400,
        description="How long a write (ingest, delete, doctor --repair) waits for another "
        "process writing to the same store before it gives up.",
    )
    lexical_dir: Path | None = Field(
        default=None,
        description="Directory of the keyword (BM25) index. Default: <store_path>/lexical for "
        "an embedded store; for a Chroma server, a directory per server URL and collection "
        "prefix in the user's state directory, shared by this user's app processes on the host.",
    )
    lexical_recheck_s: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="How often (seconds) a search checks the store's change counter, so that "
        "articles written by another process are found by keyword within this delay.",
    )

    # --- embeddings and chunking -------------------------------------------------------
    embedder: str = Field(
        default="minilm",
        description="Embedder name from the registry: 'minilm' (local, offline: OpenVINO bf16 "
        "where the CPU has bf16 instructions, else torch; a store keeps the backend that built "
        "it), 'minilm-bf16' (OpenVINO bf16), 'minilm-int8' (ONNX Runtime int8, faster but "
        "below the recall rule), 'minilm-torch' (sentence-transformers on torch) or 'openai'.",
    )
    onnx_model_dir: Path | None = Field(
        default=None,
        description="Directory of the MiniLM models converted for OpenVINO and ONNX Runtime "
        "(`python -m briefbot.backends.onnx_build`, run by `make install`; built at first use "
        "when missing). Default: a folder in the user's cache directory.",
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
    fetch_timeout_s: float = Field(
        default=15.0, gt=0, le=3600, description="Timeout of one HTTP fetch."
    )
    fetch_max_redirects: int = Field(
        default=5, ge=0, le=20, description="Redirects followed per fetch."
    )
    allow_private_hosts: bool = Field(
        default=False,
        description="Allow fetching from loopback/private addresses (an intranet news server).",
    )
    fetch_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts ('host' or 'host:port') fetched even when they resolve to a private, "
        "loopback or link-local address: an explicit allowlist for intranets and tests. "
        "Env var as JSON, e.g. BRIEFBOT_FETCH_ALLOWED_HOSTS='[\"news.intranet:8080\"]'.",
    )
    app_intranet_hosts: bool = Field(
        default=True,
        description="Let a reporter allow one intranet host (host or host:port) for their own "
        "session from the app's Library page; its private or loopback addresses are then "
        "fetched, cloud metadata never. Set false on a server people reach who must not reach "
        "the intranet through it (docs/security.md).",
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
    watch_every_s: float = Field(
        default=900.0,
        ge=10,
        le=86400,
        description="How often `briefbot watch` and the Library page poll a feed (seconds) when "
        "no interval is given.",
    )
    watch_backoff_max_s: float = Field(
        default=21600.0,
        ge=10,
        le=604800,
        description="Longest wait between polls of a failing feed: the wait doubles after each "
        "failure in a row, from twice the poll interval up to this.",
    )

    # --- retrieval and answers ---------------------------------------------------------
    top_k: int = Field(default=5, ge=1, description="Passages retrieved for an answer.")
    disagreement_k: int = Field(
        default=15,
        ge=1,
        description="Passages searched for a source that gives the answer's figure, date, name "
        "or place differently; the answer quotes from the first top_k, and a disagreeing source "
        "from any of these. At most top_k: look no further than the answer's own passages.",
    )
    relevance_floor: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Minimum cosine similarity of the best passage (0 to 1); below it briefbot "
        "refuses.",
    )
    retriever: Literal["hybrid", "dense", "bm25"] = Field(
        default="hybrid",
        description="Retriever: 'hybrid' (dense + BM25, rank fusion, MMR), 'dense' or 'bm25'.",
    )
    retrieval_candidates: int = Field(
        default=50, ge=1, description="Candidates each retriever contributes before fusion."
    )
    rrf_k: int = Field(default=60, ge=1, description="Constant k of reciprocal rank fusion.")
    fusion_dense_weight: float = Field(
        default=1.0,
        ge=0,
        description="Weight of the dense ranking in rank fusion; the BM25 ranking weighs 1.",
    )
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
    support_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Minimum support score (0 to 1) for a sentence to count as supported by the "
        "span it cites; unset, the operating point fitted on human factuality judgements "
        "(grounding/support_model.json).",
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
        ge=0,
        le=1,
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
        default=0.45,
        gt=0,
        le=1,
        description="Cosine similarity from which two claims of different articles are checked "
        "for being the same fact; the support checker decides (SupportChecker.same_fact).",
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
    llm_timeout_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Deadline of one LLM call, retries and their waits included; a call not "
        "done by then fails (an answer or brief falls back to extractive).",
    )
    llm_max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries with backoff on 429 and 5xx responses."
    )
    llm_judge: bool = Field(
        default=True,
        description="With an LLM configured, one more call per answer, brief or framing "
        "reading has the model judge every sentence the offline checker supports against "
        "its cited quotes; a rejected or unjudged sentence is flagged. false turns it off.",
    )
    llm_provider: str = Field(
        default="openai",
        description="Chat model backend from the registry: 'openai' (OpenAI or any "
        "OpenAI-compatible server at OPENAI_BASE_URL).",
    )
    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    llm_backoff_s: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description="Delay before the first LLM retry; doubles each retry.",
    )
    llm_backoff_max_s: float = Field(
        default=8.0, ge=0, le=300, description="Upper bound of one delay between LLM retries."
    )
    llm_prices: Annotated[dict[str, tuple[Price, Price]], NoDecode] = Field(
        default_factory=dict,
        description="USD per million (prompt, completion) tokens by model name, as JSON; "
        "added to and overriding the built-in price table (unknown models: no cost estimate).",
    )
    prompts_dir: Path | None = Field(
        default=None,
        description="Directory of the prompt files; default: prompts/ of the briefbot checkout.",
    )

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_an_http_url(cls, value: str | None) -> str | None:
        return _http_url(value, "Chroma server")

    @field_validator("openai_base_url")
    @classmethod
    def _base_url_is_an_http_url(cls, value: str | None) -> str | None:
        return _http_url(value, "server")

    @field_validator("fetch_allowed_hosts", mode="before")
    @classmethod
    def _hosts_from_json(cls, value: Any) -> Any:
        parsed = _json(value, "fetch_allowed_hosts")
        return [] if parsed is None else parsed

    @field_validator("llm_prices", mode="before")
    @classmethod
    def _prices_from_json(cls, value: Any) -> Any:
        parsed = _json(value, "llm_prices")
        return {} if parsed is None else parsed

    @field_validator("fetch_proxy")
    @classmethod
    def _proxy_is_an_http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or _http_url(value.get_secret_value(), "proxy") is None:
            return None
        return value

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def store_location(self) -> str:
        """Where the store lives, for messages: the server URL or the directory."""
        return without_userinfo(self.chroma_url) if self.chroma_url else str(self.store_path)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """The repr of every field, URLs without their user-info (secrets are masked anyway)."""
        for name, value in super().__repr_args__():
            if name in ("chroma_url", "openai_base_url") and isinstance(value, str):
                value = without_userinfo(value)
            yield name, value


def env_names(field: str) -> tuple[str, ...]:
    """The variables that set ``field``, upper-case: its aliases, else ``BRIEFBOT_<FIELD>``."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice).upper() for choice in alias.choices)
    if isinstance(alias, str):
        return (alias.upper(),)
    return (f"{ENV_PREFIX}{field.upper()}",)


def _dotenv_files() -> list[Path]:
    configured = Settings.model_config.get("env_file")
    if configured is None:
        return []
    files = [configured] if isinstance(configured, str | Path) else list(configured)
    return [Path(f).expanduser() for f in files if Path(f).expanduser().is_file()]


def _dotenv_names() -> dict[str, str]:
    """Upper-cased keys of the ``.env`` files, each with the file it is in."""
    encoding = Settings.model_config.get("env_file_encoding")
    return {
        str(key).upper(): str(path)
        for path in _dotenv_files()
        for key in dotenv_values(path, encoding=encoding)
    }


def _unknown_names(environ: Mapping[str, str], dotenv: Mapping[str, str]) -> list[str]:
    """A problem per ``BRIEFBOT_*`` variable that is no setting, with the nearest one."""
    valid = {name for field in Settings.model_fields for name in env_names(field)}
    known = sorted(n.removeprefix(ENV_PREFIX) for n in valid if n.startswith(ENV_PREFIX))
    problems = []
    where = [(name, "the environment") for name in environ]
    where += [(name, path) for name, path in dotenv.items() if name not in environ]
    for name, source in sorted(where):
        if not name.startswith(ENV_PREFIX) or name in valid:
            continue
        near = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), known, n=1)
        hint = f"did you mean {ENV_PREFIX}{near[0]}?" if near else "see .env.example"
        problems.append(f"unknown setting {name} ({hint}) in {source}")
    return problems


def _field(loc: str | int | None) -> str | None:
    """The field of an error location: a field name, or the first alias of one."""
    key = str(loc)
    if key in Settings.model_fields:
        return key
    return next((f for f in Settings.model_fields if key.upper() in env_names(f)), None)


def _variable(field: str | None, environ: Mapping[str, str], dotenv: Mapping[str, str]) -> str:
    """The variable the user set for ``field`` (of its aliases, the one found first)."""
    if field is None:
        return "a setting"
    names = env_names(field)
    for source in (environ, dotenv):
        for name in names:
            if name in source:
                return name
    return names[0]


def load_settings() -> Settings:
    """Settings from the environment and ``.env``, or a one-line ``ConfigError``.

    An unknown ``BRIEFBOT_*`` variable (a typo) is an error naming the nearest setting. An
    invalid value is an error naming the variable set and never repeating the value (it may
    be a secret); other variables in ``.env`` (other tools') are left alone.
    """
    environ = {name.upper(): value for name, value in os.environ.items()}
    dotenv = _dotenv_names()
    unknown = _unknown_names(environ, dotenv)
    if unknown:
        raise ConfigError("; ".join(unknown))
    try:
        return Settings()
    except ValidationError as exc:
        problems: list[str] = []
        for error in exc.errors(include_input=False, include_url=False):
            field = _field(error["loc"][0]) if error["loc"] else None
            message = error["msg"].removeprefix("Value error, ").replace("\n", " ")
            if field in _JSON_EXAMPLES and len(error["loc"]) > 1:  # inside the JSON
                message += f" (expected e.g. {_JSON_EXAMPLES[field]})"
            problem = f"{_variable(field, environ, dotenv)}: {message}"
            if problem not in problems:
                problems.append(problem)
        raise ConfigError(f"invalid setting: {'; '.join(problems)}") from None
    except SettingsError as exc:  # a value pydantic-settings could not even decode
        named = re.search(r'field "(\w+)"', str(exc))
        variable = _variable(_field(named.group(1)) if named else None, environ, dotenv)
        raise ConfigError(f"invalid setting: {variable}: could not be decoded") from None
