"""Integration: a real OpenAI-compatible server (llama.cpp serving SmolLM2-135M-Instruct).

The model is tiny, so its answers are often weak; what must hold is the contract around it:
every kept sentence cites the exact article span that supports it, anything unsupported is
marked, and a question the store cannot answer is refused without calling the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from pydantic import SecretStr

from briefbot import Briefbot
from briefbot.answers.ask import Answerer
from briefbot.answers.llm import LLMAnswerEngine
from briefbot.backends.llm import (
    ChatMessage,
    ChatModel,
    ChatResult,
    TextCallback,
    create_chat_model,
)
from briefbot.grounding.judge import NOT_JSON, JudgeItem, LLMBatchJudge, parse_verdicts
from briefbot.settings import Settings
from tests.local_servers import LLAMA_N_CTX

pytestmark = pytest.mark.llm_server


class Recording:
    """Wraps a real chat model and records each call and its result."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[Sequence[ChatMessage]] = []
        self.results: list[ChatResult] = []

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        on_text: TextCallback | None = None,
    ) -> ChatResult:
        self.calls.append(messages)
        result = self.inner.complete(messages, max_tokens=max_tokens, on_text=on_text)
        self.results.append(result)
        return result

    def prompt(self, index: int) -> str:
        return "\n".join(m["content"] for m in self.calls[index])


def local_settings(bot: Briefbot, url: str, **changes: object) -> Settings:
    return bot.settings.model_copy(
        update={
            "openai_base_url": url,
            "openai_api_key": SecretStr("sk-local-any-key"),
            "llm_model": "smollm2-135m",
            # cl100k counts differ from the model's own tokenizer: keep a margin under n_ctx.
            "llm_context_tokens": LLAMA_N_CTX - 512,
            "llm_max_answer_tokens": 128,
            "llm_timeout_s": 600.0,
            "top_k": 3,
            **changes,
        }
    )


def answerer(bot: Briefbot, settings: Settings) -> tuple[Answerer, Recording]:
    chat = Recording(create_chat_model(settings))
    engine = LLMAnswerEngine(chat, bot.embedder, settings)
    return Answerer(bot.retrieve, bot.embedder, settings, engine=engine), chat


def test_answer_about_the_seed_article_keeps_only_verified_sentences(
    real_seed_bot: Briefbot, llama_server: str
) -> None:
    settings = local_settings(real_seed_bot, llama_server, unsupported="flag")
    bot = Briefbot(settings, real_seed_bot.embedder, real_seed_bot.store)
    streamed: list[str] = []

    answer = bot.ask(
        "How many engineers is North Korea sending to Russia?", on_text=streamed.append
    )

    assert answer.mode == "llm", answer.notices  # not the extractive fallback
    assert "".join(streamed).strip(), "the server streamed text"
    assert answer.usage is not None and answer.usage.prompt_tokens > 0
    assert answer.usage.completion_tokens > 0 and answer.usage.model == "smollm2-135m"
    kept = [s for s in answer.sentences if s.supported]
    flagged = [s for s in answer.sentences if not s.supported]
    assert kept or answer.refused, answer.model_dump_json(indent=1)
    for sentence in kept:
        assert sentence.citations
        for citation in sentence.citations:
            article = real_seed_bot.article(citation.article_id)
            assert article.text[citation.start : citation.end] == citation.quote
            assert 0 < len(citation.quote) < len(article.text)
    for sentence in flagged:
        assert sentence.note
    if flagged:
        assert any("flagged" in notice for notice in answer.notices)
    numbers = {s.n for s in answer.sources}
    assert all(c.n in numbers for s in answer.sentences for c in s.citations)


def test_unanswerable_question_is_refused_without_calling_the_model(
    real_seed_bot: Briefbot, llama_server: str
) -> None:
    settings = local_settings(real_seed_bot, llama_server)
    ask, chat = answerer(real_seed_bot, settings)
    answer = ask.ask("Who won the 2022 football World Cup final in Qatar?")
    assert answer.refused and answer.refusal_reason and not answer.sentences
    assert chat.calls == [] and answer.usage is None


def test_plain_completion_reports_the_servers_usage(
    real_seed_bot: Briefbot, llama_server: str
) -> None:
    settings = local_settings(real_seed_bot, llama_server)
    result = create_chat_model(settings).complete(
        [{"role": "user", "content": "Say hello."}], max_tokens=8
    )
    assert result.text.strip()
    assert 0 < result.usage.completion_tokens <= 8
    assert result.usage.estimated_cost_usd is None  # a local model has no price


def test_answer_with_the_judge_on_is_judged_or_flagged(
    real_seed_bot: Briefbot, llama_server: str
) -> None:
    """The judge is on by default; SmolLM2 often answers it out of format, which must flag."""
    settings = local_settings(real_seed_bot, llama_server, unsupported="flag")
    ask, chat = answerer(real_seed_bot, settings)
    assert settings.llm_judge

    answer = ask.ask("How many engineers is North Korea sending to Russia?")

    assert answer.mode == "llm", answer.notices
    assert len(chat.calls) in (1, 2), "one answer call, at most one judge call"
    kept = [s for s in answer.sentences if s.supported]
    for sentence in answer.sentences:
        assert sentence.supported or sentence.note
    if len(chat.calls) == 1:
        assert not kept, "a sentence passed without the judge"
        return
    prompt = chat.prompt(1)
    count = int(re.search(r"Judge all (\d+) claims", prompt).group(1))  # type: ignore[union-attr]
    verdicts = parse_verdicts(chat.results[1].text, count)
    for sentence in kept:
        claim = re.search(rf"Claim (\d+):\n<claim>\n{re.escape(sentence.text)}\n</claim>", prompt)
        assert claim is not None, "a kept sentence was judged"
        assert verdicts is not None and verdicts[int(claim.group(1)) - 1].supported
    assert answer.usage is not None
    assert answer.usage.prompt_tokens == sum(r.usage.prompt_tokens for r in chat.results)
    assert answer.usage.completion_tokens == sum(r.usage.completion_tokens for r in chat.results)


def test_batch_judge_against_the_real_model_never_passes_what_it_cannot_read(
    real_seed_bot: Briefbot, llama_server: str
) -> None:
    settings = local_settings(real_seed_bot, llama_server)
    chat = Recording(create_chat_model(settings))
    judge = LLMBatchJudge(chat, settings)
    evidence = "Pyongyang is sending approximately 5,000 engineers to Russia, Yonhap reported."
    items = [
        JudgeItem("North Korea is sending about 5,000 engineers to Russia.", evidence),
        JudgeItem("North Korea is sending 9,000 engineers to Paris.", evidence),
    ]

    verdicts = judge.judge(items)

    assert len(chat.calls) == 1 and len(verdicts) == 2
    parsed = parse_verdicts(chat.results[0].text, 2)
    if parsed is None:
        assert all(not v.supported and NOT_JSON in v.reason for v in verdicts)
    else:
        assert verdicts == parsed
    for verdict in verdicts:
        assert verdict.supported or verdict.reason
    usage = judge.take_usage()
    assert usage is not None and usage.completion_tokens > 0
