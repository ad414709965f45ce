"""``doctor``: each kind of damage is found, and ``repair`` restores the undamaged store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from briefbot import Briefbot, Settings
from briefbot.backends.lexical import STATE_FILE, indexed_chunk_ids, read_state
from briefbot.doctor import diagnose, repair
from tests.damage import DAMAGE, damage, forget_open_stores, written_store
from tests.fakes import FakeEmbedder
from tests.hardening.corpus import article_records, write_jsonl


def snapshot(bot: Briefbot) -> dict[str, Any]:
    chunks = sorted((c.id, c.text, c.start, c.end) for c in bot.store.iter_chunks())
    articles = sorted((a.id, a.chunk_count, a.title) for a in bot.store.list_articles())
    return {"chunks": chunks, "articles": articles}


@pytest.fixture
def filled(bot: Briefbot, tmp_path: Path) -> Briefbot:
    source = write_jsonl(tmp_path / "news.jsonl", article_records(12))
    report = bot.ingest([source])
    assert len(report.added) == 12
    return bot


def checks(bot: Briefbot) -> set[str]:
    return {f.check for f in diagnose(bot).findings}


def test_fresh_store_is_healthy(filled: Briefbot) -> None:
    health = diagnose(filled)
    assert health.ok, health.findings
    assert health.articles == 12
    assert health.chunks == filled.store.count_chunks() > 12


def test_orphan_chunks_are_found_and_deleted(filled: Briefbot) -> None:
    before = snapshot(filled)
    victim = filled.store.list_articles()[0].id
    filled.store.articles.delete(ids=[victim])  # as if killed between record and chunks
    expected = {c[0] for c in before["chunks"] if c[0].startswith(victim)}
    health = diagnose(filled)
    orphan = next(f for f in health.findings if f.check == "orphan-chunks")
    assert set(orphan.ids) == expected
    repaired = repair(filled)
    assert repaired.ok, repaired.findings
    assert any("deleted" in r for r in repaired.repairs)
    assert not any(c.article_id == victim for c in filled.store.iter_chunks())


def test_missing_chunks_are_rebuilt_from_the_article_text(filled: Briefbot) -> None:
    before = snapshot(filled)
    victim = filled.store.list_articles()[3]
    chunk_ids = [c.id for c in filled.store.chunks_of(victim.id)]
    filled.store.delete_chunks(chunk_ids[1:])
    assert checks(filled) >= {"chunk-count", "lexical-index"}
    repaired = repair(filled)
    assert repaired.ok, repaired.findings
    assert snapshot(filled) == before


def test_offsets_that_do_not_slice_back_are_found_and_rebuilt(filled: Briefbot) -> None:
    before = snapshot(filled)
    chunk = next(filled.store.iter_chunks())
    vector = filled.store.chunk_embeddings([chunk.id])[chunk.id]
    filled.store.chunks.update(
        ids=[chunk.id], documents=["tampered " + chunk.text], embeddings=[vector]
    )
    found = next(f for f in diagnose(filled).findings if f.check == "offsets")
    assert found.ids == [chunk.article_id]
    assert repair(filled).ok
    assert snapshot(filled) == before


def stored_chunk_ids(bot: Briefbot) -> set[str]:
    return {c.id for c in bot.store.iter_chunks()}


def lexical_finding(bot: Briefbot) -> str:
    (found,) = [f for f in diagnose(bot).findings if f.check == "lexical-index"]
    return found.message


def test_a_lexical_index_behind_the_store_is_found_and_rebuilt(filled: Briefbot) -> None:
    root = filled.bm25.root
    state = read_state(root)
    assert state is not None
    assert state.applied > 0
    behind = state.to_json().replace(f'"applied": {state.applied}', '"applied": 0')
    (root / STATE_FILE).write_text(behind)
    assert checks(filled) == {"lexical-index"}
    assert f"generation 0, the store is at {state.applied}" in lexical_finding(filled)
    reopened = Briefbot.open(settings=filled.settings, embedder=filled.embedder)
    assert repair(reopened).ok
    found = indexed_chunk_ids(root)
    assert found is not None and found[1] == stored_chunk_ids(filled)
    assert found[0].applied == filled.store.generation().committed


def test_a_lexical_index_ahead_of_a_restored_store_is_found(filled: Briefbot) -> None:
    root = filled.bm25.root
    state = read_state(root)
    assert state is not None
    ahead = state.to_json().replace(f'"applied": {state.applied}', '"applied": 99')
    (root / STATE_FILE).write_text(ahead)
    assert "it is ahead of the store (generation 99" in lexical_finding(filled)
    assert repair(filled).ok


def test_a_lexical_index_missing_an_article_is_found_and_rebuilt(filled: Briefbot) -> None:
    victim = filled.store.list_articles()[2].id
    writer = filled.bm25._index.writer(heap_size=15_000_000, num_threads=1)  # type: ignore[union-attr]
    writer.delete_documents_by_term("article_id", victim)
    writer.commit()
    writer.wait_merging_threads()
    message = lexical_finding(filled)
    assert "stored chunks are missing from it" in message and victim in message
    report = repair(filled)
    assert report.ok and any("keyword" in r for r in report.repairs)
    assert filled.bm25.indexed_chunk_ids() == stored_chunk_ids(filled)


def test_a_lexical_index_holding_a_deleted_article_is_found(filled: Briefbot) -> None:
    victim = filled.store.list_articles()[1].id
    filled.store.articles.delete(ids=[victim])  # behind the generation's back
    filled.store.delete_chunks([c.id for c in filled.store.chunks_of(victim)])
    message = lexical_finding(filled)
    assert "chunks the store does not" in message and victim in message
    assert repair(filled).ok
    assert not any(cid.startswith(victim) for cid in filled.bm25.indexed_chunk_ids())


def test_a_damaged_lexical_index_is_named_and_rebuilt(filled: Briefbot) -> None:
    state = read_state(filled.bm25.root)
    assert state is not None
    (filled.bm25.root / state.index / "meta.json").write_text("{")
    assert f"{filled.bm25.root / state.index}" in lexical_finding(filled)
    assert repair(Briefbot.open(settings=filled.settings, embedder=filled.embedder)).ok


def test_embedder_dimension_mismatch_is_reported_not_repaired(filled: Briefbot) -> None:
    class Wider:
        name = filled.embedder.name
        dimension = filled.embedder.dimension * 2

    filled.embedder = Wider()  # type: ignore[assignment]
    health = repair(filled)
    embedder = [f for f in health.findings if f.check == "embedder"]
    assert embedder and not any(f.repairable for f in embedder)
    assert any("not repaired" in r for r in health.repairs)


def test_cli_doctor_reports_then_repairs(filled: Briefbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from briefbot.cli import app, maintenance

    monkeypatch.setattr(maintenance, "open_bot", lambda store=None: filled)
    victim = filled.store.list_articles()[0].id
    filled.store.articles.delete(ids=[victim])
    runner = CliRunner()

    found = runner.invoke(app, ["doctor"])
    assert found.exit_code == 1
    assert "orphan-chunks" in found.output and "fixable with --repair" in found.output

    fixed = runner.invoke(app, ["doctor", "--repair", "--json"])
    assert fixed.exit_code == 0, fixed.output
    report = json.loads(fixed.output)
    assert report["ok"] is True and report["articles"] == 11
    assert any(r.startswith("deleted") for r in report["repairs"])

    assert runner.invoke(app, ["doctor"]).exit_code == 0


# --- damaged index files ------------------------------------------------------------------


def records(bot: Briefbot) -> dict[str, Any]:
    """Everything stored, read through Chroma: texts and metadata of articles and chunks."""
    found = {}
    for name, collection in (("articles", bot.store.articles), ("chunks", bot.store.chunks)):
        page = collection.get(include=["documents", "metadatas"])
        found[name] = sorted(zip(page["ids"], page["documents"], page["metadatas"], strict=True))
    return found


def assert_every_article_is_found(bot: Briefbot) -> None:
    """Each article's first chunk is found by a dense search, by BM25 and by ``search``."""
    for article in bot.store.list_articles():
        chunk = bot.store.chunks_of(article.id)[0]
        dense = bot.store.query_chunks(bot.embedder.embed([chunk.text])[0], 3)
        assert chunk.id in [c.id for c, _ in dense], article.title
        assert chunk.id in [cid for cid, _ in bot.bm25.search(chunk.text, 3)], article.title
        assert article.id in {h.chunk.article_id for h in bot.search(chunk.text, 5)}


@pytest.fixture
def written(settings: Settings, fake_embedder: FakeEmbedder, tmp_path: Path) -> Settings:
    """Settings of a 12-article store whose index files Chroma has written to disk."""
    written_store(settings, fake_embedder, write_jsonl(tmp_path / "n.jsonl", article_records(12)))
    return settings


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_index_files_are_named_then_rebuilt(
    written: Settings, fake_embedder: FakeEmbedder, kind: str
) -> None:
    undamaged = Briefbot.open(settings=written, embedder=fake_embedder)
    assert diagnose(undamaged).ok  # the files Chroma wrote pass every check
    before = records(undamaged)
    damaged = damage(written.store_path, kind)
    bot = Briefbot.open(settings=written, embedder=fake_embedder)

    health = diagnose(bot)
    assert not health.ok
    assert str(damaged) in " ".join(f.message for f in health.findings), health.findings
    assert all(f.repairable for f in health.findings)

    repaired = repair(bot)
    assert repaired.ok, repaired.findings
    assert any(r.startswith("rebuilt") for r in repaired.repairs)
    assert records(bot) == before
    assert_every_article_is_found(bot)

    forget_open_stores()
    reopened = Briefbot.open(settings=written, embedder=fake_embedder)
    assert diagnose(reopened).ok
    assert records(reopened) == before
    assert_every_article_is_found(reopened)


def test_a_cut_index_file_is_refused_before_chroma_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma's native code can read past the end of a cut file and crash the process: the
    store checks the files' sizes first and raises the one-line repair error instead."""
    from briefbot.errors import DamagedStoreError

    settings = Settings(store_path=tmp_path / "store", _env_file=None)
    written_store(settings, FakeEmbedder(), write_jsonl(tmp_path / "n.jsonl", article_records(12)))
    damaged = damage(settings.store_path, "chunk vectors cut short")
    bot = Briefbot.open(settings=settings, embedder=FakeEmbedder())
    touched: list[str] = []
    monkeypatch.setattr(
        type(bot.store.chunks._collection), "query", lambda *a, **k: touched.append("query")
    )
    with pytest.raises(DamagedStoreError, match="briefbot doctor --repair") as caught:
        bot.store.query_chunks(FakeEmbedder().embed(["harbour"])[0], 3)
    assert str(damaged.name) in str(caught.value) and touched == []
