"""Retrieval over the store. Dense (Chroma) search with metadata filters."""

from __future__ import annotations

from collections.abc import Sequence

from briefbot.embedders import Embedder
from briefbot.models import Article, Chunk, Hit, SearchFilters
from briefbot.store import ChromaStore, chunk_where


def resolve_article_ids(store: ChromaStore, filters: SearchFilters | None) -> list[str] | None:
    """Article ids allowed by the outlet/id filters, or None when they allow everything."""
    if filters is None or not (filters.outlets or filters.article_ids):
        return None
    allowed: set[str] | None = set(filters.article_ids) if filters.article_ids else None
    if filters.outlets:
        wanted = {o.casefold() for o in filters.outlets}
        by_outlet = {
            article_id
            for article_id, meta in store.all_article_records().items()
            if wanted & {str(o) for o in meta.get("outlets", [])}
        }
        allowed = by_outlet if allowed is None else allowed & by_outlet
    return sorted(allowed or [])


def hits_from_chunks(store: ChromaStore, scored: Sequence[tuple[Chunk, float]]) -> list[Hit]:
    """Attach article facts; chunks whose article record is gone (uncommitted) are dropped."""
    records = store.article_records(sorted({c.article_id for c, _ in scored}))
    hits = []
    for chunk, score in scored:
        meta = records.get(chunk.article_id)
        if meta is None:
            continue
        from briefbot.store import article_from_record

        article: Article = article_from_record(chunk.article_id, None, meta)
        hits.append(
            Hit(
                chunk=chunk,
                score=score,
                title=article.title,
                source=", ".join(article.outlets),
                published=article.published,
                url=article.url,
            )
        )
    return hits


class DenseRetriever:
    def __init__(self, store: ChromaStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        article_ids = resolve_article_ids(self.store, filters)
        if article_ids is not None and not article_ids:
            return []
        vector = self.embedder.embed([query])[0]
        where = chunk_where(filters, article_ids)
        return hits_from_chunks(self.store, self.store.query_chunks(vector, k, where))
