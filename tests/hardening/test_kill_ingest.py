"""Kill -9 in the middle of ``briefbot ingest``, rerun: the store equals a one-go ingest."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from briefbot import Briefbot, Settings
from briefbot.backends.lexical import indexed_chunk_ids
from tests.hardening.corpus import article_records, write_jsonl

pytestmark = pytest.mark.real_model

BRIEFBOT = Path(sys.executable).with_name("briefbot")
ARTICLES = 60


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    return env


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BRIEFBOT), *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600
    )


def committed_articles(store: Path) -> int:
    """Article records written so far, read from Chroma's SQLite log without opening Chroma."""
    database = store / "chroma.sqlite3"
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.2) as db:
            row = db.execute(
                "SELECT count(*) FROM embeddings_queue WHERE topic LIKE '%' || "
                "(SELECT id FROM collections WHERE name = 'briefbot-articles')"
            ).fetchone()
    except sqlite3.OperationalError:  # not created yet, or locked by the writer
        return 0
    return int(row[0])


def _keyword_chunk_ids(store: Path) -> set[str] | None:
    found = indexed_chunk_ids(store / "lexical")
    return None if found is None else found[1]


def store_state(store: Path) -> dict[str, Any]:
    """What the CLI stored, read with the embedder backend that built the store."""
    settings = Settings(store_path=store, _env_file=None)  # type: ignore[call-arg]
    bot = Briefbot.open(settings=settings)
    chunks = sorted(bot.store.iter_chunks(), key=lambda c: c.id)
    vectors = bot.store.chunk_embeddings([c.id for c in chunks])
    return {
        "articles": sorted(
            (a.model_dump(mode="json") for a in bot.store.list_articles(with_text=True)),
            key=lambda a: a["id"],
        ),
        "chunks": [c.model_dump() for c in chunks],
        "vectors": np.stack([vectors[c.id] for c in chunks]),
        "keyword_index": _keyword_chunk_ids(store),
        "chunk_ids": {c.id for c in chunks},
    }


def test_kill_mid_ingest_then_rerun_equals_one_go(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "news.jsonl", article_records(ARTICLES, sentences=12))
    reference, killed = tmp_path / "one-go", tmp_path / "killed"

    done = run_cli("ingest", str(source), "--store", str(reference), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{ARTICLES} added" in done.stdout

    process = subprocess.Popen(
        [str(BRIEFBOT), "ingest", str(source), "--store", str(killed)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while process.poll() is None and committed_articles(killed) < 5:
            time.sleep(0.01)
        assert process.poll() is None, "the ingest finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    committed = committed_articles(killed)
    assert 5 <= committed < ARTICLES

    rerun = run_cli("ingest", str(source), "--store", str(killed), cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{ARTICLES - committed} added, {committed} unchanged" in rerun.stdout

    doctor = run_cli("doctor", "--store", str(killed), "--json", cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["ok"] is True

    expected, actual = store_state(reference), store_state(killed)
    assert actual["articles"] == expected["articles"]
    assert actual["chunks"] == expected["chunks"]
    np.testing.assert_allclose(actual["vectors"], expected["vectors"], atol=1e-5)
    assert actual["keyword_index"] == expected["keyword_index"] == expected["chunk_ids"]
