"""The API key never shows up in logs, output, errors, tracebacks or answers."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefbot import Briefbot, Settings
from briefbot.backends.llm import create_chat_model
from briefbot.errors import LLMError
from tests.fakes import FakeEmbedder
from tests.hardening.servers import closing_server
from tests.stub_server import Reply, StubLLMServer

ROOT = Path(__file__).resolve().parents[2]
BRIEFBOT = Path(sys.executable).with_name("briefbot")
QUESTION = "How many North Korean troops and engineers are being sent to Russia?"


@pytest.fixture
def key() -> str:
    return f"sk-test-{secrets.token_hex(16)}"


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    server = StubLLMServer().start()
    yield server
    server.stop()


def hostile_errors(key: str) -> list[Reply]:
    """Failing replies that echo the key back, as a misconfigured proxy might."""
    return [
        Reply.error(500, f"internal error for Authorization: Bearer {key}"),
        Reply.error(401, f"Incorrect API key provided: {key[:3]}...{key[-4:]} / {key}"),
        Reply.raw(f'{{"oops": "{key}"'.encode()),
    ]


def assert_absent(key: str, *texts: str) -> None:
    for text in texts:
        assert key not in text
        assert key[8:] not in text  # nor its random body


def bot_with_llm(
    tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch, key: str
) -> Briefbot:
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    settings = Settings(  # type: ignore[call-arg]
        store_path=tmp_path / "store", llm_max_retries=1, llm_backoff_s=0, _env_file=None
    )
    assert settings.openai_api_key is not None
    bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())
    bot.ingest([ROOT / "seeds"])
    return bot


def test_settings_never_show_the_key(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", key)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == key
    assert_absent(key, repr(settings), str(settings), json.dumps(settings.model_dump(mode="json")))


@pytest.mark.parametrize("failure", ["500", "401", "malformed", "hang-up"])
def test_failing_llm_call_leaks_nothing(
    tmp_path: Path,
    stub: StubLLMServer,
    key: str,
    failure: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    replies = dict(zip(["500", "401", "malformed"], hostile_errors(key), strict=True))
    with closing_server() as dead:
        base_url = dead if failure == "hang-up" else stub.url
        if failure != "hang-up":
            stub.enqueue(*[replies[failure]] * 4)
        bot = bot_with_llm(tmp_path, base_url, monkeypatch, key)

        answer = bot.ask(QUESTION)
        assert not answer.refused
        assert answer.mode == "extractive"
        assert any("language model failed" in n for n in answer.notices)

        chat = create_chat_model(bot.settings)
        with pytest.raises(LLMError) as caught:
            chat.complete([{"role": "user", "content": "hi"}], max_tokens=16)
        if failure != "hang-up":
            stub.enqueue(*[replies[failure]] * 4)
        with pytest.raises(LLMError) as streamed:
            chat.complete([{"role": "user", "content": "hi"}], max_tokens=16, on_text=print)

    if failure != "hang-up":
        assert stub.completions, "the LLM was never called"
        assert stub.completions[0].headers["authorization"] == f"Bearer {key}"
    captured = capsys.readouterr()
    texts = [
        caplog.text,
        captured.out,
        captured.err,
        json.dumps(answer.to_dict()),
        answer.model_dump_json(),
        repr(answer.usage),
    ]
    for error in (caught.value, streamed.value):
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    assert_absent(key, *texts)


@pytest.mark.real_model
@pytest.mark.parametrize("debug", [False, True])
def test_cli_ask_with_failing_llm_leaks_nothing(
    tmp_path: Path, real_seed_store: Path, stub: StubLLMServer, key: str, debug: bool
) -> None:
    """The key comes from ``.env`` (the documented place); --debug logs at DEBUG level."""
    store = tmp_path / "store"
    shutil.copytree(real_seed_store, store)
    (tmp_path / ".env").write_text(
        f"OPENAI_API_KEY={key}\nOPENAI_BASE_URL={stub.url}\nBRIEFBOT_LLM_MAX_RETRIES=1\n"
        "BRIEFBOT_LLM_BACKOFF_S=0\n",
        encoding="utf-8",
    )
    stub.enqueue(*hostile_errors(key)[:1] * 4)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BRIEFBOT_") and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")
    }
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    outputs = []
    for extra in [[] if debug else ["--json"]]:
        result = subprocess.run(
            [
                str(BRIEFBOT),
                *(["--debug"] if debug else []),
                "ask",
                QUESTION,
                "--store",
                str(store),
                *extra,
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        outputs += [result.stdout, result.stderr]
    assert stub.completions and stub.completions[0].headers["authorization"] == f"Bearer {key}"
    assert "language model failed" in outputs[0]
    assert_absent(key, *outputs)


def test_dotenv_is_git_ignored() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "check-ignore", "--quiet", ".env"], cwd=ROOT, capture_output=True, timeout=30
    )
    assert result.returncode == 0, ".env must be listed in .gitignore"
