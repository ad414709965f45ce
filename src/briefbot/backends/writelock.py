"""One writer per store, across threads and processes.

Ingest checks for duplicates and then writes; two processes doing that at once would both
find nothing and store the same wire copy twice. Every write therefore runs under this lock:
a thread lock inside the process, and an OS file lock (``flock``, via ``filelock``) shared by
every process on the machine. The kernel drops a file lock when its process dies, so a killed
ingest never leaves the store locked. Readers never take it.

Where the lock file lives:

- an on-disk store: ``write.lock`` inside the store directory, beside Chroma's files and the
  BM25 cache;
- a Chroma server: ``locks/chroma-<hash of the URL>.lock`` in the user's state directory. That
  serialises the processes of one user on one machine; writers on other machines or under
  other accounts are not covered (Chroma itself has no lock to share).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from urllib.parse import urlparse

import filelock
from platformdirs import user_state_dir

from briefbot.errors import StoreBusyError
from briefbot.settings import Settings

log = logging.getLogger(__name__)

Notify = Callable[[str], None]


def lock_path(settings: Settings) -> Path:
    """The lock file every writer of ``settings``' store shares."""
    if settings.chroma_url:
        parsed = urlparse(settings.chroma_url)
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        server = f"{parsed.scheme}://{(parsed.hostname or '').lower()}:{port}{parsed.path}"
        digest = hashlib.sha256(server.rstrip("/").encode()).hexdigest()[:16]
        return Path(user_state_dir("briefbot", appauthor=False)) / "locks" / f"chroma-{digest}.lock"
    return settings.store_path / "write.lock"


class StoreWriteLock:
    """Re-entrant within a thread; the file lock is taken by the outermost ``with`` only.

    A writer that finds the store locked says so (a log warning and ``on_wait``) and waits up
    to ``store_lock_timeout_s``, then raises ``StoreBusyError`` naming the store.
    """

    def __init__(self, settings: Settings) -> None:
        self.path = lock_path(settings)
        self.location = settings.store_location
        self.timeout_s = settings.store_lock_timeout_s
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._file_lock: filelock.BaseFileLock | None = None

    def __enter__(self) -> StoreWriteLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    @contextmanager
    def holding(self, on_wait: Notify | None = None) -> Iterator[None]:
        """Hold the lock; ``on_wait(message)`` is called once if another writer has it."""
        self.acquire(on_wait)
        try:
            yield
        finally:
            self.release()

    def acquire(self, on_wait: Notify | None = None) -> None:
        self._thread_lock.acquire()
        try:
            if self._depth == 0:
                self._acquire_file(on_wait)
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._file_lock is not None:
                self._file_lock.release()
        finally:
            self._thread_lock.release()

    def _acquire_file(self, on_wait: Notify | None) -> None:
        if self._file_lock is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreBusyError(
                    f"cannot create the lock file {self.path} for the store at {self.location}: "
                    f"{exc.strerror}"
                ) from exc
            self._file_lock = filelock.FileLock(self.path, thread_local=False)
        if self._take(self._file_lock, 0):
            return
        message = (
            f"waiting for another briefbot process writing to the store at {self.location} "
            f"(lock file {self.path})"
        )
        log.warning("%s; giving up after %gs", message, self.timeout_s)
        if on_wait:
            on_wait(message)
        if not self._take(self._file_lock, self.timeout_s):
            raise StoreBusyError(
                f"another briefbot process (an ingest, delete or doctor --repair) is still "
                f"writing to the store at {self.location} after {self.timeout_s:g}s "
                f"(lock file {self.path}); try again when it has finished, or wait longer with "
                "BRIEFBOT_STORE_LOCK_TIMEOUT_S"
            )

    def _take(self, lock: filelock.BaseFileLock, timeout_s: float) -> bool:
        try:
            lock.acquire(timeout=timeout_s)
        except filelock.Timeout:
            return False
        except OSError as exc:
            raise StoreBusyError(
                f"cannot lock the store at {self.location} (lock file {self.path}): "
                f"{exc.strerror or exc}"
            ) from exc
        return True
