"""Leave-one-week-out: a held-out week never chooses its own setting (fake embedder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefbot.cli import app
from briefbot.evals.crossval import (
    Case,
    CrossValidation,
    choose,
    crossval_markdown,
    folds_from_tables,
)
from briefbot.evals.datasets import QAItem
from briefbot.retrieval import Candidates
from tests.evals.test_qa import data, write_jsonl  # noqa: F401  (the fixture)


def case(week: str, in_results: bool = True) -> Case:
    item = QAItem(id=week, question="q", answers=["a"], group=week)
    return Case(item, week, in_corpus=True, in_results=in_results, filters=None, found=Candidates())


SHIPPED = {"recency_weight": 1.0}
GRID = [{"recency_weight": 0.0}, {"recency_weight": 1.0}, {"recency_weight": 2.0}]


def test_choose_counts_found_then_reciprocal_rank_then_nearness() -> None:
    table = [
        [(True, 1.0), (False, 0.2)],
        [(True, 0.5), (True, 0.5)],
        [(True, 0.5), (True, 0.5)],
    ]
    assert choose(GRID, table, [0, 1], SHIPPED) in (1, 2)
    assert choose(GRID, table, [0, 1], SHIPPED) == 1  # tie: the shipped value is nearer
    assert choose(GRID, table, [0], SHIPPED) == 0  # best reciprocal rank among the found


def test_a_held_out_week_is_scored_under_the_setting_the_other_weeks_chose() -> None:
    cases = [case("w1"), case("w1"), case("w2"), case("w3", in_results=False)]
    # Setting 2 is perfect on w1 only; setting 0 wins on w2 and w3.
    table_hybrid = [
        [(False, 0.0), (False, 0.0), (True, 1.0), (True, 1.0)],
        [(False, 0.0), (False, 0.0), (False, 0.0), (False, 0.0)],
        [(True, 1.0), (True, 1.0), (False, 0.0), (False, 0.0)],
    ]
    folds = folds_from_tables(cases, {"hybrid": GRID}, {"hybrid": table_hybrid}, SHIPPED)
    assert [f.week for f in folds] == ["w1", "w2", "w3"]
    w1 = folds[0]
    assert w1.chosen["hybrid"] == {"recency_weight": 0.0}
    assert w1.found["hybrid"] == 0  # what the chosen setting gives on w1, not the best on w1
    assert w1.questions == 2 and w1.results_oracle == 2
    # Changing w1's own rows does not change what w1 is scored under.
    table_hybrid[0][0] = (True, 1.0)
    again = folds_from_tables(cases, {"hybrid": GRID}, {"hybrid": table_hybrid}, SHIPPED)
    assert again[0].chosen == w1.chosen and again[0].found["hybrid"] == 1
    w3 = folds[2]  # w1's two questions outvote w2's one: setting 2, which misses on w3
    assert w3.chosen["hybrid"] == {"recency_weight": 2.0}
    assert w3.found["hybrid"] == 0 and w3.found_in_results_oracle["hybrid"] == 0


def test_one_week_cannot_be_cross_validated() -> None:
    folds = folds_from_tables(
        [case("w1"), case("w1")], {"hybrid": GRID}, {"hybrid": [[(True, 1.0)] * 2] * 3}, SHIPPED
    )
    assert folds == []
    text = crossval_markdown(CrossValidation(k=5, folds=[], refit={}))
    assert "fewer than two weeks" in text


def test_eval_qa_leads_with_leave_one_week_out_and_prints_json(
    data: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_jsonl(
        data / "realtimeqa" / "20230113_qa.jsonl",
        [
            {
                "question_id": "q5",
                "question_date": "2023/01/13",
                "question_sentence": "Which player collapsed on the field on Monday night?",
                "choices": ["Damar Hamlin", "Josh Allen", "Tom Brady", "Joe Burrow"],
                "answer": ["0"],
            }
        ],
    )
    write_jsonl(
        data / "realtimeqa" / "20230113_gcs.jsonl", [{"question_id": "q5", "search_result": []}]
    )
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")
    store = str(tmp_path / "s")
    shown = CliRunner().invoke(app, ["eval", "qa", "--data", str(data), "--store", store])
    assert shown.exit_code == 0, shown.output
    assert shown.output.index("Leave one week out") < shown.output.index("Corpus oracle")
    assert "| 20230106 | 4 |" in shown.output and "| 20230113 | 1 |" in shown.output
    assert "**worst fold**" in shown.output

    printed = CliRunner().invoke(
        app, ["eval", "qa", "--data", str(data), "--store", store, "--json"]
    )
    assert printed.exit_code == 0, printed.output
    figures = json.loads(printed.stdout)
    rtqa = figures["realtimeqa"]
    assert rtqa["questions"] == 5
    assert set(rtqa["recall_at_5"]) == set(rtqa["of_results_oracle"]) == {"hybrid", "dense", "bm25"}
    assert all(0.0 <= v <= 1.0 for v in rtqa["recall_at_5"].values())
    assert 0.0 <= rtqa["accuracy"] <= 1.0 and 0.0 <= rtqa["accuracy_on_oracle"] <= 1.0
    assert rtqa["corpus_oracle"] == pytest.approx(4 / 5)
    folds = rtqa["leave_one_week_out"]["folds"]
    assert [f["week"] for f in folds] == ["20230106", "20230113"]
    assert set(figures["rgb"]) >= {"accuracy", "both_values_shown", "fake_only", "true_only"}
