"""``Briefbot.warm_up``: the embedding model loads in the background, once, failures logged."""

from __future__ import annotations

import logging
import threading

import pytest

from briefbot import Briefbot, Settings
from briefbot.backends.embedders import Preloadable
from tests.fakes import FakeEmbedder


class PreloadableEmbedder(FakeEmbedder):
    """A fake with a model to load: counts its loads and the thread each ran on."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.loaded_on: list[str] = []

    def load(self) -> None:
        self.loaded_on.append(threading.current_thread().name)
        if self.fail:
            raise OSError("weights missing")


def test_warm_up_loads_the_model_on_a_background_thread(settings: Settings) -> None:
    embedder = PreloadableEmbedder()
    bot = Briefbot.open(settings=settings, embedder=embedder)
    assert embedder.loaded_on == [], "opening a store loads nothing"
    thread = bot.warm_up()
    thread.join(timeout=30)
    assert embedder.loaded_on == ["briefbot-warm-up"]
    assert thread is not threading.current_thread()


def test_warm_up_of_an_embedder_without_a_model_is_a_no_op(settings: Settings) -> None:
    embedder = FakeEmbedder()
    assert not isinstance(embedder, Preloadable)
    Briefbot.open(settings=settings, embedder=embedder).warm_up().join(timeout=30)
    assert embedder.calls == []


def test_a_failed_warm_up_is_logged_not_swallowed(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    bot = Briefbot.open(settings=settings, embedder=PreloadableEmbedder(fail=True))
    with caplog.at_level(logging.WARNING, logger="briefbot.facade"):
        bot.warm_up().join(timeout=30)
    [record] = caplog.records
    assert "loading the embedding model failed" in record.getMessage()
    assert record.exc_info is not None and "weights missing" in str(record.exc_info[1])
