"""LLM mode with a scripted chat model: every model sentence is verified against its span."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefbot import Briefbot, Settings
from briefbot.errors import ConfigError, LLMError, PromptError
from briefbot.framing.llm_reading import load_framing_prompts
from tests.conftest import SEEDS
from tests.fakes import FakeChatModel, FakeEmbedder

NEUTRAL = (
    "Pyongyang is sending approximately 5,000 engineers from the North Korean army to Russia, "
    "according to Yonhap. [1]\n"
    "North Korea has also sent 40 tanks to Paris. [1]\n"
    "Russia’s special military operation zone needs repair, according to Yonhap. [1]"
)
CRITICAL = (
    "The Russian Foreign Ministry emphasized that North Korea’s military had played a pivotal "
    "role. [2]"
)


@pytest.fixture
def llm_bot(settings: Settings, fake_embedder: FakeEmbedder) -> Briefbot:
    configured = settings.model_copy(
        update={"openai_base_url": "http://127.0.0.1:9", "llm_judge": False}
    )
    bot = Briefbot.open(settings=configured, embedder=fake_embedder)
    bot.ingest([SEEDS])
    return bot


def use_chat(monkeypatch: pytest.MonkeyPatch, chat: FakeChatModel) -> None:
    monkeypatch.setattr("briefbot.backends.llm.create_chat_model", lambda settings: chat)


def test_llm_readings_are_verified_and_cited(
    llm_bot: Briefbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = FakeChatModel(NEUTRAL, CRITICAL)
    use_chat(monkeypatch, chat)
    (article,) = llm_bot.articles()
    report = llm_bot.compare([article.id], mode="llm")
    assert report.mode == "llm"
    reading = report.articles[0]
    supported, invented, euphemism = reading.neutral.llm
    assert supported.supported
    assert not invented.supported
    assert invented.note
    assert "loaded wording still used: special military operation" in (euphemism.note or "")
    assert reading.critical.llm[0].supported
    assert reading.critical.claims  # the analyzer's findings stay beside the model's
    assert any("not supported" in n for n in report.notices)
    assert report.usage is not None and report.usage.prompt_tokens == 200
    text = llm_bot.article(article.id).text
    for sentence in reading.neutral.llm + reading.critical.llm:
        for c in sentence.citations:
            assert c.n == 1
            assert text[c.start : c.end] == c.quote
    sent = chat.calls[0][-1]["content"]
    assert "<data>" in sent and "Yonhap" in sent


def test_llm_failure_keeps_offline_reading_with_a_notice(
    llm_bot: Briefbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_chat(monkeypatch, FakeChatModel(LLMError("server down", status=503)))
    (article,) = llm_bot.articles()
    report = llm_bot.compare([article.id], mode="llm")
    assert report.articles[0].neutral.llm == []
    assert report.articles[0].neutral.sentences
    assert any("language model failed" in n for n in report.notices)


def test_llm_mode_without_a_model_is_a_config_error(seed_bot: Briefbot) -> None:
    (article,) = seed_bot.articles()
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        seed_bot.compare([article.id], mode="llm")


def test_framing_prompts_load_and_a_broken_one_is_named(tmp_path: Path, settings: Settings) -> None:
    assert set(load_framing_prompts(settings)) == {"framing_neutral", "framing_critical"}
    (tmp_path / "framing_neutral.md").write_text("Rewrite {passages} for {reader}.")
    (tmp_path / "framing_critical.md").write_text("{outlet} {passages}")
    broken = settings.model_copy(update={"prompts_dir": tmp_path})
    with pytest.raises(PromptError, match=r"framing_neutral\.md"):
        load_framing_prompts(broken)
