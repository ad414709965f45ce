"""An embedder that remembers the vectors of the texts it has embedded (``MemoEmbedder``).

Briefs and framing embed the sentences of stored articles, and the same sentences again and
again: a brief ranks an article's sentences and then verifies them against the same
sentences; a comparison embeds each article's claims, the sentences of the other articles it
looks in for corroboration, and each article's sentences to align them; the next comparison
of those articles starts over. ``Briefbot`` gives those paths one ``MemoEmbedder`` for the
life of the process (the app shares it across sessions), so each distinct text goes through
the model once. Texts not seen yet are embedded in one call, as the caller asked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from briefbot.backends.embedders import Embedder, Vectors

MEMO_TEXTS = 8192
"""Vectors kept (least recently used dropped first): 12 MB at MiniLM's 384 dimensions."""


class MemoEmbedder:
    """``embedder`` with a bounded memory of text -> vector; safe to share between threads."""

    def __init__(self, embedder: Embedder, size: int = MEMO_TEXTS) -> None:
        self.embedder = embedder
        self.name = embedder.name
        self.dimension = embedder.dimension
        self.size = size
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def max_tokens(self) -> int:
        return self.embedder.max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.embedder.count_tokens(texts)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return self.embedder.token_offsets(text)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:
            fresh = self.embedder.embed(todo)
            with self._lock:
                for text, vector in zip(todo, fresh, strict=True):
                    known[text] = self._vectors[text] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)
