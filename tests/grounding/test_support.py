"""The one support check: a claim against a premise, and "the same fact" across outlets."""

from __future__ import annotations

from briefbot.grounding.support import SupportChecker
from tests.fakes import FakeEmbedder

WIRE = (
    "North Korea is sending about 5,000 military engineers to Russia, South Korea's National "
    "Intelligence Service said on Monday, according to the Yonhap news agency."
)
SEED = (
    "According to South Korea’s Yonhap news agency, citing data from the National Intelligence "
    "Service, Pyongyang is sending approximately 5,000 engineers from the North Korean army to "
    "repair infrastructure damaged in Russia’s special military operation zone."
)
SAME_TOPIC = (
    "Analysts said the move could deepen military cooperation between Pyongyang and Moscow."
)


def checker() -> SupportChecker:
    return SupportChecker(FakeEmbedder(), 0.55)


def test_one_fact_in_different_words_is_the_same_fact() -> None:
    same, forward, backward = checker().same_fact(WIRE, SEED)
    assert same
    assert forward.score >= 0.55 and backward.score >= 0.55


def test_unrelated_sentences_on_the_same_story_are_not() -> None:
    same, forward, _ = checker().same_fact(WIRE, SAME_TOPIC)
    assert not same
    assert not forward.supported


def test_a_changed_number_is_another_fact() -> None:
    changed = WIRE.replace("5,000", "9,000")
    same, forward, _ = checker().same_fact(WIRE, changed)
    assert not same
    assert not forward.supported and "5,000" in forward.missing


def test_an_unsupported_claim_says_what_the_source_lacks() -> None:
    verdict = checker().check(WIRE.replace("Russia", "Ukraine"), SEED)
    assert not verdict.supported
    assert verdict.reason is not None and "Ukraine" in verdict.reason
    assert verdict.reason.startswith("the source does not mention")


def test_a_quote_supports_itself() -> None:
    verdict = checker().check(SEED, SEED)
    assert verdict.supported and verdict.reason is None
