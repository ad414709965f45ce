"""The local MiniLM embedder: created for free, loaded once per process on first use."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from briefbot.backends.embedders import MiniLMEmbedder, Preloadable, create_embedder
from briefbot.settings import Settings


@pytest.mark.real_model
def test_every_minilm_embedder_shares_one_loaded_model(minilm: MiniLMEmbedder) -> None:
    other = MiniLMEmbedder(batch_size=8)
    assert other.model is minilm.model
    assert other.max_tokens == 254  # 256 word pieces less [CLS] and [SEP]


def test_the_local_embedder_has_a_model_to_preload_and_the_remote_one_not() -> None:
    local = Settings(_env_file=None)  # type: ignore[call-arg]
    remote = local.model_copy(update={"embedder": "openai", "openai_api_key": SecretStr("sk-test")})
    assert isinstance(create_embedder(local), Preloadable)
    assert not isinstance(create_embedder(remote), Preloadable)
