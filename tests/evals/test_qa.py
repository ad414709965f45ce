"""The QA evaluation harness on tiny synthetic data in the public formats (fake embedder)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefbot import Briefbot, Settings
from briefbot.cli import app
from briefbot.errors import SourceError
from briefbot.evals.datasets import QAItem, load_realtimeqa, load_rgb, rgb_articles
from briefbot.evals.realtimeqa import (
    RealTimeQAResult,
    RetrieverResult,
    audit_corpus_oracle,
    evaluate_realtimeqa,
    oracle_audit_markdown,
    realtimeqa_markdown,
)
from briefbot.evals.rgb import evaluate_rgb, rgb_markdown
from briefbot.evals.scoring import contains_any
from tests.fakes import FakeEmbedder

STORM = (
    "A powerful storm drenched California this week, causing widespread flooding and "
    "power outages across the state. Rivers rose in Sacramento."
)
BILLS = (
    "Damar Hamlin of the Buffalo Bills collapsed on the field on Monday night. Doctors "
    "said he was improving."
)


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "realtimeqa").mkdir(parents=True)
    (root / "rgb").mkdir()
    write_jsonl(
        root / "realtimeqa" / "20230106_qa.jsonl",
        [
            {
                "question_id": "q1",
                "question_date": "2023/01/06",
                "question_sentence": "Which state was drenched by a powerful storm?",
                "choices": ["Utah", "California", "Texas", "Ohio"],
                "answer": ["1"],
            },
            {
                "question_id": "q2",
                "question_sentence": "Damar Hamlin plays for which team?",
                "choices": ["Buffalo Bills", "Jets", "Browns", "Steelers"],
                "answer": ["0"],
            },
            {
                "question_id": "q3",
                "question_sentence": "Who won the chess olympiad?",
                "choices": ["India", "Norway", "Peru", "Chile"],
                "answer": ["3"],
            },
            {
                "question_id": "q4",
                "question_date": "2023/01/06",
                "question_sentence": "Rivers rose in which city during the storm?",
                "choices": ["Fresno", "Reno", "Sacramento", "Eureka"],
                "answer": ["2"],
            },
        ],
    )
    results = [
        {
            "url": "https://a.example/storm",
            "title": "Storm",
            "text": STORM,
            "authors": "[]",
            "publish_date": "2023/01/05",
        },
        {
            "url": "https://b.example/bills",
            "title": "Hamlin",
            "text": BILLS,
            "authors": "[]",
            "publish_date": "2023/01/04",
        },
        {"url": "https://c.example/short", "title": "x", "text": "too short", "publish_date": ""},
    ]
    write_jsonl(
        root / "realtimeqa" / "20230106_gcs.jsonl",
        [
            {"question_id": "q1", "search_result": results[:1]},
            {"question_id": "q2", "search_result": results[1:]},
            {"question_id": "q3", "search_result": []},
            {"question_id": "q4", "search_result": []},
        ],
    )
    write_jsonl(
        root / "rgb" / "en_fact.jsonl",
        [
            {
                "id": "0",
                "query": "Super Bowl 2021 location",
                "answer": [["Tampa, Florida", "Tampa"]],
                "fakeanswer": "Glendale, Arizona",
                "positive": [
                    "The game was played in February 2021 in Tampa, Florida, at the "
                    "Buccaneers' stadium."
                ],
                "negative": [
                    "Tickets for the next Super Bowl in Las Vegas are on sale now for fans."
                ],
                "positive_wrong": [
                    "The game was played in February 2021 in Glendale, Arizona, "
                    "at the Buccaneers' stadium."
                ],
            }
        ],
    )
    return root


def test_loaders(data: Path) -> None:
    rtqa = load_realtimeqa(data / "realtimeqa")
    assert [q.answers for q in rtqa.questions] == [
        ["California"],
        ["Buffalo Bills"],
        ["Chile"],
        ["Sacramento"],
    ]
    assert [a.source for a in rtqa.articles] == ["a.example", "b.example"]
    assert rtqa.questions[0].asked == datetime(2023, 1, 6, tzinfo=UTC)
    assert rtqa.questions[1].asked is None
    assert [q.result_ids for q in rtqa.questions] == [
        [rtqa.articles[0].id],
        [rtqa.articles[1].id],
        [],
        [],
    ]
    assert rtqa.skipped == 1
    [item] = load_rgb(data / "rgb" / "en_fact.jsonl")
    assert item.answers == ["Tampa, Florida", "Tampa"]
    assert [a.text for a in rgb_articles(item, "positive_wrong")] == item.positive_wrong
    with pytest.raises(SourceError, match=r"no \*_qa\.jsonl"):
        load_realtimeqa(data)


def test_contains_any_ignores_case() -> None:
    assert contains_any(["in TAMPA today"], ["Tampa"])
    assert not contains_any(["in Tampere"], ["Tampa", " "])


@pytest.mark.parametrize(
    ("text", "gold", "found"),
    [
        ("Tutu's widow Nomalizo Leah sat in a wheelchair", "Noma", False),
        ("Noma, the Copenhagen restaurant, will close", "Noma", True),
        ("https://example.com/photos/a.100797840666/10152294667020667", "2066", False),
        ("the ozone layer should recover by 2066, the panel said", "2066", True),
        ("his memoir “Spare” sold fast", "‘Spare’", True),
        ("the jackpot rose to $1.35 billion on Wednesday", "$1.35 billion", True),
        ("the jackpot rose to $1.355 billion", "$1.35 billion", False),
        ("Bed Bath & Beyond said it may not survive", "Bed Bath & Beyond", True),
        ("He won the Australian Open.", "the Australian Open", True),
    ],
)
def test_contains_any_matches_whole_words(text: str, gold: str, found: bool) -> None:
    assert contains_any([text], [gold]) is found


def test_realtimeqa_scores_against_the_oracle(data: Path, bot: Briefbot) -> None:
    result = evaluate_realtimeqa(bot, load_realtimeqa(data / "realtimeqa"), 5)
    # q4's answer is in the corpus but not in its own (empty) search results.
    assert (result.questions, result.oracle, result.results_oracle) == (4, 3, 2)
    assert set(result.retrievers) == {"hybrid", "dense", "bm25", "hybrid, no recency prior"}
    for name in ("hybrid", "dense", "bm25"):
        scored = result.retrievers[name]
        assert (scored.found, scored.found_in_results_oracle) == (3, 2), name
        assert len(scored.latency.samples_ms) == 4
    assert result.recall_of_results_oracle("hybrid") == 1.0
    assert result.answered == 4
    assert result.correct is not None and result.correct <= 3
    table = realtimeqa_markdown(result)
    assert "| hybrid | 75.0% | 100.0% | 100.0% | 75.0% | 75.0% |" in table
    assert "Results oracle (gold in the question's own search results): 2/4" in table
    # Every retriever finds the same three here: hybrid is not above them, so the target fails.
    assert "corpus oracle: hybrid 1.00 of it, not above both single retrievers: NOT met" in table

    without_prior = bot.settings.model_copy(update={"recency_weight": 0.0})
    plain = Briefbot(without_prior, bot.embedder, bot.store)
    plain_result = evaluate_realtimeqa(plain, load_realtimeqa(data / "realtimeqa"), 5)
    assert "hybrid, no recency prior" not in plain_result.retrievers

    again = evaluate_realtimeqa(bot, load_realtimeqa(data / "realtimeqa"), 5, answers=False)
    assert "0 chunks embedded" in again.ingest_note
    assert again.answered is None


def test_oracle_audit_separates_incidental_occurrences(data: Path, bot: Briefbot) -> None:
    rtqa = load_realtimeqa(data / "realtimeqa")
    # "Monday" occurs only in the Hamlin story, which has nothing to do with curling.
    rtqa.questions.append(
        QAItem(id="q5", question="On which day was the curling final?", answers=["Monday"])
    )
    result = evaluate_realtimeqa(bot, rtqa, 5, answers=False)
    gaps = audit_corpus_oracle(bot, rtqa, result.retrievers["hybrid"].found_ids)
    by_answer = {g.answer: g for g in gaps}
    assert set(by_answer) == {"Sacramento", "Monday"}  # q1, q2 have the answer in own results
    assert not by_answer["Sacramento"].incidental and by_answer["Sacramento"].found
    assert by_answer["Monday"].incidental and by_answer["Monday"].chunks == 1
    assert by_answer["Monday"].best_overlap == 0.0
    assert "collapsed on field on monday night" in by_answer["Monday"].context
    table = oracle_audit_markdown(gaps, result)
    found_monday = by_answer["Monday"].found
    ceiling = result.oracle - (0 if found_monday else 1)
    assert f"cannot exceed {ceiling}/{result.oracle}" in table
    assert "| Monday | On which day was the curling final? | 1 | 0% |" in table


def test_rgb_pools_and_conflicts(data: Path, settings: Settings) -> None:
    bot = Briefbot.open(
        settings=settings.model_copy(update={"near_duplicate_threshold": 0.95}),
        embedder=FakeEmbedder(),
    )
    result = evaluate_rgb(bot, load_rgb(data / "rgb" / "en_fact.jsonl"))
    assert result.snippets == 3
    assert result.positive_at_3 == {"hybrid": 1, "dense": 1, "bm25": 1}
    assert result.conflict_questions == 1
    shown = (result.conflict_shown or 0) + (result.fake_only or 0) + (result.true_only or 0)
    assert shown <= 1
    assert "| hybrid | 100.0% |" in rgb_markdown(result)


def test_eval_qa_command(data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    # The real MiniLM would take long here; the command path is what this test checks.
    result = runner.invoke(app, ["eval", "qa", "--data", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "no *_qa.jsonl files" in result.output


def test_eval_qa_command_reports_both_oracles_and_the_audit(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")
    result = CliRunner().invoke(
        app,
        ["eval", "qa", "--data", str(data), "--store", str(tmp_path / "s"), "--no-rgb"],
    )
    assert result.exit_code == 0, result.output
    assert "Corpus oracle (gold anywhere in the pooled corpus): 3/4" in result.output
    assert "Results oracle" in result.output
    assert "hybrid, no recency prior" in result.output
    assert "Corpus-oracle questions whose own search results lack the answer: 1." in result.output


def test_target_verdict_needs_the_share_and_a_lead_over_both() -> None:
    result = RealTimeQAResult(k=5, questions=10, oracle=8, results_oracle=6)
    result.retrievers = {
        "hybrid": RetrieverResult("hybrid", found=7, found_in_results_oracle=6),
        "dense": RetrieverResult("dense", found=5, found_in_results_oracle=5),
        "bm25": RetrieverResult("bm25", found=7, found_in_results_oracle=4),
    }
    table = realtimeqa_markdown(result)
    assert "corpus oracle: hybrid 0.88 of it, not above both single retrievers: NOT met" in table
    assert "results oracle: hybrid 1.00 of it, above both single retrievers: met" in table
    result.retrievers["bm25"].found = 6
    assert "corpus oracle: hybrid 0.88 of it, above both single retrievers: met" in (
        realtimeqa_markdown(result)
    )


def test_nearest_rank_percentile_and_median() -> None:
    from briefbot.evals.stats import median, percentile

    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert (percentile(values, 0), percentile(values, 50), percentile(values, 100)) == (1, 3, 5)
    assert percentile(values, 95) == 5.0 and median(values) == 3.0
    assert percentile([], 95) != percentile([], 95)  # NaN
    assert median([]) != median([])
