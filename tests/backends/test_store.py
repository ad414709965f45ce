"""The Chroma store on its own: write order, replacement of stale chunks, filters, deletes."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from briefbot.backends.store import ChromaStore, chunk_where
from briefbot.errors import EmbedderMismatchError, NotFoundError
from briefbot.ingest.chunking import chunk_article
from briefbot.models import Article, Outlet, SearchFilters
from briefbot.settings import Settings
from tests.fakes import FakeEmbedder, news_article

TEXT = (
    "North Korea is sending engineers to Russia. The engineers will rebuild Kursk. "
    "Seoul's spy agency said so on Tuesday. Moscow did not comment on the report."
)


def store_with(settings: Settings, *articles: Article) -> tuple[ChromaStore, FakeEmbedder]:
    embedder = FakeEmbedder(max_tokens=12)
    store = ChromaStore(settings, embedder.name, embedder.dimension)
    for article in articles:
        chunks = chunk_article(article.id, article.text, embedder, 12)
        store.put_article(article, chunks, embedder.embed([c.text for c in chunks]), "sig")
    return store, embedder


def test_an_article_and_its_chunks_round_trip(settings: Settings) -> None:
    article = news_article(TEXT, "Engineers", source="Yonhap")
    store, _ = store_with(settings, article)
    stored = store.article(article.id)
    assert stored.text == TEXT and stored.title == "Engineers" and stored.source == "Yonhap"
    chunks = store.chunks_of(article.id)
    assert len(chunks) == stored.chunk_count > 1
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert TEXT[chunk.start : chunk.end] == chunk.text
    assert store.count_articles() == 1 and store.count_chunks() == len(chunks)
    ids = {cid for cid, _, _ in store.iter_chunk_records()}
    assert ids == {c.id for c in chunks}


def test_rewriting_an_article_with_fewer_chunks_drops_the_stale_ones(settings: Settings) -> None:
    article = news_article(TEXT, "Engineers")
    store, embedder = store_with(settings, article)
    before = store.count_chunks()
    one = chunk_article(article.id, article.text, FakeEmbedder(max_tokens=200), 200)
    assert len(one) == 1 < before
    store.put_article(article, one, embedder.embed([c.text for c in one]), "sig")
    assert store.count_chunks() == 1
    assert store.article(article.id).chunk_count == 1


def test_delete_removes_the_record_and_every_chunk(settings: Settings) -> None:
    keep = news_article("Floods hit the coast of Peru on Monday, officials said.", "Floods")
    gone = news_article(TEXT, "Engineers")
    store, _ = store_with(settings, keep, gone)
    removed = store.delete_article(gone.id)
    assert removed > 1
    assert store.get_article(gone.id) is None
    assert all(c.article_id == keep.id for c in store.iter_chunks())
    with pytest.raises(NotFoundError, match=gone.id):
        store.article(gone.id)


def test_filters_reach_chroma_as_one_where_clause(settings: Settings) -> None:
    dated = news_article(TEXT, "Engineers", published=datetime(2024, 11, 2, tzinfo=UTC))
    older = news_article(
        "Floods hit the coast of Peru on Monday, officials said.",
        "Floods",
        published=datetime(2023, 1, 5, tzinfo=UTC),
    )
    store, embedder = store_with(settings, dated, older)
    where = chunk_where(SearchFilters(since=datetime(2024, 1, 1, tzinfo=UTC)), None)
    vector = embedder.embed(["engineers"])[0]
    found = store.query_chunks(vector, 10, where)
    assert found and {chunk.article_id for chunk, _ in found} == {dated.id}
    assert chunk_where(None, None) is None


def test_opening_with_another_embedder_is_refused(settings: Settings) -> None:
    store_with(settings, news_article(TEXT, "Engineers"))
    with pytest.raises(EmbedderMismatchError, match="BRIEFBOT_EMBEDDER"):
        ChromaStore(settings, "another-model", 8)


def test_chunk_embeddings_come_back_as_written(settings: Settings) -> None:
    article = news_article(TEXT, "Engineers")
    store, embedder = store_with(settings, article)
    chunks = store.chunks_of(article.id)
    stored = store.chunk_embeddings([c.id for c in chunks])
    expected = embedder.embed([c.text for c in chunks])
    for chunk, vector in zip(chunks, expected, strict=True):
        assert np.allclose(stored[chunk.id], vector, atol=1e-5)


def _records(store: ChromaStore) -> list[tuple[str, str]]:
    page = store.chunks.get(include=["documents"])
    return sorted(zip(page["ids"], page["documents"], strict=True))


def test_rebuild_swaps_in_a_copy_with_every_record(settings: Settings) -> None:
    store, embedder = store_with(settings, news_article(TEXT, "Engineers"))
    before, old_id = _records(store), store.chunks.id
    assert store.rebuild_vectors("chunks", embedder.embed) == len(before)
    assert store.chunks.id != old_id and store.chunks.name == "briefbot-chunks"
    assert _records(store) == before and store.leftovers() == []
    names = {c.name for c in store.client.list_collections()}
    assert names == {"briefbot-articles", "briefbot-chunks", "briefbot-changes"}


def test_a_rebuild_stopped_between_its_renames_is_finished_on_open(settings: Settings) -> None:
    store, embedder = store_with(settings, news_article(TEXT, "Engineers"))
    before = _records(store)
    page = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    copy = store.client.create_collection(
        "briefbot-chunks-rebuilt", metadata=store.chunks.metadata, embedding_function=None
    )
    copy.add(
        ids=page["ids"],
        documents=page["documents"],
        metadatas=page["metadatas"],
        embeddings=page["embeddings"],
    )
    store.chunks.modify(name="briefbot-chunks-damaged")  # the crash comes here

    reopened = ChromaStore(settings, embedder.name, embedder.dimension)
    assert reopened.chunks.id == copy.id and _records(reopened) == before
    assert reopened.leftovers() == ["briefbot-chunks-damaged"]
    assert reopened.drop_leftovers() == ["briefbot-chunks-damaged"]
    assert reopened.leftovers() == []


def test_a_collection_rebuilt_by_another_store_is_found_again(settings: Settings) -> None:
    reader, embedder = store_with(settings, news_article(TEXT, "Engineers"))
    before = _records(reader)
    writer = ChromaStore(settings, embedder.name, embedder.dimension)
    writer.rebuild_vectors("chunks", embedder.embed)
    assert reader.count_chunks() == len(before) and _records(reader) == before
    assert reader.query_chunks(embedder.embed([TEXT])[0], 1)


def test_a_chunk_deleted_while_a_query_runs_is_skipped(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma can return the id of a chunk a concurrent writer just deleted, with no record
    (seen under concurrent reads and writes): the query leaves it out instead of failing."""
    article = news_article(TEXT, "Engineers", source="Yonhap")
    store, embedder = store_with(settings, article)
    query = store.chunks.query

    def racing(**kwargs: object) -> dict[str, list[list[object]]]:
        result = query(**kwargs)
        result["metadatas"][0][0] = None
        result["documents"][0][0] = None
        return result

    monkeypatch.setattr(store.chunks, "query", racing)
    found = store.query_chunks(embedder.embed(["engineers"])[0], 3)
    assert len(found) == min(3, store.count_chunks()) - 1
    assert all(TEXT[c.start : c.end] == c.text for c, _ in found)


def test_remembered_article_records_follow_another_process_merge_and_delete(
    settings: Settings,
) -> None:
    """A reader remembers article records between searches; a wire-copy merge (a new outlet,
    no new text) or a delete by another writer is seen on its next read, not served stale."""
    article = news_article(TEXT, "Engineers", source="Yonhap")
    other = news_article("Floods hit the coast of Peru on Monday, officials said.", "Floods")
    reader, embedder = store_with(settings, article, other)
    first = reader.article_records([article.id, other.id, "no-such-article"])
    assert set(first) == {article.id, other.id}
    assert reader.article_records([article.id]) == {article.id: first[article.id]}

    writer = ChromaStore(settings, embedder.name, embedder.dimension)
    before = reader.generation().committed
    merged = writer.article(article.id).model_copy(
        update={"also_published": [Outlet(name="Reuters", url="https://example.com/r")]}
    )
    writer.update_article_metadata(merged)
    assert reader.generation().committed == before + 1
    assert "Reuters" in str(reader.article_records([article.id])[article.id]["also_published"])
    assert [o.name for o in reader.article(article.id).also_published] == ["Reuters"]

    writer.delete_article(other.id)
    assert reader.article_records([article.id, other.id]).keys() == {article.id}


def test_a_caller_cannot_change_the_remembered_records(settings: Settings) -> None:
    article = news_article(TEXT, "Engineers", source="Yonhap")
    store, _ = store_with(settings, article)
    store.article_records([article.id])[article.id]["title"] = "Changed"
    assert store.article_records([article.id])[article.id]["title"] == "Engineers"
