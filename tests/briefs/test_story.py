"""A topic brief keeps one story: articles sharing the query's names with the best match."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from briefbot import Briefbot
from briefbot.grounding.story import missing, on_story, split_story, story_terms
from briefbot.models import Article
from tests.fakes import news_article

DAY = datetime(2024, 10, 14, tzinfo=UTC)
TAIWAN = [
    news_article(
        "China sent 153 military aircraft near Taiwan on Monday, Taiwan's defence ministry "
        "said, as tensions with Beijing rose after the island's national day.\n\n"
        "China called the drills a warning to separatist forces in Taiwan.",
        "China sends record number of warplanes near Taiwan",
        "Taipei Times",
        DAY,
    ),
    news_article(
        "Taiwan's president said the island would not be provoked by China's drills.\n\n"
        "Tensions across the strait have risen since May, analysts said.",
        "Taiwan's president responds to Chinese drills",
        "Focus Taiwan",
        DAY,
    ),
]
NORTH_KOREA = news_article(
    "North Korean troops in Russia raise tensions with China, officials said.",
    "North Korean troops arrive in Russia",
    "Yonhap",
    DAY,
)


def test_topic_brief_leaves_out_an_article_on_another_story(bot: Briefbot) -> None:
    """The North Korea article clears the similarity floor (it shares "China" and "tensions")
    but not the story: it does not mention Taiwan, which every Taiwan article does."""
    report = bot.ingest_articles([*TAIWAN, NORTH_KOREA])
    assert len(report.added) == 3
    hits = bot.search("Taiwan China tensions", k=20)
    nk = max(h.similarity or 0 for h in hits if h.chunk.article_id == NORTH_KOREA.id)
    assert nk >= bot.settings.brief_article_floor  # similarity alone would keep it
    brief = bot.brief(query="Taiwan China tensions")
    assert set(brief.article_ids) == {a.id for a in TAIWAN}
    assert "North Korean" not in brief.text
    notice = next(n for n in brief.notices if "North Korean troops arrive in Russia" in n)
    # what the filter knows, not a claim about what the article is about
    assert "(no mention of Taiwan)" in notice
    assert "may be on another story" in notice


def test_story_names_are_the_query_words_the_best_article_capitalises() -> None:
    terms = story_terms("Taiwan China tensions", TAIWAN[0])
    assert terms.names == ("taiwan", "china")
    assert terms.words == ("tension",)
    assert on_story(TAIWAN[1], terms)
    assert not on_story(NORTH_KOREA, terms)


def test_lower_case_query_finds_the_names_in_the_article() -> None:
    kept, left_out = split_story("taiwan china tensions", [TAIWAN[0], NORTH_KOREA, TAIWAN[1]])
    assert kept == [TAIWAN[0], TAIWAN[1]]
    assert left_out == [(NORTH_KOREA, ["taiwan"])]


WIRE = news_article(
    "North Korea is sending about 5,000 military engineers to Russia, South Korea's "
    "intelligence service said.",
    "Seoul says North Korea is sending engineers to Russia",
    "Harbour Wire",
    DAY,
)
TABLOID = news_article(
    "Kim Jong Un's regime has shipped thousands of soldiers to Russia, Seoul claims.\n\n"
    "The reclusive dictatorship is sending some 5,000 engineers to the Kursk region, "
    "according to South Korean intelligence.",
    "Kim's regime ships troops to prop up Putin's war",
    "Evening Tribune",
    DAY,
)


def test_a_left_out_article_is_said_to_lack_words_not_to_be_another_story(bot: Briefbot) -> None:
    """The tabloid tells the same story without the word "North": the lexical filter leaves it
    out, and the notice says only what is true, that it does not mention North (it once said
    the article "is about another story")."""
    terms = story_terms("North Korean engineers in Russia", WIRE)
    assert terms.names == ("north", "russia")
    assert missing(TABLOID, terms) == ["North"]
    assert missing(TAIWAN[0], terms) == ["North", "Russia"]
    bot.ingest_articles([WIRE, TABLOID])
    brief = bot.brief(query="North Korean engineers in Russia")
    notice = next(n for n in brief.notices if TABLOID.title in n)
    assert f"may be on another story: “{TABLOID.title}” (no mention of North)." in notice
    assert "about another story" not in notice


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        # no names: half of the story's words must be there ("interest", "rate")
        ("interest rates inflation", 2),
        # a query word the best article lacks does not define the story
        ("central bank interest rates pandas", 2),
    ],
)
def test_a_query_without_names_needs_half_its_words(query: str, kept: int) -> None:
    best = news_article(
        "The central bank raised interest rates again as inflation stayed high.",
        "Rates rise again",
        "Wire",
        DAY,
    )
    similar = news_article(
        "Borrowers face higher interest rates after the decision.", "Loans dearer", "Wire", DAY
    )
    other = news_article(
        "Inflation in football transfer fees worries clubs.", "Transfer fees", "Wire", DAY
    )
    assert len(split_story(query, [best, similar, other])[0]) == kept


def test_no_shared_word_keeps_every_article_else_one_word_decides() -> None:
    articles: list[Article] = [TAIWAN[0], NORTH_KOREA]
    assert split_story("warplanes", articles) == ([TAIWAN[0]], [(NORTH_KOREA, ["warplanes"])])
    assert split_story("airspace incursions", articles) == (articles, [])
