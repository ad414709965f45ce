"""Chroma's files read without Chroma: the HNSW checks name each damage, salvage reads all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from briefbot import Briefbot, Settings
from briefbot.backends.chroma_files import (
    VectorSegment,
    check_vector_folder,
    salvage_records,
    vector_segment,
)
from briefbot.errors import DamagedStoreError
from tests.damage import DAMAGE, damage, forget_open_stores, vector_folder, written_store
from tests.fakes import FakeEmbedder
from tests.hardening.corpus import article_records, write_jsonl


@pytest.fixture
def written(settings: Settings, fake_embedder: FakeEmbedder, tmp_path: Path) -> Briefbot:
    written_store(settings, fake_embedder, write_jsonl(tmp_path / "n.jsonl", article_records(12)))
    return Briefbot.open(settings=settings, embedder=fake_embedder)


def segment(bot: Briefbot, kind: str) -> VectorSegment:
    collection = bot.store.articles if kind == "articles" else bot.store.chunks
    found = vector_segment(bot.settings.store_path, str(collection.id))
    assert found is not None
    return found


def test_written_files_pass_every_check(written: Briefbot) -> None:
    for kind in ("articles", "chunks"):
        found = segment(written, kind)
        assert found.persisted and found.folder == vector_folder(written.settings.store_path, kind)
        assert check_vector_folder(found) == []


@pytest.mark.parametrize("kind", [k for k in DAMAGE if not k.startswith("keyword")])
def test_each_damage_is_named(written: Briefbot, kind: str) -> None:
    which = "articles" if kind.startswith("article") else "chunks"
    found = segment(written, which)
    damaged = damage(written.settings.store_path, kind)
    problems = check_vector_folder(found)
    assert problems and str(damaged) in problems[0]


def test_links_to_vectors_that_do_not_exist_are_garbled(written: Briefbot) -> None:
    found = segment(written, "chunks")
    forget_open_stores()
    data = found.folder / "data_level0.bin"
    raw = bytearray(data.read_bytes())
    raw[4:8] = np.uint32(0xFFFFFF).tobytes()  # the first vector's first neighbour
    data.write_bytes(bytes(raw))
    assert check_vector_folder(found) == [f"{data} is garbled (links to vectors that do not exist)"]


def test_files_chroma_has_not_written_yet_are_not_checked(seed_bot: Briefbot) -> None:
    found = segment(seed_bot, "chunks")
    assert not found.persisted
    (found.folder / "header.bin").write_bytes(b"")  # Chroma ignores it and rebuilds from its log
    assert check_vector_folder(found) == []


def test_salvage_reads_exactly_what_chroma_reads(written: Briefbot) -> None:
    for collection in (written.store.articles, written.store.chunks):
        page = collection.get(include=["documents", "metadatas"])
        through_chroma = sorted(zip(page["ids"], page["documents"], page["metadatas"], strict=True))
        salvaged = salvage_records(written.settings.store_path, str(collection.id))
        assert sorted(salvaged) == through_chroma


def test_salvage_refuses_while_writes_wait_in_chromas_log(written: Briefbot) -> None:
    store, collection_id = written.settings.store_path, str(written.store.chunks.id)
    forget_open_stores()
    with sqlite3.connect(store / "chroma.sqlite3") as db:
        db.execute(
            "UPDATE max_seq_id SET seq_id = seq_id - 1 WHERE segment_id = "
            "(SELECT id FROM segments WHERE collection = ? AND scope = 'METADATA')",
            (collection_id,),
        )
    with pytest.raises(DamagedStoreError, match="have not been applied"):
        salvage_records(store, collection_id)
