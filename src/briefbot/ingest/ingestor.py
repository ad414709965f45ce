"""The ingest pipeline: load, de-duplicate, chunk, embed, store.

Articles are processed in batches so the embedder sees many chunks per call; each article is
committed on its own (see ``store.py``), so an interrupted ingest keeps every finished article
and a rerun completes the rest without embedding anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from briefbot.backends.embedders import Embedder
from briefbot.backends.store import ChromaStore, Generation, Pending
from briefbot.ingest import dedup
from briefbot.ingest.chunking import chunk_article
from briefbot.ingest.fetch import Fetcher
from briefbot.ingest.loaders import load_source
from briefbot.models import Article, Chunk, IngestReport, Outlet, Skipped
from briefbot.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, label)``."""

BATCH_ARTICLES = 32


def latest_per_key(articles: Sequence[Article], report: IngestReport) -> list[Article]:
    """One article per source key: the last one given wins, as a rerun would leave it.

    Without this, two versions of one URL in a single ingest would replace each other on
    every rerun instead of settling.
    """
    last_index = {article.key: index for index, article in enumerate(articles)}
    kept = []
    for index, article in enumerate(articles):
        if last_index[article.key] == index:
            kept.append(article)
        elif article.id != articles[last_index[article.key]].id:
            report.superseded.append(article.key)
    return kept


@dataclass
class _Pending:
    article: Article
    signature: str
    replaces: list[str]
    chunks: list[Chunk]


def _outlet_of(article: Article) -> Outlet:
    return Outlet(
        name=article.source or article.key,
        url=article.url,
        title=article.title,
        published=article.published,
    )


def _with_outlet(stored: Article, incoming: Article) -> Article | None:
    """``stored`` with ``incoming``'s outlet recorded, or None if it is already there."""
    outlet = _outlet_of(incoming)
    known = {(stored.source or stored.key, stored.url)} | {
        (o.name, o.url) for o in stored.also_published
    }
    if (outlet.name, outlet.url) in known:
        return None
    return stored.model_copy(update={"also_published": [*stored.also_published, outlet]})


class Ingestor:
    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        settings: Settings,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.fetcher = Fetcher(settings)
        self.on_change = on_change
        self._dedup: tuple[Generation, dedup.NearDuplicateIndex] | None = None

    def ingest(
        self,
        sources: Iterable[str],
        progress: Progress | None = None,
        intranet_hosts: Sequence[str] = (),
    ) -> IngestReport:
        """``intranet_hosts``: hosts whose private addresses this ingest may fetch from
        (``Fetcher``), e.g. the ones a reporter allowed for their app session."""
        fetcher = Fetcher(self.settings, intranet_hosts) if intranet_hosts else self.fetcher
        report = IngestReport()
        loaded: list[Article] = []
        source_list = list(sources)
        for index, source in enumerate(source_list, start=1):
            if progress:
                progress(index - 1, len(source_list), f"reading {source}")
            for result in load_source(source, fetcher):
                if isinstance(result, Skipped):
                    report.skipped.append(result)
                else:
                    loaded.append(result)
        self.ingest_articles(loaded, report, progress)
        return report

    def ingest_articles(
        self,
        articles: Sequence[Article],
        report: IngestReport | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        report = report or IngestReport()
        articles = latest_per_key(articles, report)
        on_wait = (lambda message: progress(0, len(articles), message)) if progress else None
        # Held from the duplicate check to the last write, across processes too: two ingests
        # of the same wire copy at once store it once.
        with self.store.write_lock.holding(on_wait):
            index = self._near_duplicate_index()
            try:
                for start in range(0, len(articles), BATCH_ARTICLES):
                    if progress:
                        progress(start, len(articles), "embedding")
                    self._ingest_batch(articles[start : start + BATCH_ARTICLES], index, report)
            except BaseException:
                self._dedup = None  # it may hold articles that were not written
                raise
            if progress:
                progress(len(articles), len(articles), "done")
        # A wire-copy merge (``duplicates``) rewrites a record and advances the generation too.
        if self.on_change and (report.added or report.replaced or report.duplicates):
            self.on_change()
        return report

    def _near_duplicate_index(self) -> dedup.NearDuplicateIndex:
        """Every stored article's MinHash, kept between ingests and brought up to the store's
        generation by the articles written and deleted since (another process's too), so an
        ingest of a few articles does not read every signature of a large store."""
        head = self.store.generation()
        cached = self._dedup
        if cached is None or cached[0].log != head.log or cached[0].committed > head.committed:
            index = dedup.NearDuplicateIndex(self.settings.near_duplicate_threshold)
            self._add_signatures(index, self.store.signatures())
        else:
            seen, index = cached
            if head.committed > seen.committed:
                changes = self.store.changes_since(seen.committed)
                live = changes.live()
                for article_id in changes.touched() - set(live):
                    index.remove(article_id)
                records = self.store.article_records(live)
                self._add_signatures(
                    index, {aid: str(m.get("minhash", "")) for aid, m in records.items()}
                )
        self._dedup = (head, index)
        return index

    @staticmethod
    def _add_signatures(index: dedup.NearDuplicateIndex, signatures: dict[str, str]) -> None:
        for article_id, encoded in signatures.items():
            minhash = dedup.decode(encoded)
            if minhash is not None:
                index.add(article_id, minhash)

    def _ingest_batch(
        self, batch: Sequence[Article], index: dedup.NearDuplicateIndex, report: IngestReport
    ) -> None:
        existing = self.store.article_records([a.id for a in batch])
        by_key = self.store.ids_by_key(sorted({a.key for a in batch}))
        pending: list[_Pending] = []
        pending_ids: set[str] = set()
        # Copies of articles that are written in this very batch are recorded after the write.
        deferred: list[tuple[Article, str]] = []
        for article in batch:
            old_ids = [i for i in by_key.get(article.key, []) if i != article.id]
            if article.id in pending_ids:
                deferred.append((article, article.id))
                continue
            if article.id in existing:
                self._record_same_text(article, report)
                for stale in old_ids:  # left over from an interrupted replacement
                    self.store.delete_article(stale)
                    index.remove(stale)
                continue
            minhash = dedup.signature(article.text)
            match = index.best_match(minhash, exclude=set(old_ids))
            if match is not None and not old_ids:
                if match[0] in pending_ids:
                    deferred.append((article, match[0]))
                else:
                    self._record_near_duplicate(article, match[0], report)
                continue
            pending.append(_Pending(article, dedup.encode(minhash), old_ids, []))
            pending_ids.add(article.id)
            index.add(article.id, minhash)
        if pending:
            self._embed_and_store(pending, index, report)
        for article, match_id in deferred:
            self._record_near_duplicate(article, match_id, report)

    def _record_same_text(self, article: Article, report: IngestReport) -> None:
        self._record_near_duplicate(article, article.id, report)

    def _record_near_duplicate(self, article: Article, match_id: str, report: IngestReport) -> None:
        stored = self.store.get_article(match_id)
        if stored is None:
            return
        updated = _with_outlet(stored, article)
        if updated is None:
            report.unchanged.append(match_id)
            return
        self.store.update_article_metadata(updated)
        report.duplicates.append(match_id)

    def chunks_of(self, article: Article) -> list[Chunk]:
        """``article`` cut into chunks with the store's chunk settings."""
        return chunk_article(
            article.id,
            article.text,
            self.embedder,
            self.settings.chunk_max_tokens,
            self.settings.chunk_overlap_sentences,
        )

    def rechunk(self, article_ids: Sequence[str]) -> int:
        """Chunk and embed stored articles again (``briefbot doctor --repair``); the count done."""
        records = self.store.article_records(article_ids)
        done = 0
        for article_id in article_ids:
            article = self.store.get_article(article_id)
            if article is None:
                continue
            chunks = self.chunks_of(article)
            vectors = self.embedder.embed([c.text for c in chunks])
            signature = str(records.get(article_id, {}).get("minhash", ""))
            self.store.put_article(article, chunks, vectors, signature)
            log.info("re-chunked article %s into %d chunks", article_id, len(chunks))
            done += 1
        if done and self.on_change:
            self.on_change()
        return done

    def _embed_and_store(
        self, pending: list[_Pending], index: dedup.NearDuplicateIndex, report: IngestReport
    ) -> None:
        for item in pending:
            item.chunks = self.chunks_of(item.article)
        texts = [c.text for item in pending for c in item.chunks]
        vectors = (
            self.embedder.embed(texts)
            if texts
            else np.zeros((0, self.embedder.dimension), dtype=np.float32)
        )
        ready, offset = [], 0
        for item in pending:
            count = len(item.chunks)
            ready.append(
                Pending(item.article, item.chunks, vectors[offset : offset + count], item.signature)
            )
            offset += count
        self.store.put_articles(ready)  # chunks, then records (the commit markers), in bulk
        for item in pending:
            count = len(item.chunks)
            for old_id in item.replaces:
                self.store.delete_article(old_id)
                index.remove(old_id)
            (report.replaced if item.replaces else report.added).append(item.article.id)
            report.chunks_embedded += count
