"""The brief evaluation on tiny NeuS- and FRANK-shaped data (format, LEAD-3, scoring, CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefbot.cli import app
from briefbot.evals.briefs import lead3, run, table
from briefbot.evals.datasets import load_frank, load_neus
from briefbot.settings import Settings
from tests.fakes import FakeEmbedder

STORY = [
    "A dam breach on the Ordan river flooded three valley towns on Monday. About 2,000 "
    "residents were evacuated, according to the regional agency. Engineers are checking "
    "two other dams. Officials said the dam was judged safe in January.",
    "Authorities widened the evacuation around the Ordan dam on Tuesday. The governor claims "
    "the damage could exceed 40 million euros. Rescue teams reported no deaths.",
    "The Ordan dam breach forced thousands from their homes. Critics said warnings came too "
    "late. The agency promised an inquiry into the dam's inspection.",
]
ROUNDUP = "A dam breach on the Ordan river flooded three towns and forced 2,000 to evacuate."


@pytest.fixture
def data(tmp_path: Path) -> Path:
    neus = tmp_path / "data" / "neus"
    neus.mkdir(parents=True)
    source = " [SEP] ".join(f"TITLE=> Dam story {i}. ARTICLE=> {t}" for i, t in enumerate(STORY))
    (neus / "val.source").write_text(source + "\n" + source + "\n")
    target = f"TITLE=> Dam breach. ARTICLE=> {ROUNDUP}"
    (neus / "val.target").write_text(target + "\n" + target + "\n")
    frank = tmp_path / "data" / "frank" / "articles"
    frank.mkdir(parents=True)
    (frank / "a1.json").write_text(
        json.dumps({"article": STORY[0], "bart_reference": ROUNDUP, "bart": "x"})
    )
    (frank / "x1.json").write_text(json.dumps({"article": STORY[1], "Gold": "xsum, skipped"}))
    return tmp_path / "data"


def test_loaders_read_the_published_formats(data: Path) -> None:
    stories = load_neus(data / "neus")
    assert len(stories) == 2 and len(stories[0].articles) == 3
    assert stories[0].articles[1] == ("Dam story 1.", STORY[1])
    assert stories[0].reference == ROUNDUP
    assert len(load_neus(data / "neus", limit=1)) == 1
    frank = load_frank(data / "frank")
    assert [i.reference for i in frank] == [ROUNDUP]  # the XSum article has no *_reference


def test_lead3_takes_first_sentences_first_and_keeps_the_budget() -> None:
    articles = [("", STORY[0]), ("", STORY[1])]
    baseline = lead3(articles, 200)
    assert baseline.startswith(
        "A dam breach on the Ordan river flooded three valley towns on Monday."
    )
    assert baseline.index("Authorities widened") < baseline.index("About 2,000")
    assert "Officials said" not in baseline  # fourth sentence
    assert len(lead3(articles, 12).split()) == 12


def test_run_scores_brief_and_lead3_in_the_same_run(data: Path, settings: Settings) -> None:
    results = run(data, FakeEmbedder(), settings, max_words=40)
    neus, frank = results
    assert (neus.items, frank.items) == (2, 1)
    for result in results:
        assert all(0 < v <= 1 for v in result.brief["rouge2"] + result.lead["rouge1"])
        assert max(result.words) <= 40 and max(result.lead_words) <= 40
        assert result.supported == result.sentences > 0
        assert len(result.seconds) == result.items
    rendered = table(results)
    assert rendered.count("LEAD-3") == 2 and "extractive brief" in rendered


def test_eval_brief_command(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "briefbot.backends.embedders.create_embedder", lambda settings: FakeEmbedder()
    )
    result = CliRunner().invoke(
        app, ["eval", "brief", "--data", str(data), "--limit", "1", "--set", "neus"]
    )
    assert result.exit_code == 0, result.output
    assert "LEAD-3" in result.stdout and "| neus | 1 |" in result.stdout
    missing = CliRunner().invoke(app, ["eval", "brief", "--data", str(data / "nowhere")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
