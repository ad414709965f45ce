"""Small real stores whose index files are on disk, and the damage a disk or a crash does.

Chroma writes a collection's HNSW files once ``sync_threshold`` vectors have arrived (1000 by
default); below that it rebuilds the graph from its log and ignores the files. These stores
set the threshold to 4, so twelve articles leave every file written as a large store has
them. Damage is done after ``SharedSystemClient.clear_system_cache()``: Chroma keeps an open
store in memory per process, and the damage must be read from disk, as a new process does.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from briefbot import Briefbot, Settings
from briefbot.backends.embedders import Embedder
from briefbot.backends.lexical import read_state

WRITTEN = {"hnsw": {"space": "cosine", "sync_threshold": 4, "batch_size": 4}}


def written_store(settings: Settings, embedder: Embedder, source: Path) -> None:
    """Ingest ``source`` into a store whose collections write their HNSW files early."""
    client = chromadb.PersistentClient(
        path=str(settings.store_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    for kind in ("articles", "chunks"):
        client.create_collection(
            f"{settings.collection_prefix}-{kind}",
            metadata={"embedder": embedder.name, "dimension": embedder.dimension},
            configuration=WRITTEN,  # type: ignore[arg-type]
            embedding_function=None,
        )
    bot = Briefbot.open(settings=settings, embedder=embedder)
    assert bot.ingest([source]).added
    forget_open_stores()


def forget_open_stores() -> None:
    """Drop Chroma's in-process copies, so the next open reads the files."""
    SharedSystemClient.clear_system_cache()


def vector_folder(store: Path, kind: str, prefix: str = "briefbot") -> Path:
    """The HNSW folder of a collection, as ``chroma.sqlite3`` records it."""
    with sqlite3.connect(store / "chroma.sqlite3") as db:
        row = db.execute(
            "SELECT s.id FROM segments s JOIN collections c ON c.id = s.collection "
            "WHERE c.name = ? AND s.scope = 'VECTOR'",
            (f"{prefix}-{kind}",),
        ).fetchone()
    return store / str(row[0])


def _cut(path: Path, keep: int | None = None) -> Path:
    os.truncate(path, path.stat().st_size // 2 if keep is None else keep)
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _remove(path: Path) -> Path:
    shutil.rmtree(path)
    return path


def _largest_segment_file(root: Path) -> Path:
    state = read_state(root)
    assert state is not None, f"no keyword index in {root}"
    return max((root / state.index).glob("*.idx"), key=lambda p: p.stat().st_size)


DAMAGE: dict[str, Callable[[Path], Path]] = {
    "keyword index cut short": lambda s: _cut(_largest_segment_file(s / "lexical")),
    # Chroma sizes data_level0.bin for the index's capacity: keep less than the vectors need.
    "chunk vectors cut short": lambda s: _cut(vector_folder(s, "chunks") / "data_level0.bin", 1000),
    "chunk header emptied": lambda s: _empty(vector_folder(s, "chunks") / "header.bin"),
    "chunk folder deleted": lambda s: _remove(vector_folder(s, "chunks")),
    "chunk links emptied": lambda s: _empty(vector_folder(s, "chunks") / "link_lists.bin"),
    "article header emptied": lambda s: _empty(vector_folder(s, "articles") / "header.bin"),
}
"""Each kind of damage: it returns the file or folder it damaged."""

UNREADABLE = {
    "chunk vectors cut short",
    "chunk header emptied",
    "chunk folder deleted",
    "article header emptied",
}
"""The damage Chroma itself fails on (the rest it reads wrongly or rebuilds around)."""


def damage(store: Path, kind: str) -> Path:
    forget_open_stores()
    return DAMAGE[kind](store)
