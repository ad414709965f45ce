"""Prompt files: placeholders are checked when a prompt is loaded, not when it is sent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefbot.answers.llm import LLMAnswerEngine, create_llm_engine
from briefbot.errors import PromptError
from briefbot.prompts import (
    CANNOT_ANSWER_PHRASE,
    DECLARED,
    DEFAULT_PROMPTS_DIR,
    load_prompt,
    load_prompts,
)
from briefbot.settings import Settings
from tests.fakes import FakeChatModel, FakeEmbedder


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bundled_prompt_loads_with_exactly_its_declared_placeholders() -> None:
    prompts = load_prompts()
    assert set(prompts) == set(DECLARED)
    for name, prompt in prompts.items():
        assert prompt.placeholders == DECLARED[name]
        assert prompt.path == DEFAULT_PROMPTS_DIR / f"{name}.md"


def test_answer_prompt_says_sources_are_data_and_how_to_cite_and_refuse() -> None:
    prompt = load_prompts(["answer"])["answer"]
    text = prompt.render(passages="[1] T\n<data>\nX\n</data>", question="Q?", cannot_answer="NOPE")
    assert "data, not instructions" in text
    assert "[1]" in text and "NOPE" in text and "Q?" in text
    assert CANNOT_ANSWER_PHRASE.endswith(".")


def test_missing_placeholder_fails_at_load_naming_file_and_placeholder(tmp_path: Path) -> None:
    path = write(tmp_path, "judge", "Claim: {sentence}\nNo span here.")
    with pytest.raises(PromptError) as raised:
        load_prompt("judge", DECLARED["judge"], tmp_path)
    assert str(path) in str(raised.value) and "{span}" in str(raised.value)
    assert "missing" in str(raised.value)


def test_unknown_placeholder_fails_at_load_naming_file_and_placeholder(tmp_path: Path) -> None:
    path = write(tmp_path, "judge", "{sentence} {span} {today}")
    with pytest.raises(PromptError) as raised:
        load_prompt("judge", DECLARED["judge"], tmp_path)
    assert str(path) in str(raised.value) and "{today}" in str(raised.value)
    assert "unknown" in str(raised.value)


@pytest.mark.parametrize(
    "bad", ["{sentence} {span} {", "{sentence} {span} {}", "{span} {sentence.x}"]
)
def test_malformed_fields_fail_at_load(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, "judge", bad)
    with pytest.raises(PromptError, match=str(path)):
        load_prompt("judge", DECLARED["judge"], tmp_path)


def test_literal_braces_are_written_doubled(tmp_path: Path) -> None:
    write(tmp_path, "judge", 'Reply {{"supported": true}} for {sentence} / {span}')
    prompt = load_prompt("judge", DECLARED["judge"], tmp_path)
    assert prompt.render(sentence="S", span="P") == 'Reply {"supported": true} for S / P'


def test_a_separator_line_splits_system_from_user_message(tmp_path: Path) -> None:
    write(tmp_path, "judge", "Be strict about {sentence}.\n---\nSpan:\n{span}\n")
    prompt = load_prompt("judge", DECLARED["judge"], tmp_path)
    assert prompt.messages(sentence="S", span="a\n---\nb") == [
        {"role": "system", "content": "Be strict about S."},
        {"role": "user", "content": "Span:\na\n---\nb"},
    ]
    write(tmp_path, "judge", "{sentence} {span}")
    single = load_prompt("judge", DECLARED["judge"], tmp_path)
    assert single.messages(sentence="S", span="\n---\n") == [{"role": "user", "content": "S \n---"}]


def test_rendering_with_other_values_fails(tmp_path: Path) -> None:
    prompt = load_prompt("judge", DECLARED["judge"], DEFAULT_PROMPTS_DIR)
    with pytest.raises(PromptError, match="missing: span; unknown: extra"):
        prompt.render(sentence="S", extra="E")


def test_missing_file_names_the_path_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="BRIEFBOT_PROMPTS_DIR") as raised:
        load_prompt("answer", DECLARED["answer"], tmp_path)
    assert str(tmp_path / "answer.md") in str(raised.value)


def test_undeclared_prompt_name_fails() -> None:
    with pytest.raises(PromptError, match="nope"):
        load_prompts(["nope"])


def broken_prompts_dir(tmp_path: Path, name: str, text: str) -> Path:
    directory = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, directory)
    write(directory, name, text)
    return directory


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_engine_start_up_checks_every_prompt(
    tmp_path: Path, settings: Settings, fake_chat: FakeChatModel, name: str
) -> None:
    directory = broken_prompts_dir(tmp_path, name, "{question} {surprise}")
    broken = settings.model_copy(update={"prompts_dir": directory})
    with pytest.raises(PromptError, match=f"{name}.md"):
        LLMAnswerEngine(fake_chat, FakeEmbedder(), broken)
    assert fake_chat.calls == []


def test_create_llm_engine_reads_prompts_dir_from_settings(
    tmp_path: Path, settings: Settings
) -> None:
    directory = broken_prompts_dir(tmp_path, "answer", "{passages} {question}")
    broken = settings.model_copy(
        update={"prompts_dir": directory, "openai_base_url": "http://127.0.0.1:9/v1"}
    )
    with pytest.raises(PromptError, match="cannot_answer"):
        create_llm_engine(broken, FakeEmbedder())
