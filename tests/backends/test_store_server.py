"""Client/server mode against a real `chroma run` server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from briefbot import Briefbot, Settings
from briefbot.errors import StoreError
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder
from tests.local_servers import free_port

pytestmark = pytest.mark.chroma_server


def chroma_executable() -> str:
    found = Path(sys.executable).with_name("chroma")
    return str(found) if found.exists() else (shutil.which("chroma") or "chroma")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [chroma_executable(), "run", "--path", str(tmp_path / "server-data"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chroma server did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_ingest_and_search_through_http_client(chroma_server: str, tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "unused", _env_file=None)  # type: ignore[call-arg]
    bot = Briefbot.open(store=chroma_server, settings=settings, embedder=FakeEmbedder())
    assert bot.settings.chroma_url == chroma_server
    report = bot.ingest([SEEDS])
    assert len(report.added) == 1
    hits = bot.search("engineers sent by Pyongyang", k=2)
    assert hits and "North Korea" in hits[0].quote
    article = bot.article(hits[0].chunk.article_id)
    assert article.text[hits[0].chunk.start : hits[0].chunk.end] == hits[0].quote
    assert not (tmp_path / "unused").exists()  # nothing written locally

    reopened = Briefbot.open(store=chroma_server, settings=settings, embedder=FakeEmbedder())
    assert reopened.ingest([SEEDS]).unchanged == report.added


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "unused", _env_file=None)  # type: ignore[call-arg]
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        Briefbot.open(store=url, settings=settings, embedder=FakeEmbedder())
