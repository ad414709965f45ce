"""The BM25 index follows the store: ingest, delete, stale caches, filters."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from briefbot import Briefbot, Settings
from briefbot.backends import lexical as bm25
from briefbot.backends.lexical import BM25Index, fingerprint, tokenize
from briefbot.models import Article, SearchFilters
from tests.fakes import FakeEmbedder, news_article


def make_article(text: str, title: str, source: str = "Wire", day: int = 1) -> Article:
    return news_article(text, title, source, datetime(2024, 5, day, tzinfo=UTC))


VOLCANO = make_article(
    "The Etna volcano erupted on Sunday. Lava flows reached the outskirts of Catania.",
    "Etna erupts",
    source="Daily Planet",
    day=1,
)
HARBOUR = make_article(
    "Dockworkers at the harbour went on strike over pay. Cargo ships waited offshore.",
    "Harbour strike",
    source="Gazette",
    day=20,
)


def test_tokenize_stems_and_drops_stopwords() -> None:
    assert tokenize(["The volcanoes are erupting in 2024"]) == [["volcano", "erupt", "2024"]]


def test_fingerprint_ignores_order_and_sees_changes() -> None:
    assert fingerprint(["b", "a"]) == fingerprint(["a", "b"])
    assert fingerprint(["a", "b"]) != fingerprint(["a"])


def test_index_follows_ingest_and_delete(bot: Briefbot) -> None:
    assert bot.bm25.search("volcano lava", 5) == []
    bot.ingest_articles([VOLCANO, HARBOUR])
    found = bot.bm25.search("volcano lava", 5)
    assert found and all(cid.startswith(VOLCANO.id) for cid, _ in found)

    bot.delete(VOLCANO.id)
    assert bot.bm25.search("volcano lava", 5) == []
    assert not any(cid.startswith(VOLCANO.id) for cid in bot.bm25.snapshot().chunk_ids)
    assert bot.bm25.search("dockworkers strike", 5)


def test_deleted_article_never_returns_from_bm25_retriever(bot: Briefbot) -> None:
    bot.ingest_articles([VOLCANO, HARBOUR])
    bot.delete(VOLCANO.id)
    bm25_bot = Briefbot.open(
        settings=bot.settings.model_copy(update={"retriever": "bm25"}), embedder=bot.embedder
    )
    for query in ("Etna volcano erupted", "lava Catania", "Sunday outskirts"):
        assert all(h.chunk.article_id != VOLCANO.id for h in bm25_bot.search(query, 10))


def test_cache_is_reused_when_fresh_and_rebuilt_when_stale(
    settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    first = Briefbot.open(settings=settings, embedder=fake_embedder)
    first.ingest_articles([VOLCANO])
    cache = settings.store_path / "bm25"
    assert (cache / "chunks.json").is_file()

    reopened = Briefbot.open(settings=settings, embedder=fake_embedder)
    assert reopened.bm25.search("volcano", 5)
    assert reopened.bm25.builds == 0  # loaded from the cache

    first.ingest_articles([HARBOUR])  # the cache on disk follows this ingest
    stale_meta = json.loads((cache / "chunks.json").read_text())
    stale_meta["fingerprint"] = "0" * 64
    (cache / "chunks.json").write_text(json.dumps(stale_meta))

    third = Briefbot.open(settings=settings, embedder=fake_embedder)
    assert third.bm25.search("dockworkers", 5)
    assert third.bm25.builds == 1
    assert json.loads((cache / "chunks.json").read_text())["fingerprint"] != "0" * 64


def test_index_of_a_store_changed_elsewhere_is_rebuilt_on_refresh(
    settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    reader = Briefbot.open(settings=settings, embedder=fake_embedder)
    assert reader.bm25.search("dockworkers", 5) == []
    writer = Briefbot.open(settings=settings, embedder=fake_embedder)
    writer.ingest_articles([HARBOUR])
    assert reader.bm25.refresh() is True
    assert reader.bm25.search("dockworkers", 5)


def test_in_memory_index_without_cache_dir(bot: Briefbot) -> None:
    """How a Chroma server store is indexed: built from the store, nothing on disk."""
    bot.ingest_articles([VOLCANO])
    index = BM25Index(bot.store, None)
    assert [cid.split(":")[0] for cid, _ in index.search("volcano", 3)] == [VOLCANO.id]
    assert index.builds == 1
    assert index.refresh() is False


def test_filters_apply_to_bm25(bot: Briefbot) -> None:
    bot.ingest_articles([VOLCANO, HARBOUR])
    query = "volcano dockworkers"
    both = {cid.split(":")[0] for cid, _ in bot.bm25.search(query, 10)}
    assert both == {VOLCANO.id, HARBOUR.id}

    def ids(filters: SearchFilters, article_ids: list[str] | None = None) -> set[str]:
        return {cid.split(":")[0] for cid, _ in bot.bm25.search(query, 10, filters, article_ids)}

    assert ids(SearchFilters(since=datetime(2024, 5, 10, tzinfo=UTC))) == {HARBOUR.id}
    assert ids(SearchFilters(until=datetime(2024, 5, 10, tzinfo=UTC))) == {VOLCANO.id}
    assert ids(SearchFilters(), [HARBOUR.id]) == {HARBOUR.id}
    assert ids(SearchFilters(), []) == set()


def test_reader_notices_a_store_grown_by_another_writer(
    settings: Settings, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bm25, "RECHECK_S", 0.0)
    reader = Briefbot.open(settings=settings, embedder=fake_embedder)
    assert reader.bm25.search("dockworkers strike", 3) == []
    Briefbot.open(settings=settings, embedder=fake_embedder).ingest_articles([HARBOUR])
    found = reader.bm25.search("dockworkers strike", 3)
    assert [cid.split(":")[0] for cid, _ in found] == [HARBOUR.id]


@pytest.mark.parametrize(
    ("name", "damage", "state"),
    [
        ("data.csc.index.npy", "cut", "is cut short or garbled"),
        ("indptr.csc.index.npy", "cut", "is cut short or garbled"),
        ("vocab.index.json", "empty", "is empty"),
        ("params.index.json", "cut", "is cut short or garbled"),
        ("indices.csc.index.npy", "delete", "is missing"),
        ("model", "delete", "is missing"),
        ("chunks.json", "cut", "cannot be read"),
    ],
)
def test_a_damaged_cache_file_is_named_and_rebuilt_with_a_warning(
    bot: Briefbot, name: str, damage: str, state: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot.ingest_articles([VOLCANO, HARBOUR])
    assert bot.bm25.cache_dir is not None
    cache = bot.bm25.cache_dir
    path = cache / name if name in ("chunks.json", "model") else cache / "model" / name
    if damage == "cut":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    problem = bm25.check_cache(cache)
    assert problem is not None and f"{path} {state}" in problem

    fresh = BM25Index(bot.store, cache)
    found = fresh.search("volcano lava", 5)
    assert found and all(cid.startswith(VOLCANO.id) for cid, _ in found)
    assert fresh.builds == 1
    assert any(str(path) in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert bm25.check_cache(cache) is None
