"""The shell around the pages: engine and store in the sidebar, the store from settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

from briefbot import Briefbot, Settings
from tests.fakes import FakeEmbedder
from tests.ui.conftest import APP, AppFactory


def sidebar_text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption])


def test_sidebar_names_the_extractive_engine_and_counts_the_library_without_a_path(
    seed_bot: Briefbot, make_app: AppFactory
) -> None:
    at = make_app(seed_bot)
    text = sidebar_text(at).replace("\\", "")
    assert "Extractive (offline)" in text
    assert "1 article · this computer" in text
    assert str(seed_bot.settings.store_location) not in text


def test_sidebar_names_the_llm_but_never_the_key(tmp_path: Path, make_app: AppFactory) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        store_path=tmp_path / "store",
        openai_api_key=SecretStr("sk-test-never-shown"),
        openai_base_url="http://127.0.0.1:8080/v1",
        llm_model="smollm2-135m",
    )
    at = make_app(Briefbot.open(settings=settings, embedder=FakeEmbedder()))
    assert not at.exception
    text = sidebar_text(at).replace("\\", "")
    assert "LLM: smollm2-135m at `http://127.0.0.1:8080/v1`" in text
    shown = str(at.main) + str(at.sidebar) + "".join(m.value for m in at.markdown)
    assert "sk-test-never-shown" not in shown
    assert not at.text_input, "no key is ever typed into the app"


@pytest.mark.parametrize(
    ("variable", "value", "shown", "hidden"),
    [
        ("BRIEFBOT_EMBEDDER", "no-such-embedder", "no-such-embedder", None),
        ("BRIEFBOT_FETCH_PROXY", "socks5://reporter:hunter2@proxy.example:1080", None, "hunter2"),
    ],
)
def test_store_comes_from_the_environment_and_bad_settings_are_named(
    seed_bot: Briefbot,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    shown: str | None,
    hidden: str | None,
) -> None:
    """Without an injected bot the app opens the store that BRIEFBOT_STORE_PATH names; a bad
    setting there is an error naming its variable, never showing a secret value."""
    monkeypatch.setenv("BRIEFBOT_STORE_PATH", str(seed_bot.settings.store_path))
    monkeypatch.setenv(variable, value)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    message = at.error[0].value
    assert variable.replace("_", "\\_") in message
    assert shown is None or shown in message
    assert hidden is None or hidden not in message
    assert "briefbot" not in at.session_state


@pytest.mark.parametrize("page", ["chat", "brief", "framing", "library"])
def test_every_page_says_when_the_store_is_empty(
    bot: Briefbot, make_app: AppFactory, page: str
) -> None:
    at = make_app(bot).switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    assert any("store is empty" in i.value for i in at.info)


def test_question_on_an_empty_store_is_refused(bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(bot)
    at.chat_input[0].set_value("Who won?").run()
    assert not at.exception
    assert at.session_state["chat_turns"][0]["answer"].refused
    assert any(i.value.startswith("**No answer.**") for i in at.info)
