"""The keyword index follows the store by generation: ingest, delete, other processes'
writes, damage, filters; nothing is rebuilt that an increment can do."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from briefbot import Briefbot, Settings
from briefbot.backends import lexical as bm25
from briefbot.backends.lexical import STATE_FILE, BM25Index, Update, read_state, tokenize
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


def fresh(bot: Briefbot, settings: Settings | None = None) -> Briefbot:
    """Another app process on the same store (its own objects, the same files)."""
    return Briefbot.open(settings=settings or bot.settings, embedder=bot.embedder)


def articles_of(found: list[tuple[str, float]]) -> set[str]:
    return {cid.split(":")[0] for cid, _ in found}


def test_index_follows_ingest_and_delete_one_article_at_a_time(bot: Briefbot) -> None:
    assert bot.bm25.search("volcano lava", 5) == []
    assert bot.bm25.last_update == Update("build")
    bot.ingest_articles([VOLCANO, HARBOUR])
    assert bot.bm25.last_update == Update("catch-up", 2)
    found = bot.bm25.search("volcano lava", 5)
    assert found and all(cid.startswith(VOLCANO.id) for cid, _ in found)

    bot.delete(VOLCANO.id)
    assert bot.bm25.last_update == Update("catch-up", 1)
    assert bot.bm25.search("volcano lava", 5) == []
    assert not any(cid.startswith(VOLCANO.id) for cid in bot.bm25.indexed_chunk_ids())
    assert bot.bm25.search("dockworkers strike", 5)
    assert bot.bm25.builds == 1
    assert bot.bm25.applied == bot.store.generation().committed == 2  # one ingest, one delete


def test_deleted_article_never_returns_from_bm25_retriever(bot: Briefbot) -> None:
    bot.ingest_articles([VOLCANO, HARBOUR])
    bot.delete(VOLCANO.id)
    bm25_bot = Briefbot.open(
        settings=bot.settings.model_copy(update={"retriever": "bm25"}), embedder=bot.embedder
    )
    for query in ("Etna volcano erupted", "lava Catania", "Sunday outskirts"):
        assert all(h.chunk.article_id != VOLCANO.id for h in bm25_bot.search(query, 10))


def test_a_reopened_store_uses_the_index_on_disk(bot: Briefbot) -> None:
    bot.ingest_articles([VOLCANO])
    state = read_state(bot.bm25.root)
    assert state is not None and state.applied == 1
    reopened = fresh(bot)
    assert articles_of(reopened.bm25.search("volcano", 5)) == {VOLCANO.id}
    assert reopened.bm25.builds == 0 and reopened.bm25.last_update == Update("reload")


def test_a_process_behind_applies_only_what_changed_since(bot: Briefbot) -> None:
    """Another process writes; this one, whose index on disk is behind, catches up by the
    articles written and deleted since, replaying the deletion from its tombstone."""
    bot.ingest_articles([VOLCANO])
    elsewhere = bot.settings.model_copy(update={"lexical_dir": bot.settings.store_path / "other"})
    other = fresh(bot, elsewhere)  # its own index, as on another host
    assert articles_of(other.bm25.search("volcano", 5)) == {VOLCANO.id}
    assert other.bm25.builds == 1

    bot.ingest_articles([HARBOUR])
    bot.delete(VOLCANO.id)
    assert other.bm25.refresh() is True
    assert other.bm25.last_update == Update("catch-up", 2)
    assert other.bm25.builds == 1
    assert articles_of(other.bm25.search("volcano dockworkers", 5)) == {HARBOUR.id}
    assert other.bm25.refresh() is False  # nothing new: one read of the head, nothing applied


def test_a_replaced_article_leaves_no_old_chunks(bot: Briefbot) -> None:
    bot.ingest_articles([VOLCANO])
    rewritten = VOLCANO.model_copy(
        update={"text": "Etna fell quiet on Monday. Farmers returned to the slopes."}
    )
    rewritten = news_article(rewritten.text, VOLCANO.title, "Daily Planet", VOLCANO.published)
    bot.ingest_articles([rewritten])
    assert articles_of(bot.bm25.search("farmers slopes", 5)) == {rewritten.id}
    assert bot.bm25.search("lava outskirts", 5) == []
    assert {c.id for c in bot.store.iter_chunks()} == bot.bm25.indexed_chunk_ids()


def test_chunks_of_an_uncommitted_article_are_not_indexed(bot: Briefbot) -> None:
    """An ingest killed after the chunks and before the article record (the commit marker)."""
    bot.ingest_articles([VOLCANO, HARBOUR])
    bot.store.articles.delete(ids=[VOLCANO.id])
    rebuilt = fresh(bot)
    rebuilt.bm25.refresh(rebuild=True)
    assert articles_of(rebuilt.bm25.search("volcano dockworkers", 5)) == {HARBOUR.id}


def test_a_record_newer_than_the_head_is_applied_again_not_lost(bot: Briefbot) -> None:
    """Killed between the article record and the head: the record is found on the next
    change, and the next writer's generation (the same number) is not skipped."""
    bot.ingest_articles([VOLCANO])
    elsewhere = bot.settings.model_copy(update={"lexical_dir": bot.settings.store_path / "other"})
    reader = fresh(bot, elsewhere)
    reader.bm25.refresh()
    head = bot.store.generation().committed
    bot.store._advance = lambda generation: None  # type: ignore[method-assign]
    bot.ingest_articles([HARBOUR])  # its record holds generation head + 1; the head stays
    assert bot.store.generation().committed == head
    assert reader.bm25.refresh() is False
    del bot.store._advance
    late = make_article("Snow closed the mountain pass overnight.", "Pass closed", day=3)
    bot.ingest_articles([late])
    assert bot.store.generation().committed == head + 1  # the number the crashed write had
    reader.bm25.refresh()
    assert articles_of(reader.bm25.search("dockworkers snow pass", 5)) == {HARBOUR.id, late.id}


def test_filters_apply_to_bm25(bot: Briefbot) -> None:
    bot.ingest_articles([VOLCANO, HARBOUR])
    query = "volcano dockworkers"
    both = articles_of(bot.bm25.search(query, 10))
    assert both == {VOLCANO.id, HARBOUR.id}

    def ids(filters: SearchFilters, article_ids: list[str] | None = None) -> set[str]:
        return articles_of(bot.bm25.search(query, 10, filters, article_ids))

    assert ids(SearchFilters(since=datetime(2024, 5, 10, tzinfo=UTC))) == {HARBOUR.id}
    assert ids(SearchFilters(until=datetime(2024, 5, 10, tzinfo=UTC))) == {VOLCANO.id}
    assert ids(SearchFilters(), [HARBOUR.id]) == {HARBOUR.id}
    assert ids(SearchFilters(), []) == set()
    start = datetime(2024, 5, 1, tzinfo=UTC)
    assert ids(SearchFilters(since=start, until=start)) == {VOLCANO.id}  # bounds are inclusive


def test_filters_do_not_change_the_scores(bot: Briefbot) -> None:
    bot.ingest_articles([VOLCANO, HARBOUR])
    plain = dict(bot.bm25.search("dockworkers strike", 10))
    filtered = dict(bot.bm25.search("dockworkers strike", 10, SearchFilters(), [HARBOUR.id]))
    assert plain and filtered == plain


def test_reader_notices_a_store_grown_by_another_writer(
    settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    reader = Briefbot.open(
        settings=settings.model_copy(update={"lexical_recheck_s": 0.0}), embedder=fake_embedder
    )
    assert reader.bm25.search("dockworkers strike", 3) == []
    Briefbot.open(settings=settings, embedder=fake_embedder).ingest_articles([HARBOUR])
    found = reader.bm25.search("dockworkers strike", 3)
    assert articles_of(found) == {HARBOUR.id}
    assert reader.bm25.builds == 1  # the writer brought the shared index up; this one reloaded


def test_a_search_does_not_wait_for_an_update_in_progress(bot: Briefbot) -> None:
    bot.ingest_articles([VOLCANO])
    bot.bm25.recheck_s = 0.0
    import filelock

    with filelock.FileLock(bot.bm25.root / "update.lock"):  # another process updating
        Briefbot.open(settings=bot.settings, embedder=bot.embedder).store.put_article(
            HARBOUR, [], bot.embedder.embed(["x"])[:0], ""
        )
        assert articles_of(bot.bm25.search("volcano", 3)) == {VOLCANO.id}
    assert bot.bm25.refresh() is True


@pytest.mark.parametrize("damage", ["state cut", "state garbled", "segment cut", "meta gone"])
def test_a_damaged_index_file_is_named_and_rebuilt_with_a_warning(
    bot: Briefbot, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot.ingest_articles([VOLCANO, HARBOUR])
    root = bot.bm25.root
    state = read_state(root)
    assert state is not None
    folder = root / state.index
    if damage == "state cut":
        path = root / STATE_FILE
        path.write_bytes(path.read_bytes()[:10])
    elif damage == "state garbled":
        path = root / STATE_FILE
        path.write_text(json.dumps({"format": 1, "log": 3}))
    elif damage == "segment cut":
        path = max((p for p in folder.iterdir() if p.suffix == ".idx"), key=os.path.getsize)
        os.truncate(path, path.stat().st_size // 2)
        path = folder
    else:
        path = folder / "meta.json"
        path.unlink()
    problem = bm25.check_index(root)
    assert problem is not None and str(path) in problem

    reopened = BM25Index(bot.store, root)
    found = reopened.search("volcano lava", 5)
    assert found and all(cid.startswith(VOLCANO.id) for cid, _ in found)
    assert reopened.builds == 1
    assert any(str(path) in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert bm25.check_index(root) is None
    assert not folder.exists()  # the damaged copy is gone


def test_the_old_bm25s_cache_is_removed_when_the_index_is_built(bot: Briefbot) -> None:
    old = bot.settings.store_path / "bm25"
    old.mkdir(parents=True)
    (old / "chunks.json").write_text("{}")
    bot.ingest_articles([VOLCANO])
    assert bot.bm25.search("volcano", 3) and not old.exists()


def test_index_of_a_server_store_lives_in_the_state_dir_per_url_and_prefix(
    settings: Settings,
) -> None:
    def where(**update: object) -> str:
        return str(bm25.lexical_dir(settings.model_copy(update=update)))

    a = where(chroma_url="http://127.0.0.1:8000")
    assert a == where(chroma_url="http://127.0.0.1:8000/")
    assert a != where(chroma_url="http://127.0.0.1:8001")
    assert a != where(chroma_url="http://127.0.0.1:8000", collection_prefix="other")
    assert "lexical" in a and str(settings.store_path) not in a
    assert where() == str(settings.store_path / "lexical")
