"""The recency prior: recent coverage ranks higher, counted from when the question is asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from briefbot import Briefbot, Settings
from briefbot.cli import app
from briefbot.models import Hit, SearchFilters
from briefbot.retrieval import BM25Retriever, DenseRetriever, HybridRetriever, RecencyPrior
from tests.fakes import FakeEmbedder, news_article

JANUARY = datetime(2024, 1, 3, tzinfo=UTC)
MARCH = datetime(2024, 3, 20, tzinfo=UTC)
QUERY = "winter storm closed schools county"


EARLY = news_article(
    "A winter storm closed schools across the county on Monday. Snowplows worked through "
    "the night and volunteers opened warming shelters in two church halls.",
    "January storm",
    "Courier",
    JANUARY,
)
LATE = news_article(
    "A winter storm closed schools across the county on Tuesday. Crews cleared fallen "
    "trees from highways and the power company restored service by noon.",
    "March storm",
    "Courier",
    MARCH,
)


@pytest.fixture
def storm_bot(settings: Settings, fake_embedder: FakeEmbedder) -> Briefbot:
    bot = Briefbot.open(settings=settings, embedder=fake_embedder)
    bot.ingest_articles([EARLY, LATE])
    return bot


def first_article(bot: Briefbot, as_of: datetime | None, weight: float = 1.0) -> list[str]:
    """The top article id of each retriever when asking as of ``as_of``."""
    settings = bot.settings.model_copy(update={"recency_weight": weight})
    filters = SearchFilters(as_of=as_of) if as_of else None
    tops = []
    for retriever in (
        DenseRetriever(bot.store, bot.embedder, settings),
        BM25Retriever(bot.store, bot.embedder, bot.bm25, settings),
        HybridRetriever(bot.store, bot.embedder, bot.bm25, settings),
    ):
        hits = retriever.search(QUERY, 2, filters)
        assert {h.chunk.article_id for h in hits} == {EARLY.id, LATE.id}, retriever.name
        tops.append(hits[0].chunk.article_id)
    return tops


def test_the_story_current_when_asked_ranks_first(storm_bot: Briefbot) -> None:
    assert first_article(storm_bot, MARCH + timedelta(days=1)) == [LATE.id] * 3
    assert first_article(storm_bot, JANUARY + timedelta(days=1)) == [EARLY.id] * 3


def test_without_the_prior_the_date_asked_changes_nothing(storm_bot: Briefbot) -> None:
    in_march = first_article(storm_bot, MARCH, weight=0.0)
    assert first_article(storm_bot, JANUARY, weight=0.0) == in_march
    # Asked years later every boost is ~1: the same order as without the prior.
    assert first_article(storm_bot, datetime(2030, 1, 1, tzinfo=UTC)) == in_march
    assert first_article(storm_bot, None) == in_march


def test_until_is_the_default_moment(storm_bot: Briefbot) -> None:
    hits = storm_bot.search(QUERY, 2, SearchFilters(until=JANUARY + timedelta(days=2)))
    assert [h.chunk.article_id for h in hits] == [EARLY.id]
    assert SearchFilters(until=JANUARY).reference_time() == JANUARY
    naive = SearchFilters(as_of=datetime(2024, 1, 3), until=MARCH)
    assert naive.reference_time() == JANUARY
    assert SearchFilters(as_of=MARCH).is_empty()


def test_factor() -> None:
    prior = RecencyPrior(weight=1.0, half_life_days=7.0)
    assert prior.factor(None, MARCH) == 1.0
    assert prior.factor(MARCH, MARCH) == pytest.approx(2.0)
    assert prior.factor(MARCH - timedelta(days=7), MARCH) == pytest.approx(1.5)
    assert prior.factor(MARCH - timedelta(days=14), MARCH) == pytest.approx(1.25)
    assert prior.factor(MARCH + timedelta(hours=12), MARCH) == pytest.approx(2.0)
    assert prior.factor(MARCH + timedelta(days=3), MARCH) == 1.0  # published after the question
    assert prior.factor(datetime(2024, 3, 20), MARCH) == pytest.approx(2.0)  # naive = UTC
    assert RecencyPrior(weight=0.0, half_life_days=7.0).factor(MARCH, MARCH) == 1.0


def test_rerank_keeps_native_scores_when_nothing_is_boosted(storm_bot: Briefbot) -> None:
    hits = storm_bot.search(QUERY, 2)
    prior = RecencyPrior(weight=1.0, half_life_days=7.0)
    assert prior.rerank(hits, SearchFilters(as_of=datetime(2030, 1, 1, tzinfo=UTC))) == hits
    boosted = prior.rerank(list(reversed(hits)), SearchFilters(as_of=MARCH))
    assert boosted[0].chunk.article_id == LATE.id
    assert all(isinstance(h, Hit) for h in boosted)
    assert boosted[0].score > boosted[1].score


def test_cli_as_of(storm_bot: Briefbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")
    runner = CliRunner()
    store = str(storm_bot.store.location)
    tops = {}
    for day in ("2024-01-04", "2024-03-21"):
        result = runner.invoke(
            app, ["search", QUERY, "-k", "1", "--as-of", day, "--json", "--store", store]
        )
        assert result.exit_code == 0, result.output
        tops[day] = result.output
    assert "January storm" in tops["2024-01-04"] and "March storm" in tops["2024-03-21"]
    bad = runner.invoke(app, ["ask", QUERY, "--as-of", "next week", "--store", store])
    assert bad.exit_code != 0
    assert "--as-of" in bad.output and "not a date" in bad.output
