"""Follow-ups rewritten into standalone queries before retrieval."""

from __future__ import annotations

import pytest

from briefbot import Briefbot
from briefbot.answers.ask import Answerer
from briefbot.answers.followups import ExtractiveRewriter, History, needs_context
from briefbot.answers.types import Answer
from briefbot.errors import LLMError
from briefbot.settings import Settings
from tests.answers.test_ask import HITS, ScriptedRetrieve
from tests.fakes import FakeEmbedder

FIRST = "How many engineers is North Korea sending to Russia?"


def turn(question: str, standalone: str | None = None) -> Answer:
    return Answer(question=question, standalone_query=standalone, mode="extractive")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what about the deminers?", "How many deminers is North Korea sending to Russia?"),
        ("And the deminers?", "How many deminers is North Korea sending to Russia?"),
        (
            "How many did they send last year?",
            "How many did they send last year? (North Korea, Russia)",
        ),
        ("Why?", "Why? (North Korea, Russia)"),
    ],
)
def test_follow_ups_carry_the_previous_turn(question: str, expected: str) -> None:
    assert ExtractiveRewriter().rewrite(question, [turn(FIRST)]) == expected


def test_standalone_questions_are_left_alone() -> None:
    question = "What did Sergei Lavrov discuss with Kim Jong Un in Pyongyang?"
    assert not needs_context(question)
    assert ExtractiveRewriter().rewrite(question, [turn(FIRST)]) == question


def test_rewrite_builds_on_the_previous_standalone_query() -> None:
    history = [
        turn("what about the deminers?", "How many deminers is North Korea sending to Russia?")
    ]
    assert (
        ExtractiveRewriter().rewrite("what about the soldiers?", history)
        == "How many soldiers is North Korea sending to Russia?"
    )


def test_what_about_without_a_count_appends_the_focus() -> None:
    history = [turn("Who did Sergei Lavrov meet in Pyongyang?")]
    assert (
        ExtractiveRewriter().rewrite("what about Kim Jong Un?", history)
        == "Who did Sergei Lavrov meet in Pyongyang: what about Kim Jong Un?"
    )


class Recording:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def rewrite(self, question: str, history: History) -> str:
        self.calls.append(question)
        return "rewritten " + question


def test_ask_retrieves_with_the_rewritten_query(settings: Settings) -> None:
    retrieve = ScriptedRetrieve(HITS)
    rewriter = Recording()
    answerer = Answerer(retrieve, FakeEmbedder(), settings, rewriter=rewriter)  # type: ignore[arg-type]
    first = answerer.ask(FIRST)
    assert rewriter.calls == []  # no history, no rewrite
    second = answerer.ask("what about the deminers?", history=[first])
    assert rewriter.calls == ["what about the deminers?"]
    assert retrieve.calls[-1][0] == "rewritten what about the deminers?"
    assert second.question == "what about the deminers?"
    assert second.standalone_query == "rewritten what about the deminers?"


@pytest.mark.real_model
def test_deminers_follow_up_on_the_seed_store(real_seed_bot: Briefbot) -> None:
    first = real_seed_bot.ask(FIRST)
    follow_up = real_seed_bot.ask("what about the deminers?", history=[first])
    assert follow_up.standalone_query == "How many deminers is North Korea sending to Russia?"
    assert not follow_up.refused
    assert "1,000" in follow_up.sentences[0].text, "the deminers sentence leads"
    quoted_before = {(c.article_id, c.start) for s in first.sentences for c in s.citations}
    quoted_now = {(c.article_id, c.start) for s in follow_up.sentences for c in s.citations}
    assert not quoted_before & quoted_now, "a follow-up does not repeat the previous answer"


class Failing:
    def rewrite(self, question: str, history: History) -> str:
        raise LLMError("rewrite timed out")


def test_llm_rewrite_failure_falls_back_offline_with_a_notice(settings: Settings) -> None:
    retrieve = ScriptedRetrieve(HITS)
    answerer = Answerer(retrieve, FakeEmbedder(), settings, rewriter=Failing())  # type: ignore[arg-type]
    answer = answerer.ask("what about the deminers?", history=[turn(FIRST)])
    assert retrieve.calls[-1][0] == "How many deminers is North Korea sending to Russia?"
    assert any("rewrite timed out" in n and "offline" in n for n in answer.notices)


def test_llm_rewriter_is_used_when_configured(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import briefbot.answers.llm

    rewriter = Recording()
    monkeypatch.setattr(briefbot.answers.llm, "create_llm_rewriter", lambda s: rewriter)
    configured = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9"})
    answerer = Answerer(ScriptedRetrieve(HITS), FakeEmbedder(), configured)  # type: ignore[arg-type]
    assert answerer.rewriter is rewriter


def test_a_new_topic_is_not_polluted_with_the_previous_one() -> None:
    question = "What is the inflation rate?"
    assert ExtractiveRewriter().rewrite(question, [turn(FIRST)]) == question
