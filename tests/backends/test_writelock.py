"""The store's write lock: re-entrant in a thread, one lock file per store."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefbot.backends.writelock import StoreWriteLock, lock_path
from briefbot.errors import StoreBusyError
from briefbot.settings import Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_an_on_disk_store_is_locked_in_its_own_directory(tmp_path: Path) -> None:
    assert lock_path(_settings(store_path=tmp_path / "s")) == tmp_path / "s" / "write.lock"


def test_a_server_store_is_locked_per_server_whatever_the_credentials() -> None:
    plain = lock_path(_settings(chroma_url="http://chroma.local:8000"))
    assert lock_path(_settings(chroma_url="http://user:pw@CHROMA.local:8000/")) == plain
    assert lock_path(_settings(chroma_url="http://chroma.local")) == plain  # default port
    assert lock_path(_settings(chroma_url="http://chroma.local:8001")) != plain
    assert "pw" not in str(plain) and plain.name.startswith("chroma-")


def test_nested_holds_take_the_file_once_and_a_second_holder_times_out(tmp_path: Path) -> None:
    settings = _settings(store_path=tmp_path, store_lock_timeout_s=0.2)
    mine, other = StoreWriteLock(settings), StoreWriteLock(settings)
    waited: list[str] = []
    with mine, mine.holding():
        busy = pytest.raises(StoreBusyError, match="BRIEFBOT_STORE_LOCK_TIMEOUT_S")
        with busy as raised, other.holding(waited.append):
            pass
        assert str(tmp_path) in str(raised.value)
        assert len(waited) == 1 and "waiting" in waited[0]
    with other:  # released by the outermost hold
        pass
