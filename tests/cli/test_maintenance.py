"""``briefbot doctor`` and the other commands on a store whose index files are damaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefbot import Settings
from briefbot.cli import app
from tests.damage import DAMAGE, UNREADABLE, damage, written_store
from tests.fakes import FakeEmbedder
from tests.hardening.corpus import article_records, write_jsonl

runner = CliRunner()
QUERY = "harbour council budget"


@pytest.fixture(autouse=True)
def _fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A 12-article store whose index files Chroma has written to disk."""
    settings = Settings(store_path=tmp_path / "store", _env_file=None)
    source = write_jsonl(tmp_path / "news.jsonl", article_records(12))
    written_store(settings, FakeEmbedder(), source)
    return settings.store_path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_line_repair_error(code: int, out: str, err: str) -> bool:
    return (
        code == 1
        and err.startswith("error: ")
        and err.strip().count("\n") == 0
        and "briefbot doctor --repair" in err
        and "Traceback" not in out + err
    )


@pytest.mark.parametrize("kind", DAMAGE)
def test_doctor_names_the_damage_search_says_to_repair_and_repair_heals(
    store: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = damage(store, kind)

    code, out, err = run("doctor", "--store", str(store))
    assert code == 1, out + err
    assert str(damaged) in out and "fixable with --repair" in out
    assert "healthy" not in out and "Traceback" not in out + err

    code, out, err = run("search", QUERY, "--json", "--store", str(store))
    if kind in UNREADABLE:
        assert one_line_repair_error(code, out, err), (code, out, err)
    else:  # Chroma reads past the damage; the keyword index is rebuilt, with a warning naming it
        assert code == 0 and json.loads(out), err
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert kind != "keyword index cut short" or any(str(damaged) in w for w in warnings)

    code, out, err = run("doctor", "--repair", "--store", str(store))
    assert code == 0, out + err
    assert "store is healthy" in out

    code, out, _ = run("search", QUERY, "--json", "--store", str(store))
    assert code == 0 and json.loads(out)
    code, out, _ = run("articles", "--json", "--store", str(store))
    assert code == 0 and len(json.loads(out)) == 12


@pytest.mark.parametrize("kind", ["chunk header emptied", "article header emptied"])
def test_no_command_shows_a_traceback_on_a_damaged_store(store: Path, kind: str) -> None:
    damage(store, kind)
    article_id = "0" * 16
    commands = [
        ["search", QUERY],
        ["ask", "What did the council decide about the harbour?"],
        ["brief", "--query", QUERY],
        ["compare", "--query", QUERY],
        ["articles"],
        ["show", article_id],
        ["ingest", str(write_jsonl(store.parent / "more.jsonl", article_records(2, seed=99)))],
    ]
    failed = 0
    for command in commands:
        code, out, err = run(*command, "--store", str(store))
        assert "Traceback" not in out + err, command
        if code != 0:
            failed += 1
            assert code == 1 and err.strip().count("\n") == 0, (command, err)
            assert "briefbot doctor" in err or "no article" in err, (command, err)
    assert failed >= 4
