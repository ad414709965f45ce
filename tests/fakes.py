"""Deterministic test doubles for our own logic (real components get their own tests)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from briefbot.embedders import Vectors

_TOKEN = re.compile(r"\w+|[^\w\s]")


class FakeEmbedder:
    """Hashed bag of lower-cased words: similar words give similar vectors, no model needed.

    Tokens are words and punctuation marks, so token limits behave like a real tokenizer's.
    """

    name = "fake:hashed-bow"
    dimension = 256

    def __init__(self, max_tokens: int = 64) -> None:
        self.max_tokens = max_tokens
        self.calls: list[int] = []

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN.findall(t)) for t in texts]

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.casefold()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms

    @property
    def embedded_texts(self) -> int:
        return sum(self.calls)
