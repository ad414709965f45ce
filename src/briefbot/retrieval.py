"""Retrieval over the store: dense (Chroma), BM25, and hybrid (rank fusion, then MMR).

Every retriever applies the same metadata filters and the same recency prior (news questions
are mostly about the latest coverage). ``judge_relevance`` decides whether the retrieved
evidence clears the relevance floor; below it an answer is a refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from briefbot.backends.embedders import Embedder, Vectors
from briefbot.backends.lexical import BM25Index, tokenize
from briefbot.backends.store import ChromaStore, article_from_record, chunk_where
from briefbot.errors import ConfigError
from briefbot.grounding.mmr import mmr
from briefbot.models import Chunk, Hit, SearchFilters, as_utc
from briefbot.settings import Settings
from briefbot.text.facts import disagree, names, numbers


class Retrieval(BaseModel):
    """The hits for a query and whether the best of them is relevant enough to answer from."""

    query: str
    hits: list[Hit]
    best_score: float = Field(description="Best cosine similarity of a hit to the query.")
    lexical_match: bool = Field(
        description="Some content word of the query (stemmed, stopwords removed) is in a hit."
    )
    relevant: bool = Field(description="The evidence clears the relevance floor.")


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]: ...

    def rank(
        self, found: Candidates, k: int, filters: SearchFilters | None = None
    ) -> list[Hit]: ...


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


def hits_from_chunks(
    store: ChromaStore,
    scored: Sequence[tuple[Chunk, float]],
    similarity: Mapping[str, float] | None = None,
) -> list[Hit]:
    """Attach article facts; chunks whose article record is gone (uncommitted) are dropped."""
    records = store.article_records(sorted({c.article_id for c, _ in scored}))
    hits = []
    for chunk, score in scored:
        meta = records.get(chunk.article_id)
        if meta is None:
            continue
        article = article_from_record(chunk.article_id, None, meta)
        hits.append(
            Hit(
                chunk=chunk,
                score=score,
                similarity=similarity.get(chunk.id) if similarity is not None else None,
                title=article.title,
                source=", ".join(article.outlets),
                published=article.published,
                url=article.url,
            )
        )
    return hits


def cosine_to(vector: Vectors, embeddings: Mapping[str, Vectors]) -> dict[str, float]:
    """Cosine similarity of ``vector`` to each embedding."""
    norm = float(np.linalg.norm(vector)) or 1.0
    return {
        cid: float(np.dot(vector, emb) / (norm * (float(np.linalg.norm(emb)) or 1.0)))
        for cid, emb in embeddings.items()
    }


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Fused score ``sum(weight / (k + rank))`` of each id (ranks from 1), best first; every
    ranking weighs 1 unless ``weights`` says otherwise."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return dict(sorted(fused.items(), key=lambda kv: -kv[1]))


FUTURE_GRACE_DAYS = 1.0
"""Articles dated up to this long after the question still count as current (time zones)."""


class RecencyPrior:
    """Boost for recent coverage: ``1 + weight x 0.5^(age / half_life)``, age counted from
    when the question is asked.

    Articles without a date, or dated after the question, get no boost. Asked long after the
    newest article, every boost is close to 1 and ranking is unchanged.
    """

    def __init__(self, weight: float, half_life_days: float, rank_k: int = 60) -> None:
        self.weight = weight
        self.half_life_days = half_life_days
        self.rank_k = rank_k

    @classmethod
    def from_settings(cls, settings: Settings) -> RecencyPrior:
        return cls(settings.recency_weight, settings.recency_half_life_days, settings.rrf_k)

    def factor(self, published: datetime | None, as_of: datetime) -> float:
        if published is None or self.weight <= 0:
            return 1.0
        age_days = (as_of - as_utc(published)).total_seconds() / 86400
        if age_days < -FUTURE_GRACE_DAYS:
            return 1.0
        halvings = max(age_days, 0.0) / self.half_life_days
        return 1.0 + self.weight * float(np.exp2(-halvings))

    def rerank(self, hits: Sequence[Hit], filters: SearchFilters | None) -> list[Hit]:
        """A single ranked list re-ordered by ``factor / (rank_k + rank)``, ages counted from
        ``filters.reference_time()``.

        The list comes back untouched when no hit gets a boost, so ``Hit.score`` keeps the
        retriever's own score (cosine, BM25) whenever recency changes nothing.
        """
        as_of = (filters or SearchFilters()).reference_time()
        factors = [self.factor(h.published, as_of) for h in hits]
        if all(f == 1.0 for f in factors):
            return list(hits)
        rescored = [
            hit.model_copy(update={"score": f / (self.rank_k + rank)})
            for rank, (hit, f) in enumerate(zip(hits, factors, strict=True), start=1)
        ]
        return sorted(rescored, key=lambda h: -h.score)


def stated_facts(text: str) -> frozenset[str]:
    """The numbers and names a passage states."""
    return frozenset(numbers(text)) | frozenset(n.casefold() for n in names(text))


def mmr_select(
    relevance: Mapping[str, float],
    embeddings: Mapping[str, Vectors],
    k: int,
    lambda_: float,
    duplicate_threshold: float,
    texts: Mapping[str, str] | None = None,
) -> list[str]:
    """Maximal marginal relevance: up to ``k`` ids, each relevant and unlike those before it.

    Relevance is scaled to [0, 1]; a candidate more similar than ``duplicate_threshold`` to
    an already chosen one is dropped outright (wire copy, chunk overlap), unless ``texts``
    shows that the two disagree, each stating a number or name the other does not: two
    versions of a story (an updated toll, another winner) are a conflict to show, not a
    duplicate. A copy that only adds to the chosen passage is still a duplicate.
    """
    facts: dict[str, frozenset[str]] = {}

    def facts_of(cid: str) -> frozenset[str]:
        if cid not in facts:
            facts[cid] = stated_facts(texts[cid]) if texts is not None else frozenset()
        return facts[cid]

    ids = [cid for cid in relevance if cid in embeddings]
    if not ids:
        return []
    top = max(relevance.values(), default=0.0) or 1.0
    vectors = np.array([embeddings[cid] for cid in ids], dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1.0, norms)
    similarity = unit @ unit.T
    kept: list[int] = []

    def not_a_copy(index: int, _redundancy: float) -> bool:
        for other in kept:
            copy = similarity[index, other] > duplicate_threshold
            if copy and not disagree(facts_of(ids[index]), facts_of(ids[other])):
                return False
        kept.append(index)
        return True

    scores = [relevance[cid] / top for cid in ids]
    # Redundancy never goes below zero: an unlike passage is no better than an unrelated one.
    picked = mmr(scores, np.maximum(similarity, 0.0), lambda_, limit=k, accept=not_a_copy)
    return [ids[i] for i in picked]


def judge_relevance(query: str, hits: list[Hit], floor: float) -> Retrieval:
    """Relevant when the best hit's cosine reaches ``floor`` and a query word occurs in a hit."""
    best = max((h.similarity for h in hits if h.similarity is not None), default=0.0)
    query_terms = set(tokenize([query])[0])
    hit_terms: set[str] = set()
    for tokens in tokenize([h.chunk.text for h in hits]):
        hit_terms.update(tokens)
    lexical = bool(query_terms & hit_terms)
    return Retrieval(
        query=query,
        hits=hits,
        best_score=best,
        lexical_match=lexical,
        relevant=bool(hits) and best >= floor and lexical,
    )


@dataclass
class Candidates:
    """What a search fetched before any ranking: the dense and the BM25 ranking (chunk ids,
    best first), every candidate as a hit with its cosine to the query, and its embedding.

    Ranking is a pure step over this, so an evaluation can fetch once and rank under many
    settings, through the same code a search runs.
    """

    dense: list[str] = field(default_factory=list)
    lexical: list[str] = field(default_factory=list)
    hits: dict[str, Hit] = field(default_factory=dict)
    """Keyed by chunk id; ``Hit.score`` is the cosine for dense, BM25 otherwise."""
    lexical_scores: dict[str, float] = field(default_factory=dict)
    embeddings: dict[str, Vectors] = field(default_factory=dict)


def fetch_candidates(
    store: ChromaStore,
    embedder: Embedder,
    index: BM25Index | None,
    query: str,
    pool: int,
    filters: SearchFilters | None = None,
    *,
    dense: bool = True,
    embeddings: bool = True,
) -> Candidates:
    """The top ``pool`` chunks by embedding (if ``dense``) and by BM25 (if ``index``), within
    the filters, with their stored embeddings unless ``embeddings`` is false (a dense-only
    ranking needs none). Chunks whose article record is gone (uncommitted) are left out."""
    article_ids = resolve_article_ids(store, filters)
    if article_ids is not None and not article_ids:
        return Candidates()
    vector = embedder.embed([query])[0]
    where = chunk_where(filters, article_ids)
    nearest = store.nearest_chunks(vector, pool, where, embeddings=embeddings) if dense else []
    by_cosine = [(c, s) for c, s, _ in nearest]
    found = index.search(query, pool, filters, article_ids) if index is not None else []
    chunks = {c.id: c for c, _ in by_cosine}
    stored = {c.id: v for c, _, v in nearest if v is not None}
    missing = [cid for cid, _ in found if cid not in chunks]
    # One read each: the nearest chunks come with their vectors, the keyword-only ones too.
    if embeddings:
        for chunk, stored_vector in store.get_chunks_with_embeddings(missing):
            chunks[chunk.id] = chunk
            stored[chunk.id] = stored_vector
    else:
        chunks.update({c.id: c for c in store.get_chunks(missing)})
    similarity = cosine_to(vector, stored)
    similarity.update({c.id: s for c, s in by_cosine})
    lexical_scores = {cid: score for cid, score in found if cid in chunks}
    scored = [(chunk, similarity.get(cid, 0.0)) for cid, chunk in chunks.items()]
    hits = {h.chunk.id: h for h in hits_from_chunks(store, scored, similarity)}
    return Candidates(
        dense=[c.id for c, _ in by_cosine if c.id in hits],
        lexical=[cid for cid, _ in found if cid in hits],
        hits=hits,
        lexical_scores=lexical_scores,
        embeddings=stored,
    )


class DenseRetriever:
    """Nearest chunks by embedding (Chroma)."""

    name = "dense"

    def __init__(self, store: ChromaStore, embedder: Embedder, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = settings.retrieval_candidates
        self.recency = RecencyPrior.from_settings(settings)

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        pool = max(k, self.candidates)
        found = fetch_candidates(
            self.store, self.embedder, None, query, pool, filters, embeddings=False
        )
        return self.rank(found, k, filters)

    def rank(self, found: Candidates, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        hits = [found.hits[cid] for cid in found.dense[: max(k, self.candidates)]]
        return self.recency.rerank(hits, filters)[:k]


class BM25Retriever:
    """Best chunks by BM25 over the derived index; ``similarity`` is filled from embeddings."""

    name = "bm25"

    def __init__(
        self, store: ChromaStore, embedder: Embedder, index: BM25Index, settings: Settings
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.index = index
        self.candidates = settings.retrieval_candidates
        self.recency = RecencyPrior.from_settings(settings)

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        pool = max(k, self.candidates)
        found = fetch_candidates(
            self.store, self.embedder, self.index, query, pool, filters, dense=False
        )
        return self.rank(found, k, filters)

    def rank(self, found: Candidates, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        hits = [
            found.hits[cid].model_copy(update={"score": found.lexical_scores[cid]})
            for cid in found.lexical[: max(k, self.candidates)]
        ]
        return self.recency.rerank(hits, filters)[:k]


class HybridRetriever:
    """Dense and BM25 candidates fused by weighted reciprocal rank fusion and weighted by the
    recency prior, then MMR against duplicates.

    ``Hit.score`` is the weighted fused score; ``Hit.similarity`` the cosine to the query.
    """

    name = "hybrid"

    def __init__(
        self, store: ChromaStore, embedder: Embedder, index: BM25Index, settings: Settings
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.index = index
        self.candidates = settings.retrieval_candidates
        self.rrf_k = settings.rrf_k
        self.dense_weight = settings.fusion_dense_weight
        self.mmr_lambda = settings.mmr_lambda
        self.duplicate_threshold = settings.chunk_duplicate_threshold
        self.recency = RecencyPrior.from_settings(settings)

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        pool = max(k, self.candidates)
        found = fetch_candidates(self.store, self.embedder, self.index, query, pool, filters)
        return self.rank(found, k, filters)

    def rank(self, found: Candidates, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        pool = max(k, self.candidates)
        fused = reciprocal_rank_fusion(
            [found.dense[:pool], found.lexical[:pool]],
            k=self.rrf_k,
            weights=[self.dense_weight, 1.0],
        )
        as_of = (filters or SearchFilters()).reference_time()
        by_id = {
            cid: found.hits[cid].model_copy(
                update={"score": score * self.recency.factor(found.hits[cid].published, as_of)}
            )
            for cid, score in fused.items()
        }
        chosen = mmr_select(
            {cid: hit.score for cid, hit in by_id.items()},
            {cid: found.embeddings[cid] for cid in by_id if cid in found.embeddings},
            k,
            self.mmr_lambda,
            self.duplicate_threshold,
            {cid: hit.chunk.text for cid, hit in by_id.items()},
        )
        return [by_id[cid] for cid in chosen]


RetrieverFactory = Callable[[ChromaStore, Embedder, BM25Index, Settings], Retriever]

RETRIEVERS: dict[str, RetrieverFactory] = {
    "dense": lambda store, embedder, index, settings: DenseRetriever(store, embedder, settings),
    "bm25": lambda store, embedder, index, settings: BM25Retriever(
        store, embedder, index, settings
    ),
    "hybrid": lambda store, embedder, index, settings: HybridRetriever(
        store, embedder, index, settings
    ),
}


def create_retriever(
    name: str, store: ChromaStore, embedder: Embedder, index: BM25Index, settings: Settings
) -> Retriever:
    """A retriever from the registry by name (``Settings.retriever``)."""
    try:
        factory = RETRIEVERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown retriever {name!r} (BRIEFBOT_RETRIEVER); choose one of "
            f"{', '.join(sorted(RETRIEVERS))}"
        ) from None
    return factory(store, embedder, index, settings)
