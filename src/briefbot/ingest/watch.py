"""Keeping feeds current: poll, ingest what is new or changed, back off when a feed fails.

A poll is one conditional GET of the feed (``If-None-Match`` / ``If-Modified-Since`` from the
last answer). A 304 ends it there. Otherwise each entry is compared, by id (or link) and a
digest of what it shows, with what the feed carried last time (``feed_state``); only new and
changed entries are fetched and handed to the ingest, which stores new articles, replaces an
article whose text changed under the same address, and merges wire copy. So a poll costs what
it brings in, never a listing of the store.

A failing feed is polled again after twice its interval, then four times, and so on up to
``watch_backoff_max_s`` (or later, if the server's ``Retry-After`` asks for it). A feed that
has never answered, and fails for a reason a retry will not mend (not a feed, a refused or
unknown host), is dropped at once with its reason.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

from briefbot.errors import (
    BriefbotError,
    ConfigError,
    HTTPStatusError,
    NotAFeedError,
    SourceError,
    UnsafeURLError,
)
from briefbot.ingest.feed_state import FeedState, FeedStateFile, entry_digest, entry_key
from briefbot.ingest.fetch import FEED_TYPES, HTML_TYPES, Fetcher, parse_url
from briefbot.ingest.loaders import FeedDocument, load_feed_entry, parse_feed
from briefbot.models import Article, IngestReport, Skipped
from briefbot.settings import Settings, without_userinfo

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 10.0
"""No feed is polled more often than this: more hammers the outlet and brings nothing."""
ENTRY_ATTEMPTS = 3
"""Polls that try an entry that fails to load before it counts as seen (until it changes)."""
RECENT_POLLS = 50

IngestArticles = Callable[[list[Article]], IngestReport]
Clock = Callable[[], float]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


def parse_interval(text: str) -> float:
    """``15m``, ``90s``, ``1h``, ``1h30m`` or ``1d`` in seconds; at least ``MIN_INTERVAL_S``."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ConfigError(f"interval {text!r} is not a duration like 15m, 90s, 1h or 1h30m")
    seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if seconds < MIN_INTERVAL_S:
        raise ConfigError(
            f"interval {text!r} is too short: poll a feed at most every {MIN_INTERVAL_S:g} s"
        )
    return seconds


def interval_label(seconds: float) -> str:
    """``15 min``, ``2 h``, ``1 h 30 min``, ``45 s``: a wait as a reader says it."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, second = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {second} s" if second else "")
    hours, minute = divmod(minutes, 60)
    return f"{hours} h" + (f" {minute} min" if minute else "")


def backoff_delay(every: float, failures: int, cap: float) -> float:
    """The wait after ``failures`` failed polls in a row: the interval while all is well, then
    twice it, four times it, ... never more than ``cap`` (nor less than the interval)."""
    if failures <= 0:
        return every
    return min(every * 2.0 ** min(failures, 32), max(cap, every))


def _retry_after_s(error: BriefbotError) -> float | None:
    if isinstance(error, HTTPStatusError) and error.retry_after:
        value = error.retry_after.strip()
        if value.isdigit():
            return float(value)
    return None


def advertised_feeds(html: bytes, base: str) -> list[str]:
    """The feeds a web page names in ``<link rel="alternate" type="application/rss+xml">``
    (or Atom), as absolute URLs."""
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    found = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            found.append(urljoin(base, href))
    return list(dict.fromkeys(found))


def is_lasting(error: BriefbotError) -> bool:
    """True for a failure a retry will not mend by itself: not a feed, a refused or unknown
    host, an address that is gone (4xx other than 408/429). Server errors and timeouts pass."""
    if isinstance(error, HTTPStatusError):
        return 400 <= error.status < 500 and error.status not in (408, 425, 429)
    if isinstance(error, SourceError):
        return "timed out" not in error.reason and "took longer" not in error.reason
    return False


@dataclass
class PollResult:
    """One poll of one feed: what it found and what the watcher does next."""

    feed: str
    started: datetime
    elapsed_s: float = 0.0
    outlet: str = ""
    not_modified: bool = False
    entries: int = 0
    new: int = 0
    changed: int = 0
    report: IngestReport = field(default_factory=IngestReport)
    error: BriefbotError | None = None
    failures: int = 0
    next_poll_s: float | None = None
    dropped: bool = False

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        return "not modified" if self.not_modified else "read"

    def line(self) -> str:
        """The one log line of this poll: when, which feed, what came of it, how long."""
        when = self.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        head = f"{when}  {without_userinfo(self.feed)}"
        took = f"({self.elapsed_s:.1f} s)"
        if self.error is not None:
            reason = self.error.reason if isinstance(self.error, SourceError) else str(self.error)
            if self.dropped:
                then = "not watched: check the feed's address"
            else:
                then = (
                    f"backing off: next try in {interval_label(self.next_poll_s or 0)} "
                    f"({self.failures} failed poll{'s' if self.failures != 1 else ''} in a row)"
                )
            return f"{head}  error: {reason}; {then} {took}"
        if self.not_modified:
            return f"{head}  304 not modified {took}"
        report = self.report
        outcomes = [
            (len(report.added), "added"),
            (len(report.replaced), "replaced"),
            (len(report.duplicates), "merged as wire copy"),
            (len(report.unchanged), "unchanged"),
            (len(report.skipped), "skipped"),
        ]
        done = ", ".join(f"{n} {what}" for n, what in outcomes if n)
        return f"{head}  {self.new} new, {self.changed} changed" + (
            f" → {done} {took}" if done else f" {took}"
        )


@dataclass
class WatchedFeed:
    """A feed on the watch list as it stands: its interval, failures and last poll."""

    feed: str
    every_s: float
    failures: int = 0
    due: float = 0.0
    answered: bool = False
    last: PollResult | None = None


class FeedWatcher:
    """Polls its feeds when they are due and ingests what they bring (see the module doc).

    Thread-safe: feeds may be added and removed while ``run`` goes on in another thread.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        ingest: IngestArticles,
        state: FeedStateFile,
        settings: Settings,
        clock: Clock = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.fetcher = fetcher
        self.ingest = ingest
        self.state = state
        self.settings = settings
        self._clock = clock
        self._now = now
        self._feeds: dict[str, WatchedFeed] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()

    # --- the watch list ----------------------------------------------------------------

    def add(self, feed: str, every_s: float | None = None) -> str:
        """Watch ``feed`` (polled at once, then every ``every_s``); returns it as watched.

        Raises ``UnsafeURLError`` for anything but an http(s) URL with a host.
        """
        try:
            url = str(parse_url(feed.strip()))
        except UnsafeURLError as exc:
            raise UnsafeURLError(
                feed, f"not a feed address ({exc.reason}); give the feed's http(s) URL"
            ) from exc
        every = every_s if every_s is not None else self.settings.watch_every_s
        if every <= 0:
            raise ConfigError(f"{url}: the poll interval must be positive, not {every:g} s")
        answered = self.state.get(url) is not None
        with self._lock:
            known = self._feeds.get(url)
            if known is not None:
                known.every_s = every
            else:
                self._feeds[url] = WatchedFeed(url, every, due=self._clock(), answered=answered)
        self._wake.set()
        return url

    def remove(self, feed: str) -> bool:
        with self._lock:
            removed = self._feeds.pop(feed, None) is not None
        self._wake.set()
        return removed

    def feeds(self) -> list[WatchedFeed]:
        """A copy of the watch list, in the order feeds were added."""
        with self._lock:
            return [
                WatchedFeed(f.feed, f.every_s, f.failures, f.due, f.answered, f.last)
                for f in self._feeds.values()
            ]

    def seconds_until(self, watched: WatchedFeed) -> float:
        return max(0.0, watched.due - self._clock())

    # --- polling -----------------------------------------------------------------------

    def poll(self, feed: str) -> PollResult:
        """Poll ``feed`` now (it must be on the watch list) and schedule its next poll."""
        started, begun = self._now(), self._clock()
        try:
            result = self._read(feed, started)
        except BriefbotError as exc:
            result = PollResult(feed, started, error=exc)
        result.elapsed_s = self._clock() - begun
        with self._lock:
            watched = self._feeds.get(feed)
            if watched is None:  # removed while it was being polled
                return result
            if result.error is None:
                watched.failures, watched.answered = 0, True
                delay = watched.every_s
            else:
                watched.failures += 1
                delay = backoff_delay(
                    watched.every_s, watched.failures, self.settings.watch_backoff_max_s
                )
                wanted = _retry_after_s(result.error)
                if wanted is not None:
                    delay = max(delay, min(wanted, self.settings.watch_backoff_max_s))
                if not watched.answered and is_lasting(result.error):
                    result.dropped = True
                    del self._feeds[feed]
            result.failures = watched.failures
            result.next_poll_s = None if result.dropped else delay
            watched.due = self._clock() + delay
            watched.last = result
        log.info("%s", result.line())
        return result

    def poll_due(self) -> list[PollResult]:
        """Poll every feed that is due now, in the order they were added."""
        with self._lock:
            now = self._clock()
            due = [f.feed for f in self._feeds.values() if f.due <= now]
        results = []
        for feed in due:
            if self._stopped.is_set():
                break
            results.append(self.poll(feed))
        return results

    def run(
        self, on_poll: Callable[[PollResult], None] | None = None, *, until_empty: bool = True
    ) -> None:
        """Poll feeds as they fall due until ``stop()`` (or, with ``until_empty``, until no
        feed is left on the list)."""
        while not self._stopped.is_set():
            for result in self.poll_due():
                if on_poll is not None:
                    on_poll(result)
            with self._lock:
                if not self._feeds and until_empty:
                    return
                dues = [f.due for f in self._feeds.values()]
            wait = max(0.0, min(dues) - self._clock()) if dues else None
            if wait is None or wait > 0:
                self._wake.wait(wait)
                self._wake.clear()

    def stop(self) -> None:
        """End ``run`` after the poll under way (if any)."""
        self._stopped.set()
        self._wake.set()

    # --- one poll ----------------------------------------------------------------------

    def _read(self, feed: str, started: datetime) -> PollResult:
        before = self.state.get(feed) or FeedState()
        page = self.fetcher.fetch(
            feed, accept=HTML_TYPES + FEED_TYPES, headers=before.conditional_headers()
        )
        result = PollResult(feed, started)
        if page.not_modified:
            result.not_modified = True
            return result
        if page.is_html:
            advertised = advertised_feeds(page.body, page.url)
            where = (
                f"the page names its feed: watch {advertised[0]}"
                if advertised
                else "watch the site's feed address (often linked as RSS), or add the page "
                "once as an article"
            )
            raise NotAFeedError(
                feed, f"this address is a web page, not an RSS or Atom feed; {where}"
            )
        try:
            document = parse_feed(page.body, feed, self.settings.feed_max_entries)
        except NotAFeedError:
            raise
        except SourceError:  # a feed with no entries today: nothing to bring in
            document = FeedDocument("", None, [])
        result.outlet = document.outlet
        result.entries = len(document.entries)
        after = FeedState(
            etag=page.etag, last_modified=page.last_modified, polled=started.isoformat()
        )
        articles, loaded = self._load_wanted(document, before, after, result, feed)
        if articles:
            result.report.merge(self.ingest(articles))
        for key, digest in loaded:
            after.entries[key] = digest
        if after.attempts:  # entries to retry: the next poll must get the feed, not a 304
            after.etag = after.last_modified = None
        self.state.put(feed, after)
        return result

    def _load_wanted(
        self,
        document: FeedDocument,
        before: FeedState,
        after: FeedState,
        result: PollResult,
        feed: str,
    ) -> tuple[list[Article], list[tuple[str, str]]]:
        """Fetch the entries that are new or changed since ``before``; ``after`` records the
        rest as seen. Returns the articles and the (key, digest) of each, to record once the
        ingest has stored them."""
        articles: list[Article] = []
        loaded: list[tuple[str, str]] = []
        taken: set[str] = set()
        for index, entry in enumerate(document.entries, start=1):
            digest = entry_digest(entry)
            key = entry_key(entry) or digest
            if key in taken:
                continue  # the same entry twice in one feed
            taken.add(key)
            if before.entries.get(key) == digest:
                after.entries[key] = digest
                continue
            if key in before.entries:
                result.changed += 1
            else:
                result.new += 1
            loaded_entry = load_feed_entry(document, entry, index, feed, self.fetcher)
            if isinstance(loaded_entry, Skipped):
                result.report.skipped.append(loaded_entry)
                tries = before.attempts.get(key, 0) + 1
                if tries >= ENTRY_ATTEMPTS:
                    after.entries[key] = digest
                else:
                    after.attempts[key] = tries
                continue
            articles.append(loaded_entry)
            loaded.append((key, digest))
        return articles, loaded


class BackgroundWatch:
    """A ``FeedWatcher`` running in a daemon thread while a process (the app) lives, keeping
    its recent poll lines for display."""

    def __init__(self, watcher: FeedWatcher) -> None:
        self.watcher = watcher
        self._recent: deque[PollResult] = deque(maxlen=RECENT_POLLS)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.failure: str | None = None

    def watch(self, feed: str, every_s: float | None = None) -> str:
        url = self.watcher.add(feed, every_s)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self.failure = None
                self._thread = threading.Thread(
                    target=self._run, name="briefbot-watch", daemon=True
                )
                self._thread.start()
        return url

    def unwatch(self, feed: str) -> bool:
        return self.watcher.remove(feed)

    def feeds(self) -> list[WatchedFeed]:
        return self.watcher.feeds()

    def recent(self) -> Sequence[PollResult]:
        """The latest polls, newest first."""
        with self._lock:
            return list(reversed(self._recent))

    def _record(self, result: PollResult) -> None:
        with self._lock:
            self._recent.append(result)

    def _run(self) -> None:
        try:
            self.watcher.run(self._record, until_empty=False)
        except Exception as exc:  # shown on the page: a watch that stops must say so
            log.exception("the feed watcher stopped")
            self.failure = f"watching stopped after an unexpected error: {exc}"
