"""Pasteable briefs: words copied from a source are quoted and attributed in the sentence."""

from __future__ import annotations

from briefbot.briefs.attribution import MIN_COPIED_WORDS, attributed, copied_runs, credit
from briefbot.citations import Citation, CitedSentence, CitedText, SourceRef
from briefbot.render import render_markdown, render_text
from briefbot.ui.text import sentence_markdown
from tests.briefs.test_briefs import Corpus

SOURCE = (
    "Pyongyang is sending approximately 5,000 engineers from the North Korean army to repair "
    "infrastructure damaged in Russia's special military operation zone."
)


def cited(text: str, quote: str = SOURCE, n: int = 1) -> CitedSentence:
    citation = Citation(n=n, article_id=f"a{n}", chunk_id="c", start=0, end=len(quote), quote=quote)
    return CitedSentence(text=text, citations=[citation], supported=True)


def source(n: int, outlet: str, title: str = "T") -> SourceRef:
    return SourceRef(n=n, article_id=f"a{n}", title=title, outlet=outlet)


def test_a_whole_copied_sentence_is_quoted_and_credited_to_its_outlet() -> None:
    brief = attributed(
        CitedText(mode="extractive", sentences=[cited(SOURCE)], sources=[source(1, "Reuters")])
    )
    [sentence] = brief.sentences
    assert sentence.text == SOURCE  # what the checker verified is unchanged
    assert sentence.shown == f"“{SOURCE[:-1]},” Reuters reported."
    assert render_text(brief).splitlines()[0] == f"“{SOURCE[:-1]},” Reuters reported [1]."
    assert "Reuters reported[^1]." in render_markdown(brief)
    assert sentence_markdown(sentence).endswith("Reuters reported \\[1\\].")


def test_a_partly_copied_sentence_quotes_only_the_copied_run() -> None:
    text = (
        "Officials said Pyongyang is sending approximately 5,000 engineers from the North "
        "Korean army."
    )
    [sentence] = attributed(
        CitedText(mode="llm", sentences=[cited(text)], sources=[source(1, "AP")])
    ).sentences
    assert sentence.shown == (
        "Officials said “Pyongyang is sending approximately 5,000 engineers from the North "
        "Korean army”, AP reported."
    )


def test_short_or_reworded_overlaps_are_not_quoted() -> None:
    seven = "Pyongyang is sending approximately 5,000 engineers from"  # 7 words
    assert len(seven.split()) == MIN_COPIED_WORDS - 1
    assert copied_runs(f"Analysts say {seven} its army.", [SOURCE]) == []
    reworded = "North Korea will send about five thousand army engineers to fix Russian roads."
    assert copied_runs(reworded, [SOURCE]) == []


def test_inner_double_quotes_become_single_inside_a_quotation() -> None:
    quote = 'The minister called the plan "a historic step for the whole region" on Monday.'
    [sentence] = attributed(
        CitedText(mode="extractive", sentences=[cited(quote, quote)], sources=[source(1, "BBC")])
    ).sentences
    assert (
        sentence.shown
        == "“The minister called the plan ‘a historic step for the whole region’ on Monday,” "
        "BBC reported."
    )


def test_credit_names_every_outlet_or_says_the_article() -> None:
    assert credit([source(1, "Reuters"), source(2, "AP")]) == "Reuters and AP reported"
    assert credit([source(1, "")]) == "the article reported"


def test_every_copied_run_of_a_three_outlet_brief_is_quoted_and_attributed(
    corpus_bot: Corpus,
) -> None:
    bot, articles = corpus_bot
    brief = bot.brief([a.id for a in articles[:3]])
    outlets = {s.n: s.outlet for s in brief.sources}
    assert brief.sentences
    credited_by: str | None = None
    for sentence in brief.sentences:
        quotes = [c.quote for c in sentence.citations]
        runs = copied_runs(sentence.text, quotes)
        assert runs, "an extractive brief copies every sentence"
        assert sentence.shown.startswith("“")
        named = [outlets[c.n] for c in sentence.citations if outlets[c.n]]
        if sentence.attribution is not None:
            credited_by = sentence.attribution
        # credited in the sentence, or by the quote just before it from the same outlets
        assert credited_by is not None and all(name in credited_by for name in named)
    # the pasteable paragraph carries the quotes; the budget counts the sentences themselves
    assert "reported" in brief.text
    assert brief.word_count <= brief.max_words


def test_a_run_of_quotes_from_one_outlet_is_credited_once() -> None:
    second = "Another 1,000 soldiers specializing in demining operations will follow them there."
    brief = attributed(
        CitedText(
            mode="extractive",
            sentences=[cited(SOURCE), cited(second, second), cited(SOURCE, n=2)],
            sources=[source(1, "Reuters"), source(2, "AP")],
        )
    )
    assert [s.attribution for s in brief.sentences] == ["Reuters reported", None, "AP reported"]
    assert brief.sentences[1].shown == f"“{second}”"
    assert brief.text.count("Reuters") == 1


def test_a_sentence_that_opens_and_closes_with_a_quotation_is_one_whole_quote() -> None:
    first = (
        '"It\'s a partisan farce," Sen. Rand Paul said of the impeachment effort on '
        '"Fox News Sunday."'
    )
    second = '"In 30 years of politics, I have never seen this," said one prominent Democrat.'
    brief = attributed(
        CitedText(
            mode="extractive",
            sentences=[cited(first, first), cited(second, second)],
            sources=[source(1, "Reuters")],
        )
    )
    assert [s.whole_quote for s in brief.sentences] == [True, True]
    assert [s.shown for s in brief.sentences] == [
        "“‘It's a partisan farce,’ Sen. Rand Paul said of the impeachment effort on "
        "‘Fox News Sunday,’” Reuters reported.",
        "“‘In 30 years of politics, I have never seen this,’ said one prominent Democrat.”",
    ]
