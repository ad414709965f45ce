"""Many app processes, one ``chroma run``: an article ingested by a CLI process is found, by
keyword and by hybrid search, by a long-lived reader process within a few seconds, and the
reader's keyword index applies only that article (no rebuild)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefbot import Briefbot, Settings
from tests.backends.test_store_server import chroma_server  # noqa: F401  (the real server)
from tests.conftest import ROOT
from tests.fakes import FakeEmbedder
from tests.hardening.corpus import article_records, write_jsonl

pytestmark = pytest.mark.chroma_server

QUERY = "volcanologists measured sulphur above the crater"
NEW_ARTICLE = {
    "id": "etna-1",
    "title": "Etna's crater breathes again",
    "text": "Volcanologists measured sulphur dioxide above the crater of Etna on Tuesday. "
    "The observatory raised its alert level for flights over Catania.",
    "source": "Island Courier",
    "published": "2024-06-02T08:00:00Z",
}
KEY = "Island Courier#etna-1"
_FAKE = (
    "from briefbot.backends.embedders import register_embedder\n"
    "from tests.fakes import FakeEmbedder\n"
    "register_embedder('fake')(lambda settings: FakeEmbedder())\n"
)
READER = (
    _FAKE
    + """
import json, sys, time
from briefbot import Briefbot
from briefbot.retrieval import create_retriever
bot = Briefbot.open(store=sys.argv[1])
query = sys.argv[2]
before = bot.search(query, 3)
print(json.dumps({"builds": bot.bm25.builds, "hits": [h.chunk.article_id for h in before]}),
      flush=True)
sys.stdin.readline()
start = time.monotonic()
lexical, hybrid = [], []
# Chroma's server can answer a vector query from before a write another client has just made
# (seen in CI: the keyword index had the article, the dense ranking not yet), so both searches
# are retried until the article leads, within the same few seconds.
while time.monotonic() - start < 30:
    lexical = bot.bm25.search(query, 5)
    hybrid = bot.search(query, 3) if lexical else []
    found = {cid.split(":")[0] for cid, _ in lexical}
    if hybrid and hybrid[0].chunk.article_id in found:
        break
    time.sleep(0.05)
elapsed = time.monotonic() - start
dense = create_retriever("dense", bot.store, bot.embedder, bot.bm25, bot.settings)
update = bot.bm25.last_update
print(json.dumps({
    "elapsed": elapsed,
    "lexical": sorted({cid.split(":")[0] for cid, _ in lexical}),
    "hybrid": [h.chunk.article_id for h in hybrid],
    "hybrid_scores": [h.score for h in hybrid],
    "dense": [[h.chunk.article_id, h.score] for h in dense.search(query, 3)],
    "builds": bot.bm25.builds,
    "update": [update.kind, update.articles] if update else None,
}), flush=True)
"""
)
WRITER = (
    _FAKE
    + """
import sys
from briefbot.cli import main
sys.argv = ["briefbot", *sys.argv[1:]]
main()
"""
)


def _env(lexical_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        ANONYMIZED_TELEMETRY="False",
        BRIEFBOT_EMBEDDER="fake",
        BRIEFBOT_LEXICAL_DIR=str(lexical_dir),
    )
    return env


@pytest.fixture
def reader(
    chroma_server: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A store of 20 articles on the server, and a reader process that has searched it."""
    shared = request.param == "one host"
    seeding = Settings(
        store_path=tmp_path / "unused",
        lexical_dir=tmp_path / "seeding-lexical",
        _env_file=None,  # type: ignore[call-arg]
    )
    seeded = Briefbot.open(store=chroma_server, settings=seeding, embedder=FakeEmbedder())
    assert len(seeded.ingest([write_jsonl(tmp_path / "old.jsonl", article_records(20))]).added)
    lexical = tmp_path / ("shared-lexical" if shared else "reader-lexical")
    process = subprocess.Popen(
        [sys.executable, "-c", READER, chroma_server, QUERY],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(lexical),
        cwd=tmp_path,
    )
    try:
        yield process, tmp_path / "shared-lexical" if shared else tmp_path / "writer-lexical"
    finally:
        process.kill()
        process.wait(timeout=20)


def _line(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        assert process.stderr is not None
        pytest.fail(f"the reader process ended: {process.stderr.read()[-2000:]}")
    found: dict[str, Any] = json.loads(line)
    return found


@pytest.mark.parametrize("reader", ["one host", "two hosts"], indirect=True)
def test_an_article_ingested_by_one_process_is_found_by_another(
    reader: tuple[subprocess.Popen[str], Path],
    chroma_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    process, writer_lexical = reader
    before = _line(process)
    assert before["builds"] == 1  # its first search built its index from the server
    source = write_jsonl(tmp_path / "new.jsonl", [NEW_ARTICLE])
    ingest = subprocess.run(
        [sys.executable, "-c", WRITER, "ingest", str(source), "--store", chroma_server],
        env=_env(writer_lexical),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "1 added" in ingest.stdout
    new_id = Briefbot.open(
        store=chroma_server,
        settings=Settings(
            store_path=tmp_path / "unused",
            lexical_dir=tmp_path / "check-lexical",
            _env_file=None,  # type: ignore[call-arg]
        ),
        embedder=FakeEmbedder(),
    ).store.ids_by_key([KEY])[KEY][0]
    assert new_id not in before["hits"]

    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()
    after = _line(process)
    assert after["lexical"] == [new_id]
    assert after["hybrid"][0] == new_id, after  # the dense ranking and scores say why not
    assert after["elapsed"] < 5.0, after
    assert after["builds"] == 1  # no rebuild
    if writer_lexical.name == "shared-lexical":
        # One host: the writer brought the shared index up; the reader only reopened it.
        assert after["update"] == ["reload", 0]
    else:
        # Another host: the reader applied the one article written since, nothing else.
        assert after["update"] == ["catch-up", 1]
