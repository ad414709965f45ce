"""What ``briefbot watch`` remembers of each feed between polls and between runs.

One small JSON file per store: each feed's validators (ETag, Last-Modified) for a conditional
GET and a digest of every entry it last carried, so a poll fetches and ingests only entries
that are new or changed. The file sits beside the store (``feeds.json`` in the store
directory) or, for a Chroma server, in the user state directory. Every write replaces the
file atomically under a file lock, re-reading it first, so a CLI watcher and the app watching
other feeds of the same store never lose each other's updates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock
from platformdirs import user_state_dir
from pydantic import BaseModel, Field, ValidationError

from briefbot.backends.writelock import lock_path
from briefbot.settings import Settings

log = logging.getLogger(__name__)

STATE_FILE = "feeds.json"
STATE_VERSION = 1


class FeedState(BaseModel):
    """One feed as the last successful poll left it."""

    etag: str | None = None
    last_modified: str | None = None
    entries: dict[str, str] = Field(
        default_factory=dict, description="Entry id (or link) -> digest of the entry as seen."
    )
    attempts: dict[str, int] = Field(
        default_factory=dict,
        description="Entry id -> failed loads so far, for entries retried on the next poll.",
    )
    polled: str | None = Field(default=None, description="UTC time of the last poll that read it.")

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def state_path(settings: Settings) -> Path:
    """Where the feed state of ``settings``' store lives."""
    if settings.chroma_url:
        server = lock_path(settings).stem  # "chroma-<digest of the server URL>"
        folder = Path(user_state_dir("briefbot", appauthor=False)) / "feeds"
        return folder / f"{server}-{settings.collection_prefix}.json"
    return settings.store_path / STATE_FILE


def entry_digest(entry: Any) -> str:
    """A digest of what a reader would see change in a feed entry: its title, link, summary,
    content and update time."""
    content = [str(part.get("value", "")) for part in entry.get("content", []) or []]
    fields = [
        str(entry.get("title", "")),
        str(entry.get("link", "")),
        str(entry.get("summary", "")),
        content,
        # dict.get: feedparser's own get maps "updated" to "published" with a warning
        str(dict.get(entry, "updated", "") or dict.get(entry, "published", "")),
    ]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:32]


def entry_key(entry: Any) -> str | None:
    """An entry's identity across polls: its id (guid), else its link, else its title."""
    for field in ("id", "link", "title"):
        value = entry.get(field)
        if value:
            return str(value)
    return None


class FeedStateFile:
    """The state file: read whole (it is small), updated one feed at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path) + ".lock")

    def load(self) -> dict[str, FeedState]:
        """Every feed's state; a missing file is no state, a damaged one is logged and
        treated as none (the next poll of each feed then reads it in full)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            feeds = raw.get("feeds", {}) if isinstance(raw, dict) else {}
            return {str(url): FeedState.model_validate(state) for url, state in feeds.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError, ValidationError) as exc:
            log.warning("feed state %s is unreadable (%s); starting afresh", self.path, exc)
            return {}

    def get(self, feed: str) -> FeedState | None:
        return self.load().get(feed)

    def put(self, feed: str, state: FeedState) -> None:
        """Record ``feed``'s state, keeping every other feed's as it is on disk now."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            feeds = self.load()
            feeds[feed] = state
            data = {
                "version": STATE_VERSION,
                "feeds": {url: s.model_dump(mode="json") for url, s in sorted(feeds.items())},
            }
            self._write(json.dumps(data, ensure_ascii=False, indent=1))

    def _write(self, text: str) -> None:
        handle, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
