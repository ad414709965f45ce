"""The framing evaluation's parsing and scoring on a tiny BASIL-shaped folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefbot.errors import SourceError
from briefbot.evals.datasets import BasilArticle, load_allsides, load_basil
from briefbot.evals.framing import (
    cross_validate_basil,
    evaluate_basil,
    evaluate_neus,
    fold_of,
    render_cv,
    render_markdown,
    score_spans,
)
from briefbot.framing.lexicons import load_lexicon
from briefbot.text.sentences import Span
from tests.fakes import FakeEmbedder

SENTENCES = [
    ["The senator slammed the regime on Monday.", "Aides said the vote was delayed."],
    ["The bill passed 52 to 48."],
]


def write_basil(root: Path) -> Path:
    folder = root / "basil"
    (folder / "articles" / "2012").mkdir(parents=True)
    (folder / "annotations" / "2012").mkdir(parents=True)
    for n, source in enumerate(["fox", "nyt"], start=1):
        article = {
            "source": source,
            "triplet-uuid": "t1",
            # one outlet stores paragraphs as JSON inside a string
            "body-paragraphs": json.dumps(SENTENCES) if n == 1 else SENTENCES,
        }
        (folder / "articles" / "2012" / f"t1_{n}.json").write_text(json.dumps(article))
    annotation = {
        "phrase-level-annotations": [
            {"bias": "lex", "txt": "slammed", "start": 12, "end": 19},
            {"bias": "lex", "txt": "delayed", "start": 26, "end": 33},
            {"bias": "inf", "txt": "The bill passed 52 to 48.", "start": 0, "end": 25},
            {"bias": "lex", "txt": "nowhere in the text", "start": 0, "end": 5},
        ]
    }
    (folder / "annotations" / "2012" / "t1_1_ann.json").write_text(json.dumps(annotation))
    return folder


def test_load_basil_places_sentence_offsets_in_the_article(tmp_path: Path) -> None:
    first, second = load_basil(write_basil(tmp_path))
    assert (first.outlet, second.outlet) == ("fox", "nyt")
    assert [first.text[s:e] for s, e in first.lex] == ["slammed", "delayed"]
    assert [first.text[s:e] for s, e in first.inf] == ["The bill passed 52 to 48."]
    assert first.unplaced == 1
    assert second.lex == []


def test_score_spans_counts_overlaps() -> None:
    score = score_spans([[(0, 5), (10, 12), (20, 30)]], [[(3, 8), (25, 26), (40, 45)]])
    assert (score.flags, score.flags_on_spans, score.spans, score.spans_found) == (3, 2, 3, 2)
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(2 / 3)


def test_evaluate_basil_against_baseline(tmp_path: Path) -> None:
    articles = load_basil(write_basil(tmp_path))
    result = evaluate_basil(articles, load_lexicon(), FakeEmbedder(), threshold=0.99)
    # "slammed" and "regime" are flagged in both articles; only fox's "slammed" is annotated.
    assert result.lex.flags == 4
    assert result.lex.flags_on_spans == 1
    assert result.lex.spans_found == 1
    # identical copies align, so nothing is "only in this outlet"; the inf sentence is not
    # evaluative either
    assert result.inf_recall == 0.0
    assert {row.outlet for row in result.outlets} == {"fox", "nyt"}
    assert "loaded-term lexicon" in render_markdown(result, None)


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"pass \.\./shared/data/basil"):
        load_basil(tmp_path)
    with pytest.raises(SourceError, match=r"allsides_stories\.jsonl"):
        load_allsides(tmp_path / "missing.jsonl")


def test_neus_per_lean(tmp_path: Path) -> None:
    path = tmp_path / "stories.jsonl"
    story = {
        "news": {
            "left": {"newBody": ["Critics slammed the so-called reform on Monday."]},
            "right": {"newBody": ["The reform passed the Senate on Monday, officials said."]},
        }
    }
    path.write_text(json.dumps(story) + "\n\n")
    rows = {row.lean: row for row in evaluate_neus(load_allsides(path), load_lexicon())}
    assert rows["left"].loaded_per_1000 > 0
    assert rows["right"].loaded_per_1000 == 0
    assert rows["right"].attributed_share == 1.0


def _article(triplet: str, text: str, lex: list[tuple[int, int]]) -> BasilArticle:
    return BasilArticle(
        key=f"{triplet}-{len(text)}",
        triplet=triplet,
        outlet="fox",
        text=text,
        sentences=[Span(0, len(text), text)],
        lex=lex,
    )


def test_folds_keep_each_triplet_whole() -> None:
    articles = [_article(t, "x", []) for t in ["b", "a", "b", "c", "a", "d"]]
    folds = fold_of(articles, 3)
    by_triplet = {a.triplet: f for a, f in zip(articles, folds, strict=True)}
    assert all(by_triplet[a.triplet] == f for a, f in zip(articles, folds, strict=True))
    assert len(set(folds)) == 3


def test_cross_validation_scores_each_held_out_fold_once() -> None:
    text = "The senator slammed the plan and blasted the rules."
    articles = [_article(str(i), text, [(12, 19)]) for i in range(4)]
    rows = cross_validate_basil(articles, load_lexicon(), folds=4)
    assert [r.fold for r in rows] == [0, 1, 2, 3]
    assert sum(r.articles for r in rows) == 4
    for row in rows:
        assert (row.lexicon.flags, row.lexicon.flags_on_spans) == (2, 1)
        # "blasted" is never annotated in the training folds: the prior drops it
        assert (row.prior.flags, row.prior.flags_on_spans) == (1, 1)
    assert "| pooled | 4 |" in render_cv(rows)
