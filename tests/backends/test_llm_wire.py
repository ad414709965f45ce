"""The OpenAI backend on the wire, against a scripted OpenAI-compatible stub server."""

from __future__ import annotations

import dataclasses
import logging
import re
import time

import pytest

from briefbot import Briefbot
from briefbot.answers.llm import LLMAnswerEngine
from briefbot.backends.llm import ChatMessage, OpenAIChatModel, create_chat_model, estimate_cost
from briefbot.citations import Passage
from briefbot.errors import ConfigError, LLMError
from briefbot.settings import Settings
from tests.answers.helpers import DEMINERS, ENGINEERS, WEATHER, passage
from tests.conftest import SEEDS, TEST_API_KEY
from tests.fakes import FakeEmbedder
from tests.stub_server import Reply, StubLLMServer

QUESTION: list[ChatMessage] = [{"role": "user", "content": "How many engineers?"}]
PASSAGES: list[Passage] = [passage(1, ENGINEERS), passage(2, DEMINERS), passage(3, WEATHER)]


def model(settings: Settings, delays: list[float] | None = None) -> OpenAIChatModel:
    sleeps = delays if delays is not None else []
    return OpenAIChatModel(settings, sleep=sleeps.append)


def test_streamed_answer_arrives_in_pieces_with_server_usage(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    text = "North Korea is sending about 5,000 engineers [1]."
    stub_llm.enqueue(Reply.answer(text))
    pieces: list[str] = []

    result = model(llm_settings).complete(QUESTION, max_tokens=50, on_text=pieces.append)

    assert result.text == text
    assert len(pieces) > 3 and "".join(pieces) == text
    request = stub_llm.completions[0].body
    assert request["stream"] is True and request["model"] == "gpt-4o-mini"
    assert request["max_tokens"] == 50
    assert result.usage.completion_tokens == len(text.split())
    assert result.usage.estimated_cost_usd == pytest.approx(
        estimate_cost("gpt-4o-mini", result.usage.prompt_tokens, result.usage.completion_tokens)
    )


@pytest.mark.parametrize("stream", [False, True])
def test_finish_reason_is_reported(
    llm_settings: Settings, stub_llm: StubLLMServer, stream: bool
) -> None:
    stub_llm.enqueue(Reply.answer("North Korea is sending", finish_reason="length"))
    result = model(llm_settings).complete(
        QUESTION, max_tokens=4, on_text=(lambda _: None) if stream else None
    )
    assert result.finish_reason == "length" and result.text == "North Korea is sending"


def test_usage_is_estimated_when_the_server_reports_none(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.answer("Five thousand engineers [1].", usage=False))
    result = model(llm_settings).complete(QUESTION, max_tokens=50)
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0


def test_unknown_model_has_no_cost_unless_priced_in_settings(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    local = llm_settings.model_copy(update={"llm_model": "smollm2"})
    stub_llm.enqueue(Reply.answer("A [1]."), Reply.answer("A [1]."))
    assert model(local).complete(QUESTION, max_tokens=5).usage.estimated_cost_usd is None
    priced = local.model_copy(update={"llm_prices": {"smollm2": (1.0, 2.0)}})
    usage = model(priced).complete(QUESTION, max_tokens=5).usage
    expected = (usage.prompt_tokens * 1.0 + usage.completion_tokens * 2.0) / 1e6
    assert usage.estimated_cost_usd == pytest.approx(expected)


def test_429_then_success_retries_after_a_backoff(
    llm_settings: Settings, stub_llm: StubLLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    stub_llm.enqueue(Reply.error(429, "slow down", retry_after="0"), Reply.answer("Yes [1]."))
    delays: list[float] = []
    chat = model(llm_settings, delays)

    with caplog.at_level(logging.WARNING, logger="briefbot.backends.llm"):
        result = chat.complete(QUESTION, max_tokens=5)

    assert result.text == "Yes [1]."
    assert len(stub_llm.completions) == 2
    assert chat.retries_done == 1
    assert delays == [llm_settings.llm_backoff_s]
    assert "retry 1 of 2" in caplog.text


def test_5xx_backoff_doubles_and_is_capped(llm_settings: Settings, stub_llm: StubLLMServer) -> None:
    settings = llm_settings.model_copy(
        update={"llm_max_retries": 4, "llm_backoff_s": 0.01, "llm_backoff_max_s": 0.03}
    )
    stub_llm.enqueue(*(Reply.error(503) for _ in range(4)), Reply.answer("Yes [1]."))
    delays: list[float] = []
    model(settings, delays).complete(QUESTION, max_tokens=5)
    assert delays == pytest.approx([0.01, 0.02, 0.03, 0.03])


def test_retry_after_header_is_honoured_up_to_the_cap(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.error(429, retry_after="30"), Reply.answer("Yes [1]."))
    delays: list[float] = []
    model(llm_settings, delays).complete(QUESTION, max_tokens=5)
    assert delays == [llm_settings.llm_backoff_max_s]


def test_500_becomes_llm_error_after_all_retries(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(*(Reply.error(500, "boom") for _ in range(3)))
    with pytest.raises(LLMError) as raised:
        model(llm_settings).complete(QUESTION, max_tokens=5)
    assert raised.value.status == 500
    assert "after 3 attempts" in str(raised.value) and "boom" in str(raised.value)
    assert len(stub_llm.completions) == llm_settings.llm_max_retries + 1


def test_400_is_not_retried(llm_settings: Settings, stub_llm: StubLLMServer) -> None:
    stub_llm.enqueue(Reply.error(400, "context too long"))
    with pytest.raises(LLMError) as raised:
        model(llm_settings).complete(QUESTION, max_tokens=5, on_text=lambda _: None)
    assert raised.value.status == 400 and "context too long" in str(raised.value)
    assert len(stub_llm.completions) == 1


def test_timeout_becomes_llm_error_naming_the_setting(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    settings = llm_settings.model_copy(update={"llm_timeout_s": 0.2})
    stub_llm.enqueue(Reply.answer("late [1].", delay_s=1.5))
    with pytest.raises(LLMError) as raised:
        model(settings).complete(QUESTION, max_tokens=5)
    assert raised.value.status is None
    assert "BRIEFBOT_LLM_TIMEOUT_S" in str(raised.value)


# A server that hangs, trickles keep-alive bytes or answers 503 slowly, for four times the
# timeout (then it would answer): the call must give up within its timeout, retries included.
HANGS = {
    "silent": [Reply.answer("late [1].", delay_s=8.0)],
    "trickling": [Reply.trickle("late [1].", seconds=8.0)],
    "slow-503s": [dataclasses.replace(Reply.error(503), delay_s=1.5) for _ in range(3)],
}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("hang", sorted(HANGS))
def test_a_hanging_llm_gives_up_within_its_timeout(
    llm_settings: Settings, stub_llm: StubLLMServer, hang: str, stream: bool
) -> None:
    timeout = llm_settings.llm_timeout_s
    stub_llm.enqueue(*HANGS[hang])
    pieces: list[str] = []
    started = time.monotonic()
    with pytest.raises(LLMError, match=re.escape("within 2s (BRIEFBOT_LLM_TIMEOUT_S)")) as raised:
        model(llm_settings).complete(
            QUESTION, max_tokens=5, on_text=pieces.append if stream else None
        )
    elapsed = time.monotonic() - started
    assert timeout * 0.9 <= elapsed < timeout * 1.5 + 1, elapsed
    assert raised.value.status is None and not pieces


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_json_becomes_llm_error(
    llm_settings: Settings, stub_llm: StubLLMServer, stream: bool
) -> None:
    if stream:
        stub_llm.enqueue(Reply.raw(b"data: {not json\n\n", content_type="text/event-stream"))
    else:
        stub_llm.enqueue(Reply.raw(b'{"choices": [{"message": '))
    with pytest.raises(LLMError, match="malformed"):
        model(llm_settings).complete(
            QUESTION, max_tokens=5, on_text=(lambda _: None) if stream else None
        )


def test_response_without_content_becomes_llm_error(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.raw(b'{"id": "x", "object": "chat.completion", "choices": []}'))
    with pytest.raises(LLMError, match="without message content"):
        model(llm_settings).complete(QUESTION, max_tokens=5)


def test_unreachable_server_becomes_llm_error(llm_settings: Settings) -> None:
    settings = llm_settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    with pytest.raises(LLMError, match="cannot reach"):
        model(settings).complete(QUESTION, max_tokens=5)


def test_api_key_never_appears_in_errors_logs_or_usage(
    llm_settings: Settings, stub_llm: StubLLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    echoed = f"bad key Bearer {TEST_API_KEY} ({TEST_API_KEY[:3]}...{TEST_API_KEY[3:-4]}...)"
    stub_llm.enqueue(Reply.error(503, echoed), Reply.error(401, echoed), Reply.answer("ok [1]."))
    chat = model(llm_settings)
    with caplog.at_level(logging.DEBUG), pytest.raises(LLMError) as raised:
        chat.complete(QUESTION, max_tokens=5)
    assert stub_llm.completions[0].headers["authorization"] == f"Bearer {TEST_API_KEY}"
    assert raised.value.status == 401
    assert TEST_API_KEY not in str(raised.value)
    assert TEST_API_KEY[3:-4] not in str(raised.value)
    assert TEST_API_KEY not in caplog.text
    usage = chat.complete(QUESTION, max_tokens=5).usage
    assert TEST_API_KEY not in usage.model_dump_json() + repr(chat.__dict__.get("name"))


def test_credentials_in_the_server_url_stay_out_of_errors() -> None:
    settings = Settings(_env_file=None, openai_base_url="http://bob:hunter2@127.0.0.1:9/v1")
    with pytest.raises(LLMError) as raised:
        model(settings).complete(QUESTION, max_tokens=5)
    assert "hunter2" not in str(raised.value) and "127.0.0.1:9" in str(raised.value)


def test_a_server_without_key_gets_a_placeholder_key(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.answer("ok [1]."))
    keyless = llm_settings.model_copy(update={"openai_api_key": None})
    create_chat_model(keyless).complete(QUESTION, max_tokens=5)
    assert stub_llm.completions[0].headers["authorization"] == "Bearer not-needed"


def test_no_key_and_no_server_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        create_chat_model(settings)


def test_unknown_provider_is_a_config_error(llm_settings: Settings) -> None:
    with pytest.raises(ConfigError, match="BRIEFBOT_LLM_PROVIDER"):
        create_chat_model(llm_settings.model_copy(update={"llm_provider": "nope"}))


# --- the engine over the wire ------------------------------------------------------------


def engine(settings: Settings) -> LLMAnswerEngine:
    unjudged = settings.model_copy(update={"llm_judge": False})  # the judge: test_judge.py
    return LLMAnswerEngine(create_chat_model(unjudged), FakeEmbedder(), unjudged)


def test_streamed_answer_over_the_wire_is_verified(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.answer("North Korea is sending about 5,000 engineers to Russia [1]."))
    streamed: list[str] = []
    answer = engine(llm_settings).answer("How many engineers?", PASSAGES, on_text=streamed.append)

    assert "".join(streamed).startswith("North Korea is sending")
    assert not answer.refused and answer.mode == "llm"
    [only] = answer.sentences
    assert only.supported and only.text.endswith("Russia.")
    [citation] = only.citations
    assert citation.quote == PASSAGES[0].text[: citation.end - PASSAGES[0].start]
    assert "5,000 engineers" in citation.quote
    assert answer.usage is not None and answer.usage.estimated_cost_usd is not None
    assert "[1]" in stub_llm.completions[0].prompt and "<data>" in stub_llm.completions[0].prompt


def test_citation_of_a_missing_source_is_dropped(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(
        Reply.answer("Another 1,000 soldiers will clear mines [9]. Trams stopped running [3].")
    )
    answer = engine(llm_settings.model_copy(update={"unsupported": "flag"})).answer(
        "What about the deminers?", PASSAGES
    )
    first, second = answer.sentences
    assert all(c.article_id != "" for s in answer.sentences for c in s.citations)
    assert first.note is not None and "[9] does not exist" in first.note
    # The verifier re-attached the sentence to the passage that does support it.
    assert first.supported and first.citations[0].article_id == "article2"
    assert second.supported and second.citations[0].article_id == "article3"


def test_invented_number_is_flagged_or_removed(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    invented = "North Korea is sending about 7,500 engineers to Russia [1]."
    honest = "The engineers will repair roads and bridges in the Kursk region [1]."
    stub_llm.enqueue(Reply.answer(f"{invented} {honest}"), Reply.answer(f"{invented} {honest}"))

    flagged = engine(llm_settings.model_copy(update={"unsupported": "flag"})).answer(
        "How many engineers?", PASSAGES
    )
    bad, good = flagged.sentences
    assert not bad.supported and bad.note is not None and "7,500" in bad.note
    assert good.supported
    assert any("flagged" in notice for notice in flagged.notices)

    removed = engine(llm_settings.model_copy(update={"unsupported": "remove"})).answer(
        "How many engineers?", PASSAGES
    )
    assert [s.text for s in removed.sentences] == [good.text]
    assert all(s.supported for s in removed.sentences)


def test_only_invented_claims_become_a_refusal(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.answer("North Korea is sending 7,500 engineers [1]."))
    answer = engine(llm_settings).answer("How many engineers?", PASSAGES)
    assert answer.refused and not answer.sentences


def test_cannot_answer_phrase_becomes_a_refusal(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.answer("I cannot answer this from the sources."))
    answer = engine(llm_settings).answer("Who won the election?", PASSAGES)
    assert answer.refused and answer.usage is not None


# --- Briefbot.ask against the stub: every path ends verified, refused or marked ----------

ENGINEERS_QUESTION = "How many engineers is North Korea sending to Russia?"
GOOD = "Pyongyang is sending approximately 5,000 engineers from the North Korean army [1]."
SCENARIOS = {
    "streamed": ([Reply.answer(GOOD)], "llm"),
    "429-then-success": ([Reply.error(429, retry_after="0"), Reply.answer(GOOD)], "llm"),
    "500": ([Reply.error(500) for _ in range(3)], "fallback"),
    "timeout": ([Reply.answer(GOOD, delay_s=1.5)], "fallback"),
    "trickling": ([Reply.trickle(GOOD, seconds=3.0)], "fallback"),
    "malformed-json": ([Reply.raw(b"{oops")], "fallback"),
    "missing-source": ([Reply.answer(GOOD.replace("[1]", "[8]"))], "llm"),
    "invented-number": ([Reply.answer(GOOD.replace("5,000", "50,000"))], "refused"),
    "cannot-answer": ([Reply.answer("I cannot answer this from the sources.")], "refused"),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_ask_over_the_stub_never_crashes_or_leaves_a_claim_unmarked(
    llm_settings: Settings, stub_llm: StubLLMServer, scenario: str
) -> None:
    replies, outcome = SCENARIOS[scenario]
    settings = llm_settings.model_copy(update={"llm_timeout_s": 0.3, "llm_judge": False})
    bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())
    bot.ingest([SEEDS])
    stub_llm.enqueue(*replies)
    streamed: list[str] = []

    answer = bot.ask(ENGINEERS_QUESTION, on_text=streamed.append)

    assert stub_llm.completions, "the LLM was asked"
    for sentence in answer.sentences:
        assert sentence.supported or (sentence.note and not sentence.supported)
        for citation in sentence.citations:
            article = bot.article(citation.article_id)
            assert article.text[citation.start : citation.end] == citation.quote
    if outcome == "refused":
        assert answer.refused and not answer.sentences and answer.refusal_reason
        assert answer.mode == "llm"
    elif outcome == "fallback":
        assert answer.mode == "extractive" and not answer.refused
        assert any("extractive fallback" in n for n in answer.notices)
        assert all(s.supported for s in answer.sentences)
    else:
        assert answer.mode == "llm" and not answer.refused
        assert answer.sentences and all(s.supported for s in answer.sentences)
        assert "5,000 engineers" in answer.sentences[0].citations[0].quote
        assert "".join(streamed).startswith("Pyongyang")
    if scenario == "missing-source":
        note = answer.sentences[0].note
        assert note is not None and "[8] does not exist" in note
    if scenario == "429-then-success":
        assert len(stub_llm.completions) == 2


def test_a_stream_without_chunks_is_malformed(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.raw(b"{oops"))
    with pytest.raises(LLMError, match="no completion chunks"):
        model(llm_settings).complete(QUESTION, max_tokens=5, on_text=lambda _: None)


def test_an_empty_answer_is_an_llm_error_not_a_refusal(
    llm_settings: Settings, stub_llm: StubLLMServer
) -> None:
    stub_llm.enqueue(Reply.answer("   "))
    with pytest.raises(LLMError, match="empty answer"):
        engine(llm_settings).answer("How many engineers?", PASSAGES)


def test_price_table_override_reads_json_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRIEFBOT_LLM_PRICES", '{"smollm2": [0.5, 1.5]}')
    settings = Settings(_env_file=None)
    assert settings.llm_prices == {"smollm2": (0.5, 1.5)}
    assert estimate_cost("smollm2", 2_000_000, 1_000_000, settings.llm_prices) == 2.5
    assert estimate_cost("gpt-4o-mini", 1_000_000, 0) == 0.15
