"""Unsafe URLs: schemes, forbidden addresses on every hop, size/time/type limits, gzip bombs."""

from __future__ import annotations

import ipaddress
import socket
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefbot import Briefbot, Settings
from briefbot.errors import FetchError, UnsafeURLError
from briefbot.ingest.fetch import (
    Fetcher,
    check_url,
    forbidden_reason,
    host_is_allowlisted,
    parse_url,
)
from tests.fakes import FakeEmbedder
from tests.hardening.servers import (
    PNG,
    LocalServer,
    endless,
    gzip_bomb,
    html,
    redirect,
    serve,
)

LIMIT = 200_000


def make_settings(tmp_path: Path, allowed: list[str], **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        store_path=tmp_path / "store",
        fetch_allowed_hosts=allowed,
        max_file_bytes=LIMIT,
        _env_file=None,
        **extra,
    )


@pytest.fixture
def other() -> Iterator[LocalServer]:
    """A second local server that is *not* allowlisted."""
    with serve({"/article": html()}) as server:
        yield server


@pytest.fixture
def server(other: LocalServer) -> Iterator[LocalServer]:
    with serve() as server:
        server.routes.update(
            {
                "/article": html(),
                "/to-article": redirect("/article"),
                "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
                "/to-other": redirect(f"{other.base}/article"),
                "/to-file": redirect("file:///etc/passwd"),
                "/to-gopher": redirect("gopher://127.0.0.1:70/"),
                "/loop": redirect("/loop"),
                "/endless": endless(),
                "/trickle": endless(delay=0.05),
                "/bomb": gzip_bomb(60_000_000),
                "/html-but-png": html(PNG),
                "/html-but-nul": html(b"<html>" + b"\x00\x01\x02" * 500),
                "/png": html(PNG, content_type="image/png"),
                "/octet": html(b"abc", content_type="application/octet-stream"),
                "/bad-gzip": lambda h: _raw(h, b"not gzip at all", "gzip"),
                "/brotli": lambda h: _raw(h, b"whatever", "br"),
            }
        )
        yield server


def _raw(handler: Any, body: bytes, encoding: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Encoding", encoding)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def fetcher(tmp_path: Path, server: LocalServer) -> Fetcher:
    return Fetcher(make_settings(tmp_path, [server.host], fetch_timeout_s=2.0))


# --- schemes and addresses -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/news.html",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "data:text/html,<p>hi</p>",
        "//example.com/no-scheme",
    ],
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="only http and https"):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "a loopback address"),
        ("http://localhost:8080/", "a loopback address"),
        ("http://[::1]/", "a loopback address"),
        ("http://10.1.2.3/", "a private or reserved address"),
        ("http://192.168.0.1/", "a private or reserved address"),
        ("http://100.64.0.1/", "a private or reserved address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local"),
        ("http://[::ffff:127.0.0.1]/", "a loopback address"),
        ("http://[::ffff:169.254.169.254]/", "a link-local"),
        ("http://0.0.0.0/", "a multicast or unspecified address"),
        ("http://2130706433/", "a loopback address"),
    ],
)
def test_forbidden_addresses_are_refused(url: str, why: str) -> None:
    with pytest.raises(UnsafeURLError, match=f"resolves to [^,]+, {why}"):
        check_url(url)


def test_allow_private_hosts_still_refuses_metadata_addresses() -> None:
    assert check_url("http://10.1.2.3/", allow_private=True).address.exploded == "10.1.2.3"
    with pytest.raises(UnsafeURLError, match=r"169\.254\.169\.254, a link-local"):
        check_url("http://169.254.169.254/", allow_private=True)


def test_allowlist_matches_host_and_port_exactly() -> None:
    url = parse_url("http://127.0.0.1:8080/x")
    assert host_is_allowlisted(url, ["127.0.0.1:8080"])
    assert host_is_allowlisted(url, ["127.0.0.1"])
    assert not host_is_allowlisted(url, ["127.0.0.1:8081"])
    assert not host_is_allowlisted(url, ["127.0.0.2"])
    assert check_url("http://127.0.0.1:8080/", allowed_hosts=["127.0.0.1:8080"])
    with pytest.raises(UnsafeURLError):
        check_url("http://127.0.0.1:8081/", allowed_hosts=["127.0.0.1:8080"])


def test_out_of_range_port_is_refused() -> None:
    with pytest.raises(UnsafeURLError, match="port"):
        check_url("http://example.com:99999/")


# --- against local servers ---------------------------------------------------------------


def test_allowlisted_local_server_is_fetched(fetcher: Fetcher, server: LocalServer) -> None:
    page = fetcher.fetch(f"{server.base}/to-article")
    assert page.url == f"{server.base}/article"
    assert b"Harbour bridge" in page.body


def test_unlisted_local_server_is_refused_by_default(tmp_path: Path, server: LocalServer) -> None:
    with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.1, a loopback address"):
        Fetcher(make_settings(tmp_path, [])).fetch(f"{server.base}/article")
    assert server.requests == []


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/to-metadata", "redirected to http://169.254.169.254/.*, a link-local"),
        ("/to-other", "redirected to http://127.0.0.1:.*, a loopback address"),
        ("/to-file", "redirected to file:.*/etc/passwd: only http and https"),
        ("/to-gopher", "only http and https"),
    ],
)
def test_redirect_to_forbidden_target_is_refused(
    fetcher: Fetcher, server: LocalServer, other: LocalServer, path: str, why: str
) -> None:
    with pytest.raises(UnsafeURLError, match=why) as caught:
        fetcher.fetch(f"{server.base}{path}")
    assert caught.value.location == f"{server.base}{path}"
    assert other.requests == []  # the forbidden server never saw a request


def test_redirect_loop_is_cut(fetcher: Fetcher, server: LocalServer) -> None:
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetcher.fetch(f"{server.base}/loop")
    assert len(server.requests) == 6


def test_endless_stream_hits_the_size_cap(fetcher: Fetcher, server: LocalServer) -> None:
    with pytest.raises(FetchError, match="200,000-byte limit"):
        fetcher.fetch(f"{server.base}/endless")


def test_trickling_stream_hits_the_time_cap(tmp_path: Path, server: LocalServer) -> None:
    slow = Fetcher(make_settings(tmp_path, [server.host], fetch_timeout_s=0.5))
    with pytest.raises(FetchError, match=r"took longer than 0\.5 s|timed out"):
        slow.fetch(f"{server.base}/trickle")


def test_gzip_bomb_is_capped_without_inflating_in_memory(
    fetcher: Fetcher, server: LocalServer
) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="200,000-byte limit"):
            fetcher.fetch(f"{server.base}/bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # the bomb inflates to 60 MB


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/html-but-png", "binary data"),
        ("/html-but-nul", "binary data"),
        ("/png", "unsupported content type 'image/png'"),
        ("/octet", "unsupported content type 'application/octet-stream'"),
        ("/bad-gzip", "corrupt gzip"),
        ("/brotli", "unsupported content encoding 'br'"),
    ],
)
def test_lying_or_unsupported_content_is_refused(
    fetcher: Fetcher, server: LocalServer, path: str, why: str
) -> None:
    with pytest.raises(FetchError, match=why):
        fetcher.fetch(f"{server.base}{path}")


def test_connection_goes_to_the_checked_address(
    tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is resolved once; a second answer is never asked for."""
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "news.example":
            return real(next(answers, "169.254.169.254"), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    fetcher = Fetcher(make_settings(tmp_path, [f"news.example:{server.port}"]))
    page = fetcher.fetch(f"http://news.example:{server.port}/article")
    assert page.url == f"http://news.example:{server.port}/article"
    assert server.requests == [("/article", f"news.example:{server.port}")]


# --- through the loaders and the facade ----------------------------------------------------


def _bot(tmp_path: Path, server: LocalServer) -> Briefbot:
    settings = make_settings(tmp_path, [server.host], fetch_timeout_s=2.0)
    return Briefbot.open(settings=settings, embedder=FakeEmbedder())


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/to-metadata", ", a link-local"),
        ("/to-other", ", a loopback address"),
        ("/to-file", "only http and https"),
        ("/endless", "byte limit"),
        ("/bomb", "byte limit"),
        ("/html-but-png", "binary data"),
        ("/png", "content type"),
    ],
)
def test_ingest_of_unsafe_url_is_skipped_and_store_untouched(
    tmp_path: Path, server: LocalServer, path: str, why: str
) -> None:
    bot = _bot(tmp_path, server)
    report = bot.ingest([f"{server.base}{path}"])
    assert report.added == []
    assert len(report.skipped) == 1
    assert report.skipped[0].location == f"{server.base}{path}"
    assert why in report.skipped[0].reason
    assert bot.store.count_articles() == 0
    assert bot.store.count_chunks() == 0


@pytest.mark.parametrize("scheme_url", ["file:///etc/passwd", "ftp://example.com/a.html"])
def test_ingest_of_non_http_url_is_skipped(
    tmp_path: Path, server: LocalServer, scheme_url: str
) -> None:
    bot = _bot(tmp_path, server)
    report = bot.ingest([scheme_url])
    assert [s.reason for s in report.skipped] == [
        f"only http and https URLs are fetched, not {scheme_url.split(':')[0]!r}"
    ]
    assert bot.store.count_articles() == 0


def test_ingest_of_allowlisted_article_works(tmp_path: Path, server: LocalServer) -> None:
    bot = _bot(tmp_path, server)
    report = bot.ingest([f"{server.base}/to-article"])
    assert len(report.added) == 1, report.skipped
    assert bot.article(report.added[0]).url == f"{server.base}/article"


def test_feed_entries_pointing_at_forbidden_addresses_are_skipped(
    tmp_path: Path, server: LocalServer
) -> None:
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Local news</title>
    <item><title>Metadata</title><link>http://169.254.169.254/latest/meta-data/</link></item>
    <item><title>Passwd</title><link>file:///etc/passwd</link></item>
    <item><title>Bridge</title><link>{server.base}/article</link></item>
    </channel></rss>""".encode()
    server.routes["/feed.xml"] = html(feed, content_type="application/rss+xml")
    bot = _bot(tmp_path, server)
    report = bot.ingest([f"{server.base}/feed.xml"])
    assert len(report.added) == 1
    reasons = sorted(s.reason for s in report.skipped)
    assert len(reasons) == 2
    assert any(", a link-local" in r for r in reasons)
    assert any("only http and https" in r for r in reasons)
    assert [p for p, _ in server.requests] == ["/feed.xml", "/article"]


def test_proxy_settings_and_netrc_are_ignored(
    fetcher: Fetcher, server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would resolve names itself (undoing the address check) and .netrc leaks logins."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login reporter password hunter2\n")
    monkeypatch.setenv("NETRC", str(netrc))
    assert b"Harbour bridge" in fetcher.fetch(f"{server.base}/article").body
    assert "authorization" not in server.headers[-1]


def test_allowlisted_name_connects_over_ipv4_first(server: LocalServer, tmp_path: Path) -> None:
    """``localhost`` resolves to ::1 and 127.0.0.1; the server listens on IPv4 only."""
    fetcher = Fetcher(make_settings(tmp_path, [f"localhost:{server.port}"]))
    page = fetcher.fetch(f"http://localhost:{server.port}/article")
    assert page.url == f"http://localhost:{server.port}/article"
    assert server.requests[-1] == ("/article", f"localhost:{server.port}")


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
        "64:ff9b::7f00:1",  # NAT64 of loopback
        "::127.0.0.1",  # IPv4-compatible loopback
        "::ffff:0:7f00:1",  # IPv4-translated loopback
        "::ffff:0:a00:1",  # IPv4-translated 10.0.0.1
        "fec0::1",  # site-local
        "fd00:ec2::254",  # the cloud metadata service over IPv6
    ],
)
def test_reserved_ipv6_forms_are_refused(address: str) -> None:
    """The check itself, never a connection: every wrapped or reserved form is refused."""
    assert forbidden_reason(ipaddress.ip_address(address), allow_private=False) is not None


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "64:ff9b::a9fe:a9fe", "100.100.100.200"]
)
def test_metadata_addresses_stay_refused_when_private_hosts_are_allowed(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address), allow_private=True) is not None


def test_public_addresses_in_any_form_are_allowed() -> None:
    for address in ("8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"):
        assert forbidden_reason(ipaddress.ip_address(address), allow_private=False) is None
