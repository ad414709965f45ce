"""One shared ``Briefbot``: 16 threads ask, search and brief while another thread ingests."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from briefbot import Briefbot, Settings
from briefbot.doctor import diagnose
from tests.fakes import FakeEmbedder
from tests.hardening.corpus import article_records, write_jsonl

READERS = 16
BATCHES = 4
PER_BATCH = 10
QUERIES = ("harbour bridge cables", "teachers strike wages", "flood farmers drought", "minister")


def _open(path: Path) -> Briefbot:
    settings = Settings(store_path=path, _env_file=None)  # type: ignore[call-arg]
    return Briefbot.open(settings=settings, embedder=FakeEmbedder())


def _chunk_set(bot: Briefbot) -> set[tuple[str, str, int, int]]:
    return {(c.id, c.text, c.start, c.end) for c in bot.store.iter_chunks()}


def test_readers_and_a_writer_share_one_briefbot(tmp_path: Path) -> None:
    records = article_records(BATCHES * PER_BATCH, seed=11)
    files = [
        write_jsonl(tmp_path / f"batch{i}.jsonl", records[i * PER_BATCH : (i + 1) * PER_BATCH])
        for i in range(BATCHES)
    ]
    changed = dict(records[-1], text=records[-1]["text"] + "\n\nA correction was added later.")
    (tmp_path / "v2").mkdir()
    replacement = write_jsonl(tmp_path / "v2" / files[-1].name, [changed])
    bot = _open(tmp_path / "shared")
    first = bot.ingest([files[0]]).added
    assert len(first) == PER_BATCH

    errors: list[str] = []
    done = threading.Event()
    counts: dict[str, int] = {"search": 0, "ask": 0, "brief": 0}
    counts_lock = threading.Lock()

    def check_hits(hits: list[Any]) -> None:
        for hit in hits:
            article = bot.store.get_article(hit.chunk.article_id)
            if article is None:  # replaced or deleted by the writer since the search
                continue
            assert article.text[hit.chunk.start : hit.chunk.end] == hit.chunk.text

    operations: dict[str, Callable[[str], None]] = {
        "search": lambda q: check_hits(bot.search(q, k=5)),
        "ask": lambda q: _check_answer(bot, bot.ask(q)),
        "brief": lambda q: _check_brief(bot, bot.brief(article_ids=first[: 1 + len(q) % 3])),
    }

    def reader(index: int) -> None:
        names = list(operations)
        step = 0
        try:
            while not done.is_set() or step < 3:
                name = names[(index + step) % len(names)]
                operations[name](QUERIES[(index + step) % len(QUERIES)])
                with counts_lock:
                    counts[name] += 1
                step += 1
        except Exception:
            errors.append(traceback.format_exc())

    def writer() -> None:
        try:
            for source in files[1:]:
                report = bot.ingest([source])
                assert len(report.added) == PER_BATCH, report
            assert bot.ingest([files[0]]).unchanged  # re-ingest while readers run
            assert len(bot.ingest([replacement]).replaced) == 1
            bot.delete(_id_of(bot, files[-1], records[-2]))
        except Exception:
            errors.append(traceback.format_exc())
        finally:
            done.set()

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    threads.append(threading.Thread(target=writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    assert errors == [], "\n".join(errors)
    assert all(n >= READERS for n in counts.values()), counts

    health = diagnose(bot)
    assert health.ok, health.findings
    assert health.articles == BATCHES * PER_BATCH - 1

    reference = _open(tmp_path / "sequential")
    reference.ingest(files)
    reference.ingest([replacement])
    reference.delete(_id_of(reference, files[-1], records[-2]))
    assert _chunk_set(bot) == _chunk_set(reference)
    assert bot.bm25.snapshot().fingerprint == reference.bm25.snapshot().fingerprint


def _id_of(bot: Briefbot, source: Path, record: dict[str, Any]) -> str:
    """The stored article of a JSONL record (its identity is ``source#id``)."""
    (article_id,) = bot.store.ids_by_key([f"{record['source']}#{record['id']}"]).values()
    return article_id[0]


def _check_answer(bot: Briefbot, answer: Any) -> None:
    if answer.refused:
        assert answer.refusal_reason
        return
    assert answer.sources and answer.sentences


def _check_brief(bot: Briefbot, brief: Any) -> None:
    assert brief.sentences
    for source in brief.sources:
        bot.article(source.article_id)  # briefs cover the first batch, which stays
