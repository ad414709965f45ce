"""The one support check: a claim against a premise, and "the same fact" across outlets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefbot.errors import ConfigError
from briefbot.grounding import support
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


def test_the_shipped_model_is_the_fitted_one() -> None:
    fitted = json.loads(
        (Path(support.__file__).parent / support.MODEL_FILE).read_text(encoding="utf-8")
    )
    model = support.shipped_model()
    assert model.threshold == fitted["threshold"]
    assert set(model.weights) <= set(support.FEATURES)
    assert fitted["fitted"]["command"].startswith("python benchmarks/fit_support.py")
    # extrinsic words and invented numbers lower the score, similarity raises it
    assert model.weights["novel_words"] < 0 < model.weights["cos_max"]
    assert model.weights["novel_numbers"] < 0


def test_a_damaged_model_file_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"support_model\.json: the support model is damaged"):
        support.SupportModel.from_json({"weights": {"novel_words": 1.0}}, "support_model.json")
    with pytest.raises(ConfigError, match="unknown features"):
        support.SupportModel.from_json(
            {"weights": {"vibes": 1.0}, "bias": 0, "threshold": 0.5}, "support_model.json"
        )


def test_threshold_defaults_to_the_fitted_operating_point() -> None:
    assert SupportChecker(FakeEmbedder()).threshold == support.shipped_model().threshold
    assert SupportChecker(FakeEmbedder(), 0.9).threshold == 0.9


def test_an_invented_word_is_named_and_lowers_the_score() -> None:
    source = "Heavy rain flooded the streets of Lisbon on Monday. Trams stopped running."
    kept = checker().check("Trams stopped running in Lisbon on Monday.", source)
    invented = checker().check("Trams stopped running in Lisbon and Porto on Monday.", source)
    assert invented.score < kept.score
    assert not invented.supported and invented.reason is not None
    assert "Porto" in invented.reason


def test_recombined_words_score_below_the_source_order() -> None:
    source = "The mayor criticised the police chief after the protest."
    same = checker().check("The mayor criticised the police chief.", source)
    reversed_roles = checker().check("The police chief criticised the mayor.", source)
    assert reversed_roles.features["pair_novel"] > same.features["pair_novel"]
    assert reversed_roles.score < same.score


def test_a_claim_across_two_passages_cites_the_span_holding_each_fact() -> None:
    parts = [
        "The ministry said on Tuesday that the bridge would reopen.",
        "Repairs to the bridge cost 4 million euros, officials said.",
    ]
    verdict = checker().check(
        "The bridge, whose repairs cost 4 million euros, would reopen.", parts
    )
    assert verdict.missing == []
    assert {e.part for e in verdict.evidence} == {0, 1}
    for evidence in verdict.evidence:
        assert parts[evidence.part][evidence.start : evidence.end] == evidence.text
