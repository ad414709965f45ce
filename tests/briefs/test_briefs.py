"""Briefs: scopes, bad input, word limit, exact citations, Markdown, LLM mode, the seed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from briefbot import Briefbot
from briefbot.briefs.briefer import Briefer
from briefbot.briefs.extractive import Candidate, candidates, select, shortened
from briefbot.briefs.types import Brief, count_words
from briefbot.cli import app
from briefbot.errors import EmptyScopeError, LLMError, NotFoundError, PromptError
from briefbot.grounding.scope import article_passages
from briefbot.models import Article
from briefbot.render import escape_markdown, one_line, render_markdown
from tests.fakes import FakeChatModel

Corpus = tuple[Briefbot, list[Article]]
PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def assert_cited_exactly(bot: Briefbot, brief: Brief) -> None:
    """Every sentence is supported and cites exact slices of its article's stored text."""
    assert brief.sentences
    for sentence in brief.sentences:
        assert sentence.supported, sentence
        assert sentence.citations, sentence
        for citation in sentence.citations:
            text = bot.article(citation.article_id).text
            # the quote is whole words of the stored article, and the sentence says just that
            assert citation.quote in text
            assert not (citation.start > 0 and text[citation.start - 1].isalnum())
            assert not (citation.end < len(text) and text[citation.end].isalnum())
            if brief.mode == "extractive":  # quoted verbatim (a shortened one is a prefix)
                assert citation.quote.startswith(sentence.text.rstrip("."))
            assert citation.article_id in brief.article_ids
            assert citation.n in {s.n for s in brief.sources}


def test_one_article_brief_quotes_whole_sentences_in_order(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    brief = bot.brief([articles[0].id])
    assert brief.mode == "extractive" and not brief.refused
    assert brief.article_ids == [articles[0].id]
    assert_cited_exactly(bot, brief)
    starts = []
    for sentence in brief.sentences:
        citation = sentence.citations[0]
        assert sentence.text in (citation.quote, citation.quote + ".")
        starts.append(citation.start)
    assert starts == sorted(starts)
    assert [s.article_id for s in brief.sources] == [articles[0].id]


def test_story_brief_covers_several_articles_in_given_order(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    ids = [articles[1].id, articles[0].id]
    brief = bot.brief(ids)
    assert brief.article_ids == ids
    assert_cited_exactly(bot, brief)
    cited = [s.citations[0].article_id for s in brief.sentences]
    assert set(cited) == set(ids)
    assert cited == sorted(cited, key=ids.index)  # article order, then position


def test_duplicate_ids_count_once(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    brief = bot.brief([articles[0].id, articles[0].id])
    assert brief.article_ids == [articles[0].id]


def test_topic_brief_reads_the_articles_the_query_finds(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    brief = bot.brief(query="Ordan river dam breach flood evacuation")
    assert brief.query == "Ordan river dam breach flood evacuation"
    assert set(brief.article_ids) == {articles[0].id, articles[1].id, articles[3].id}
    assert articles[2].id not in brief.article_ids
    assert_cited_exactly(bot, brief)


def test_topic_brief_with_date_range_and_outlet(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    march = bot.brief(
        query="Ordan river dam breach flood evacuation",
        since=datetime(2024, 3, 1, tzinfo=UTC),
        until=datetime(2024, 3, 31, tzinfo=UTC),
    )
    assert set(march.article_ids) == {articles[0].id, articles[1].id}
    assert march.since == datetime(2024, 3, 1, tzinfo=UTC)
    herald = bot.brief(query="Ordan river dam breach flood evacuation", outlets=["valley herald"])
    assert set(herald.article_ids) == {articles[0].id, articles[3].id}


def test_ids_with_a_date_range_keep_only_articles_inside_it(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    brief = bot.brief([articles[0].id, articles[3].id], since=datetime(2024, 5, 1, tzinfo=UTC))
    assert brief.article_ids == [articles[3].id]


def test_unknown_article_id_is_named(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    with pytest.raises(NotFoundError, match="deadbeefdeadbeef"):
        bot.brief([articles[0].id, "deadbeefdeadbeef"])


def test_no_ids_and_no_query_is_an_empty_scope(bot: Briefbot) -> None:
    with pytest.raises(EmptyScopeError, match="article ids or a --query"):
        bot.brief()
    with pytest.raises(EmptyScopeError):
        bot.brief(article_ids=["  "], query="   ")


def test_topic_finding_nothing_is_an_empty_scope(corpus_bot: Corpus) -> None:
    bot, _ = corpus_bot
    with pytest.raises(EmptyScopeError, match="quantum"):
        bot.brief(query="quantum computing startup funding")
    with pytest.raises(EmptyScopeError, match="since 2030-01-01"):
        bot.brief(
            query="Ordan river dam breach flood evacuation", since=datetime(2030, 1, 1, tzinfo=UTC)
        )


def test_empty_store_topic_is_an_empty_scope(bot: Briefbot) -> None:
    with pytest.raises(EmptyScopeError, match="nothing to brief"):
        bot.brief(query="Ordan dam")


def test_ids_filtered_to_nothing_are_an_empty_scope(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    with pytest.raises(EmptyScopeError, match="none of the 1 article"):
        bot.brief([articles[0].id], outlets=["Sports Weekly"])


def test_a_budget_no_sentence_fits_is_refused_not_empty(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    with pytest.raises(EmptyScopeError, match="fits in 5 words"):
        bot.brief([articles[0].id], max_words=5)


@pytest.mark.parametrize("limit", [20, 30, 45, 120])
def test_word_limit_is_respected(corpus_bot: Corpus, limit: int) -> None:
    bot, articles = corpus_bot
    brief = bot.brief([articles[0].id, articles[1].id], max_words=limit)
    assert 0 < brief.word_count <= limit
    assert brief.max_words == limit


def test_default_word_limit_comes_from_settings(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    bot.settings = bot.settings.model_copy(update={"brief_max_words": 25})
    brief = bot.brief([articles[0].id, articles[1].id])
    assert brief.max_words == 25 and brief.word_count <= 25


def test_shortened_drops_only_a_trailing_participle_clause() -> None:
    sentence = (
        "The scale of the deployment, which officials say could reach 10,000 troops, marks "
        "an escalation in the conflict, signaling a deepening alignment with Moscow."
    )
    short = shortened(sentence)
    assert short == sentence.split(", signaling")[0] + "."
    assert count_words(short) < count_words(sentence)
    assert (
        shortened("Troops were sent to the border region last week, according to Yonhap.") is None
    )
    assert shortened("Two short words here, leaving nothing.") is None


@pytest.mark.parametrize(
    ("sentence", "cut"),
    [
        (
            "North Korea has reportedly begun deploying thousands of troops to Russia, a move "
            "that has sent ripples through the geopolitical landscape.",
            ", a move",
        ),
        (
            "The ministry emphasized that the army had pushed back the enemy forces, a claim "
            "that has been echoed by Pyongyang in its own state media.",
            ", a claim",
        ),
        (
            "The engineers will repair the bridges and roads damaged in the fighting, which "
            "have been closed since the spring.",
            ", which",
        ),
    ],
)
def test_shortened_drops_a_trailing_appositive_or_relative_clause(sentence: str, cut: str) -> None:
    short = shortened(sentence)
    assert short == sentence.split(cut)[0] + "."
    assert sentence.startswith(short[:-1])


@pytest.mark.parametrize(
    "sentence",
    [
        "The engineers will repair the bridges and roads damaged in the fighting, which "
        "Yonhap reported on Monday.",
        "The engineers will repair the bridges and roads damaged in the fighting, a task "
        "that officials said could take years.",
        "Troops moved in, which surprised analysts.",
        'He said "the engineers will repair the bridges and roads damaged in the fighting, '
        'which is dangerous work."',
    ],
)
def test_shortened_keeps_sources_quotes_and_short_sentences(sentence: str) -> None:
    assert shortened(sentence) is None


def _one_article_candidates(*sentences: str) -> list[Candidate]:
    text = "\n\n".join(sentences)
    article = Article(id="a1", key="a1", title="Bridge vote", text=text)
    return candidates([article], article_passages([article], lambda _: []))


@pytest.mark.parametrize(("second", "shortens"), [("insisted", True), ("said", False)])
def test_select_shortens_picks_to_make_room_for_an_attributed_claim(
    second: str, shortens: bool
) -> None:
    lead = (
        "The council approved the new bridge over the river on Monday, a decision that ends "
        "a decade of debate among the residents of both banks."
    )
    claim = f"The mayor {second} that the bridge would open to traffic before the end of next year."
    found = _one_article_candidates(lead, claim)
    scores = np.array([1.0, 0.65])  # the claim is below MIN_SALIENCE_SHARE of the lead
    budget = count_words(lead) + count_words(claim) - 5
    picks = select(found, np.eye(2, dtype=np.float32), scores, budget)
    texts = [text for _, text in picks]
    if shortens:
        assert texts == [lead.split(", a decision")[0] + ".", claim]
        assert sum(count_words(t) for t in texts) <= budget
    else:
        assert texts == [lead]


def test_markdown_footnotes_carry_the_quoted_spans(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    brief = bot.brief([articles[0].id, articles[1].id])
    markdown = render_markdown(brief)
    for sentence in brief.sentences:
        citation = sentence.citations[0]
        assert f"[^{citation.n}]" in markdown
        footnote = next(
            line for line in markdown.splitlines() if line.startswith(f"[^{citation.n}]:")
        )
        assert escape_markdown(one_line(citation.quote)) in footnote


def test_cli_brief_formats_and_errors(corpus_bot: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    bot, articles = corpus_bot
    monkeypatch.setattr("briefbot.cli.briefs.open_bot", lambda store=None: bot)
    runner = CliRunner()
    result = runner.invoke(app, ["brief", articles[0].id, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["article_ids"] == [articles[0].id] and data["word_count"] <= 120
    result = runner.invoke(app, ["brief", articles[0].id, "--format", "md", "--max-words", "30"])
    assert result.exit_code == 0 and "[^1]:" in result.stdout
    result = runner.invoke(app, ["brief", "0000000000000000"])
    assert result.exit_code == 1 and "0000000000000000" in result.output
    result = runner.invoke(app, ["brief", "--query", "quantum computing startup funding"])
    assert result.exit_code == 1 and "nothing to brief" in result.output


# --- LLM mode ----------------------------------------------------------------------------


def llm_briefer(bot: Briefbot, chat: FakeChatModel, **settings: object) -> Briefer:
    configured = bot.settings.model_copy(update=settings)
    return Briefer(bot.store, bot.embedder, configured, bot.search, chat_factory=lambda s: chat)


def test_llm_brief_cites_passages_and_is_verified(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    chat = FakeChatModel(
        "A dam breach on the Ordan river flooded three valley towns on Monday, officials "
        "said [1]. About 2,000 residents were evacuated, according to the regional emergency "
        "agency [1]. The governor claims the damage could exceed 40 million euros [2]."
    )
    brief = llm_briefer(bot, chat).brief([articles[0].id, articles[1].id], mode="llm")
    assert brief.mode == "llm" and brief.usage is not None
    assert_cited_exactly(bot, brief)
    assert [s.citations[0].article_id for s in brief.sentences] == [
        articles[0].id,
        articles[0].id,
        articles[1].id,
    ]
    governor = brief.sentences[2].citations[0].quote
    assert "40 million euros" in governor and "governor claims" in governor
    prompt = chat.prompt(0)
    assert "at most 120 words" in prompt and "Valley Herald" in prompt


def test_llm_brief_flags_what_the_sources_do_not_say(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    chat = FakeChatModel(
        "A dam breach flooded three valley towns on Monday, officials said [1]. "
        "The dam was built in 1931 by Ravel Engineering [1]."
    )
    brief = llm_briefer(bot, chat, unsupported="flag").brief([articles[0].id], mode="llm")
    assert [s.supported for s in brief.sentences] == [True, False]
    assert any("not supported" in n or "flagged" in n for n in brief.notices)


def test_llm_brief_longer_than_the_limit_is_cut(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    chat = FakeChatModel(
        "A dam breach on the Ordan river flooded three valley towns on Monday, officials "
        "said [1]. About 2,000 residents were evacuated overnight, according to the regional "
        "emergency agency [1]."
    )
    brief = llm_briefer(bot, chat).brief([articles[0].id], mode="llm", max_words=20)
    assert brief.word_count <= 20 and len(brief.sentences) == 1
    assert any("cut" in n for n in brief.notices)


def test_llm_map_reduce_keeps_citations_to_the_original_spans(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    ids = [articles[0].id, articles[1].id]
    assert [len(bot.store.chunks_of(i)) for i in ids] == [1, 1]  # passages [1] and [2]
    chat = FakeChatModel(
        "- About 2,000 residents were evacuated overnight, according to the regional "
        "emergency agency [1].\n- The dam had been inspected in January [1].",
        "- The governor claims the flood damage could exceed 40 million euros [2].",
        "About 2,000 residents were evacuated, according to the regional emergency agency [1]. "
        "The governor claims the flood damage could exceed 40 million euros [3].",
    )
    # Both articles do not fit the brief prompt at once, each fits the notes prompt.
    briefer = llm_briefer(bot, chat, llm_context_tokens=512, llm_max_answer_tokens=152)
    brief = briefer.brief(ids, mode="llm")
    assert len(chat.calls) == 3
    assert articles[0].title in chat.prompt(0) and articles[1].title in chat.prompt(1)
    assert "[3] (Daily Courier) The governor claims" in chat.prompt(2)
    assert any("notes" in n for n in brief.notices)
    assert_cited_exactly(bot, brief)
    assert [s.citations[0].article_id for s in brief.sentences] == ids
    assert "2,000 residents" in brief.sentences[0].citations[0].quote
    assert "40 million euros" in brief.sentences[1].citations[0].quote


def test_llm_failure_falls_back_to_extractive_with_a_notice(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    chat = FakeChatModel(LLMError("LLM answered HTTP 503", status=503))
    brief = llm_briefer(bot, chat).brief([articles[0].id], mode="llm")
    assert brief.mode == "extractive"
    assert brief.notices and "503" in brief.notices[0] and "extractive" in brief.notices[0]
    assert_cited_exactly(bot, brief)


def test_llm_empty_reply_falls_back(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    brief = llm_briefer(bot, FakeChatModel("")).brief([articles[0].id], mode="llm")
    assert brief.mode == "extractive" and "returned no brief" in brief.notices[0]


# --- done when: the seed with the real MiniLM ----------------------------------------------


def test_seed_brief_covers_deployment_size_and_attributed_claims(
    real_seed_bot: Briefbot,
) -> None:
    seed = real_seed_bot.articles()[0]
    brief = real_seed_bot.brief([seed.id])
    assert brief.word_count <= 120
    assert_cited_exactly(real_seed_bot, brief)
    text = brief.text
    assert "deploy" in text
    assert "5,000" in text and "1,000" in text and "10,000" in text
    assert "repair infrastructure" in text and "demining" in text
    assert "Yonhap" in text and "South Korea claims" in text
    assert (
        "The Russian Foreign Ministry emphasized that North Korea’s military had played a "
        "pivotal role in pushing back Ukrainian forces and foreign mercenaries" in text
    )
    article_text = real_seed_bot.article(seed.id).text
    for sentence in brief.sentences:  # whole sentences or verbatim prefixes of them
        start = sentence.citations[0].start
        assert article_text.startswith(sentence.text.removesuffix("."), start)
    sentences = [s.text for s in brief.sentences]
    continuation = next(i for i, s in enumerate(sentences) if "1,000" in s)
    assert "Yonhap" in sentences[continuation - 1]  # "This effort..." right after its antecedent


def test_llm_brief_with_nothing_supported_falls_back(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    chat = FakeChatModel("The dam was built in 1931 by Ravel Engineering [1].")
    brief = llm_briefer(bot, chat).brief([articles[0].id], mode="llm")
    assert brief.mode == "extractive" and not brief.refused
    assert "No sentence of the language model's brief" in brief.notices[0]
    assert brief.usage is not None and brief.usage.prompt_tokens == 100
    assert_cited_exactly(bot, brief)


def test_brief_prompts_declare_their_placeholders(tmp_path: Path, corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    for name in ("brief", "brief_notes"):
        (tmp_path / f"{name}.md").write_text((PROMPTS / f"{name}.md").read_text())
    (tmp_path / "brief.md").write_text("Sources: {sources} in {max_words} words.")
    briefer = llm_briefer(bot, FakeChatModel(), prompts_dir=tmp_path)
    with pytest.raises(PromptError, match="scope"):
        briefer.brief([articles[0].id], mode="llm")


def test_query_with_ids_picks_among_those_ids(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    brief = bot.brief(
        [articles[0].id, articles[2].id], query="Ordan river dam breach flood evacuation"
    )
    assert brief.article_ids == [articles[0].id]


def test_llm_notes_without_markers_cite_their_whole_group(corpus_bot: Corpus) -> None:
    bot, articles = corpus_bot
    ids = [articles[0].id, articles[1].id]
    chat = FakeChatModel(
        "Notes:\n- About 2,000 residents were evacuated overnight.",
        "- Rescue teams reported no deaths so far.",
        "About 2,000 residents were evacuated overnight [1]. Rescue teams reported no deaths [2].",
    )
    briefer = llm_briefer(bot, chat, llm_context_tokens=512, llm_max_answer_tokens=152)
    brief = briefer.brief(ids, mode="llm")
    assert brief.mode == "llm"
    assert_cited_exactly(bot, brief)
    assert [s.citations[0].article_id for s in brief.sentences] == ids
