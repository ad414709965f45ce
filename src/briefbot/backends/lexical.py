"""The keyword (BM25) index: a tantivy index of the committed articles' chunks, on disk.

Chroma is the source of truth; this index only repeats it. It follows the store by the store's
generation (``store.py``): ``refresh`` reads the ``head`` record (one small read), and when it
moved applies only the articles written or deleted since the generation the index was last
brought to (deleting an article's chunks, then adding those it holds now). Nothing is rebuilt
unless the index is missing, damaged, of another layout or of another store; then it is built
from the store into a new directory and swapped in.

Layout of ``root`` (``lexical_dir``): ``state.json`` (format, the store's change log, the
generation applied, the index directory in use) and ``index-<id>/`` (tantivy's files). Every
process that opens the store shares ``root``; ``update.lock`` serialises the processes that
update it, while searches read the last committed state and are never blocked (tantivy's
readers see a commit whole or not at all).

Words are the same as in the rest of briefbot: ``tokenize`` (bm25s's tokenizer: lower case,
English stopwords, PyStemmer's Snowball English) makes the terms in Python, and tantivy indexes
them as given (its ``whitespace`` tokenizer). Scores are tantivy's BM25 (k1 1.2, b 0.75, Lucene's
idf; tantivy does not let them be changed).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import filelock
import tantivy
from platformdirs import user_state_dir

from briefbot.backends.store import ChromaStore, Generation
from briefbot.errors import DamagedStoreError, StoreError
from briefbot.models import SearchFilters
from briefbot.settings import Settings
from briefbot.text.words import STEMMER

log = logging.getLogger(__name__)

_TOKEN_PATTERN = r"(?u)\b\w+\b"
FORMAT = 1
STATE_FILE = "state.json"
_WRITER_HEAP = 50_000_000
_BATCH_DOCS = 5000


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, English-stopword-free, Snowball-stemmed word tokens."""
    if not texts:
        return []
    import bm25s  # here, not at the top: it imports scipy (0.2 s) for every command

    tokens = bm25s.tokenize(
        list(texts),
        stopwords="en",
        stemmer=STEMMER,
        token_pattern=_TOKEN_PATTERN,
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


def lexical_dir(settings: Settings) -> Path:
    """Where the keyword index of ``settings``' store lives.

    An embedded store keeps it inside the store directory. A Chroma server cannot hold it, so
    each host keeps its own copy in the user's state directory, one per server URL and
    collection prefix: every app process of this user on this host shares it (one catch-up
    per change, not one per process) and it survives restarts (a reopen applies only what
    changed). Another host builds its own copy once, then follows the same generations.
    """
    if settings.lexical_dir is not None:
        return settings.lexical_dir
    if not settings.chroma_url:
        return settings.store_path / "lexical"
    parsed = urlparse(settings.chroma_url)
    port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    server = f"{parsed.scheme}://{(parsed.hostname or '').lower()}:{port}{parsed.path}"
    key = f"{server.rstrip('/')}#{settings.collection_prefix}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(user_state_dir("briefbot", appauthor=False)) / "lexical" / f"chroma-{digest}"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("article_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("text", tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("published_ts", indexed=True, fast=True)
    return builder.build()


SCHEMA = _schema()


def _damaged(path: Path, state: str) -> DamagedStoreError:
    return DamagedStoreError(f"the keyword (BM25) index file {path} {state}")


@dataclass(frozen=True)
class State:
    """``state.json``: which store's log the index follows, how far, and in which directory."""

    log: str
    applied: int
    index: str

    def to_json(self) -> str:
        return json.dumps(
            {"format": FORMAT, "log": self.log, "applied": self.applied, "index": self.index}
        )


def read_state(root: Path) -> State | None:
    """``state.json`` of ``root`` (None: no index yet, or an older layout); a
    ``DamagedStoreError`` naming the file when it cannot be read."""
    path = root / STATE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _damaged(path, f"cannot be read ({exc})") from exc
    if not isinstance(data, dict):
        raise _damaged(path, "is not a JSON object")
    if data.get("format") != FORMAT:
        return None
    log_id, applied, index = data.get("log"), data.get("applied"), data.get("index")
    if not isinstance(log_id, str) or not isinstance(applied, int) or not isinstance(index, str):
        raise _damaged(path, "is incomplete")
    if "/" in index or not index.startswith("index-"):
        raise _damaged(path, f"names no index directory of {root} ({index!r})")
    return State(log_id, applied, index)


def _write_state(root: Path, state: State) -> None:
    """Written beside, then renamed over: a reader sees the old state or the new, never half."""
    path = root / STATE_FILE
    tmp = path.with_name(f"{STATE_FILE}.{os.getpid()}.tmp")
    try:
        tmp.write_text(state.to_json(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(f"cannot write the keyword index state {path}: {exc}") from exc


def open_index(root: Path, state: State) -> tantivy.Index:
    """The tantivy index ``state`` names, with its searcher checked to open; a
    ``DamagedStoreError`` naming the directory or file when it cannot."""
    folder = root / state.index
    if not (folder / "meta.json").is_file():
        raise _damaged(folder / "meta.json", "is missing")
    try:
        index = tantivy.Index.open(str(folder))
        index.reload()
        index.searcher()
    except ValueError as exc:
        raise _damaged(_named_file(folder, str(exc)), f"cannot be read ({exc})") from exc
    return index


def _named_file(folder: Path, message: str) -> Path:
    """The file of ``folder`` that tantivy's error names (the folder when it names none)."""
    found = re.search(r"[0-9a-f]{32}\.[a-z0-9.]+|meta\.json", message)
    return folder / found.group(0) if found else folder


def check_index(root: Path) -> str | None:
    """What is wrong with the index files in ``root``, naming the file (None: readable or
    absent)."""
    try:
        state = read_state(root)
        if state is not None:
            open_index(root, state)
    except DamagedStoreError as exc:
        return str(exc)
    return None


def _chunk_ids(searcher: tantivy.Searcher) -> set[str]:
    total = searcher.num_docs
    if not total:
        return set()
    hits = searcher.search(tantivy.Query.all_query(), limit=total, count=False).hits
    return {searcher.doc(address)["chunk_id"][0] for _, address in hits}


def indexed_chunk_ids(root: Path) -> tuple[State, set[str]] | None:
    """The state of the index in ``root`` and every chunk id it holds, read without changing
    anything (None: no index); ``DamagedStoreError`` naming the file when it cannot be read."""
    state = read_state(root)
    if state is None:
        return None
    return state, _chunk_ids(open_index(root, state).searcher())


def _add_all(writer: Any, records: Iterable[tuple[str, str, dict[str, Any]]]) -> int:
    """Add the records, tokenising them in batches (bm25s is fast per call, slow per text)."""
    added = 0
    batch: list[tuple[str, str, dict[str, Any]]] = []

    def flush() -> None:
        nonlocal added
        tokens = tokenize([text or "" for _, text, _ in batch])
        for (chunk_id, _, meta), words in zip(batch, tokens, strict=True):
            doc = tantivy.Document()
            doc.add_text("chunk_id", chunk_id)
            doc.add_text("article_id", str(meta.get("article_id", "")))
            doc.add_text("text", " ".join(words))
            published = meta.get("published_ts")
            if published is not None:
                doc.add_integer("published_ts", int(published))
            writer.add_document(doc)
        added += len(batch)
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= _BATCH_DOCS:
            flush()
    if batch:
        flush()
    return added


@dataclass(frozen=True)
class Update:
    """What the last ``refresh`` did: built the index whole, applied some articles' changes,
    or only opened what another process had brought up to date."""

    kind: Literal["build", "catch-up", "reload"]
    articles: int = 0


class BM25Index:
    """Keyword search over the committed chunks of ``store``, kept in step by generation."""

    def __init__(self, store: ChromaStore, root: Path, recheck_s: float | None = None) -> None:
        self.store = store
        self.root = root
        self.recheck_s = store.settings.lexical_recheck_s if recheck_s is None else recheck_s
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._searcher: tantivy.Searcher | None = None
        self._state: State | None = None
        self._seen: Generation | None = None
        self._checked = 0.0
        self.builds = 0
        self.last_update: Update | None = None

    # --- keeping in step ---------------------------------------------------------------

    def refresh(self, rebuild: bool = False, wait: bool = True) -> bool:
        """Bring the index up to the store's generation; True when it changed or was reopened.

        Cheap when nothing changed: one read of the store's ``head``. ``rebuild`` builds it
        whole from the store even when it looks current (``briefbot doctor --repair``).
        Without ``wait``, an update that another thread or process is making is left to it
        (False): a search goes on with the index it has rather than wait for a writer.
        """
        if not self._lock.acquire(blocking=wait):
            return False
        try:
            self._checked = time.monotonic()
            head = self.store.generation()
            if not rebuild and self._searcher is not None and head == self._seen:
                return False
            if not self._update(head, rebuild, wait):
                return False
            self._seen = head
            return True
        finally:
            self._lock.release()

    def _update(self, head: Generation, rebuild: bool, wait: bool) -> bool:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the keyword index directory {self.root}: {exc}"
            ) from exc
        lock = filelock.FileLock(self.root / "update.lock", thread_local=False)
        try:
            lock.acquire(timeout=self.store.settings.store_lock_timeout_s if wait else 0)
        except filelock.Timeout:
            if wait:
                raise StoreError(
                    f"another briefbot process kept the keyword index {self.root} locked "
                    f"for {self.store.settings.store_lock_timeout_s:g}s (lock file "
                    f"{lock.lock_file})"
                ) from None
            return False
        try:
            self._update_locked(head, rebuild)
        finally:
            lock.release()
        return True

    def _update_locked(self, head: Generation, rebuild: bool) -> None:
        state = None if rebuild else self._usable_state(head)
        if state is None:
            self._build(head)
            return
        index = self._index if self._state and self._state.index == state.index else None
        if index is None:
            try:
                index = open_index(self.root, state)
            except DamagedStoreError as exc:
                log.warning("%s; rebuilding it from the store", exc)
                self._build(head)
                return
        if state.applied < head.committed:
            applied = self._catch_up(index, state, head)
            self.last_update = Update("catch-up", applied)
            state = State(state.log, head.committed, state.index)
            _write_state(self.root, state)
        else:
            self.last_update = Update("reload")
        self._use(index, state)

    def _usable_state(self, head: Generation) -> State | None:
        try:
            state = read_state(self.root)
        except DamagedStoreError as exc:
            log.warning("%s; rebuilding it from the store", exc)
            return None
        if state is None or state.log != head.log or state.applied > head.committed:
            return None
        return state

    def _use(self, index: tantivy.Index, state: State) -> None:
        index.reload()
        self._index, self._state = index, state
        self._searcher = index.searcher()

    def _catch_up(self, index: tantivy.Index, state: State, head: Generation) -> int:
        """Apply the articles written or deleted after ``state.applied``; how many."""
        changes = self.store.changes_since(state.applied)
        touched = changes.touched()
        writer = index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        try:
            for article_id in sorted(touched):
                writer.delete_documents_by_term("article_id", article_id)
            _add_all(writer, self.store.committed_chunk_records(changes.live()))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        log.info(
            "keyword index %s: applied %d changed articles (generation %d to %d)",
            self.root,
            len(touched),
            state.applied,
            head.committed,
        )
        return len(touched)

    def _build(self, head: Generation) -> None:
        """Index every committed chunk into a new directory, then point ``state.json`` at it."""
        name = f"index-{uuid.uuid4().hex[:12]}"
        folder = self.root / name
        folder.mkdir(parents=True)
        index = tantivy.Index(SCHEMA, path=str(folder))
        writer = index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        added = _add_all(writer, self.store.committed_chunk_records())
        writer.commit()
        writer.wait_merging_threads()
        state = State(head.log, head.committed, name)
        _write_state(self.root, state)
        for old in self.root.glob("index-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        legacy = self.store.settings.store_path / "bm25"  # the bm25s cache it replaces
        if not self.store.settings.chroma_url and legacy.is_dir():
            shutil.rmtree(legacy, ignore_errors=True)
        self.builds += 1
        self.last_update = Update("build")
        self._use(index, state)
        log.info("keyword index %s: built from %d chunks", self.root, added)

    def _searcher_now(self) -> tantivy.Searcher:
        """The current searcher; the store's head is read again every ``recheck_s`` seconds,
        so that another process's writes are found."""
        if self._searcher is None:
            self.refresh()
        elif time.monotonic() - self._checked >= self.recheck_s:
            self.refresh(wait=False)
        assert self._searcher is not None
        return self._searcher

    @property
    def applied(self) -> int | None:
        """The generation this process's index is at (None: not opened yet)."""
        return self._state.applied if self._state else None

    def indexed_chunk_ids(self) -> set[str]:
        """Every chunk id in this process's index, brought up to date first."""
        return _chunk_ids(self._searcher_now())

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
        if k <= 0 or (article_ids is not None and not article_ids):
            return []
        terms = tokenize([query])[0]
        searcher = self._searcher_now()
        if not terms or not searcher.num_docs:
            return []
        words = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(SCHEMA, "text", t)) for t in terms]
        )
        clauses = [(tantivy.Occur.Must, words)]
        for condition in _conditions(filters, article_ids):
            clauses.append((tantivy.Occur.Must, tantivy.Query.boost_query(condition, 0.0)))
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=k, count=False).hits
        return [
            (searcher.doc(address)["chunk_id"][0], float(score))
            for score, address in hits
            if score > 0
        ]


def _conditions(
    filters: SearchFilters | None, article_ids: Sequence[str] | None
) -> list[tantivy.Query]:
    """The filters as tantivy queries (they only select: their scores are zeroed)."""
    found: list[tantivy.Query] = []
    if article_ids is not None:
        found.append(tantivy.Query.term_set_query(SCHEMA, "article_id", list(article_ids)))
    since = filters.since.timestamp() if filters and filters.since else None
    until = filters.until.timestamp() if filters and filters.until else None
    if since is not None or until is not None:
        found.append(
            tantivy.Query.range_query(
                SCHEMA,
                "published_ts",
                tantivy.FieldType.Integer,
                math.ceil(since) if since is not None else None,
                math.floor(until) if until is not None else None,
            )
        )
    return found
