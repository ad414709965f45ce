"""Tiny local HTTP sites for loader and watch tests (127.0.0.1, a free port, a thread)."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Served:
    """One request the site answered: its path, the status sent and the validators asked."""

    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None


class LocalSite:
    """Fixed routes; ``route`` may change one between requests (a feed that moves on).

    With ``validators=True`` every 200 carries an ``ETag`` (a digest of the body) and a
    ``Last-Modified`` (when the route last changed), and a matching ``If-None-Match`` or
    ``If-Modified-Since`` gets a 304. ``fail(path, status)`` makes the next requests of a path
    fail with that status until ``recover(path)``. ``served`` logs every request.
    """

    def __init__(self, validators: bool = False) -> None:
        self.routes: dict[str, tuple[bytes, str, bool, str]] = {}
        self.failing: dict[str, int] = {}
        self.served: list[Served] = []
        self.validators = validators
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                etag_asked = self.headers.get("If-None-Match")
                since_asked = self.headers.get("If-Modified-Since")

                def log(status: int) -> None:
                    site.served.append(Served(self.path, status, etag_asked, since_asked))

                if self.path in site.failing:
                    log(site.failing[self.path])
                    self.send_error(site.failing[self.path])
                    return
                if self.path not in site.routes:
                    log(404)
                    self.send_error(404)
                    return
                body, content_type, gzipped, modified = site.routes[self.path]
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if site.validators and (
                    (etag_asked is not None and etag_asked == etag)
                    or (etag_asked is None and since_asked == modified)
                ):
                    log(304)
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                log(200)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                if site.validators:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", modified)
                if gzipped:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._changes = 0

    def route(self, path: str, body: bytes, content_type: str, gzip: bool = False) -> None:
        self._changes += 1  # a distinct Last-Modified for every change, a second apart
        modified = formatdate(1_700_000_000 + self._changes, usegmt=True)
        self.routes[path] = (body, content_type, gzip, modified)

    def fail(self, path: str, status: int) -> None:
        self.failing[path] = status

    def recover(self, path: str) -> None:
        self.failing.pop(path, None)

    def requests_to(self, path: str) -> list[Served]:
        return [s for s in self.served if s.path == path]

    def __enter__(self) -> LocalSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
