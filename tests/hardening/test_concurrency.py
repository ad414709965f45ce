"""One shared ``Briefbot``: 16 threads ask, search and brief while another thread ingests;
two processes ingesting wire copy into one store at once."""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from briefbot import Briefbot, Settings
from briefbot.backends.embedders import Vectors
from briefbot.backends.writelock import StoreWriteLock
from briefbot.doctor import diagnose
from briefbot.errors import StoreBusyError
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
    chunk_ids = {c[0] for c in _chunk_set(bot)}
    assert bot.bm25.indexed_chunk_ids() == reference.bm25.indexed_chunk_ids() == chunk_ids


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


# --- two processes, one store ------------------------------------------------------------

WIRE = (
    "SEOUL (AP) — North Korea has sent about 5,000 military engineers to Russia to help rebuild "
    "infrastructure, South Korea's spy agency said on Thursday, citing intelligence gathered over "
    "several months. The agency said another 1,000 deminers would follow in the coming weeks. "
    "Officials in Moscow did not comment on the report, and Pyongyang's state media made no "
    "mention of the deployment. Analysts said the move would deepen military ties between the two "
    "countries, which signed a mutual defence pact last year."
)
EDITED = WIRE.replace("SEOUL (AP) — ", "").replace("on Thursday", "Thursday")


def _wire_file(folder: Path, outlet: str, text: str) -> Path:
    record = {"id": "1", "title": "Engineers to Russia", "text": text, "source": outlet}
    return write_jsonl(folder / f"{outlet}.jsonl", [record])


class SlowEmbedder(FakeEmbedder):
    """Takes a second per call, so two ingests started together overlap for certain."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        time.sleep(1.0)
        return super().embed(texts)


def _ingest_in_another_process(
    store: str, source: str, start: Any, results: Any, timeout_s: float
) -> None:
    """Runs in a spawned process: open the store, wait for the other one, ingest ``source``."""
    try:
        settings = Settings(  # type: ignore[call-arg]
            store_path=Path(store), store_lock_timeout_s=timeout_s, _env_file=None
        )
        bot = Briefbot.open(settings=settings, embedder=SlowEmbedder())
        labels: list[str] = []
        start.wait(timeout=120)
        report = bot.ingest([source], progress=lambda done, total, label: labels.append(label))
        assert not report.skipped, report.skipped
        results.put(("report", source, report.added, report.duplicates, labels))
    except Exception as exc:
        results.put(("error", source, type(exc).__name__, str(exc), []))


def _ingest_in_processes(store: Path, sources: list[Path], timeout_s: float = 120.0) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(sources))
    results = context.Queue()
    processes = [
        context.Process(
            target=_ingest_in_another_process,
            args=(str(store), str(source), start, results, timeout_s),
        )
        for source in sources
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return outcomes


def test_two_processes_ingesting_wire_copy_at_once_store_it_once(tmp_path: Path) -> None:
    ap, yonhap = _wire_file(tmp_path, "AP", WIRE), _wire_file(tmp_path, "Yonhap", EDITED)
    store = tmp_path / "store"
    _open(store)  # create the store, so neither process races to make the collections

    outcomes = _ingest_in_processes(store, [ap, yonhap])

    assert all(kind == "report" for kind, *_ in outcomes), outcomes
    added = [a for _, _, added, _, _ in outcomes for a in added]
    duplicates = [d for _, _, _, duplicates, _ in outcomes for d in duplicates]
    assert len(added) == 1 and duplicates == added, outcomes
    # The one that came second said it was waiting, naming the store.
    (waiter,) = [o for o in outcomes if o[3]]
    assert any("waiting" in label and str(store) in label for label in waiter[4]), waiter
    bot = _open(store)
    [article] = bot.articles()
    assert sorted(article.outlets) == ["AP", "Yonhap"]
    assert diagnose(bot).ok


def test_a_process_that_cannot_get_the_store_gives_up_naming_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    bot = _open(store)
    source = _wire_file(tmp_path, "AP", WIRE)
    with StoreWriteLock(bot.settings):  # another writer holds the store
        outcomes = _ingest_in_processes(store, [source], timeout_s=0.5)
    [(kind, _, name, message, _)] = outcomes
    assert (kind, name) == ("error", StoreBusyError.__name__)
    assert str(store) in message and "BRIEFBOT_STORE_LOCK_TIMEOUT_S" in message
    assert bot.articles() == []
