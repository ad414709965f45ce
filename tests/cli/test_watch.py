"""``briefbot watch`` through the real CLI entry point, against a local feed server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefbot.cli import app
from tests.conftest import ROOT
from tests.ingest.feed_fixtures import Newsroom
from tests.ingest.http_fixtures import LocalSite

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")


@pytest.fixture
def newsroom(monkeypatch: pytest.MonkeyPatch) -> Iterator[Newsroom]:
    monkeypatch.setenv("BRIEFBOT_ALLOW_PRIVATE_HOSTS", "true")
    with LocalSite(validators=True) as site:
        room = Newsroom(site)
        room.publish((0, 1), (1, 1))
        yield room


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_watch_once_ingests_then_gets_304(tmp_path: Path, newsroom: Newsroom) -> None:
    store = str(tmp_path / "store")
    code, out, err = run("watch", newsroom.feed, "--once", "--store", store)
    assert code == 0, err
    [line] = out.splitlines()
    assert newsroom.feed in line and "2 new, 0 changed → 2 added" in line
    code, out, _ = run("watch", newsroom.feed, "--once", "--store", store)
    assert code == 0 and "304 not modified" in out
    newsroom.publish((2, 1), (0, 1), (1, 1))
    code, out, _ = run("watch", newsroom.feed, "--once", "--store", store)
    assert code == 0 and "1 new, 0 changed → 1 added" in out


def test_watch_names_the_bad_feed(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    code, _, err = run("watch", "feeds.txt", "--store", store)
    assert code == 1 and "error: feeds.txt: not a feed address" in err
    code, out, _ = run("watch", "http://127.0.0.1:9/feed.xml", "--once", "--store", store)
    assert code == 1
    assert "http://127.0.0.1:9/feed.xml" in out and "private/loopback" in out
    assert "not watched: check the feed's address" in out
    code, _, err = run("watch", "https://example.org/feed", "--every", "5s", "--store", store)
    assert code == 1 and "too short" in err
    code, _, err = run("watch", "https://example.org/feed", "--every", "soon", "--store", store)
    assert code == 1 and "not a duration like 15m" in err


def test_watch_without_a_feed_left_exits_with_an_error(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    code, out, err = run("watch", "http://127.0.0.1:9/feed.xml", "--store", store)
    assert code == 1 and "not watched" in out and "no feed left to watch" in err


SCRIPT = """
from briefbot.backends.embedders import register_embedder
from tests.fakes import FakeEmbedder
register_embedder("fake")(lambda settings: FakeEmbedder())
from briefbot.cli import main
main()
"""


def test_ctrl_c_stops_cleanly(tmp_path: Path, newsroom: Newsroom) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(
        BRIEFBOT_EMBEDDER="fake",
        BRIEFBOT_ALLOW_PRIVATE_HOSTS="true",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    store = tmp_path / "store"
    command = [sys.executable, "-c", SCRIPT, "watch", newsroom.feed, "--every", "10s"]
    process = subprocess.Popen(
        [*command, "--store", str(store)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # the first poll's line
        assert "2 new, 0 changed → 2 added" in first
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "watching 1 feed every 10 s" in err and "stopped watching" in err
    assert "Traceback" not in err
    assert (store / "feeds.json").is_file()
