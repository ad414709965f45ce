"""The Library page's feed watch (``ui/feed_watch.py``): watch a local feed, see its polls,
stop it; a bad address is named."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefbot import Briefbot, Settings
from tests.fakes import FakeEmbedder
from tests.ingest.feed_fixtures import Newsroom
from tests.ingest.http_fixtures import LocalSite
from tests.ui.conftest import AppFactory


@pytest.fixture
def local_bot(tmp_path: Path) -> Iterator[Briefbot]:
    settings = Settings(  # type: ignore[call-arg]
        store_path=tmp_path / "store", allow_private_hosts=True, fetch_timeout_s=5, _env_file=None
    )
    bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())
    yield bot
    bot.background_watch.watcher.stop()


@pytest.fixture
def newsroom() -> Iterator[Newsroom]:
    with LocalSite(validators=True) as site:
        room = Newsroom(site)
        room.publish((0, 1), (1, 1))
        yield room


def test_watch_a_feed_from_the_library_page(
    local_bot: Briefbot, newsroom: Newsroom, make_app: AppFactory
) -> None:
    at = make_app(local_bot).switch_page("app_pages/library.py").run()
    assert any(e.label == "Keep feeds current" for e in at.expander)
    assert at.selectbox(key="watch_every").value == "15m"
    at.text_input(key="watch_url").set_value(newsroom.feed)
    at.button(key="FormSubmitter:watch_form-Watch").click().run()
    assert not at.exception and not at.error

    deadline = time.monotonic() + 60
    while not local_bot.background_watch.recent() and time.monotonic() < deadline:
        time.sleep(0.1)
    at.run()
    [log] = at.code
    assert newsroom.feed in log.value and "2 new, 0 changed → 2 added" in log.value
    assert any(
        newsroom.feed in c.value and "every 15 min" in c.value and "next poll in" in c.value
        for c in at.caption
    )
    assert local_bot.article_count() == 2

    at.button(key="watch_stop_0").click().run()
    assert not at.exception
    assert local_bot.background_watch.feeds() == []
    assert not any(b.key == "watch_stop_0" for b in at.button)


def test_a_bad_feed_address_is_named(local_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(local_bot).switch_page("app_pages/library.py").run()
    at.text_input(key="watch_url").set_value("feeds.txt")
    at.button(key="FormSubmitter:watch_form-Watch").click().run()
    assert not at.exception
    [error] = at.error
    assert "feeds.txt: not a feed address" in error.value
    assert local_bot.background_watch.feeds() == []
