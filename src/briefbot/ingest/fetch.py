"""Fetching news over HTTP within limits: scheme, address, redirects, size, time, type.

Every hop of a redirect chain is resolved and checked again, and the connection goes to the
address that was checked (no second DNS lookup), so neither a redirect nor DNS rebinding can
bounce briefbot onto loopback, a private network or a cloud metadata address. Through a
configured proxy (``fetch_proxy``) every hop is still checked here, but the proxy resolves
the name itself: it is trusted to connect where the name points.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from briefbot.errors import FetchError, HTTPStatusError, UnsafeURLError
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
_BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"\x7fELF",
    b"RIFF",
    b"\x00\x00\x01\x00",
)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Page:
    url: str  # the URL after redirects
    content_type: str
    body: bytes
    charset: str | None
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """The server's 304 to a conditional GET: nothing changed since the validators given."""
        return self.status == 304

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES

    @property
    def is_feed(self) -> bool:
        return self.content_type in FEED_TYPES

    def text(self) -> str:
        return self.body.decode(self.charset or "utf-8", errors="replace")


@dataclass(frozen=True)
class Target:
    """A checked URL and the address the connection must go to."""

    url: httpx.URL
    address: IPAddress

    def pinned(self) -> httpx.URL:
        return self.url.copy_with(host=str(self.address), username=None, password=None)

    @property
    def host_header(self) -> str:
        host = self.url.raw_host.decode("ascii")
        if ":" in host:
            host = f"[{host}]"
        return host if self.url.port is None else f"{host}:{self.url.port}"


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
"""Cloud metadata services (AWS v4 and v6, Alibaba, Azure): never fetched, intranet or not."""


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries: mapped, 6to4, Teredo, NAT64, IPv4-compatible
    (``::a.b.c.d``) or IPv4-translated (``::ffff:0:a.b.c.d``)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if address.teredo:
            return address.teredo[1]
        low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if any(address in net for net in _NAT64) or address in _IPV4_TRANSLATED:
            return low32
        if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1
            return low32
    return None


def forbidden_reason(address: IPAddress, allow_private: bool) -> str | None:
    """Why ``address`` must not be fetched from, or None if it may.

    ``allow_private`` opens loopback and private ranges (an intranet) but never link-local
    (cloud metadata at 169.254.169.254), multicast or unspecified addresses.
    """
    inner = _embedded_ipv4(address)
    if inner is not None:
        return forbidden_reason(inner, allow_private)
    if address.is_link_local:
        return "a link-local (cloud metadata) address"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_multicast or address.is_unspecified:
        return "a multicast or unspecified address"
    if allow_private:
        return None
    if address.is_loopback:
        return "a loopback address"
    if not address.is_global or (
        isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    ):
        return "a private or reserved address"
    return None


def _port_of(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def host_is_allowlisted(url: httpx.URL, allowed_hosts: Sequence[str]) -> bool:
    """True if ``url``'s host (or host:port) is in the explicit allowlist."""
    host = url.host.rstrip(".").lower()
    port = _port_of(url)
    for entry in allowed_hosts:
        entry = entry.strip().lower()
        if entry.startswith("["):  # [v6]:port
            name, _, rest = entry[1:].partition("]")
            entry_port = rest.lstrip(":")
        elif entry.count(":") == 1:
            name, entry_port = entry.split(":")
        else:
            name, entry_port = entry, ""
        if name.rstrip(".") == host and (not entry_port or entry_port == str(port)):
            return True
    return False


def host_entry(text: str) -> str:
    """A typed host (``news.intranet``, ``news.intranet:8080`` or a URL on it) as an allowlist
    entry ``host`` or ``host:port``; ``UnsafeURLError`` if it names no host."""
    text = text.strip()
    parsed = parse_url(text if "://" in text else f"http://{text}")
    host = parsed.host.rstrip(".").lower()
    if not re.fullmatch(r"[\w.-]+|[0-9a-f:.]+", host):
        raise UnsafeURLError(text, "not a host name: type e.g. news.intranet or 10.0.0.5:8080")
    name = f"[{host}]" if ":" in host else host
    return f"{name}:{parsed.port}" if parsed.port is not None else name


def parse_url(url: str) -> httpx.URL:
    """``url`` as an http(s) URL with a host and a valid port, or ``UnsafeURLError``."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise UnsafeURLError(url, f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURLError(
            url, f"only http and https URLs are fetched, not {parsed.scheme or 'none'!r}"
        )
    if not parsed.host:
        raise UnsafeURLError(url, "the URL has no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UnsafeURLError(url, f"port {parsed.port} is out of range")
    return parsed


def check_url(url: str, allow_private: bool = False, allowed_hosts: Sequence[str] = ()) -> Target:
    """Resolve ``url`` and return the address to connect to, or raise ``UnsafeURLError``.

    Every address the host resolves to must be allowed (unless the host is allowlisted), so
    a name with one public and one private record is refused.
    """
    parsed = parse_url(url)
    host = parsed.host
    try:
        infos = socket.getaddrinfo(host, _port_of(parsed), proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise FetchError(url, f"cannot resolve host {host!r}: {reason}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise FetchError(url, f"host {host!r} has no address")
    if not host_is_allowlisted(parsed, allowed_hosts):
        for address in addresses:
            reason = forbidden_reason(address, allow_private)
            if reason is not None:
                hint = (
                    ""
                    if allow_private or "link-local" in reason or "multicast" in reason
                    else "; set BRIEFBOT_ALLOW_PRIVATE_HOSTS=true to fetch from an intranet"
                )
                raise UnsafeURLError(
                    url,
                    f"{host} resolves to {address}, {reason} "
                    f"(private/loopback/link-local addresses are refused){hint}",
                )
    # IPv4 first: a pinned address gets no fallback, and IPv6 routes are often missing.
    preferred = sorted(addresses, key=lambda a: a.version)
    return Target(parsed, preferred[0])


def looks_binary(body: bytes) -> bool:
    """True for bytes that cannot be a text document (NUL bytes, image/archive signatures)."""
    head = body[:4096]
    return b"\x00" in head or head.lstrip().startswith(_BINARY_MAGIC)


def _charset(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class Fetcher:
    """A small, strict HTTP client for articles and feeds."""

    def __init__(self, settings: Settings, intranet_hosts: Sequence[str] = ()) -> None:
        """``intranet_hosts``: hosts (``host`` or ``host:port``) whose loopback and private
        addresses this fetcher may reach, as ``allow_private_hosts`` would for every host;
        link-local and cloud metadata addresses stay refused."""
        self.settings = settings
        self.intranet_hosts = list(intranet_hosts)
        self.max_bytes = settings.max_file_bytes
        self.timeout = settings.fetch_timeout_s

    @property
    def proxy(self) -> str | None:
        secret = self.settings.fetch_proxy
        return secret.get_secret_value().strip() if secret is not None else None

    @property
    def proxy_label(self) -> str:
        """The proxy's scheme, host and port: never its credentials."""
        if self.proxy is None:
            return "none"
        parsed = httpx.URL(self.proxy)
        return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")

    def check(self, url: str) -> Target:
        private = self.settings.allow_private_hosts or (
            bool(self.intranet_hosts) and host_is_allowlisted(parse_url(url), self.intranet_hosts)
        )
        return check_url(url, private, self.settings.fetch_allowed_hosts)

    def fetch(
        self,
        url: str,
        accept: tuple[str, ...] = HTML_TYPES + FEED_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> Page:
        """GET ``url`` following at most ``fetch_max_redirects`` checked redirects.

        ``headers`` are sent on every hop (e.g. ``If-None-Match`` for a conditional GET); a
        304 answer to a conditional GET is a ``Page`` with ``not_modified`` and no body.
        """
        deadline = time.monotonic() + self.timeout
        current = url
        # trust_env=False: no proxy from the environment and no .netrc credentials; a proxy
        # is used only when configured (``fetch_proxy``).
        with httpx.Client(
            follow_redirects=False,
            trust_env=False,
            proxy=self.proxy,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        ) as client:
            for _ in range(self.settings.fetch_max_redirects + 1):
                try:
                    target = self.check(current)
                except FetchError as exc:
                    if current == url:
                        raise
                    raise type(exc)(url, f"redirected to {current}: {exc.reason}") from exc
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FetchError(url, f"took longer than {self.timeout:g} s")
                try:
                    page = self._get(
                        client, target, accept, deadline, remaining, url, headers or {}
                    )
                except httpx.TimeoutException as exc:
                    raise FetchError(url, f"timed out after {self.timeout:g} s") from exc
                except (httpx.ProxyError, httpx.ConnectError) as exc:
                    if self.proxy is None:
                        raise FetchError(url, f"cannot fetch: {type(exc).__name__}: {exc}") from exc
                    raise FetchError(
                        url, f"cannot fetch through the proxy {self.proxy_label}: {exc}"
                    ) from exc
                except httpx.HTTPError as exc:
                    raise FetchError(url, f"cannot fetch: {type(exc).__name__}: {exc}") from exc
                if isinstance(page, str):
                    current = page
                    continue
                return page
        raise FetchError(url, f"more than {self.settings.fetch_max_redirects} redirects")

    def _get(
        self,
        client: httpx.Client,
        target: Target,
        accept: tuple[str, ...],
        deadline: float,
        remaining: float,
        origin: str,
        headers: Mapping[str, str],
    ) -> Page | str:
        timeout = httpx.Timeout(min(self.timeout, remaining))
        if self.proxy is None:
            request = client.build_request(
                "GET",
                target.pinned(),
                headers={**headers, "Host": target.host_header},
                extensions={"sni_hostname": target.url.host},
                timeout=timeout,
            )
        else:
            # The proxy connects by name; the name was checked above (see docs/security.md).
            request = client.build_request(
                "GET",
                target.url.copy_with(username=None, password=None),
                headers=dict(headers),
                timeout=timeout,
            )
        response = client.send(request, stream=True)
        url = str(target.url)
        try:
            etag = response.headers.get("etag")
            last_modified = response.headers.get("last-modified")
            conditional = any(h.lower().startswith("if-") for h in headers)
            if response.status_code == 304 and conditional:
                return Page(url, "", b"", None, 304, etag, last_modified)
            if response.is_redirect:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(origin, f"redirect {response.status_code} without a Location")
                try:
                    return str(target.url.join(str(location)))
                except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
                    raise UnsafeURLError(origin, f"redirected to an invalid URL: {exc}") from exc
            if response.status_code >= 400:
                raise HTTPStatusError(
                    origin,
                    f"HTTP {response.status_code} from {url}",
                    response.status_code,
                    response.headers.get("retry-after"),
                )
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in accept:
                raise FetchError(
                    origin,
                    f"unsupported content type {content_type or 'none'!r} "
                    "(expected HTML or a feed)",
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(origin, f"larger than the {self.max_bytes:,}-byte limit")
            body = self._read_capped(response, origin, deadline)
            if looks_binary(body):
                raise FetchError(
                    origin, f"says {content_type!r} but sends binary data; not a text document"
                )
            charset = _charset(response.charset_encoding)
            return Page(url, content_type, body, charset, response.status_code, etag, last_modified)
        finally:
            response.close()

    def _read_capped(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        """Read and decompress at most ``max_bytes``, whatever the server claims."""
        encoding = response.headers.get("content-encoding", "").strip().lower()
        decompressor = None
        if encoding in ("gzip", "x-gzip"):
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            decompressor = zlib.decompressobj()
        elif encoding not in ("", "identity"):
            raise FetchError(url, f"unsupported content encoding {encoding!r}")
        too_big = FetchError(url, f"larger than the {self.max_bytes:,}-byte limit")
        chunks: list[bytes] = []
        size = 0
        for raw in response.iter_raw():
            if time.monotonic() > deadline:
                raise FetchError(url, f"took longer than {self.timeout:g} s")
            data = raw
            if decompressor is not None:
                # Bound the output of each step so a gzip bomb cannot expand in memory.
                try:
                    data = decompressor.decompress(raw, self.max_bytes + 1 - size)
                except zlib.error as exc:
                    raise FetchError(url, f"corrupt {encoding} data: {exc}") from exc
                if decompressor.unconsumed_tail:
                    raise too_big
            size += len(data)
            if size > self.max_bytes:
                raise too_big
            chunks.append(data)
        return b"".join(chunks)
