"""Fixtures of the brief tests: a small corpus of dated articles and a scripted chat model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from briefbot import Briefbot
from briefbot.models import Article
from tests.fakes import news_article

STORY = [
    (
        "Dam breach floods valley towns",
        "Valley Herald",
        datetime(2024, 3, 4, tzinfo=UTC),
        "A dam breach on the Ordan river flooded three valley towns on Monday, officials said.\n\n"
        "About 2,000 residents were evacuated overnight, according to the regional "
        "emergency agency.\n\n"
        "The agency said the dam had been inspected in January and judged safe.\n\n"
        "Engineers are now checking two other dams upstream for cracks.",
    ),
    (
        "Ordan dam failure: evacuation widens",
        "Daily Courier",
        datetime(2024, 3, 5, tzinfo=UTC),
        "Authorities widened the evacuation around the breached Ordan river dam on Tuesday.\n\n"
        "The governor claims the flood damage could exceed 40 million euros.\n\n"
        "Residents of the valley towns said the warning sirens sounded too late.\n\n"
        "Rescue teams reported no deaths so far.",
    ),
]
OTHER = (
    "Chess club wins regional title",
    "Sports Weekly",
    datetime(2024, 3, 6, tzinfo=UTC),
    "The city chess club won the regional team title on Sunday after a tense final round.\n\n"
    "Its youngest player, aged twelve, scored the decisive point with the black pieces.",
)
LATE = (
    "Ordan dam repairs begin",
    "Valley Herald",
    datetime(2024, 6, 1, tzinfo=UTC),
    "Repairs on the breached Ordan river dam began on Saturday, the regional agency said.\n\n"
    "The work on the Ordan dam is expected to take eight months and cost 12 million euros.",
)


def make_article(title: str, outlet: str, published: datetime, text: str) -> Article:
    return news_article(text, title, outlet, published)


@pytest.fixture
def corpus_bot(bot: Briefbot) -> tuple[Briefbot, list[Article]]:
    """The fake-embedder store with the two-article dam story, a later article and chess."""
    articles = [make_article(*fields) for fields in (*STORY, OTHER, LATE)]
    report = bot.ingest_articles(articles)
    assert len(report.added) == 4
    return bot, articles
