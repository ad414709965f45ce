"""Fetching news over HTTP within limits: scheme, address, redirects, size, time, type.

Every hop of a redirect chain is checked again after DNS resolution, so a public URL cannot
bounce briefbot onto loopback, a private network or a cloud metadata address.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import httpx

from briefbot.errors import FetchError, UnsafeURLError
from briefbot.settings import Settings

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "application/feed+json",
)
USER_AGENT = "briefbot/0.1 (+news reader for reporters)"


@dataclass(frozen=True)
class Page:
    url: str  # the URL after redirects
    content_type: str
    body: bytes
    charset: str | None

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES

    @property
    def is_feed(self) -> bool:
        return self.content_type in FEED_TYPES

    def text(self) -> str:
        return self.body.decode(self.charset or "utf-8", errors="replace")


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return bool(
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(url: str, allow_private: bool) -> None:
    """Raise ``UnsafeURLError`` unless ``url`` is http(s) to an allowed address."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURLError(url, f"only http and https URLs are fetched, not {parsed.scheme!r}")
    host = parsed.hostname
    if not host:
        raise UnsafeURLError(url, "the URL has no host")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, parsed.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(url, f"cannot resolve host {host!r}: {exc.strerror}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if _forbidden(address):
            raise UnsafeURLError(
                url,
                f"{host} resolves to {address}, a private/loopback/link-local address; "
                "set BRIEFBOT_ALLOW_PRIVATE_HOSTS=true to fetch from an intranet",
            )


class Fetcher:
    """A small, strict HTTP client for articles and feeds."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.max_bytes = settings.max_file_bytes
        self.timeout = settings.fetch_timeout_s

    def fetch(self, url: str, accept: tuple[str, ...] = HTML_TYPES + FEED_TYPES) -> Page:
        deadline = time.monotonic() + self.timeout
        current = url
        with httpx.Client(
            follow_redirects=False,
            timeout=httpx.Timeout(self.timeout),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        ) as client:
            for _ in range(self.settings.fetch_max_redirects + 1):
                check_url(current, self.settings.allow_private_hosts)
                try:
                    page = self._get(client, current, accept, deadline)
                except httpx.TimeoutException as exc:
                    raise FetchError(url, f"timed out after {self.timeout:.0f} s") from exc
                except httpx.HTTPError as exc:
                    raise FetchError(url, f"cannot fetch: {exc}") from exc
                if isinstance(page, str):
                    current = page
                    continue
                return page
        raise FetchError(url, f"more than {self.settings.fetch_max_redirects} redirects")

    def _get(
        self, client: httpx.Client, url: str, accept: tuple[str, ...], deadline: float
    ) -> Page | str:
        with client.stream("GET", url) as response:
            if response.is_redirect:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(url, f"redirect {response.status_code} without a Location")
                return urljoin(url, str(location))
            if response.status_code >= 400:
                raise FetchError(url, f"HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in accept:
                raise FetchError(
                    url,
                    f"unsupported content type {content_type or 'none'!r} "
                    "(expected HTML or a feed)",
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(url, f"larger than the {self.max_bytes:,}-byte limit")
            body = self._read_capped(response, url, deadline)
            charset: str | None = response.charset_encoding
            return Page(str(response.url), content_type, body, charset)

    def _read_capped(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        """Read and decompress at most ``max_bytes``, whatever the server claims."""
        encoding = response.headers.get("content-encoding", "").lower()
        decompressor = None
        if encoding in ("gzip", "x-gzip"):
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            decompressor = zlib.decompressobj()
        chunks: list[bytes] = []
        size = 0
        for raw in response.iter_raw():
            if time.monotonic() > deadline:
                raise FetchError(url, f"took longer than {self.timeout:.0f} s")
            data = raw
            if decompressor is not None:
                # Bound the output of each step so a gzip bomb cannot expand in memory.
                data = decompressor.decompress(raw, self.max_bytes + 1 - size)
                if decompressor.unconsumed_tail:
                    raise FetchError(url, f"larger than the {self.max_bytes:,}-byte limit")
            size += len(data)
            if size > self.max_bytes:
                raise FetchError(url, f"larger than the {self.max_bytes:,}-byte limit")
            chunks.append(data)
        return b"".join(chunks)
