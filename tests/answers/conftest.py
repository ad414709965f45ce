"""Fixtures of the LLM tests: a scripted fake chat model, a stub and a real OpenAI server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from briefbot.settings import Settings
from tests.answers.stub_server import StubLLMServer
from tests.fakes import FakeChatModel

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
