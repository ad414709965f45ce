"""``briefbot ask`` and ``briefbot chat`` against a store built with the real MiniLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefbot.cli import app

pytestmark = pytest.mark.real_model

QUESTION = "How many engineers is North Korea sending to Russia?"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_ask_json_answers_with_the_cited_figure(runner: CliRunner, real_seed_store: Path) -> None:
    result = runner.invoke(app, ["ask", QUESTION, "--json", "--store", str(real_seed_store)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["question"] == QUESTION and data["mode"] == "extractive"
    assert data["refused"] is False
    first = data["sentences"][0]
    assert "5,000" in first["text"] and first["supported"] is True
    assert "5,000" in first["citations"][0]["quote"]
    assert [s["n"] for s in data["sources"]] == [1]


def test_ask_text_and_markdown(runner: CliRunner, real_seed_store: Path) -> None:
    text = runner.invoke(app, ["--store", str(real_seed_store), "ask", QUESTION])
    assert text.exit_code == 0, text.output
    assert "5,000 engineers" in text.stdout and "[1]" in text.stdout and "Sources:" in text.stdout
    # piped, the figure asked for is marked in its quote with asterisks, not escape codes
    assert "approximately *5,000* engineers" in text.stdout.split("Sources:")[1]
    assert "\x1b" not in text.stdout
    markdown = runner.invoke(app, ["ask", QUESTION, "--markdown", "--store", str(real_seed_store)])
    assert "[^1]:" in markdown.stdout


def test_ask_unanswerable_is_refused(runner: CliRunner, real_seed_store: Path) -> None:
    result = runner.invoke(
        app, ["ask", "What is the capital of Peru?", "--json", "--store", str(real_seed_store)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["refused"] is True and data["sentences"] == []
    assert "capital of Peru" in data["refusal_reason"]


def test_ask_filters_reach_retrieval(runner: CliRunner, real_seed_store: Path) -> None:
    result = runner.invoke(
        app,
        [
            "ask",
            QUESTION,
            "--json",
            "--since",
            "2999-01-01",
            "-k",
            "2",
            "--store",
            str(real_seed_store),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["refused"] is True
    assert "since 2999-01-01" in data["refusal_reason"]


def test_ask_bad_date_is_a_message(runner: CliRunner, real_seed_store: Path) -> None:
    result = runner.invoke(
        app, ["ask", QUESTION, "--since", "soon", "--store", str(real_seed_store)]
    )
    assert result.exit_code == 1
    assert "--since" in result.output and "soon" in result.output


def test_chat_reads_questions_until_exit(runner: CliRunner, real_seed_store: Path) -> None:
    result = runner.invoke(
        app,
        ["chat", "--json", "--store", str(real_seed_store)],
        input=f"{QUESTION}\n\nwhat about the deminers?\nexit\nWhat is the capital of Peru?\n",
    )
    assert result.exit_code == 0, result.output
    decoder = json.JSONDecoder()
    answers, position, out = [], 0, result.stdout
    while position < len(out.rstrip()):
        value, position = decoder.raw_decode(out, position)
        answers.append(value)
        while position < len(out) and out[position].isspace():
            position += 1
    assert [a["question"] for a in answers] == [QUESTION, "what about the deminers?"]
    assert answers[1]["standalone_query"] == "How many deminers is North Korea sending to Russia?"


def test_chat_ends_at_end_of_input(runner: CliRunner, real_seed_store: Path) -> None:
    result = runner.invoke(app, ["chat", "--store", str(real_seed_store)], input=f"{QUESTION}\n")
    assert result.exit_code == 0, result.output
    assert "5,000 engineers" in result.stdout
