"""Integration: LLM briefs through a real llama.cpp server (SmolLM2-135M-Instruct).

The model is tiny, so its prose is often weak; what must hold is the contract: the paragraph
keeps the word limit, every kept sentence cites exact article spans or is visibly flagged, and
a brief with nothing supported falls back to the extractive one with a notice.
"""

from __future__ import annotations

import pytest

from briefbot import Briefbot
from briefbot.render import UNSUPPORTED_MARK, render_text
from tests.local_servers import LLAMA_N_CTX

pytestmark = pytest.mark.llm_server


@pytest.mark.parametrize("context", [LLAMA_N_CTX, 1024], ids=["one-step", "map-reduce"])
def test_llm_brief_of_the_seed(real_seed_bot: Briefbot, llama_server: str, context: int) -> None:
    bot = real_seed_bot
    bot.settings = bot.settings.model_copy(
        update={
            "openai_base_url": llama_server,
            "llm_model": "smollm2",
            "llm_context_tokens": context,
            "llm_max_answer_tokens": 256,
            "llm_timeout_s": 120.0,
        }
    )
    seed = bot.articles()[0]
    brief = bot.brief([seed.id], mode="llm")
    assert brief.sentences and brief.word_count <= 120
    assert brief.usage is not None and brief.usage.prompt_tokens > 0
    text = bot.article(seed.id).text
    for sentence in brief.sentences:
        assert sentence.supported or sentence.note
        for citation in sentence.citations:
            assert text[citation.start : citation.end] == citation.quote
    if brief.mode == "extractive":
        assert "extractive brief instead" in brief.notices[0]
    elif any(not s.supported for s in brief.sentences):
        assert UNSUPPORTED_MARK in render_text(brief)
    if context == 1024 and brief.mode == "llm":
        assert any("notes" in n for n in brief.notices)
