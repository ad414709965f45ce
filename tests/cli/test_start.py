"""Commands that only read or prune the store start without torch or the embedding model,
and without the libraries only other commands need (scipy through datasketch's LSH or bm25s,
the app's, the framing analysers', the loaders').

The real CLI runs in a child process over a store embedded with the real MiniLM; after each
command the child reports which of those libraries it has imported. ``search`` is the
control: it needs the model and the keyword index, so the same probe must see its runtime
(OpenVINO or torch) and bm25s there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from briefbot import Briefbot, Settings
from briefbot.backends.embedders import Embedder
from tests.conftest import ROOT

pytestmark = pytest.mark.real_model

MODEL_LIBRARIES = ("torch", "sentence_transformers", "transformers", "openvino")
OTHER_COMMANDS_LIBRARIES = (
    "scipy",
    "datasketch",
    "bm25s",
    "streamlit",
    "altair",
    "vaderSentiment",
    "trafilatura",
    "feedparser",
    "briefbot.framing.framer",
    "briefbot.ingest.ingestor",
)
WATCHED = MODEL_LIBRARIES + OTHER_COMMANDS_LIBRARIES

# Runs each argv through the CLI's entry point in this one process, then says what it loaded.
PROBE = f"""
import json, sys
from briefbot.cli import main
report = []
for argv in json.loads(sys.argv[1]):
    sys.argv = ["briefbot", *argv]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    loaded = [name for name in {WATCHED!r} if name in sys.modules]
    report.append({{"argv": argv, "code": code, "loaded": loaded}})
print("PROBE " + json.dumps(report))
"""


def run_probe(commands: list[list[str]], cwd: Path) -> list[dict[str, Any]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("PROBE "))
    report: list[dict[str, Any]] = json.loads(line.removeprefix("PROBE "))
    return report


@pytest.fixture
def store(real_seed_store: Path, tmp_path: Path, minilm: Embedder) -> tuple[str, str]:
    """A private copy of the real seed store and its article's id."""
    copy = tmp_path / "store"
    shutil.copytree(real_seed_store, copy)
    settings = Settings(store_path=copy, _env_file=None)  # type: ignore[call-arg]
    [article] = Briefbot.open(settings=settings, embedder=minilm).articles()
    return str(copy), article.id


def test_store_commands_never_load_the_model(store: tuple[str, str], tmp_path: Path) -> None:
    path, article_id = store
    commands = [
        ["articles", "--store", path],
        ["show", article_id, "--store", path],
        ["doctor", "--store", path],
        ["delete", article_id, "--store", path],
        ["articles", "--json", "--store", path],
    ]
    report = run_probe(commands, tmp_path)
    assert [r["code"] for r in report] == [0] * len(commands), report
    assert [r["loaded"] for r in report] == [[]] * len(commands), report


def test_the_probe_sees_the_model_when_a_command_needs_it(
    store: tuple[str, str], tmp_path: Path
) -> None:
    path, _ = store
    [searched] = run_probe([["search", "troops", "--store", path]], tmp_path)
    assert searched["code"] == 0
    loaded = set(searched["loaded"])
    # The store holds fp32 vectors: OpenVINO fp32 embeds the query, torch where it cannot.
    assert "bm25s" in loaded and ("openvino" in loaded or "torch" in loaded), loaded
