"""Store health checks (``briefbot doctor``) and the repairs that can be made safely.

Checks: the vector (HNSW) index files of both collections, read byte by byte and then through
Chroma (every vector read back); chunks whose article record is
missing (an interrupted ingest or delete), articles whose chunks are missing or do not match
their ``chunk_count``, chunk offsets that do not slice back to the stored article text, the
keyword (BM25) index's files and whether it holds exactly the committed articles' chunks at the
store's generation, vectors whose size does not
match the configured embedder, and collections an interrupted repair left behind. Repairs
never invent data: a damaged vector index is rebuilt beside the old one from the stored
records (chunks re-embedded, articles from their chunks' vectors) and swapped in, orphan
chunks are deleted, broken articles are re-chunked and re-embedded from their stored text,
and the keyword index is rebuilt from the store.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from briefbot.backends.lexical import indexed_chunk_ids
from briefbot.backends.store import Kind, Record
from briefbot.errors import DamagedStoreError

if TYPE_CHECKING:
    from briefbot.facade import Briefbot

log = logging.getLogger(__name__)

Check = Literal[
    "vector-index",
    "records",
    "orphan-chunks",
    "chunk-count",
    "offsets",
    "lexical-index",
    "embedder",
    "leftover",
]
_KINDS: tuple[Kind, ...] = ("chunks", "articles")
_LABEL = {"chunks": "chunk", "articles": "article"}


@dataclass
class Finding:
    """One problem: which check found it, what it means, and the ids involved."""

    check: Check
    message: str
    ids: list[str] = field(default_factory=list)
    repairable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "message": self.message,
            "ids": self.ids,
            "repairable": self.repairable,
        }


@dataclass
class Health:
    """What ``diagnose`` saw, and what ``repair`` did."""

    location: str
    articles: int = 0
    chunks: int = 0
    findings: list[Finding] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "articles": self.articles,
            "chunks": self.chunks,
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "repairs": self.repairs,
        }


@dataclass(frozen=True)
class _ChunkRow:
    id: str
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str


def _chunk_rows(records: list[Record]) -> list[_ChunkRow]:
    return [
        _ChunkRow(
            id=cid,
            article_id=str(meta.get("article_id", "")),
            ordinal=int(meta.get("ordinal", -1)),
            start=int(meta.get("start", -1)),
            end=int(meta.get("end", -1)),
            text=doc or "",
        )
        for cid, doc, meta in records
    ]


def _article_texts(records: list[Record]) -> tuple[dict[str, str], dict[str, int]]:
    texts: dict[str, str] = {}
    counts: dict[str, int] = {}
    for aid, doc, meta in records:
        texts[aid] = doc or ""
        counts[aid] = int(meta.get("chunk_count", 0))
    return texts, counts


def _check_vectors(bot: Briefbot) -> list[Finding]:
    findings = []
    for kind in _KINDS:
        problems = bot.store.vector_problems(kind)
        if problems:
            name = bot.store.collection(kind).name
            findings.append(
                Finding(
                    "vector-index",
                    f"the {_LABEL[kind]} search index (Chroma collection {name!r}) is damaged, "
                    f"so search, ask and brief may fail or miss articles: {'; '.join(problems)}",
                    [kind],
                )
            )
    return findings


def _records(bot: Briefbot, kind: Kind, health: Health) -> list[Record]:
    try:
        return bot.store.stored_records(kind)
    except DamagedStoreError as exc:
        health.findings.append(
            Finding(
                "records",
                f"the stored {kind} cannot be read, so they were not checked and cannot be "
                f"rebuilt: {exc}",
                [kind],
                repairable=False,
            )
        )
        return []


def _preview(ids: Iterable[str], limit: int = 5) -> str:
    ids = sorted(ids)
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _check_embedder(bot: Briefbot, chunk_ids: list[str], vectors_readable: bool) -> list[Finding]:
    findings: list[Finding] = []
    for collection in (bot.store.articles, bot.store.chunks):
        meta = collection.metadata or {}
        recorded = meta.get("dimension")
        if recorded is not None and int(recorded) != bot.embedder.dimension:
            findings.append(
                Finding(
                    "embedder",
                    f"collection {collection.name!r} records dimension {recorded}, but the "
                    f"configured embedder {bot.embedder.name!r} makes {bot.embedder.dimension}; "
                    "re-ingest into a new store",
                    repairable=False,
                )
            )
    if chunk_ids and vectors_readable:
        vector = bot.store.chunk_embeddings(chunk_ids[:1])
        size = int(np.asarray(next(iter(vector.values()))).shape[0]) if vector else None
        if size is not None and size != bot.embedder.dimension:
            findings.append(
                Finding(
                    "embedder",
                    f"stored vectors have {size} dimensions, the embedder {bot.embedder.name!r} "
                    f"makes {bot.embedder.dimension}; re-ingest into a new store",
                    repairable=False,
                )
            )
    return findings


def _check_lexical(bot: Briefbot, committed: set[str]) -> list[Finding]:
    """The keyword index: readable, following this store, at its generation, and holding the
    committed articles' chunks, no more and no fewer."""
    root = bot.bm25.root
    try:
        found = indexed_chunk_ids(root)
    except DamagedStoreError as exc:
        return [Finding("lexical-index", f"{exc}; keyword search rebuilds it on its next use")]
    if found is None:
        if not committed:
            return []
        return [Finding("lexical-index", f"the keyword (BM25) index in {root} is missing")]
    state, indexed = found
    head = bot.store.generation()
    problems = []
    if state.log != head.log:
        problems.append("it was built for another store (its change log differs)")
    elif state.applied < head.committed:
        problems.append(
            f"it is behind the store (generation {state.applied}, the store is at {head.committed})"
        )
    elif state.applied > head.committed:
        problems.append(
            f"it is ahead of the store (generation {state.applied}, the store is at "
            f"{head.committed}): it was built before the store was restored or replaced"
        )
    missing, extra = committed - indexed, indexed - committed
    if missing:
        problems.append(f"{len(missing)} stored chunks are missing from it: {_preview(missing)}")
    if extra:
        problems.append(f"it holds {len(extra)} chunks the store does not: {_preview(extra)}")
    if not problems:
        return []
    return [
        Finding(
            "lexical-index",
            f"the keyword (BM25) index in {root} is out of step with the store: "
            + "; ".join(problems),
        )
    ]


def diagnose(bot: Briefbot) -> Health:
    """Check the store without changing it."""
    health = Health(location=bot.store.location)
    with bot.store.write_lock:
        health.findings += _check_vectors(bot)
        leftovers = bot.store.leftovers()
        texts, counts = _article_texts(_records(bot, "articles", health))
        rows = _chunk_rows(_records(bot, "chunks", health))
    health.articles, health.chunks = len(texts), len(rows)
    if leftovers:
        health.findings.append(
            Finding(
                "leftover",
                f"an interrupted repair left the collections {', '.join(leftovers)} "
                "(copies; the store does not use them)",
                leftovers,
            )
        )
    unreadable = {kind for f in health.findings for kind in f.ids if f.check == "records"}
    damaged = {kind for f in health.findings for kind in f.ids if f.check == "vector-index"}
    if unreadable:
        return health
    by_article: dict[str, list[_ChunkRow]] = defaultdict(list)
    for row in rows:
        by_article[row.article_id].append(row)

    orphans = [row.id for row in rows if row.article_id not in texts]
    if orphans:
        health.findings.append(
            Finding(
                "orphan-chunks",
                f"{len(orphans)} chunks belong to no article (an interrupted ingest or delete): "
                f"{_preview(orphans)}",
                orphans,
            )
        )

    miscounted = []
    for aid, expected in counts.items():
        ordinals = sorted(r.ordinal for r in by_article.get(aid, []))
        if expected == 0 or ordinals != list(range(expected)):
            miscounted.append(aid)
    if miscounted:
        health.findings.append(
            Finding(
                "chunk-count",
                f"{len(miscounted)} articles have missing chunks or a wrong chunk count: "
                f"{_preview(miscounted)}",
                miscounted,
            )
        )

    bad_offsets = sorted(
        {
            row.article_id
            for row in rows
            if row.article_id in texts and texts[row.article_id][row.start : row.end] != row.text
        }
    )
    if bad_offsets:
        health.findings.append(
            Finding(
                "offsets",
                f"{len(bad_offsets)} articles have chunks whose offsets do not slice back to the "
                f"article text: {_preview(bad_offsets)}",
                bad_offsets,
            )
        )

    health.findings += _check_embedder(bot, [r.id for r in rows], "chunks" not in damaged)

    committed = {row.id for row in rows if row.article_id in texts}
    health.findings += _check_lexical(bot, committed)
    return health


def repair(bot: Briefbot) -> Health:
    """Fix what ``diagnose`` finds where that is safe, then diagnose again.

    Holds the store's write lock, so an ingest in this process cannot interleave; do not run
    it while another process ingests into the same store (its uncommitted chunks would look
    like orphans).
    """
    repairs: list[str] = []
    with bot.store.write_lock:
        findings = diagnose(bot).findings
        checks = {f.check for f in findings}
        damaged = {kind for f in findings for kind in f.ids if f.check == "vector-index"}
        unreadable = {kind for f in findings for kind in f.ids if f.check == "records"}
        if "embedder" in checks:
            repairs.append("not repaired: embedder mismatch (re-ingest into a new store)")
        elif damaged:
            for kind in _KINDS:
                if kind in unreadable or (kind == "articles" and "chunks" in unreadable):
                    repairs.append(f"not repaired: the {_LABEL[kind]} search index (unreadable)")
                elif kind in damaged:
                    done = bot.store.rebuild_vectors(kind, bot.embedder.embed)
                    how = (
                        "re-embedded from their text"
                        if kind == "chunks"
                        else "each from its chunks' vectors"
                    )
                    repairs.append(
                        f"rebuilt the {_LABEL[kind]} search index: {done} stored {kind}, {how}"
                    )
            findings = diagnose(bot).findings
        by_check = {f.check: f for f in findings}
        if "leftover" in by_check:
            dropped = bot.store.drop_leftovers()
            repairs.append(f"removed {', '.join(dropped)} left by an interrupted repair")
        orphans = by_check.get("orphan-chunks")
        if orphans:
            bot.store.delete_chunks(orphans.ids)
            repairs.append(f"deleted {len(orphans.ids)} orphan chunks")
        broken: set[str] = set()
        for check in ("chunk-count", "offsets"):
            if check in by_check:
                broken.update(by_check[check].ids)
        if broken and "embedder" not in by_check:
            rechunked = bot.ingestor.rechunk(sorted(broken))
            repairs.append(f"re-chunked and re-embedded {rechunked} articles from their text")
        if "lexical-index" in by_check or orphans or broken:
            bot.bm25.refresh(rebuild=True)
            repairs.append("rebuilt the keyword (BM25) index from the store")
        after = diagnose(bot)
    after.repairs = repairs
    return after
