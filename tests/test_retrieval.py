"""Hybrid retrieval (RRF, MMR), filters in every retriever, and the relevance floor."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from briefbot import Briefbot, Settings
from briefbot.backends.embedders import Embedder
from briefbot.errors import ConfigError
from briefbot.models import Article, SearchFilters
from briefbot.retrieval import (
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    create_retriever,
    mmr_select,
    reciprocal_rank_fusion,
)
from tests.fakes import FakeEmbedder, news_article

NK_QUESTION = "How many engineers is North Korea sending to Russia?"
UNRELATED = ["Who won the 2018 FIFA World Cup?", "What is the recipe for banana bread?"]

SHARED = (
    "The central bank raised its key interest rate by half a point on Tuesday, "
    "citing stubborn inflation in housing and food prices. The governor told reporters "
    "that further increases were likely before the end of the year."
)


def make_article(text: str, title: str, source: str, day: int) -> Article:
    return news_article(text, title, source, datetime(2024, 5, day, tzinfo=UTC))


ARTICLES = [
    make_article(
        SHARED + "\n\nAnalysts in Frankfurt expected a smaller move. Bond yields jumped "
        "across the euro area and the currency strengthened against the dollar.",
        "Bank raises rates",
        "Gazette",
        2,
    ),
    make_article(
        SHARED + "\n\nMortgage lenders in Dublin said monthly repayments would rise for "
        "thousands of households. Estate agents reported fewer viewings in the spring.",
        "Mortgages to rise",
        "Courier",
        12,
    ),
    make_article(
        "Farmers in the valley harvested a record apple crop this autumn. Cider makers "
        "bought most of it, and prices at the market fell by a third.",
        "Record apple harvest",
        "Courier",
        25,
    ),
]


@pytest.fixture
def news_bot(settings: Settings, fake_embedder: FakeEmbedder) -> Briefbot:
    """Small chunks, so the shared wire paragraph is a chunk of its own in both articles."""
    small = settings.model_copy(update={"chunk_max_tokens": 48, "chunk_overlap_sentences": 0})
    bot = Briefbot.open(settings=small, embedder=fake_embedder)
    bot.ingest_articles(ARTICLES)
    return bot


def retrievers(bot: Briefbot) -> list[DenseRetriever | BM25Retriever | HybridRetriever]:
    return [
        DenseRetriever(bot.store, bot.embedder, bot.settings),
        BM25Retriever(bot.store, bot.embedder, bot.bm25, bot.settings),
        HybridRetriever(bot.store, bot.embedder, bot.bm25, bot.settings),
    ]


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "b", "d"]], k=60)
    assert set(list(fused)[:2]) == {"b", "c"}
    assert fused["b"] == pytest.approx(2 / 62)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["d"] < fused["a"]


def test_mmr_drops_a_near_duplicate_and_prefers_diversity() -> None:
    relevance = {"a": 1.0, "a-copy": 0.99, "b": 0.9, "c": 0.5}
    embeddings = {
        "a": np.array([1.0, 0.0, 0.0]),
        "a-copy": np.array([0.999, 0.04, 0.0]),
        "b": np.array([0.6, 0.8, 0.0]),
        "c": np.array([0.0, 0.0, 1.0]),
    }
    chosen = mmr_select(relevance, embeddings, k=4, lambda_=0.75, duplicate_threshold=0.95)
    assert chosen == ["a", "b", "c"]
    assert mmr_select(relevance, embeddings, k=1, lambda_=0.75, duplicate_threshold=0.95) == ["a"]


def test_hybrid_drops_wire_copy_overlap(news_bot: Briefbot) -> None:
    query = "central bank raised key interest rate inflation"
    dense = DenseRetriever(news_bot.store, news_bot.embedder, news_bot.settings).search(query, 10)
    shared_dense = [h for h in dense if SHARED in h.chunk.text]
    assert len(shared_dense) == 2  # both outlets' copies of the paragraph exist

    hits = news_bot.search(query, 10)
    shared_hybrid = [h for h in hits if SHARED in h.chunk.text]
    assert len(shared_hybrid) == 1
    assert all(h.similarity is not None for h in hits)


def test_hybrid_finds_what_either_retriever_finds(news_bot: Briefbot) -> None:
    hits = news_bot.search("apple harvest cider", 3)
    assert hits[0].chunk.article_id == ARTICLES[2].id
    assert hits[0].title == "Record apple harvest"


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (SearchFilters(outlets=["gazette"]), {0}),
        (SearchFilters(outlets=["Courier"]), {1, 2}),
        (SearchFilters(since=datetime(2024, 5, 10, tzinfo=UTC)), {1, 2}),
        (SearchFilters(until=datetime(2024, 5, 20, tzinfo=UTC)), {0, 1}),
        (SearchFilters(article_ids=[ARTICLES[2].id]), {2}),
        (SearchFilters(outlets=["Courier"], article_ids=[ARTICLES[0].id]), set()),
    ],
)
def test_filters_apply_in_every_retriever(
    news_bot: Briefbot, filters: SearchFilters, allowed: set[int]
) -> None:
    allowed_ids = {ARTICLES[i].id for i in allowed}
    query = "interest rate mortgage apple harvest bank"
    for retriever in retrievers(news_bot):
        found = {h.chunk.article_id for h in retriever.search(query, 10, filters)}
        assert found == allowed_ids, retriever.name


def test_retriever_registry(news_bot: Briefbot) -> None:
    for name in ("dense", "bm25", "hybrid"):
        retriever = create_retriever(
            name, news_bot.store, news_bot.embedder, news_bot.bm25, news_bot.settings
        )
        assert retriever.name == name
    with pytest.raises(ConfigError, match="unknown retriever 'sparse'"):
        create_retriever(
            "sparse", news_bot.store, news_bot.embedder, news_bot.bm25, news_bot.settings
        )


def test_floor_with_fake_embedder(seed_bot: Briefbot) -> None:
    answerable = seed_bot.retrieve(NK_QUESTION)
    assert answerable.relevant
    assert answerable.hits and answerable.best_score >= seed_bot.settings.relevance_floor
    for question in ("What is the recipe for banana bread?", "Best sourdough pancake recipe"):
        refused = seed_bot.retrieve(question)
        assert not refused.relevant, (question, refused.best_score)
        assert refused.query == question


def test_floor_needs_a_shared_word(seed_bot: Briefbot) -> None:
    strict = seed_bot.settings.model_copy(update={"relevance_floor": -1.0})
    loose = Briefbot(strict, seed_bot.embedder, seed_bot.store)
    assert not loose.retrieve("banana bread recipe").relevant
    assert loose.retrieve(NK_QUESTION).relevant


def test_floor_with_real_minilm(real_seed_bot: Briefbot, minilm: Embedder) -> None:
    answerable = real_seed_bot.retrieve(NK_QUESTION)
    assert answerable.relevant
    assert any("5,000 engineers" in h.chunk.text for h in answerable.hits)
    for question in UNRELATED:
        assert not real_seed_bot.retrieve(question).relevant, question


def test_mmr_keeps_a_near_duplicate_that_states_other_facts() -> None:
    relevance = {"a": 1.0, "a-copy": 0.99, "a-more": 0.985, "a-update": 0.98}
    embeddings = {
        "a": np.array([1.0, 0.0]),
        "a-copy": np.array([0.999, 0.04]),
        "a-more": np.array([0.999, 0.045]),
        "a-update": np.array([0.998, 0.05]),
    }
    texts = {
        "a": "The storm killed 12 people in Valencia, officials said.",
        "a-copy": "The storm killed 12 people in Valencia, officials said.",
        # Only adds to the first: still a duplicate.
        "a-more": "The storm killed 12 people in Valencia, officials said. Alzira flooded.",
        "a-update": "The storm killed 15 people in Valencia, officials said.",
    }
    chosen = mmr_select(relevance, embeddings, 3, 0.75, 0.95, texts)
    assert chosen == ["a", "a-update"]
    assert mmr_select(relevance, embeddings, 3, 0.75, 0.95) == ["a"]


def test_hybrid_shows_both_versions_of_a_disputed_figure(
    settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    first = "Floods in the river valley killed 12 people on Sunday, the regional government said."
    update = "Floods in the river valley killed 15 people on Sunday, the regional government said."
    bot = Briefbot.open(settings=settings, embedder=fake_embedder)
    bot.ingest_articles(
        [
            make_article(first, "Floods kill 12", "Gazette", 2),
            make_article(update, "Floods kill 15", "Courier", 3),
            make_article(first, "Floods (copy)", "Herald", 4),
        ]
    )
    texts = [h.chunk.text for h in bot.search("How many people did the floods kill?", 5)]
    assert texts.count(first) == 1  # the exact wire copy is stored once
    assert update in texts
