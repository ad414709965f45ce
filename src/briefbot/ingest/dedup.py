"""Near-duplicate detection for wire copy run by several outlets with small edits.

MinHash signatures of word 5-shingles, stored with each article, indexed in memory with LSH.
datasketch is imported where it is used: its LSH pulls in scipy (0.4 s), which commands that
never ingest (``briefbot articles``, ``show``) should not pay for.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 64
SHINGLE_WORDS = 5
SCHEME = "affine32"
_WORD = re.compile(r"\w+")


def signature(text: str) -> MinHash:
    from datasketch import MinHash

    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE_WORDS:
        shingles = {" ".join(words)}
    else:
        shingles = {
            " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
        }
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return minhash


def encode(minhash: MinHash) -> str:
    return base64.b64encode(minhash.hashvalues.astype(np.uint64).tobytes()).decode("ascii")


def decode(encoded: str) -> MinHash | None:
    try:
        values = np.frombuffer(base64.b64decode(encoded), dtype=np.uint64)
    except ValueError:
        return None
    if len(values) != NUM_PERM:
        return None
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, hashvalues=values, scheme=SCHEME)


class NearDuplicateIndex:
    """Finds a stored article whose text is near-identical to a new one."""

    def __init__(self, threshold: float) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, MinHash] = {}

    def add(self, article_id: str, minhash: MinHash) -> None:
        if article_id not in self._signatures:
            self._lsh.insert(article_id, minhash)
            self._signatures[article_id] = minhash

    def remove(self, article_id: str) -> None:
        if self._signatures.pop(article_id, None) is not None:
            self._lsh.remove(article_id)

    def best_match(self, minhash: MinHash, exclude: set[str]) -> tuple[str, float] | None:
        best: tuple[str, float] | None = None
        for candidate in self._lsh.query(minhash):
            if candidate in exclude:
                continue
            similarity = float(minhash.jaccard(self._signatures[candidate]))
            if similarity >= self.threshold and (best is None or similarity > best[1]):
                best = (candidate, similarity)
        return best
