"""Server start-up: one Briefbot (so one embedder) for every session, warmed once, before the
server answers when started as `make run` starts it; no file watcher."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from briefbot import Briefbot, facade
from tests.conftest import ROOT
from tests.ui.conftest import APP


def test_two_sessions_share_one_briefbot_warmed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each AppTest is a new session of the same server process (the app opens its store from
    settings, as under `make run`); the second finds the first one's Briefbot in the cache."""
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")
    monkeypatch.setenv("BRIEFBOT_STORE_PATH", str(tmp_path / "shared-store"))
    warm_ups: list[Briefbot] = []
    original = Briefbot.warm_up

    def counted(self: Briefbot) -> threading.Thread:
        warm_ups.append(self)
        return original(self)

    monkeypatch.setattr(Briefbot, "warm_up", counted)
    first = AppTest.from_file(str(APP), default_timeout=60).run()
    second = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not first.exception and not second.exception
    bot = first.session_state["briefbot"]
    assert second.session_state["briefbot"] is bot
    assert warm_ups == [bot], "the model is warmed once per server, not per session"


def test_serve_loads_the_model_before_streamlit_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` (``python -m briefbot.ui.serve app.py ...``) opens the store and waits for the
    model before it hands over to ``streamlit run``; the app's sessions then get that one
    ``Briefbot``, and the model is not loaded again."""
    from streamlit.web import cli as streamlit_cli

    from briefbot.settings import load_settings
    from briefbot.ui import serve, shared

    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")
    monkeypatch.setenv("BRIEFBOT_STORE_PATH", str(tmp_path / "served-store"))
    monkeypatch.setattr(sys, "argv", ["serve"])
    loads: list[str] = []

    def slow_load(embedder: object) -> None:
        time.sleep(0.5)  # long enough for a server that did not wait to start first
        loads.append("loaded")

    monkeypatch.setattr(facade, "preload", slow_load)
    seen: dict[str, object] = {}

    def streamlit_main() -> None:
        seen["argv"] = list(sys.argv)
        seen["loads"] = list(loads)
        seen["bot"] = shared.shared_bot(load_settings())

    monkeypatch.setattr(streamlit_cli, "main", streamlit_main)
    serve.main(["app.py", "--server.port", "8599"])
    assert seen["argv"] == ["streamlit", "run", "app.py", "--server.port", "8599"]
    assert seen["loads"] == ["loaded"], "streamlit started before the model had loaded"
    session = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not session.exception
    assert session.session_state["briefbot"] is seen["bot"]
    assert loads == ["loaded"], "the model loads once per server"


def test_streamlit_watches_no_files_when_run_from_the_project() -> None:
    """`make run` starts streamlit in the project directory: its .streamlit/config.toml turns
    the file watcher off (it would watch the .venv too), and the Makefile does not undo it."""
    shown = subprocess.run(
        [sys.executable, "-c", _SHOW_WATCHER], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "none"
    assert "fileWatcherType" not in (ROOT / "Makefile").read_text()


_SHOW_WATCHER = (
    "from streamlit import config; config.get_config_options(force_reparse=True); "
    "print(config.get_option('server.fileWatcherType'))"
)
