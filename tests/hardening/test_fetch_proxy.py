"""Fetching through a configured HTTP proxy: a real proxy.py process on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from briefbot import Briefbot, Settings
from briefbot.errors import FetchError, UnsafeURLError
from briefbot.ingest.fetch import Fetcher
from tests.fakes import FakeEmbedder
from tests.hardening.servers import LocalServer, html, serve
from tests.local_servers import free_port, running_http_proxy


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with running_http_proxy(tmp_path_factory.mktemp("proxy")) as running:
        yield running


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serve({"/article": html()}) as server:
        yield server


def settings_with(tmp_path: Path, proxy: str | None, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        store_path=tmp_path / "store", fetch_proxy=proxy, _env_file=None, **extra
    )


def access_lines(log: Path, path: str) -> list[str]:
    """The proxy's access-log lines for ``path`` (written just after the response)."""
    for _ in range(50):
        lines = [line for line in log.read_text().splitlines() if f"{path} - " in line]
        if lines:
            return lines
        time.sleep(0.05)
    return []


def test_fetch_goes_through_the_proxy(
    proxy: tuple[str, Path], server: LocalServer, tmp_path: Path
) -> None:
    url, log = proxy
    fetcher = Fetcher(settings_with(tmp_path, url, fetch_allowed_hosts=[server.host]))
    page = fetcher.fetch(f"{server.base}/article")
    assert b"Harbour bridge" in page.body
    assert server.requests[-1] == ("/article", server.host)
    assert any(f"GET {server.host}/article - 200" in line for line in access_lines(log, "/article"))


def test_ingest_through_the_proxy(
    proxy: tuple[str, Path], server: LocalServer, tmp_path: Path
) -> None:
    url, log = proxy
    server.routes["/proxied-story"] = html()
    settings = settings_with(tmp_path, url, fetch_allowed_hosts=[server.host])
    bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())
    report = bot.ingest([f"{server.base}/proxied-story"])
    assert len(report.added) == 1, report.skipped
    assert access_lines(log, "/proxied-story")


def test_the_address_check_still_runs_before_the_proxy(
    proxy: tuple[str, Path], server: LocalServer, tmp_path: Path
) -> None:
    """A private target is refused here; the proxy is never asked to connect to it."""
    url, log = proxy
    server.routes["/never-proxied"] = html()
    fetcher = Fetcher(settings_with(tmp_path, url))
    with pytest.raises(UnsafeURLError, match="a loopback address"):
        fetcher.fetch(f"{server.base}/never-proxied")
    with pytest.raises(UnsafeURLError, match="link-local"):
        fetcher.fetch("http://169.254.169.254/latest/meta-data/")
    assert not access_lines(log, "/never-proxied")
    assert server.requests == []


def test_a_dead_proxy_is_a_clear_error_without_its_credentials(
    server: LocalServer, tmp_path: Path
) -> None:
    dead = f"http://reporter:hunter2@127.0.0.1:{free_port()}"
    fetcher = Fetcher(
        settings_with(tmp_path, dead, fetch_allowed_hosts=[server.host], fetch_timeout_s=3.0)
    )
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(f"{server.base}/article")
    message = str(caught.value)
    assert f"{server.base}/article" in message
    assert f"through the proxy http://127.0.0.1:{dead.rsplit(':', 1)[1]}" in message
    assert "hunter2" not in message and "reporter" not in message
    assert server.requests == []


@pytest.mark.parametrize("bad", ["ftp://proxy.example:21", "socks5://127.0.0.1:1080", "http://"])
def test_a_bad_proxy_setting_names_the_field(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="fetch_proxy"):
        settings_with(tmp_path, bad)


def test_the_proxy_secret_is_not_printed(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, "http://reporter:hunter2@proxy.example:3128")
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
    assert Fetcher(settings).proxy_label == "http://proxy.example:3128"
    assert settings_with(tmp_path, "  ").fetch_proxy is None
