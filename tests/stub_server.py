"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for wire tests of the LLM backend.

Each request to ``/v1/chat/completions`` takes the next scripted ``Reply``: an answer (sent
as one JSON completion, or as SSE chunks ending in ``data: [DONE]`` when the request asks for
``stream: true``), an HTTP error, a delay, a trickle (headers at once, then a byte of padding
or an SSE keep-alive comment every 0.2 s, so no read ever times out), or raw bytes. Requests are
recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TRICKLE_EVERY_S = 0.2


@dataclass
class Reply:
    text: str | None = None
    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    usage: bool = True
    content_type: str = "application/json"
    finish_reason: str = "stop"
    trickle_s: float = 0.0

    @classmethod
    def answer(
        cls, text: str, *, delay_s: float = 0.0, usage: bool = True, finish_reason: str = "stop"
    ) -> Reply:
        return cls(text=text, delay_s=delay_s, usage=usage, finish_reason=finish_reason)

    @classmethod
    def trickle(cls, text: str, seconds: float) -> Reply:
        """``text`` after ``seconds`` of keep-alive bytes (a server busy behind a proxy)."""
        return cls(text=text, trickle_s=seconds)

    @classmethod
    def error(cls, status: int, message: str = "error", **headers: str) -> Reply:
        body = json.dumps({"error": {"message": message, "type": "stub", "code": status}})
        return cls(status=status, body=body.encode(), headers=headers)

    @classmethod
    def raw(cls, body: bytes, content_type: str = "application/json") -> Reply:
        return cls(body=body, content_type=content_type)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        return "\n".join(m["content"] for m in self.body.get("messages", []))


def _words(text: str) -> list[str]:
    """Stream pieces: words with their trailing space, like real token deltas."""
    pieces: list[str] = []
    for word in text.split(" "):
        pieces.append(word + " ")
    pieces[-1] = pieces[-1][:-1]
    return [p for p in pieces if p]


class StubLLMServer:
    def __init__(self) -> None:
        self.script: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StubLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    @property
    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self) -> Reply:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return Reply.error(500, "stub: no scripted reply left")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    body = {}
                stub.requests.append(
                    Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                reply = stub._next()
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self._reply(reply, body)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (a timeout test)

            def _reply(self, reply: Reply, request: dict[str, Any]) -> None:
                if reply.body is not None:
                    self._send(reply.status, reply.body, reply.content_type, reply.headers)
                    return
                text = reply.text or ""
                model = request.get("model", "stub")
                prompt_tokens = sum(len(m["content"].split()) for m in request["messages"])
                usage = {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(text.split()),
                    "total_tokens": prompt_tokens + len(text.split()),
                }
                if not request.get("stream"):
                    completion: dict[str, Any] = {
                        "id": "chatcmpl-stub",
                        "object": "chat.completion",
                        "created": 0,
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": reply.finish_reason,
                            }
                        ],
                    }
                    if reply.usage:
                        completion["usage"] = usage
                    payload = json.dumps(completion).encode()
                    if reply.trickle_s:
                        padding = int(reply.trickle_s / TRICKLE_EVERY_S)
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(padding + len(payload)))
                        self.end_headers()
                        self._trickle(b" ", padding)  # JSON may start with whitespace
                        self.wfile.write(payload)
                        return
                    self._send(200, payload, "application/json", {})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self._trickle(b": keep-alive\n\n", int(reply.trickle_s / TRICKLE_EVERY_S))

                def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
                    return {
                        "id": "chatcmpl-stub",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }

                events = [chunk({"role": "assistant", "content": ""})]
                events += [chunk({"content": piece}) for piece in _words(text)]
                events.append(chunk({}, reply.finish_reason))
                wants_usage = (request.get("stream_options") or {}).get("include_usage")
                if reply.usage and wants_usage:
                    events.append({**chunk({}), "choices": [], "usage": usage})
                for event in events:
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _trickle(self, data: bytes, times: int) -> None:
                for _ in range(times):
                    self.wfile.write(data)
                    self.wfile.flush()
                    time.sleep(TRICKLE_EVERY_S)

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json", {})

            def _send(
                self, status: int, body: bytes, content_type: str, headers: dict[str, str]
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

        return Handler
