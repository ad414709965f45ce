"""A BM25 index of the store's chunk texts, derived from the store and kept in step with it.

The index is a cache: its fingerprint is a hash of the sorted chunk ids it was built from. An
embedded store keeps it on disk in ``<store_path>/bm25/``; a Chroma server store keeps it in
memory. Whenever the store's fingerprint differs, or a cache file is damaged (a warning names
it), the index is rebuilt from the chunks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from briefbot.backends.store import ChromaStore
from briefbot.errors import DamagedStoreError, StoreError
from briefbot.models import SearchFilters
from briefbot.text.words import STEMMER

log = logging.getLogger(__name__)

_TOKEN_PATTERN = r"(?u)\b\w+\b"
_STEMMER = STEMMER
_FORMAT = 2
_PAGE = 1000
RECHECK_S = 5.0
K1, B = 0.9, 0.4
"""BM25 parameters (Anserini's defaults; better than 1.5/0.75 on RealTimeQA chunks)."""


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, English-stopword-free, Snowball-stemmed word tokens."""
    if not texts:
        return []
    tokens = bm25s.tokenize(
        list(texts),
        stopwords="en",
        stemmer=_STEMMER,
        token_pattern=_TOKEN_PATTERN,
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


def fingerprint(chunk_ids: Iterable[str]) -> str:
    """Identity of a set of chunks: SHA-256 of the sorted ids."""
    digest = hashlib.sha256()
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class _Snapshot:
    """One built index; never mutated, swapped whole so readers never see a partial one."""

    fingerprint: str
    chunk_ids: list[str]
    article_ids: npt.NDArray[np.str_]
    published_ts: npt.NDArray[np.float64]
    model: Any

    def scores(self, query_tokens: list[str]) -> npt.NDArray[np.float32]:
        if self.model is None or not query_tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self.model.get_scores(query_tokens), dtype=np.float32)


def _build(
    fp: str, chunk_ids: list[str], texts: list[str], article_ids: list[str], ts: list[float]
) -> _Snapshot:
    model: Any = None
    if chunk_ids:
        corpus = bm25s.tokenize(
            texts,
            stopwords="en",
            stemmer=_STEMMER,
            token_pattern=_TOKEN_PATTERN,
            show_progress=False,
        )
        if corpus.vocab:
            model = bm25s.BM25(k1=K1, b=B)
            model.index(corpus, show_progress=False)
    return _Snapshot(
        fingerprint=fp,
        chunk_ids=chunk_ids,
        article_ids=np.asarray(article_ids, dtype=np.str_),
        published_ts=np.asarray(ts, dtype=np.float64),
        model=model,
    )


MODEL_FILES = (
    "params.index.json",
    "vocab.index.json",
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
)
"""What ``bm25s`` writes in ``<cache_dir>/model`` and reads back."""


def _damaged(path: Path, state: str) -> DamagedStoreError:
    return DamagedStoreError(f"the keyword (BM25) index file {path} {state}")


def read_cache_meta(cache_dir: Path) -> dict[str, Any] | None:
    """``chunks.json`` of the on-disk cache (None: no cache); ``DamagedStoreError`` naming the
    file when it cannot be read or its lists do not fit together."""
    meta_file = cache_dir / "chunks.json"
    if not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _damaged(meta_file, f"cannot be read ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        return None  # an older layout: rebuilt like a stale cache
    lists = [meta.get(key) for key in ("chunk_ids", "article_ids", "published_ts")]
    if not isinstance(meta.get("fingerprint"), str) or not all(isinstance(v, list) for v in lists):
        raise _damaged(meta_file, "is incomplete")
    if len({len(v) for v in lists if isinstance(v, list)}) != 1:
        raise _damaged(meta_file, "lists a different number of chunks, articles and dates")
    return meta


def _unreadable_file(model_dir: Path) -> DamagedStoreError | None:
    for name in MODEL_FILES:
        path = model_dir / name
        if not path.is_file():
            return _damaged(path, "is missing")
        if path.stat().st_size == 0:
            return _damaged(path, "is empty")
        try:
            if name.endswith(".json"):
                json.loads(path.read_text(encoding="utf-8"))
            else:
                np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            return _damaged(path, f"is cut short or garbled ({exc})")
    return None


def read_cache_model(cache_dir: Path, meta: dict[str, Any]) -> Any:
    """The cached BM25 model that ``meta`` (``chunks.json``) describes (None: no model, as for
    chunks without a single word); ``DamagedStoreError`` naming the file when it cannot be
    loaded whole."""
    model_dir = cache_dir / "model"
    chunks = len(meta["chunk_ids"])
    saved = meta.get("model")  # absent in caches written before it was recorded
    if chunks == 0 or saved is False or (saved is None and not model_dir.is_dir()):
        return None
    if not model_dir.is_dir():
        raise _damaged(model_dir, "is missing")
    try:
        model = bm25s.BM25.load(str(model_dir))
    except Exception as exc:  # bm25s and numpy raise many types on a garbled file
        raise _unreadable_file(model_dir) or _damaged(
            model_dir, f"cannot be loaded ({exc})"
        ) from exc
    scores = getattr(model, "scores", None) or {}
    data, indices, indptr = (np.asarray(scores.get(k, [])) for k in ("data", "indices", "indptr"))
    if (
        scores.get("num_docs") != chunks
        or len(indptr) == 0
        or int(indptr[0]) != 0
        or bool((np.diff(indptr) < 0).any())
        or int(indptr[-1]) != len(data)
        or len(indices) != len(data)
        or (len(indices) and not 0 <= int(indices.min()) <= int(indices.max()) < chunks)
    ):
        raise _damaged(model_dir, f"does not hold an index of the {chunks} cached chunks")
    return model


def check_cache(cache_dir: Path) -> str | None:
    """What is wrong with the on-disk cache, naming the file (None: readable or absent)."""
    try:
        meta = read_cache_meta(cache_dir)
        if meta is not None:
            read_cache_model(cache_dir, meta)
    except DamagedStoreError as exc:
        return str(exc)
    return None


class BM25Index:
    """BM25 over every chunk in ``store``; ``refresh()`` after the store changes."""

    def __init__(self, store: ChromaStore, cache_dir: Path | None) -> None:
        self.store = store
        self.cache_dir = cache_dir
        self._snapshot: _Snapshot | None = None
        self._build_lock = threading.Lock()
        self._checked = time.monotonic()
        self.builds = 0

    # --- keeping in step ---------------------------------------------------------------

    def _store_chunk_ids(self) -> list[str]:
        ids: list[str] = []
        offset = 0
        while True:
            page = self.store.chunks.get(include=[], limit=_PAGE, offset=offset)
            ids += page["ids"]
            if len(page["ids"]) < _PAGE:
                return ids
            offset += _PAGE

    def refresh(self, rebuild: bool = False) -> bool:
        """Bring the index in step with the store; True when it was (re)built or loaded.

        ``rebuild`` builds it from the chunks and rewrites the cache even when it looks
        current (``briefbot doctor --repair`` of damaged cache files).
        """
        with self._build_lock:
            current = fingerprint(self._store_chunk_ids())
            if not rebuild and self._snapshot is not None and self._snapshot.fingerprint == current:
                return False
            snapshot = None if rebuild else self._load(current)
            if snapshot is None:
                snapshot = self._rebuild(current)
                self._save(snapshot)
            self._snapshot = snapshot
            return True

    def snapshot(self) -> _Snapshot:
        """The current index, built on first use.

        Another process may write to the same store (a Chroma server); every
        ``RECHECK_S`` seconds a changed chunk count triggers a refresh.
        """
        snapshot = self._snapshot
        now = time.monotonic()
        if snapshot is not None and now - self._checked >= RECHECK_S:
            self._checked = now
            if self.store.count_chunks() != len(snapshot.chunk_ids):
                snapshot = None
        if snapshot is None:
            self.refresh()
            snapshot = self._snapshot
        assert snapshot is not None
        return snapshot

    @property
    def fingerprint(self) -> str | None:
        return self._snapshot.fingerprint if self._snapshot else None

    def _rebuild(self, fp: str) -> _Snapshot:
        chunk_ids: list[str] = []
        texts: list[str] = []
        article_ids: list[str] = []
        ts: list[float] = []
        offset = 0
        while True:
            page = self.store.chunks.get(
                include=["documents", "metadatas"], limit=_PAGE, offset=offset
            )
            for cid, doc, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                article_id = str(meta.get("article_id", ""))
                chunk_ids.append(cid)
                texts.append(doc or "")
                article_ids.append(article_id)
                published = meta.get("published_ts")
                ts.append(float(published) if published is not None else np.nan)
            if len(page["ids"]) < _PAGE:
                break
            offset += _PAGE
        self.builds += 1
        snapshot = _build(fingerprint(chunk_ids), chunk_ids, texts, article_ids, ts)
        if snapshot.fingerprint != fp:
            log.debug("store changed while the BM25 index was built; the next refresh catches up")
        return snapshot

    # --- the on-disk cache -------------------------------------------------------------

    def _load(self, fp: str) -> _Snapshot | None:
        """The cached index if it was built for ``fp``; a damaged cache is rebuilt, with a
        warning naming the file (it only repeats what the store holds)."""
        if self.cache_dir is None:
            return None
        try:
            meta = read_cache_meta(self.cache_dir)
            if meta is None or meta["fingerprint"] != fp:
                return None
            model = read_cache_model(self.cache_dir, meta)
        except DamagedStoreError as exc:
            log.warning("%s; rebuilding it from the stored chunks", exc)
            return None
        return _Snapshot(
            fingerprint=fp,
            chunk_ids=list(meta["chunk_ids"]),
            article_ids=np.asarray(meta["article_ids"], dtype=np.str_),
            published_ts=np.asarray(
                [np.nan if t is None else t for t in meta["published_ts"]], dtype=np.float64
            ),
            model=model,
        )

    def _save(self, snapshot: _Snapshot) -> None:
        """Write to a temporary directory, then swap it in, so a reader never sees half."""
        if self.cache_dir is None:
            return
        tmp = self.cache_dir.with_name(self.cache_dir.name + ".tmp")
        old = self.cache_dir.with_name(self.cache_dir.name + ".old")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            if snapshot.model is not None:
                snapshot.model.save(str(tmp / "model"))
            meta = {
                "format": _FORMAT,
                "fingerprint": snapshot.fingerprint,
                "model": snapshot.model is not None,
                "chunk_ids": snapshot.chunk_ids,
                "article_ids": snapshot.article_ids.tolist(),
                "published_ts": [None if np.isnan(t) else t for t in snapshot.published_ts],
            }
            (tmp / "chunks.json").write_text(json.dumps(meta), encoding="utf-8")
            shutil.rmtree(old, ignore_errors=True)
            if self.cache_dir.exists():
                self.cache_dir.rename(old)
            tmp.rename(self.cache_dir)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            raise StoreError(f"cannot write the BM25 index cache {self.cache_dir}: {exc}") from exc

    # --- searching ---------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int,
        filters: SearchFilters | None = None,
        article_ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Best ``k`` chunk ids with a positive BM25 score, under the filters.

        ``article_ids`` is the resolved outlet/id filter (None: every article).
        """
        snapshot = self.snapshot()
        if not snapshot.chunk_ids:
            return []
        scores = snapshot.scores(tokenize([query])[0])
        mask = scores > 0
        if article_ids is not None:
            mask &= np.isin(snapshot.article_ids, np.asarray(list(article_ids), dtype=np.str_))
        if filters is not None and filters.since is not None:
            with np.errstate(invalid="ignore"):
                mask &= snapshot.published_ts >= filters.since.timestamp()
        if filters is not None and filters.until is not None:
            with np.errstate(invalid="ignore"):
                mask &= snapshot.published_ts <= filters.until.timestamp()
        candidates = np.flatnonzero(mask)
        if candidates.size == 0:
            return []
        if candidates.size > k:
            top = np.argpartition(-scores[candidates], k - 1)[:k]
            candidates = candidates[top]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [(snapshot.chunk_ids[i], float(scores[i])) for i in order]
