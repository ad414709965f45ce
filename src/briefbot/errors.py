"""The briefbot error hierarchy.

Library code raises these; only the edges (CLI, UI) turn them into messages. Every message
names the file, line, field or setting involved and, where there is one, the fix.
"""

from __future__ import annotations


class BriefbotError(Exception):
    """Base of every error briefbot raises on purpose."""


class ConfigError(BriefbotError):
    """A setting is missing or invalid."""


class SourceError(BriefbotError):
    """One input (file, line, URL, feed entry) could not become an article.

    ``location`` is what a user needs to find the input: a path, ``path:line`` or a URL.
    """

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"{location}: {reason}")


class FetchError(SourceError):
    """A URL could not be fetched within the limits (network, size, type, time)."""


class HTTPStatusError(FetchError):
    """The server answered with an HTTP error status (``status``; ``retry_after`` as sent)."""

    def __init__(
        self, location: str, reason: str, status: int, retry_after: str | None = None
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(location, reason)


class NotAFeedError(SourceError):
    """A URL given to watch answers with something other than an RSS or Atom feed."""


class UnsafeURLError(FetchError):
    """A URL points somewhere briefbot refuses to go (scheme, private address...)."""


class StoreError(BriefbotError):
    """The store cannot be opened, read or written."""


class DamagedStoreError(StoreError):
    """A file of the store is damaged (cut short, emptied, missing): ``briefbot doctor`` names
    it and ``briefbot doctor --repair`` rebuilds it from what the store still holds."""


class StoreBusyError(StoreError):
    """Another process kept the store's write lock for longer than the lock timeout."""


class EmbedderMismatchError(StoreError):
    """The store was built by another embedder than the one configured (``recorded``)."""

    def __init__(self, message: str, recorded: str = "") -> None:
        super().__init__(message)
        self.recorded = recorded


class NotFoundError(BriefbotError):
    """An article (or other named object) does not exist in the store."""


class LLMError(BriefbotError):
    """The language model could not produce an answer (network, status, bad output)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class PromptError(BriefbotError):
    """A prompt file is missing or its placeholders do not match what code fills in."""


class EmptyScopeError(BriefbotError):
    """A brief or comparison was asked for over nothing (no articles, nothing found).

    ``details`` holds the figures behind it (similarities, floors) for whoever wants them;
    the message itself is for a reporter.
    """

    def __init__(self, message: str, details: str | None = None) -> None:
        self.details = details
        super().__init__(message)
