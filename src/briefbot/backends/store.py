"""Chroma persistence: one collection of articles (full text), one of chunks.

Write order makes every ingest safe to interrupt: an article's chunks are written first and its
article record last, so the record is the commit marker. Chunks without a record are invisible
to readers and are cleaned by the next ingest of that article or by ``doctor --repair``.

Every commit (an article written, an article deleted) also advances the store's generation, so
that derived indexes (the keyword index, ``lexical.py``) learn what changed without listing the
store: the article record carries the generation it was written at (``gen``), a deletion leaves
a tombstone with its generation in a third collection (``<prefix>-changes``), and a ``head``
record there holds the last committed generation. The head is advanced after the commit, so a
crash in between leaves a record newer than the head; readers count themselves caught up only
to the head they read, so they apply such a record again on the next change (applying is
idempotent), and the next writer's generation may repeat it without anything being missed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlparse

import httpx
import numpy as np

from briefbot.backends.chroma_files import (
    VectorSegment,
    check_vector_folder,
    salvage_records,
    vector_segment,
)
from briefbot.backends.embedders import Vectors
from briefbot.backends.writelock import StoreWriteLock
from briefbot.errors import DamagedStoreError, EmbedderMismatchError, NotFoundError, StoreError
from briefbot.models import Article, Chunk, Outlet, SearchFilters
from briefbot.settings import Settings

log = logging.getLogger(__name__)

Metadata = dict[str, Any]
Record = tuple[str, str, Metadata]
Kind = Literal["articles", "chunks"]
HEAD = "head"
"""Id of the record in the changes collection that holds the last committed generation."""
_PAGE = 1000
RECORDS_REMEMBERED = 4096
"""Article records a store remembers between searches (see ``article_records``)."""
_REBUILT, _DAMAGED = "-rebuilt", "-damaged"
"""Suffixes of the collection a rebuild writes beside the damaged one, and of the damaged one
while the rebuilt one takes its name."""


def _chroma_settings() -> Any:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def _client(settings: Settings) -> Any:
    import chromadb

    if settings.chroma_url:
        parsed = urlparse(settings.chroma_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise StoreError(
                f"BRIEFBOT_CHROMA_URL={settings.chroma_url!r} is not an http(s) URL like "
                "http://127.0.0.1:8000"
            )
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname,
                port=port,
                ssl=parsed.scheme == "https",
                settings=_chroma_settings(),
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises plain exceptions for connection errors
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}. "
                "Start it with `chroma run --path DIR --host 127.0.0.1 --port N`."
            ) from exc
        return client
    try:
        settings.store_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store_path), settings=_chroma_settings())
    except Exception as exc:
        raise StoreError(f"cannot open the store at {settings.store_path}: {exc}") from exc


class _GuardedCollection:
    """A Chroma collection whose failures become briefbot errors.

    A lost server connection is a ``StoreError``; an index Chroma cannot read (its
    ``InternalError``) is a ``DamagedStoreError`` that says to run ``briefbot doctor
    --repair``; a collection that ``doctor --repair`` replaced in another process is looked
    up again by name, once.
    """

    def __init__(self, collection: Any, client: Any, location: str) -> None:
        from chromadb.errors import InternalError, NotFoundError

        self._collection = collection
        self._client = client
        self._location = location
        self._internal, self._not_found = InternalError, NotFoundError

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                try:
                    return getattr(self._collection, name)(*args, **kwargs)
                except self._not_found:
                    self._collection = self._client.get_collection(
                        self._collection.name, embedding_function=None
                    )
                    return getattr(self._collection, name)(*args, **kwargs)
            except httpx.TransportError as exc:
                raise StoreError(
                    f"lost the Chroma server at {self._location}: {exc}. Check that "
                    "`chroma run` is up; briefbot reconnects when it is back."
                ) from exc
            except self._internal as exc:
                raise DamagedStoreError(
                    f"the search index of {self._collection.name!r} in the store at "
                    f"{self._location} cannot be read: run `briefbot doctor --repair` to rebuild "
                    f"it (`briefbot doctor` names the damaged file). Chroma said: {exc}"
                ) from exc
            except self._not_found as exc:
                raise StoreError(
                    f"collection {self._collection.name!r} is gone from {self._location}: {exc}"
                ) from exc

        return call


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _timestamp(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def _drop_none(data: Mapping[str, Any]) -> Metadata:
    return {k: v for k, v in data.items() if v is not None}


def article_metadata(article: Article, signature: str) -> Metadata:
    return _drop_none(
        {
            "key": article.key,
            "title": article.title,
            "source": article.source,
            "outlets": [name.casefold() for name in article.outlets] or [""],
            "authors": json.dumps(article.authors),
            "published": _iso(article.published),
            "published_ts": _timestamp(article.published),
            "url": article.url,
            "language": article.language,
            "also_published": json.dumps(
                [o.model_dump(mode="json") for o in article.also_published]
            ),
            "chunk_count": article.chunk_count,
            "minhash": signature,
        }
    )


def article_from_record(article_id: str, text: str | None, meta: Mapping[str, Any]) -> Article:
    published = meta.get("published")
    return Article(
        id=article_id,
        key=str(meta.get("key", "")),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        authors=json.loads(str(meta.get("authors", "[]"))),
        published=datetime.fromisoformat(str(published)) if published else None,
        url=meta.get("url"),
        language=meta.get("language"),
        text=text or "",
        also_published=[Outlet(**o) for o in json.loads(str(meta.get("also_published", "[]")))],
        chunk_count=int(meta.get("chunk_count", 0)),
    )


def chunk_metadata(chunk: Chunk, article: Article) -> Metadata:
    return _drop_none(
        {
            "article_id": chunk.article_id,
            "ordinal": chunk.ordinal,
            "start": chunk.start,
            "end": chunk.end,
            "embed_tokens": chunk.embed_tokens,
            "llm_tokens": chunk.llm_tokens,
            "published_ts": _timestamp(article.published),
        }
    )


@dataclass(frozen=True)
class Pending:
    """An article ready to be written: its chunks, their vectors and its MinHash signature."""

    article: Article
    chunks: Sequence[Chunk]
    vectors: Vectors
    signature: str


@dataclass(frozen=True)
class Generation:
    """Where a store's change log stands: which log (its collection id: a store wiped and made
    again starts another) and the last committed generation."""

    log: str
    committed: int


@dataclass(frozen=True)
class Changes:
    """Articles written and deleted after some generation: id -> the generation of the change."""

    written: dict[str, int]
    deleted: dict[str, int]

    def live(self) -> list[str]:
        """Articles whose latest change is a write (a record written after its deletion)."""
        return sorted(a for a, g in self.written.items() if g > self.deleted.get(a, -1))

    def touched(self) -> set[str]:
        return set(self.written) | set(self.deleted)


def chunk_from_record(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        article_id=str(meta["article_id"]),
        ordinal=int(meta["ordinal"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        embed_tokens=int(meta.get("embed_tokens", 0)),
        llm_tokens=int(meta.get("llm_tokens", 0)),
    )


def chunk_where(filters: SearchFilters | None, article_ids: Sequence[str] | None) -> Any:
    """Chroma ``where`` clause for chunk queries (outlets already resolved to article ids)."""
    clauses: list[Metadata] = []
    if article_ids is not None:
        clauses.append({"article_id": {"$in": list(article_ids)}})
    if filters and filters.since:
        clauses.append({"published_ts": {"$gte": int(filters.since.timestamp())}})
    if filters and filters.until:
        clauses.append({"published_ts": {"$lte": int(filters.until.timestamp())}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def centroid(vectors: Vectors, dimension: int) -> Vectors:
    """An article's vector: the normalised mean of its chunks' vectors (zeros without any)."""
    if not len(vectors):
        return np.zeros(dimension, dtype=np.float32)
    mean: Vectors = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean)) or 1.0
    return (mean / norm).astype(np.float32)


class ChromaStore:
    """Articles and chunks in two Chroma collections that record their embedder."""

    def __init__(self, settings: Settings, embedder_name: str, dimension: int) -> None:
        self.settings = settings
        self.location = settings.store_location
        self.embedder_name = embedder_name
        self.dimension = dimension
        self.client = _client(settings)
        self.write_lock = StoreWriteLock(settings)
        self._index_states: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self._segments: dict[str, VectorSegment] = {}
        self._records: OrderedDict[str, Metadata] = OrderedDict()
        self._records_at: Generation | None = None
        self._records_lock = threading.Lock()
        prefix = settings.collection_prefix
        self.articles = self._collection(f"{prefix}-articles", embedder_name, dimension)
        self.chunks = self._collection(f"{prefix}-chunks", embedder_name, dimension)
        self.changes = self._changes_collection(f"{prefix}-changes")

    def _collection(self, name: str, embedder_name: str, dimension: int) -> Any:
        try:
            self._finish_swap(name)
            collection = self.client.get_or_create_collection(
                name,
                metadata={"embedder": embedder_name, "dimension": dimension},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreError(f"cannot open collection {name!r} at {self.location}: {exc}") from exc
        recorded = (collection.metadata or {}).get("embedder")
        if recorded and recorded != embedder_name:
            raise EmbedderMismatchError(
                f"the store at {self.location} was built with embedder {recorded!r}, "
                f"but {embedder_name!r} is configured; set BRIEFBOT_EMBEDDER to match or use "
                "another store",
                recorded=str(recorded),
            )
        return _GuardedCollection(collection, self.client, self.location)

    def _changes_collection(self, name: str) -> Any:
        """The change log: the ``head`` record and deletion tombstones (1-d unit vectors, as
        Chroma stores nothing without a vector)."""
        try:
            collection = self.client.get_or_create_collection(
                name,
                metadata={"purpose": "briefbot change log"},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreError(f"cannot open collection {name!r} at {self.location}: {exc}") from exc
        return _GuardedCollection(collection, self.client, self.location)

    def _names(self) -> set[str]:
        return {c.name for c in self.client.list_collections()}

    def _finish_swap(self, name: str) -> None:
        """A rebuild stopped between its two renames: its finished copy takes the name."""
        names = self._names()
        if name not in names and {name + _REBUILT, name + _DAMAGED} <= names:
            self.client.get_collection(name + _REBUILT, embedding_function=None).modify(name=name)
            log.warning("finished the interrupted rebuild of %r in %s", name, self.location)

    # --- reading ---------------------------------------------------------------------

    def count_articles(self) -> int:
        return int(self.articles.count())

    def count_chunks(self) -> int:
        return int(self.chunks.count())

    def _paged_get(self, collection: Any, include: list[str], where: Any = None) -> Iterator[Any]:
        offset = 0
        while True:
            page = collection.get(where=where, include=include, limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def iter_chunk_records(self) -> Iterator[tuple[str, str, Metadata]]:
        """Every stored chunk as (id, text, metadata), page by page."""
        for page in self._paged_get(self.chunks, ["documents", "metadatas"]):
            yield from zip(page["ids"], page["documents"], page["metadatas"], strict=True)

    def iter_article_records(self) -> Iterator[tuple[str, str, Metadata]]:
        """Every stored article record as (id, text, metadata), page by page."""
        for page in self._paged_get(self.articles, ["documents", "metadatas"]):
            yield from zip(page["ids"], page["documents"], page["metadatas"], strict=True)

    def article_records(self, ids: Sequence[str]) -> dict[str, Metadata]:
        """Metadata of the given article ids that exist (committed as of the last generation).

        Every search asks for its candidates' articles, so records are remembered while the
        store's generation stands still: every write, merge and delete advances it (in any
        process), and reading it is one small record against a read of every record asked for.
        """
        if not ids:
            return {}
        wanted = list(dict.fromkeys(ids))
        at = self.generation()
        with self._records_lock:
            if at != self._records_at:
                self._records.clear()
                self._records_at = at
            known = {i: self._records[i] for i in wanted if i in self._records}
        missing = [i for i in wanted if i not in known]
        if missing:
            page = self.articles.get(ids=missing, include=["metadatas"])
            fetched = dict(zip(page["ids"], page["metadatas"], strict=True))
            with self._records_lock:
                if self._records_at == at:
                    self._records.update(fetched)
                    while len(self._records) > RECORDS_REMEMBERED:
                        self._records.popitem(last=False)
            known.update(fetched)
        return {i: dict(known[i]) for i in wanted if i in known}

    def _forget_records(self) -> None:
        with self._records_lock:
            self._records.clear()
            self._records_at = None

    def all_article_records(self) -> dict[str, Metadata]:
        records: dict[str, Metadata] = {}
        for page in self._paged_get(self.articles, ["metadatas"]):
            records.update(zip(page["ids"], page["metadatas"], strict=True))
        return records

    def ids_by_key(self, keys: Sequence[str]) -> dict[str, list[str]]:
        if not keys:
            return {}
        page = self.articles.get(where={"key": {"$in": list(keys)}}, include=["metadatas"])
        found: dict[str, list[str]] = {}
        for article_id, meta in zip(page["ids"], page["metadatas"], strict=True):
            found.setdefault(str(meta["key"]), []).append(article_id)
        return found

    def get_article(self, article_id: str) -> Article | None:
        page = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not page["ids"]:
            return None
        return article_from_record(article_id, page["documents"][0], page["metadatas"][0])

    def article(self, article_id: str) -> Article:
        """The stored article ``article_id``; ``NotFoundError`` when there is none."""
        found = self.get_article(article_id)
        if found is None:
            raise NotFoundError(f"no article with id {article_id!r} in {self.location}")
        return found

    def list_articles(self, with_text: bool = False) -> list[Article]:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        articles = []
        for page in self._paged_get(self.articles, include):
            texts = page["documents"] if with_text else [None] * len(page["ids"])
            for article_id, text, meta in zip(page["ids"], texts, page["metadatas"], strict=True):
                articles.append(article_from_record(article_id, text, meta))
        return articles

    def chunks_of(self, article_id: str) -> list[Chunk]:
        page = self.chunks.get(where={"article_id": article_id}, include=["documents", "metadatas"])
        chunks = [
            chunk_from_record(cid, doc, meta)
            for cid, doc, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            )
        ]
        return sorted(chunks, key=lambda c: c.ordinal)

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        if not chunk_ids:
            return []
        page = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return [
            chunk_from_record(cid, doc, meta)
            for cid, doc, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            )
        ]

    def get_chunks_with_embeddings(self, chunk_ids: Sequence[str]) -> list[tuple[Chunk, Vectors]]:
        """The chunks and their stored vectors, in one read."""
        if not chunk_ids:
            return []
        page = self.chunks.get(
            ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"]
        )
        return [
            (chunk_from_record(cid, doc, meta), np.asarray(vec, dtype=np.float32))
            for cid, doc, meta, vec in zip(
                page["ids"], page["documents"], page["metadatas"], page["embeddings"], strict=True
            )
        ]

    def iter_chunks(self) -> Iterator[Chunk]:
        for page in self._paged_get(self.chunks, ["documents", "metadatas"]):
            for cid, doc, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                yield chunk_from_record(cid, doc, meta)

    def chunk_embeddings(self, chunk_ids: Sequence[str]) -> dict[str, Vectors]:
        if not chunk_ids:
            return {}
        page = self.chunks.get(ids=list(chunk_ids), include=["embeddings"])
        return {
            cid: np.asarray(vec, dtype=np.float32)
            for cid, vec in zip(page["ids"], page["embeddings"], strict=True)
        }

    def query_chunks(self, vector: Vectors, k: int, where: Any = None) -> list[tuple[Chunk, float]]:
        """Nearest chunks with their cosine similarity."""
        return [(c, s) for c, s, _ in self.nearest_chunks(vector, k, where, embeddings=False)]

    def nearest_chunks(
        self, vector: Vectors, k: int, where: Any = None, *, embeddings: bool = True
    ) -> list[tuple[Chunk, float, Vectors | None]]:
        """Nearest chunks with their cosine similarity and, if ``embeddings``, their stored
        vector, in one query (Chroma returns fewer than ``k`` from a smaller store)."""
        self._refuse_damaged_index("chunks")
        include = ["documents", "metadatas", "distances", *(["embeddings"] if embeddings else [])]
        result = self.chunks.query(
            query_embeddings=[vector.tolist()], n_results=k, where=where, include=include
        )
        vectors = result["embeddings"][0] if embeddings else [None] * len(result["ids"][0])
        # A writer deleting chunks while the query runs can leave an id whose record is
        # already gone (no metadata): that chunk is no longer in the store, so it is skipped.
        return [
            (
                chunk_from_record(cid, doc, meta),
                1.0 - float(distance),
                None if vec is None else np.asarray(vec, dtype=np.float32),
            )
            for cid, doc, meta, distance, vec in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                vectors,
                strict=True,
            )
            if meta is not None and doc is not None
        ]

    def query_articles(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        self._refuse_damaged_index("articles")
        result = self.articles.query(
            query_embeddings=[vector.tolist()], n_results=k, include=["distances"]
        )
        return [
            (aid, 1.0 - float(d))
            for aid, d in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    # --- change log ------------------------------------------------------------------

    def generation(self) -> Generation:
        """The last committed generation: one read of one record, whatever the store holds."""
        page = self.changes.get(ids=[HEAD], include=["metadatas"])
        meta = page["metadatas"][0] if page["ids"] else {}
        return Generation(str(self.changes.id), int((meta or {}).get("gen", 0)))

    def changes_since(self, generation: int) -> Changes:
        """Articles written (records with a later ``gen``) and deleted (tombstones) after
        ``generation``."""
        later = {"gen": {"$gt": generation}}
        written = {
            aid: int(meta["gen"])
            for page in self._paged_get(self.articles, ["metadatas"], later)
            for aid, meta in zip(page["ids"], page["metadatas"], strict=True)
        }
        deleted: dict[str, int] = {}
        tombstones = {"$and": [{"kind": "delete"}, later]}
        for page in self._paged_get(self.changes, ["metadatas"], tombstones):
            for meta in page["metadatas"]:
                aid, gen = str(meta["article_id"]), int(meta["gen"])
                deleted[aid] = max(gen, deleted.get(aid, gen))
        return Changes(written, deleted)

    def committed_chunk_records(
        self, article_ids: Sequence[str] | None = None
    ) -> Iterator[tuple[str, str, Metadata]]:
        """The chunks of committed articles (all, or of ``article_ids``) as (id, text,
        metadata); chunks without an article record (an interrupted ingest) are left out."""
        if article_ids is None:
            committed = set(self.all_article_records())
            for record in self.iter_chunk_records():
                if str(record[2].get("article_id", "")) in committed:
                    yield record
            return
        ids = list(article_ids)
        for start in range(0, len(ids), 200):
            part = ids[start : start + 200]
            committed = set(self.article_records(part))
            if not committed:
                continue
            where = {"article_id": {"$in": sorted(committed)}}
            for page in self._paged_get(self.chunks, ["documents", "metadatas"], where):
                yield from zip(page["ids"], page["documents"], page["metadatas"], strict=True)

    def _next_generation(self) -> int:
        return self.generation().committed + 1

    def _advance(self, generation: int) -> None:
        """Record ``generation`` as committed (after its records are written)."""
        self.changes.upsert(
            ids=[HEAD], embeddings=[[1.0]], documents=[""], metadatas=[{"gen": generation}]
        )

    # --- health (``briefbot doctor``) ---------------------------------------------------

    def collection(self, kind: Kind) -> Any:
        return self.articles if kind == "articles" else self.chunks

    def stored_records(self, kind: Kind) -> list[Record]:
        """Every record of a collection as (id, text, metadata): through Chroma, or, when a
        damaged vector index keeps Chroma from reading them, from ``chroma.sqlite3``."""
        try:
            if kind == "chunks":
                return list(self.iter_chunk_records())
            return list(self.iter_article_records())
        except DamagedStoreError:
            if self.settings.chroma_url:
                raise
            return salvage_records(self.settings.store_path, str(self.collection(kind).id))

    def _refuse_damaged_index(self, kind: Kind) -> None:
        """Raise ``DamagedStoreError`` before a search when a vector index file is cut short or
        emptied: Chroma's native code can read past the end of such a file and crash the
        process instead of raising. Embedded stores only; checked once per state of the files."""
        if self.settings.chroma_url:
            return
        collection_id = str(self.collection(kind).id)
        segment = self._segments.get(collection_id)
        if segment is None:
            segment = vector_segment(self.settings.store_path, collection_id)
            if segment is not None and segment.persisted:  # settled: read chroma.sqlite3 once
                self._segments[collection_id] = segment
        if segment is None or not segment.folder.is_dir():
            return
        state = tuple(
            (f.name, f.stat().st_size, f.stat().st_mtime_ns)
            for f in sorted(segment.folder.iterdir())
            if f.is_file()
        )
        if self._index_states.get(kind) == state:
            return
        problems = check_vector_folder(segment, thorough=False)
        if problems:
            raise DamagedStoreError(
                f"the search index of the store at {self.settings.store_path} is damaged "
                f"({problems[0]}): run `briefbot doctor --repair` to rebuild it"
            )
        self._index_states[kind] = state

    def vector_problems(self, kind: Kind) -> list[str]:
        """What is wrong with a collection's vector index: its files (embedded stores), then
        whether Chroma reads every vector back."""
        collection = self.collection(kind)
        problems: list[str] = []
        if not self.settings.chroma_url:
            segment = vector_segment(self.settings.store_path, str(collection.id))
            if segment is not None:
                problems += check_vector_folder(segment)
        if problems:
            # Chroma reading damaged files can crash the process rather than raise.
            return problems
        try:
            self._read_back(collection)
        except DamagedStoreError as exc:
            detail = "" if problems else f" ({exc.__cause__ or exc})"
            problems.append(f"Chroma cannot read it back{detail}")
        return problems

    def _read_back(self, collection: Any) -> None:
        total = int(collection.count())
        seen = 0
        for page in self._paged_get(collection, ["embeddings"]):
            vectors = np.asarray(page["embeddings"], dtype=np.float32)
            if vectors.ndim != 2 or len(vectors) != len(page["ids"]):
                raise DamagedStoreError("some vectors came back missing or misshapen")
            if not np.isfinite(vectors).all():
                raise DamagedStoreError("some vectors came back as NaN or infinity")
            seen += len(vectors)
        if seen != total:
            raise DamagedStoreError(f"it counts {total} records but returns {seen} vectors")

    def leftovers(self) -> list[str]:
        """Collections an interrupted rebuild left behind (its copy, or the damaged original)."""
        ours = {c.name for c in (self.articles, self.chunks)}
        return sorted(
            name
            for name in self._names()
            for suffix in (_REBUILT, _DAMAGED)
            if name.endswith(suffix) and name.removesuffix(suffix) in ours
        )

    def drop_leftovers(self) -> list[str]:
        with self.write_lock:
            dropped = self.leftovers()
            for name in dropped:
                self.client.delete_collection(name)
            return dropped

    def rebuild_vectors(self, kind: Kind, embed: Callable[[list[str]], Vectors]) -> int:
        """Rebuild a collection whose vector index is damaged; the number of records.

        Its records (read back or salvaged) get fresh vectors: chunks re-embedded from their
        text, articles the centroid of their chunks' vectors, as ``put_article`` makes them
        (rebuild the chunks first). They go into a new collection beside the damaged one,
        which is read back whole before it takes the damaged one's name; only then is the
        damaged one removed. An interruption leaves the old collection, or a finished copy
        that the next open renames (``_finish_swap``).
        """
        self._forget_records()  # the records are read back into a new collection
        with self.write_lock:
            old = self.collection(kind)
            records = self.stored_records(kind)
            ids = [r[0] for r in records]
            texts = [r[1] for r in records]
            metas = [r[2] for r in records]
            if kind == "chunks":
                parts = [embed(texts[i : i + _PAGE]) for i in range(0, len(texts), _PAGE)]
                vectors = (
                    np.concatenate(parts)
                    if parts
                    else np.zeros((0, self.dimension), dtype=np.float32)
                )
            else:
                vectors = self._centroids(ids)
            new = self._build_beside(old, ids, texts, metas, vectors)
            name = old.name
            old.modify(name=name + _DAMAGED)
            try:
                new.modify(name=name)
            except BaseException:
                old.modify(name=name)
                raise
            self.client.delete_collection(name + _DAMAGED)
            if kind == "articles":
                self.articles = new
            else:
                self.chunks = new
            log.info("rebuilt the vector index of %r (%d records)", name, len(ids))
            return len(ids)

    def _centroids(self, article_ids: Sequence[str]) -> Vectors:
        by_article: dict[str, list[Vectors]] = {}
        for page in self._paged_get(self.chunks, ["embeddings", "metadatas"]):
            for vector, meta in zip(page["embeddings"], page["metadatas"], strict=True):
                by_article.setdefault(str(meta.get("article_id", "")), []).append(vector)
        rows = [
            centroid(np.asarray(by_article.get(aid, []), dtype=np.float32), self.dimension)
            for aid in article_ids
        ]
        return np.stack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)

    def _build_beside(
        self, old: Any, ids: list[str], texts: list[str], metas: list[Metadata], vectors: Vectors
    ) -> Any:
        spare = old.name + _REBUILT
        if spare in self._names():
            self.client.delete_collection(spare)
        hnsw = (old.configuration_json or {}).get("hnsw") or {"space": "cosine"}
        new = _GuardedCollection(
            self.client.create_collection(
                spare,
                metadata=dict(old.metadata or {}),
                configuration={"hnsw": hnsw},
                embedding_function=None,
            ),
            self.client,
            self.location,
        )
        for part in self._batched(len(ids)):
            new.add(
                ids=ids[part],
                embeddings=vectors[part],
                documents=texts[part],
                metadatas=metas[part],
            )
        self._read_back(new)
        if int(new.count()) != len(ids):
            raise DamagedStoreError(f"the rebuilt {spare!r} does not hold all {len(ids)} records")
        return new

    # --- writing ---------------------------------------------------------------------

    def _batched(self, n: int) -> Iterable[slice]:
        size = max(1, min(int(self.client.get_max_batch_size()), 2000))
        for start in range(0, n, size):
            yield slice(start, start + size)

    def put_article(
        self, article: Article, chunks: Sequence[Chunk], vectors: Vectors, signature: str
    ) -> None:
        """Write chunks, then the article record (the commit marker), then advance the
        generation."""
        self.put_articles([Pending(article, chunks, vectors, signature)])

    def put_articles(self, items: Sequence[Pending]) -> None:
        """Write several articles as ``put_article`` writes one, in a few Chroma calls: every
        chunk first, then every article record (each its article's commit marker, so an
        interruption leaves each article whole or invisible), then the generation, once."""
        if not items:
            return
        with self.write_lock:
            generation = self._next_generation()
            ids = [c.id for item in items for c in item.chunks]
            metas = [chunk_metadata(c, item.article) for item in items for c in item.chunks]
            docs = [c.text for item in items for c in item.chunks]
            vectors = np.concatenate(
                [np.asarray(i.vectors, dtype=np.float32).reshape(-1, self.dimension) for i in items]
            )
            for part in self._batched(len(ids)):
                self.chunks.upsert(
                    ids=ids[part],
                    embeddings=vectors[part],
                    documents=docs[part],
                    metadatas=metas[part],
                )
            article_ids = [item.article.id for item in items]
            wanted = set(ids)
            where = {"article_id": {"$in": article_ids}}
            stale = [
                cid
                for page in self._paged_get(self.chunks, [], where)
                for cid in page["ids"]
                if cid not in wanted
            ]
            for part in self._batched(len(stale)):
                self.chunks.delete(ids=stale[part])
            self.articles.upsert(
                ids=article_ids,
                embeddings=[centroid(item.vectors, self.dimension) for item in items],
                documents=[item.article.text for item in items],
                metadatas=[
                    article_metadata(
                        item.article.model_copy(update={"chunk_count": len(item.chunks)}),
                        item.signature,
                    )
                    | {"gen": generation}
                    for item in items
                ],
            )
            self._advance(generation)

    def update_article_metadata(self, article: Article) -> None:
        """Rewrite an article's metadata (e.g. a new outlet), keeping its text and vector."""
        with self.write_lock:
            current = self.article_records([article.id]).get(article.id)
            if current is None:
                raise StoreError(f"article {article.id} vanished from {self.location}")
            meta = article_metadata(article, str(current.get("minhash", "")))
            if "gen" in current:  # its chunks are unchanged: derived indexes have nothing to do
                meta["gen"] = current["gen"]
            generation = self._next_generation()
            self.articles.update(ids=[article.id], metadatas=[meta])
            # The generation moves although no record carries it: every process that remembers
            # article records (``article_records``) sees the new outlet list.
            self._advance(generation)
            self._forget_records()

    def delete_article(self, article_id: str) -> int:
        """Record the deletion (a tombstone), remove the record (readers stop seeing it), then
        its chunks, then advance the generation."""
        with self.write_lock:
            generation = self._next_generation()
            self.changes.upsert(
                ids=[f"delete-{generation}-{article_id}"],
                embeddings=[[1.0]],
                documents=[""],
                metadatas=[{"kind": "delete", "article_id": article_id, "gen": generation}],
            )
            self.articles.delete(ids=[article_id])
            chunk_ids = self.chunks.get(where={"article_id": article_id}, include=[])["ids"]
            if chunk_ids:
                self.chunks.delete(ids=chunk_ids)
            self._advance(generation)
            return len(chunk_ids)

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        with self.write_lock:
            for part in self._batched(len(chunk_ids)):
                self.chunks.delete(ids=list(chunk_ids[part]))

    def signatures(self) -> dict[str, str]:
        return {aid: str(m.get("minhash", "")) for aid, m in self.all_article_records().items()}
