"""Services that go away mid-session: the LLM endpoint and the Chroma server."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from briefbot import Briefbot, Settings
from briefbot.errors import StoreError
from tests.backends.test_store_server import chroma_executable
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder
from tests.local_servers import free_port
from tests.stub_server import Reply, StubLLMServer

QUESTION = "How many North Korean troops and engineers are being sent to Russia?"


def test_llm_down_then_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = StubLLMServer().start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.url)
        settings = Settings(  # type: ignore[call-arg]
            store_path=tmp_path / "store", llm_max_retries=0, _env_file=None
        )
        bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())
        bot.ingest([SEEDS])

        stub.enqueue(Reply.error(503, "model is loading"))
        down = bot.ask(QUESTION)
        assert down.mode == "extractive" and not down.refused and down.sentences
        assert any("HTTP 503" in n and "extractive" in n for n in down.notices)

        stub.enqueue(Reply.answer("North Korea is sending about 5,000 engineers [1]."))
        stub.enqueue(Reply.answer('[{"n": 1, "supported": true}]'))  # the judge (on by default)
        back = bot.ask(QUESTION)
        assert back.mode == "llm" and back.notices == []
    finally:
        stub.stop()


class ChromaProcess:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self.process = subprocess.Popen(
            [chroma_executable(), "run", "--path", str(self.data),
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("chroma server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaProcess]:
    server = ChromaProcess(tmp_path / "server-data")
    server.start()
    yield server
    server.stop()


def _bot(server: ChromaProcess, tmp_path: Path) -> Briefbot:
    settings = Settings(store_path=tmp_path / "unused", _env_file=None)  # type: ignore[call-arg]
    bot = Briefbot.open(store=server.url, settings=settings, embedder=FakeEmbedder())
    bot.ingest([SEEDS])
    return bot


@pytest.mark.chroma_server
def test_chroma_server_restart_mid_session_recovers(chroma: ChromaProcess, tmp_path: Path) -> None:
    bot = _bot(chroma, tmp_path)
    before = [h.chunk.id for h in bot.search("engineers sent by Pyongyang", k=3)]
    chroma.stop()
    chroma.start()
    assert [h.chunk.id for h in bot.search("engineers sent by Pyongyang", k=3)] == before
    assert not bot.ask(QUESTION).refused


@pytest.mark.chroma_server
def test_chroma_server_down_mid_session_is_a_clear_error(
    chroma: ChromaProcess, tmp_path: Path
) -> None:
    bot = _bot(chroma, tmp_path)
    chroma.stop()
    with pytest.raises(StoreError, match="Chroma server"):
        bot.search("engineers sent by Pyongyang", k=3)
