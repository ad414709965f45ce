"""Watching feeds against a local feed server that changes between polls: conditional GETs,
only new or changed entries ingested, back-off on errors, state kept across restarts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefbot import Briefbot, Settings
from briefbot.errors import ConfigError, NotAFeedError, UnsafeURLError
from briefbot.ingest.feed_state import STATE_FILE, FeedStateFile, state_path
from briefbot.ingest.watch import (
    FeedWatcher,
    PollResult,
    backoff_delay,
    interval_label,
    parse_interval,
)
from tests.fakes import FakeEmbedder
from tests.ingest.feed_fixtures import TOPICS, Newsroom, feed_xml, story_html
from tests.ingest.http_fixtures import LocalSite

EVERY = 60.0


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        store_path=tmp_path / "store",
        allow_private_hosts=True,
        fetch_timeout_s=5,
        watch_backoff_max_s=600,
        _env_file=None,
    )


@pytest.fixture
def local_bot(local_settings: Settings) -> Briefbot:
    return Briefbot.open(settings=local_settings, embedder=FakeEmbedder())


@pytest.fixture
def newsroom() -> Iterator[Newsroom]:
    with LocalSite(validators=True) as site:
        room = Newsroom(site)
        room.publish((0, 1), (1, 1))
        yield room


def watching(bot: Briefbot, feed: str) -> FeedWatcher:
    watcher = bot.feed_watcher()
    watcher.add(feed, EVERY)
    return watcher


def test_first_poll_ingests_every_entry(local_bot: Briefbot, newsroom: Newsroom) -> None:
    watcher = watching(local_bot, newsroom.feed)
    result = watcher.poll(newsroom.feed)
    assert result.error is None and not result.not_modified
    assert (result.new, result.changed, len(result.report.added)) == (2, 0, 2)
    assert sorted(a.title for a in local_bot.articles()) == sorted(t for t, _ in TOPICS[:2])
    assert {a.source for a in local_bot.articles()} == {"City Desk"}
    assert result.next_poll_s == EVERY
    assert "2 new, 0 changed → 2 added" in result.line()
    assert newsroom.feed in result.line()


def test_second_poll_gets_304_and_ingests_nothing(
    local_bot: Briefbot, newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher = watching(local_bot, newsroom.feed)
    watcher.poll(newsroom.feed)
    fetched = newsroom.story_fetches()

    def no_store_reads(*args: object, **kwargs: object) -> None:
        raise AssertionError("a poll that brings nothing must not read the store")

    for name in ("list_articles", "signatures", "article_records", "ids_by_key"):
        monkeypatch.setattr(local_bot.store, name, no_store_reads)
    result = watcher.poll(newsroom.feed)
    assert result.not_modified and result.error is None
    assert result.report.summary().startswith("0 added, 0 unchanged, 0 replaced")
    assert newsroom.story_fetches() == fetched  # no entry fetched again
    last = newsroom.site.requests_to("/feed.xml")[-1]
    assert last.status == 304 and last.if_none_match and last.if_modified_since
    assert "304 not modified" in result.line()


def test_a_changed_feed_brings_only_the_new_entry(local_bot: Briefbot, newsroom: Newsroom) -> None:
    watcher = watching(local_bot, newsroom.feed)
    watcher.poll(newsroom.feed)
    newsroom.publish((2, 1), (0, 1), (1, 1))
    fetched = len(newsroom.story_fetches())
    result = watcher.poll(newsroom.feed)
    assert (result.new, result.changed) == (1, 0)
    assert len(result.report.added) == 1 and not result.report.replaced
    assert newsroom.story_fetches()[fetched:] == ["/story/2"]
    assert local_bot.article_count() == 3


def test_an_edited_entry_replaces_its_article(local_bot: Briefbot, newsroom: Newsroom) -> None:
    watcher = watching(local_bot, newsroom.feed)
    first = watcher.poll(newsroom.feed)
    [old_id] = [
        a.id for a in local_bot.articles() if a.title == TOPICS[1][0] and a.id in first.report.added
    ]
    newsroom.publish((0, 1), (1, 2))
    result = watcher.poll(newsroom.feed)
    assert (result.new, result.changed) == (0, 1)
    [new_id] = result.report.replaced
    assert new_id != old_id and not result.report.added
    assert local_bot.article_count() == 2
    assert "officials corrected the figures" in local_bot.article(new_id).text
    assert old_id not in {a.id for a in local_bot.articles()}
    assert "0 new, 1 changed → 1 replaced" in result.line()


def test_wire_copy_in_a_new_entry_is_merged_not_stored_twice(
    local_bot: Briefbot, newsroom: Newsroom
) -> None:
    watcher = watching(local_bot, newsroom.feed)
    watcher.poll(newsroom.feed)
    newsroom.site.route("/story/3", story_html(0), "text/html")  # story 0's text at a new address
    newsroom.site.route(
        "/feed.xml",
        feed_xml(newsroom.site, [(0, 1), (1, 1)]).replace(
            b"</channel>",
            f"<item><title>Budget (wire)</title><link>{newsroom.site.url}/story/3</link>"
            "<guid>wire-3</guid></item></channel>".encode(),
        ),
        "application/rss+xml",
    )
    result = watcher.poll(newsroom.feed)
    assert result.new == 1 and len(result.report.duplicates) == 1
    assert local_bot.article_count() == 2


def test_a_server_error_backs_off_and_recovers(local_bot: Briefbot, newsroom: Newsroom) -> None:
    watcher = watching(local_bot, newsroom.feed)
    watcher.poll(newsroom.feed)
    newsroom.site.fail("/feed.xml", 503)
    waits = []
    for _ in range(5):
        failed = watcher.poll(newsroom.feed)
        assert failed.error is not None and not failed.dropped
        waits.append(failed.next_poll_s)
    assert waits == [120.0, 240.0, 480.0, 600.0, 600.0]  # doubling, capped at the maximum
    line = failed.line()
    assert "error: HTTP 503" in line and "backing off: next try in 10 min" in line
    assert "5 failed polls in a row" in line and newsroom.feed in line
    [watched] = watcher.feeds()
    assert watched.failures == 5 and watcher.seconds_until(watched) > 500
    newsroom.site.recover("/feed.xml")
    recovered = watcher.poll(newsroom.feed)
    assert recovered.error is None and recovered.next_poll_s == EVERY
    assert watcher.feeds()[0].failures == 0
    assert local_bot.article_count() == 2


def test_state_survives_a_restart(
    local_settings: Settings, local_bot: Briefbot, newsroom: Newsroom
) -> None:
    watching(local_bot, newsroom.feed).poll(newsroom.feed)
    path = state_path(local_settings)
    assert path == local_settings.store_path / STATE_FILE
    saved = json.loads(path.read_text())["feeds"][newsroom.feed]
    assert saved["etag"] and len(saved["entries"]) == 2
    reopened = Briefbot.open(settings=local_settings, embedder=FakeEmbedder())
    fresh = watching(reopened, newsroom.feed)
    assert fresh.poll(newsroom.feed).not_modified
    newsroom.publish((3, 1), (0, 1), (1, 1))
    fetched = len(newsroom.story_fetches())
    result = fresh.poll(newsroom.feed)
    assert (result.new, result.changed) == (1, 0)
    assert newsroom.story_fetches()[fetched:] == ["/story/3"]


def test_without_validators_the_entries_seen_are_not_fetched_again(
    local_bot: Briefbot,
) -> None:
    with LocalSite(validators=False) as site:
        room = Newsroom(site)
        room.publish((0, 1), (1, 1))
        watcher = watching(local_bot, room.feed)
        watcher.poll(room.feed)
        fetched = len(room.story_fetches())
        again = watcher.poll(room.feed)
    assert not again.not_modified and (again.new, again.changed) == (0, 0)
    assert len(room.story_fetches()) == fetched
    assert again.line().split("  ")[-1].startswith("0 new, 0 changed (")


def test_an_entry_that_fails_is_retried_then_left_until_it_changes(
    local_bot: Briefbot, newsroom: Newsroom
) -> None:
    watcher = watching(local_bot, newsroom.feed)
    del newsroom.site.routes["/story/1"]  # its link answers 404 and the feed has no content
    polls = [watcher.poll(newsroom.feed) for _ in range(4)]
    assert [len(p.report.skipped) for p in polls] == [1, 1, 1, 0]
    assert "HTTP 404" in polls[0].report.skipped[0].reason
    assert "1 skipped" in polls[0].line() and polls[0].error is None
    assert polls[3].not_modified  # tried three times: the feed's validators are kept again
    assert newsroom.site.requests_to("/feed.xml")[1].if_none_match is None
    newsroom.publish((0, 1), (1, 2))  # the entry changes: it is tried again, and now loads
    result = watcher.poll(newsroom.feed)
    assert (result.changed, len(result.report.added)) == (1, 1)
    assert local_bot.article_count() == 2


def test_a_web_page_is_not_a_feed(local_bot: Briefbot, newsroom: Newsroom) -> None:
    page = f"{newsroom.site.url}/story/0"
    watcher = watching(local_bot, page)
    result = watcher.poll(page)
    assert isinstance(result.error, NotAFeedError) and result.dropped
    assert "a web page, not an RSS or Atom feed" in result.line()
    assert page in result.line() and "not watched: check the feed's address" in result.line()
    assert watcher.feeds() == []
    newsroom.site.route(
        "/home",
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        b"</head><body><p>Front page</p></body></html>",
        "text/html",
    )
    home = f"{newsroom.site.url}/home"
    named = watching(local_bot, home).poll(home)
    assert f"the page names its feed: watch {newsroom.feed}" in named.line()


def test_unreachable_and_disallowed_hosts_are_named(settings: Settings) -> None:
    bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())  # private hosts refused
    watcher = bot.feed_watcher()
    closed = watcher.add("http://127.0.0.1:9/feed.xml", EVERY)
    unknown = watcher.add("http://no-such-host.invalid/feed.xml", EVERY)
    refused = watcher.poll(closed)
    missing = watcher.poll(unknown)
    assert isinstance(refused.error, UnsafeURLError) and refused.dropped
    assert "private/loopback" in refused.line() and closed in refused.line()
    assert "cannot resolve host" in missing.line() and missing.dropped
    with pytest.raises(UnsafeURLError, match="only http and https"):
        watcher.add("feeds.txt")
    assert watcher.feeds() == []


def test_a_watched_feed_cannot_lead_to_a_forbidden_address(tmp_path: Path) -> None:
    with LocalSite(validators=True) as site:
        port = site.url.rsplit(":", 1)[1]
        settings = Settings(  # type: ignore[call-arg]
            store_path=tmp_path / "store", fetch_allowed_hosts=[f"127.0.0.1:{port}"], _env_file=None
        )
        bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())
        room = Newsroom(site)
        room.publish((0, 1))
        body = site.routes["/feed.xml"][0].replace(
            b"</channel>",
            b"<item><title>Metadata</title><link>http://169.254.169.254/latest/meta-data/</link>"
            b"<guid>meta</guid></item><item><title>Other port</title>"
            b"<link>http://127.0.0.1:9/admin</link><guid>admin</guid></item></channel>",
        )
        site.route("/feed.xml", body, "application/rss+xml")
        result = watching(bot, room.feed).poll(room.feed)
    assert result.error is None and len(result.report.added) == 1
    reasons = [s.reason for s in result.report.skipped]
    assert len(reasons) == 2 and "link-local" in reasons[0] and "loopback" in reasons[1]


def test_a_feed_that_once_answered_is_not_dropped_when_it_fails(
    local_bot: Briefbot, newsroom: Newsroom
) -> None:
    watching(local_bot, newsroom.feed).poll(newsroom.feed)
    newsroom.site.fail("/feed.xml", 404)
    later = watching(local_bot, newsroom.feed)  # a new run: the state file says it answered
    result = later.poll(newsroom.feed)
    assert result.error is not None and not result.dropped and result.next_poll_s == 120.0


def test_run_polls_until_stopped(local_bot: Briefbot, newsroom: Newsroom) -> None:
    watcher = local_bot.feed_watcher()
    watcher.add(newsroom.feed, 0.2)
    seen: list[PollResult] = []

    def on_poll(result: PollResult) -> None:
        seen.append(result)
        if len(seen) == 3:
            watcher.stop()

    thread = threading.Thread(target=watcher.run, args=(on_poll,))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert [r.not_modified for r in seen] == [False, True, True]


def test_background_watch_keeps_the_recent_polls(local_bot: Briefbot, newsroom: Newsroom) -> None:
    watch = local_bot.background_watch
    assert local_bot.background_watch is watch
    assert watch.watch(newsroom.feed, 0.2) == newsroom.feed
    for _ in range(200):
        if len(watch.recent()) >= 2:
            break
        threading.Event().wait(0.05)
    recent = watch.recent()
    assert recent[-1].report.added and recent[0].not_modified  # newest first
    assert watch.unwatch(newsroom.feed) and watch.feeds() == []
    watch.watcher.stop()


def test_a_damaged_state_file_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "feeds.json"
    path.write_text("{not json")
    state = FeedStateFile(path)
    assert state.load() == {}
    from briefbot.ingest.feed_state import FeedState

    state.put("https://example.org/feed", FeedState(etag='"x"'))
    assert state.get("https://example.org/feed") == FeedState(etag='"x"')
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_write_cut_short_leaves_the_old_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefbot.ingest import feed_state
    from briefbot.ingest.feed_state import FeedState

    state = FeedStateFile(tmp_path / "feeds.json")
    state.put("https://example.org/feed", FeedState(etag='"1"'))
    before = state.path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(feed_state.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        state.put("https://example.org/feed", FeedState(etag='"2"'))
    assert state.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.json", "feeds.json.lock"]


def test_the_state_of_a_chroma_server_store_is_in_the_user_state_dir(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        chroma_url="http://127.0.0.1:8000", collection_prefix="desk", _env_file=None
    )
    path = state_path(settings)
    assert path.parent.name == "feeds" and path.name.startswith("chroma-")
    assert path.name.endswith("-desk.json")
    other = state_path(settings.model_copy(update={"chroma_url": "http://10.0.0.5:8000"}))
    assert other != path


def test_intervals_and_backoff() -> None:
    assert parse_interval("15m") == 900 and parse_interval("1h30m") == 5400
    assert parse_interval("90s") == 90 and parse_interval("1d") == 86400
    for bad in ("15", "fast", "1x", "5s"):
        with pytest.raises(ConfigError):
            parse_interval(bad)
    assert [backoff_delay(900, n, 21600) for n in range(6)] == [
        900,
        1800,
        3600,
        7200,
        14400,
        21600,
    ]
    assert backoff_delay(86400, 3, 21600) == 86400  # never sooner than the interval
    assert interval_label(5400) == "1 h 30 min" and interval_label(45) == "45 s"
