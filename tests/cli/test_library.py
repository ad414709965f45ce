"""The library commands through the real CLI entry point (fake embedder via the registry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefbot.cli import app
from tests.conftest import SEEDS

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_list_show_search_delete(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    code, out, _ = run("ingest", str(SEEDS), "--store", store)
    assert code == 0 and "1 added" in out
    assert "added: North Korea Deploys 5,000 Troops to Russia" in out, "the report names titles"
    code, out, _ = run("ingest", str(SEEDS), "--store", store)
    assert code == 0 and "1 unchanged" in out and "0 chunks embedded" in out
    assert "unchanged: North Korea Deploys" in out

    code, out, _ = run("articles", "--store", store, "--json")
    [article] = json.loads(out)
    assert article["title"].startswith("North Korea Deploys")

    code, out, _ = run("articles", "--store", store)
    assert out.rstrip().endswith("\n1 article"), "one article, not 1 articles"

    code, out, _ = run("show", article["id"], "--store", store)
    assert code == 0 and "Yonhap" in out
    assert "unknown outlet · undated · " in out, "no empty outlet or author fields"

    code, out, _ = run("search", "engineers demining", "-k", "1", "--store", store)
    assert "— unknown outlet, undated" in out

    code, out, _ = run("search", "engineers demining", "-k", "2", "--json", "--store", store)
    hits = json.loads(out)
    assert code == 0 and 1 <= len(hits) <= 2
    assert {"article_id", "chunk_id", "quote", "start", "end", "title"} <= set(hits[0])

    code, out, _ = run("delete", article["id"], "--store", store)
    assert code == 0 and "deleted" in out
    code, out, err = run("show", article["id"], "--store", store)
    assert code == 1 and "no article with id" in err and "Traceback" not in out + err


def test_skips_are_reported_with_location_and_nonzero_exit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "t", "text": "' + "word " * 20 + '"}\n{broken\n', encoding="utf-8")
    code, out, err = run("ingest", str(bad), "--store", str(tmp_path / "s"))
    assert code == 2  # partly ingested
    assert "1 added" in out and f"{bad}:2" in err and "invalid JSON" in err
    code, _, err = run("ingest", str(tmp_path / "missing.txt"), "--store", str(tmp_path / "s"))
    assert code == 1 and "no such file" in err


def test_bad_option_value_is_a_one_line_error(tmp_path: Path) -> None:
    code, _, err = run("search", "x", "--since", "last week", "--store", str(tmp_path / "s"))
    assert code == 1 and "--since" in err and "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--debug", "show", "nope", "--store", str(tmp_path / "s")])
    assert result.exit_code != 0 and result.exception is not None


def test_invalid_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_TOP_K", "zero")
    code, _, err = run("articles", "--store", str(tmp_path / "s"))
    assert code == 1 and "BRIEFBOT_TOP_K" in err and "Traceback" not in err


def test_emoji_shortcodes_are_shown_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "markets.md").write_text(
        "---\ntitle: 'Markets :100: rally as :fire: sale ends'\nsource: Wire\n---\n"
        "Shares rose on Monday as investors returned after a week of heavy selling, traders said.\n"
    )
    (folder / "bad:warning:.jsonl").write_text("{not json\n")
    store = str(tmp_path / "store")
    _, out, err = run("ingest", str(folder), "--store", store)
    assert "bad:warning:.jsonl" in out + err and "⚠" not in out + err
    code, out, _ = run("articles", "--store", store)
    assert code == 0 and ":100:" in out and ":fire:" in out
    assert "💯" not in out and "🔥" not in out


def test_json_output_escapes_invisible_and_bidi_characters() -> None:
    from briefbot.cli.common import json_text

    text = json_text({"title": "Mayor\u202e resigns\u009b\u200b", "n": [1, 2]})
    assert "\u202e" not in text and "\u009b" not in text and "\u200b" not in text
    assert "\\u202e" in text and "\\u009b" in text
    assert json.loads(text) == {"title": "Mayor\u202e resigns\u009b\u200b", "n": [1, 2]}
