"""The verifier: numbers, dates and names must be in the cited span; citations re-attached."""

from __future__ import annotations

import pytest

from briefbot import Briefbot
from briefbot.citations import CitedSentence, CitedText
from briefbot.grounding.finalize import NO_SUPPORT_REASON, apply_policy, renumber_sources
from briefbot.grounding.verify import verify_sentences
from briefbot.settings import Settings
from briefbot.text.facts import Facts, names, numbers
from tests.answers.helpers import DEMINERS, ENGINEERS, WEATHER, passage, sentence
from tests.fakes import FakeEmbedder

P1 = passage(1, ENGINEERS, offset=100)
P2 = passage(2, DEMINERS, offset=40)
P3 = passage(3, WEATHER, offset=0)
PASSAGES = [P1, P2, P3]


def verify(text: str, *cited: object, settings: Settings, passages: list = PASSAGES):  # type: ignore[no-untyped-def,type-arg]
    return verify_sentences([sentence(text, *cited)], passages, FakeEmbedder(), settings)[0]  # type: ignore[arg-type]


def test_numbers_normalise_separators_and_scales() -> None:
    assert set(numbers("5,000 engineers and 10,000 troops")) == {"5000", "10000"}
    assert set(numbers("5000 engineers")) == {"5000"}
    assert "2500000" in numbers("2.5 million people")
    assert "3" in numbers("three officials", words=True)
    assert "3" not in numbers("three officials")


def test_names_take_multiword_names_and_skip_sentence_openers() -> None:
    found = names("The talks in Moscow brought Kim Jong Un and Sergei Lavrov together. They met.")
    assert found == ["Moscow", "Kim Jong Un", "Sergei Lavrov"]


def test_facts_missing_from_span_lists_surface_forms() -> None:
    facts = Facts.of("Kim Jong Un sent 7,000 engineers in March.")
    assert facts.missing_from("Kim Jong Un sent 5,000 engineers in March.") == ["7,000"]
    assert facts.missing_from("Kim Jong Un sent 7000 engineers in Mar.") == []


def test_verbatim_quote_is_supported_with_its_exact_span(settings: Settings) -> None:
    quoted = "The engineers will repair roads and bridges in the Kursk region."
    result = verify(quoted, P1, settings=settings)
    assert result.supported and result.support_score == 1.0
    [citation] = result.citations
    local = ENGINEERS.index(quoted)
    assert (citation.start, citation.end) == (100 + local, 100 + local + len(quoted))
    assert citation.quote == quoted


def test_paraphrase_with_the_right_facts_passes(settings: Settings) -> None:
    result = verify(
        "Officials said North Korea is sending 5000 engineers to Russia.", P1, settings=settings
    )
    assert result.supported, result.note
    [citation] = result.citations
    assert (
        citation.quote == "North Korea is sending about 5,000 engineers to Russia, officials said."
    )
    assert citation.quote == ENGINEERS[citation.start - 100 : citation.end - 100]


def test_invented_number_is_unsupported(settings: Settings) -> None:
    result = verify(
        "North Korea is sending about 7,000 engineers to Russia.", P1, settings=settings
    )
    assert not result.supported
    assert result.note is not None and "7,000" in result.note


def test_entity_absent_from_span_fails(settings: Settings) -> None:
    result = verify(
        "Vladimir Putin said North Korea is sending 5,000 engineers to Russia.",
        P1,
        settings=settings,
    )
    assert not result.supported
    assert result.note is not None and "Vladimir Putin" in result.note


def test_wrong_month_fails(settings: Settings) -> None:
    result = verify("The deminers arrive in October.", P2, settings=settings)
    assert not result.supported
    assert result.note is not None and "October" in result.note


def test_wrong_passage_citation_is_reattached(settings: Settings) -> None:
    result = verify(
        "Another 1,000 soldiers will clear mines, Yonhap reported.", P1, settings=settings
    )
    assert result.supported
    [citation] = result.citations
    assert citation.n == 2 and citation.article_id == "article2"
    assert citation.quote == "Another 1,000 soldiers will clear mines, according to Yonhap."
    assert result.note is not None and "moved from source [1] to [2]" in result.note


def test_uncited_sentence_is_checked_against_all_passages(settings: Settings) -> None:
    result = verify(
        "Trams stopped running in Lisbon after heavy rain on Monday.", settings=settings
    )
    assert result.supported, result.note
    assert {c.n for c in result.citations} == {3}
    assert result.note is not None and "citation added" in result.note


def test_unrelated_claim_is_unsupported(settings: Settings) -> None:
    result = verify("The stock market rallied on strong earnings.", P1, settings=settings)
    assert not result.supported
    assert result.note


def test_citation_to_a_missing_source_is_noted(settings: Settings) -> None:
    s = sentence("The engineers will repair roads and bridges in the Kursk region.", P1)
    s.citations[0] = s.citations[0].model_copy(update={"n": 9, "chunk_id": "nowhere"})
    [result] = verify_sentences([s], PASSAGES, FakeEmbedder(), settings)
    assert result.supported
    assert result.note is not None and "[9] does not exist" in result.note
    assert [c.n for c in result.citations] == [1]


def test_sentence_combining_two_cited_passages_cites_both(settings: Settings) -> None:
    result = verify(
        "North Korea is sending 5,000 engineers and another 1,000 soldiers will clear mines.",
        P1,
        P2,
        settings=settings,
    )
    assert result.supported, result.note
    assert {c.n for c in result.citations} == {1, 2}


def _text(settings: Settings, *texts: str) -> CitedText:
    sentences = verify_sentences(
        [sentence(t, P1) for t in texts], PASSAGES, FakeEmbedder(), settings
    )
    return CitedText(mode="llm", sentences=sentences)


GOOD = "North Korea is sending about 5,000 engineers to Russia, officials said."
BAD = "North Korea is sending about 9,000 engineers to Russia."


@pytest.mark.parametrize("policy", ["flag", "remove"])
def test_policy_flags_or_removes_unsupported(settings: Settings, policy: str) -> None:
    settings = settings.model_copy(update={"unsupported": policy})
    result = apply_policy(_text(settings, GOOD, BAD), settings)
    assert not result.refused
    kept = [s.text for s in result.sentences]
    assert kept == ([GOOD, BAD] if policy == "flag" else [GOOD])
    assert [s.supported for s in result.sentences] == (
        [True, False] if policy == "flag" else [True]
    )
    assert any("1 sentence(s)" in n for n in result.notices)


def test_nothing_supported_is_a_refusal(settings: Settings) -> None:
    result = apply_policy(_text(settings, BAD), settings)
    assert result.refused
    assert result.refusal_reason == NO_SUPPORT_REASON
    assert result.sentences == [] and result.sources == []


def test_renumber_keeps_only_cited_sources_in_order(settings: Settings) -> None:
    sentences = verify_sentences(
        [sentence("The deminers arrive in September.", P2), sentence(GOOD, P1)],
        PASSAGES,
        FakeEmbedder(),
        settings,
    )
    result = renumber_sources(CitedText(mode="llm", sentences=sentences), PASSAGES)
    assert [(s.n, s.article_id) for s in result.sources] == [(1, "article2"), (2, "article1")]
    assert [c.n for s in result.sentences for c in s.citations] == [1, 2]


def test_negation_absent_from_span_fails(settings: Settings) -> None:
    result = verify("North Korea is not sending 5,000 engineers to Russia.", P1, settings=settings)
    assert not result.supported
    assert result.note is not None and "negation" in result.note


@pytest.mark.real_model
def test_real_minilm_separates_paraphrases_from_inventions(real_seed_bot: Briefbot) -> None:
    from briefbot.answers.types import passages_from_hits

    retrieval = real_seed_bot.retrieve("North Korea engineers deminers Russia Lavrov", k=10)
    passages = passages_from_hits(retrieval.hits)
    claims = {
        "Pyongyang is sending about 5,000 army engineers to repair infrastructure in Russia.": True,
        "Lavrov thanked North Korea for its support.": True,
        "Lavrov met Kim Jong Un.": True,
        # "roads" and "will" are not in the source (it says infrastructure, and "expected to")
        "Pyongyang is dispatching roughly 5,000 army engineers to fix Russian roads.": False,
        "Around 1,000 additional soldiers will handle demining.": False,
        "North Korea is sending 7,000 engineers to Russia.": False,
        "Vladimir Putin met Kim Jong Un in Moscow.": False,
        "China is expected to send peacekeepers to the region.": False,
        "The conflict is likely to end soon.": False,
    }
    first = passages[0]
    sentences = [
        CitedSentence(text=text, citations=[first.citation(0, len(first.text))]) for text in claims
    ]
    verified = verify_sentences(sentences, passages, real_seed_bot.embedder, real_seed_bot.settings)
    assert {s.text: s.supported for s in verified} == claims
    article = real_seed_bot.article(first.article_id)
    for s in verified:
        for c in s.citations:
            assert c.quote == article.text[c.start : c.end]
