"""``briefbot eval verify``: FRANK judgements joined to summaries, scored by the verifier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefbot.cli import app
from briefbot.errors import SourceError
from briefbot.evals.datasets import load_frank_judgements
from briefbot.evals.verify import evaluate_verify
from briefbot.settings import Settings
from tests.fakes import FakeEmbedder

ARTICLE = [
    "North Korea is sending about 5,000 military engineers to Russia's Kursk region.",
    "South Korea's spy agency said the engineers would help rebuild infrastructure.",
    "Moscow has not commented on the report, and Pyongyang's state media made no mention of it.",
]


def write_frank(root: Path) -> Path:
    """A FRANK-shaped folder: one CNN/DM and one XSum article, judged summaries of each."""
    frank = root / "frank"
    (frank / "articles").mkdir(parents=True)
    cnn = {
        "article": " ".join(ARTICLE),
        "article_lines": str(ARTICLE),
        "bart": "north korea is sending about 5,000 military engineers to russia 's kursk region .",
        "pgn": "north korea is sending about 9,000 military engineers to ukraine .",
    }
    bbc = {
        "article": "".join(ARTICLE),  # XSum lost the spaces after sentence ends
        "article_lines": str(ARTICLE),
        "BERTS2S": "moscow has not commented on the report .",
        "PtGen": "the united nations praised the deployment of 20,000 troops to kursk .",
    }
    (frank / "articles" / "a1.json").write_text(json.dumps(cnn))
    (frank / "articles" / "b1.json").write_text(json.dumps(bbc))
    judged = [
        {"hash": "a1", "model_name": "bart", "dataset": "cnndm", "Factuality": 1.0},
        {"hash": "a1", "model_name": "pgn", "dataset": "cnndm", "Factuality": 0.0, "EntE": 0.0},
        {"hash": "b1", "model_name": "BERTS2S", "dataset": "bbc", "Factuality": 1.0},
        {"hash": "b1", "model_name": "PtGen", "dataset": "bbc", "Factuality": 0.0, "OutE": 0.0},
    ]
    (frank / "human_annotations.json").write_text(json.dumps(judged))
    return root


def test_judgements_join_their_summaries_detokenised(tmp_path: Path) -> None:
    judgements = load_frank_judgements(write_frank(tmp_path) / "frank")
    assert [(j.dataset, j.system) for j in judgements] == [
        ("cnndm", "bart"), ("cnndm", "pgn"), ("xsum", "BERTS2S"), ("xsum", "PtGen"),
    ]  # fmt: skip
    assert judgements[0].summary.endswith("russia's kursk region.")
    assert judgements[2].article.count(". ") >= 2  # sentence ends spaced again from the lines
    assert judgements[1].errors == {"EntE"} and judgements[0].errors == frozenset()


def test_faithful_summaries_pass_and_invented_facts_do_not(tmp_path: Path) -> None:
    report = evaluate_verify(write_frank(tmp_path), FakeEmbedder(), Settings(_env_file=None))  # type: ignore[call-arg]
    checks = {c.judgement.system: c for c in report.datasets["all"].checks}
    assert checks["bart"].passed and checks["BERTS2S"].passed
    assert not checks["pgn"].passed and not checks["PtGen"].passed
    assert checks["bart"].score > checks["pgn"].score
    figures = report.to_dict()
    assert set(figures) == {"cnndm", "xsum", "all", "baselines"}
    for name in ("cnndm", "xsum", "all"):
        assert {"n", "spearman", "pearson", "factual_pass_rate", "unfactual_pass_rate",
                "ms_per_sentence"} <= set(figures[name])  # fmt: skip
    assert figures["all"]["factual_pass_rate"] == 1.0
    assert figures["all"]["unfactual_pass_rate"] == 0.0
    assert figures["cnndm"]["error_recall"]["EntE"] == 1.0


def test_cli_prints_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")
    result = CliRunner().invoke(
        app, ["eval", "verify", "--data", str(write_frank(tmp_path)), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout[result.stdout.index("{") :])
    assert figures["all"]["n"] == 4


def test_a_judgement_naming_a_missing_summary_is_a_clear_error(tmp_path: Path) -> None:
    root = write_frank(tmp_path)
    path = root / "frank" / "human_annotations.json"
    path.write_text(
        json.dumps([{"hash": "a1", "model_name": "s2s", "dataset": "cnndm", "Factuality": 1}])
    )
    with pytest.raises(SourceError, match=r"judgement 1.*no summary by 's2s'"):
        load_frank_judgements(root / "frank")
