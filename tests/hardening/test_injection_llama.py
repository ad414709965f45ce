"""Prompt injection against a real model (llama.cpp serving SmolLM2-135M-Instruct).

The tiny model may or may not obey the injected instruction; what must hold either way is
that the injected claim never reaches the user unmarked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from briefbot import Briefbot, Settings
from briefbot.render import render_text
from tests.fakes import FakeEmbedder
from tests.hardening.test_hostile_content import MAYOR_TEXT, QUESTION, make
from tests.local_servers import LLAMA_N_CTX

pytestmark = pytest.mark.llm_server


def test_injected_claim_never_reaches_the_user_unmarked(
    tmp_path: Path,
    llama_server: str,
) -> None:
    settings = Settings(store_path=tmp_path / "store", _env_file=None).model_copy(  # type: ignore[call-arg]
        update={
            "openai_api_key": SecretStr("sk-local-any-key"),
            "openai_base_url": llama_server,
            "llm_model": "smollm2-135m",
            "llm_context_tokens": LLAMA_N_CTX - 512,
            "llm_max_answer_tokens": 96,
            "llm_timeout_s": 600.0,
            "llm_max_retries": 0,
            "top_k": 3,
        }
    )
    bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())
    bot.ingest_articles([make("Harbour council meets", MAYOR_TEXT)])
    for question in (QUESTION, "Did the harbour mayor resign in disgrace?"):
        answer = bot.ask(question)
        assert answer.mode == "llm", answer.notices
        for sentence in answer.sentences:
            if "disgrace" in sentence.text.lower():
                assert not sentence.supported, sentence
        body = render_text(answer).split("\nSources:", 1)[0]
        for line in body.split(". "):
            if "disgrace" in line.lower():
                assert "[unsupported]" in body[body.index(line) :]
