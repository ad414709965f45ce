"""Local HTTP servers that misbehave on purpose (127.0.0.1 only, never the internet)."""

from __future__ import annotations

import contextlib
import functools
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE_HTML = b"""<!doctype html><html lang="en"><head><title>Harbour bridge reopens</title>
<meta name="author" content="Ana Lima"></head><body><article><h1>Harbour bridge reopens</h1>
<p>The harbour bridge reopened on Monday after three months of repairs to its cables, the city
transport office said in a statement.</p>
<p>Engineers replaced forty steel cables and resurfaced the deck. Traffic returned to normal by
the evening rush hour, according to the transport office.</p></article></body></html>"""

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8

Route = Callable[[BaseHTTPRequestHandler], None]


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def html(body: bytes = ARTICLE_HTML, content_type: str = "text/html; charset=utf-8") -> Route:
    return lambda h: _send(h, 200, body, {"Content-Type": content_type})


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: _send(h, status, b"", {"Location": location})


def endless(delay: float = 0.0) -> Route:
    """``text/html`` that never ends (no Content-Length), fast or trickling."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        block = b"<p>" + b"news " * 2000 + b"</p>\n"
        try:
            while True:
                h.wfile.write(block[:10] if delay else block)
                h.wfile.flush()
                if delay:
                    time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            return

    return route


@functools.cache
def _bomb(expanded_bytes: int) -> bytes:
    return gzip.compress(b"<p>" + b" " * expanded_bytes, compresslevel=9)


def gzip_bomb(expanded_bytes: int) -> Route:
    """A small gzip body that inflates to ``expanded_bytes`` of HTML-ish text."""
    payload = _bomb(expanded_bytes)

    def route(h: BaseHTTPRequestHandler) -> None:
        _send(h, 200, payload, {"Content-Type": "text/html", "Content-Encoding": "gzip"})

    return route


@dataclass
class LocalServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)
    headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def serve(routes: dict[str, Route] | None = None) -> Iterator[LocalServer]:
    """A threaded HTTP server on 127.0.0.1 with a free port; routes may be added later."""
    state = LocalServer(dict(routes or {}))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("Host", "")))
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            route = state.routes.get(self.path.split("?")[0])
            if route is None:
                _send(self, 404, b"not found", {"Content-Type": "text/plain"})
            else:
                route(self)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def closing_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that reads the request and hangs up without answering."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(1.0)
                with contextlib.suppress(OSError):
                    connection.recv(65536)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
