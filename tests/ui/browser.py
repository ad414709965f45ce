"""A real app server (``make run``'s) and Debian's Chromium, for browser tests and benchmarks.

Never downloads a browser: Playwright drives ``/usr/bin/chromium`` (``make system-deps``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tests.local_servers import free_port, stopping

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "How many engineers is North Korea sending to Russia?"


def app_env(store: Path) -> dict[str, str]:
    """The environment of the server: the given store, offline, no LLM key."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BRIEFBOT_") and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")
    }
    env.update(
        BRIEFBOT_STORE_PATH=str(store),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    return env


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit at {url} not healthy after {timeout_s} s")


@contextmanager
def streamlit_server(store: Path, workdir: Path, log: IO[bytes]) -> Iterator[str]:
    """The app served as ``make run`` serves it (``python -m briefbot.ui.serve app.py``: the
    store opened and the model loaded before Streamlit starts) on 127.0.0.1 at a free port over
    ``store``; yields its URL once it answers health.

    ``workdir`` is the server's working directory, so no developer ``.env`` is read.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "briefbot.ui.serve",
        str(APP),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    process = subprocess.Popen(command, cwd=workdir, env=app_env(store), stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    with stopping(process):
        wait_healthy(url, process)
        yield url


@contextmanager
def chromium(viewport: tuple[int, int] = (1400, 1000)) -> Iterator[Any]:
    """A page of a fresh headless Chromium (Debian's), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            yield page
        finally:
            browser.close()


def wait_ready(page: Any, timeout_ms: float = 60_000) -> None:
    """Wait until the app's script run is over and the page header is drawn."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout_ms,
    )
    page.wait_for_selector("h2", timeout=timeout_ms)


def ask(page: Any, question: str, timeout_ms: float = 60_000) -> None:
    """Type ``question`` in the chat box, send it, and wait for the answer to render."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    page.get_by_test_id("stChatMessage").nth(1).get_by_test_id("stExpander").first.wait_for(
        timeout=timeout_ms
    )
