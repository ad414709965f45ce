"""Ingest behaviour: idempotence, replacement, deletion, duplicates and failure safety."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefbot import Briefbot, Settings
from briefbot.errors import EmbedderMismatchError, NotFoundError
from tests.conftest import SEED_FILE, SEEDS
from tests.fakes import FakeEmbedder
from tests.ingest.test_chunking import long_line

WIRE = (
    "SEOUL (AP) — North Korea has sent about 5,000 military engineers to Russia to help rebuild "
    "infrastructure, South Korea's spy agency said on Thursday, citing intelligence gathered over "
    "several months. The agency said another 1,000 deminers would follow in the coming weeks. "
    "Officials in Moscow did not comment on the report, and Pyongyang's state media made no "
    "mention of the deployment. Analysts said the move would deepen military ties between the two "
    "countries, which signed a mutual defence pact last year."
)


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def snapshot(bot: Briefbot) -> tuple[list[str], list[tuple[str, int, int, str]]]:
    articles = sorted(a.id for a in bot.articles())
    chunks = sorted((c.id, c.start, c.end, c.text) for c in bot.store.iter_chunks())
    return articles, chunks


def test_reingest_of_unchanged_articles_embeds_nothing(
    bot: Briefbot, fake_embedder: FakeEmbedder
) -> None:
    first = bot.ingest([SEEDS])
    embedded = fake_embedder.embedded_texts
    before = snapshot(bot)
    second = bot.ingest([SEEDS])
    assert len(first.added) == 1 and first.chunks_embedded > 1
    assert second.unchanged == first.added and not second.added
    assert fake_embedder.embedded_texts == embedded
    assert snapshot(bot) == before


def test_article_offsets_slice_back_to_stored_text(seed_bot: Briefbot) -> None:
    [summary] = seed_bot.articles()
    article = seed_bot.article(summary.id)
    chunks = seed_bot.store.chunks_of(article.id)
    assert article.chunk_count == len(chunks) > 0
    assert all(article.text[c.start : c.end] == c.text for c in chunks)
    assert article.title.startswith("North Korea Deploys 5,000 Troops")
    assert SEED_FILE.read_text(encoding="utf-8").strip().endswith(article.text[-60:])


def test_changed_article_replaces_its_old_chunks(bot: Briefbot, tmp_path: Path) -> None:
    path = tmp_path / "wire.jsonl"
    write_jsonl(path, [{"id": "s1", "title": "Engineers", "text": WIRE, "source": "AP"}])
    [old_id] = bot.ingest([path]).added
    edited = WIRE.replace("5,000", "6,000") + " A second paragraph was added later."
    write_jsonl(path, [{"id": "s1", "title": "Engineers", "text": edited, "source": "AP"}])
    report = bot.ingest([path])
    [new_id] = report.replaced
    assert new_id != old_id
    with pytest.raises(NotFoundError):
        bot.article(old_id)
    assert not [c for c in bot.store.iter_chunks() if c.article_id == old_id]
    assert "6,000" in bot.article(new_id).text


def test_delete_removes_article_and_every_chunk(seed_bot: Briefbot) -> None:
    [article] = seed_bot.articles()
    removed = seed_bot.delete(article.id)
    assert removed == article.chunk_count > 0
    assert seed_bot.articles() == []
    assert list(seed_bot.store.iter_chunks()) == []
    assert seed_bot.search("North Korea engineers", k=3) == []
    with pytest.raises(NotFoundError, match=article.id):
        seed_bot.delete(article.id)


def test_same_text_from_another_outlet_is_stored_once(bot: Briefbot, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "two.jsonl",
        [
            {"id": "a", "title": "Engineers", "text": WIRE, "source": "AP", "url": "https://ap/x"},
            {
                "id": "b",
                "title": "Engineers go",
                "text": WIRE,
                "source": "Daily",
                "url": "https://d/y",
            },
        ],
    )
    report = bot.ingest([path])
    assert len(report.added) == 1 and report.duplicates == report.added
    [article] = bot.articles()
    assert article.outlets == ["AP", "Daily"]
    again = bot.ingest([path])
    assert len(again.unchanged) == 2 and not again.duplicates


def test_near_identical_wire_copy_is_stored_once_with_every_outlet(
    bot: Briefbot, tmp_path: Path
) -> None:
    edited = WIRE.replace("SEOUL (AP) — ", "").replace("on Thursday", "Thursday")
    other = (
        "Local elections were held across the province on Sunday, with turnout higher than in any "
        "vote in two decades, according to the electoral commission's preliminary count."
    )
    path = write_jsonl(
        tmp_path / "wire.jsonl",
        [
            {"id": "ap", "title": "N Korea engineers", "text": WIRE, "source": "AP"},
            {"id": "yna", "title": "Engineers to Russia", "text": edited, "source": "Yonhap"},
            {"id": "loc", "title": "Elections", "text": other, "source": "Local"},
        ],
    )
    report = bot.ingest([path])
    assert len(report.added) == 2 and len(report.duplicates) == 1
    outlets = {tuple(a.outlets) for a in bot.articles()}
    assert ("AP", "Yonhap") in outlets and ("Local",) in outlets


class FailingEmbedder(FakeEmbedder):
    """Fails on the n-th embedding call, like a crash in the middle of an ingest."""

    def __init__(self, fail_on_call: int) -> None:
        super().__init__()
        self.fail_on_call = fail_on_call

    def embed(self, texts):  # type: ignore[no-untyped-def]
        if len(self.calls) + 1 == self.fail_on_call:
            self.calls.append(0)
            raise RuntimeError("embedder crashed")
        return super().embed(texts)


def test_failure_midway_keeps_earlier_articles_and_rerun_completes(
    settings: Settings, tmp_path: Path
) -> None:
    # Forty clearly distinct stories (near-duplicates would be merged, not embedded).
    records: list[dict[str, object]] = [
        {
            "id": f"n{i}",
            "title": f"Story {i}",
            "source": f"Outlet {i}",
            "text": f"Dispatch {i}. "
            + " ".join(
                f"Fact {i}-{j} concerns district {i * 13 + j} and its {j} schools."
                for j in range(12)
            ),
        }
        for i in range(40)
    ]
    path = write_jsonl(tmp_path / "many.jsonl", records)
    failing = FailingEmbedder(fail_on_call=2)  # first batch of 32 articles succeeds
    bot = Briefbot.open(settings=settings, embedder=failing)
    with pytest.raises(RuntimeError):
        bot.ingest([path])
    survived = snapshot(bot)
    assert len(survived[0]) == 32
    for article_id in survived[0]:  # every stored article is complete
        assert bot.article(article_id).chunk_count == len(bot.store.chunks_of(article_id))

    healthy = Briefbot.open(settings=settings, embedder=FakeEmbedder())
    report = healthy.ingest([path])
    assert len(report.unchanged) == 32 and len(report.added) == 8

    fresh = Briefbot.open(
        settings=settings.model_copy(update={"store_path": tmp_path / "fresh"}),
        embedder=FakeEmbedder(),
    )
    fresh.ingest([path])
    assert snapshot(healthy) == snapshot(fresh)


def test_bad_inputs_leave_the_store_untouched(seed_bot: Briefbot, tmp_path: Path) -> None:
    before = snapshot(seed_bot)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bad.jsonl").write_text('{"title": "x"}\n{oops\n')
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02")
    report = seed_bot.ingest([tmp_path / "empty.txt", tmp_path / "bad.jsonl", tmp_path / "bin.txt"])
    assert len(report.skipped) == 4 and not report.added
    assert snapshot(seed_bot) == before


def test_opening_a_store_with_another_embedder_is_an_error(
    seed_bot: Briefbot, settings: Settings
) -> None:
    class OtherEmbedder(FakeEmbedder):
        name = "fake:other"

    with pytest.raises(EmbedderMismatchError, match="fake:hashed-bow"):
        Briefbot.open(settings=settings, embedder=OtherEmbedder())


def test_search_filters_by_outlet_and_date(bot: Briefbot, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from briefbot.models import SearchFilters

    other = "Engineers from the city rebuilt three bridges after the floods, officials said. " * 3
    path = write_jsonl(
        tmp_path / "f.jsonl",
        [
            {"id": "1", "title": "A", "text": WIRE, "source": "AP", "published": "2024-01-05"},
            {"id": "2", "title": "B", "text": other, "source": "Local", "published": "2024-03-01"},
        ],
    )
    bot.ingest([path])
    only_local = bot.search("engineers", k=5, filters=SearchFilters(outlets=["local"]))
    assert only_local and {h.source for h in only_local} == {"Local"}
    recent = bot.search(
        "engineers", k=5, filters=SearchFilters(since=datetime(2024, 2, 1, tzinfo=UTC))
    )
    assert recent and {h.title for h in recent} == {"B"}
    assert bot.search("engineers", k=5, filters=SearchFilters(outlets=["nobody"])) == []


def test_two_versions_of_one_key_in_one_ingest_settle_on_the_last(
    bot: Briefbot, fake_embedder: FakeEmbedder, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "versions.jsonl",
        [
            {"id": "same", "title": "v1", "text": WIRE, "source": "AP"},
            {
                "id": "same",
                "title": "v2",
                "text": WIRE + " Updated with a new paragraph.",
                "source": "AP",
            },
        ],
    )
    first = bot.ingest([path])
    assert len(first.added) == 1 and first.superseded == ["AP#same"]
    [article] = bot.articles()
    assert article.title == "v2"
    embedded = fake_embedder.embedded_texts
    again = bot.ingest([path])
    assert again.unchanged == first.added and not again.replaced
    assert fake_embedder.embedded_texts == embedded


STORIES = {
    ("nyt", 1): "The city council approved a new budget on Monday after a long and heated debate "
    "about school funding and road repairs across the northern districts.",
    ("nyt", 2): "A storm knocked out power to thousands of homes along the coast, and crews worked "
    "through the night to restore electricity before the morning commute.",
    ("bbc", 1): "Scientists announced the discovery of a new species of frog in the rainforest, "
    "noting its unusual call and bright orange markings on its back legs.",
    ("bbc", 2): "The national football team named a new coach, who promised younger players more "
    "chances and a faster style of play before next summer's tournament.",
}


def test_same_file_name_in_two_folders_never_replaces(bot: Briefbot, tmp_path: Path) -> None:
    """nyt/articles.jsonl and bbc/articles.jsonl with ids 1-2 each are four articles."""
    paths = []
    for outlet in ("nyt", "bbc"):
        folder = tmp_path / outlet
        folder.mkdir()
        lines = [
            json.dumps({"id": n, "title": f"{outlet} {n}", "text": STORIES[(outlet, n)]})
            for n in (1, 2)
        ]
        (folder / "articles.jsonl").write_text("\n".join(lines) + "\n")
        paths.append(folder / "articles.jsonl")
    first = bot.ingest([paths[0]])
    second = bot.ingest([paths[1]])
    assert len(first.added) == 2 and len(second.added) == 2 and not second.replaced
    assert sorted(a.title for a in bot.articles()) == ["bbc 1", "bbc 2", "nyt 1", "nyt 2"]


@pytest.mark.parametrize("shape", ["prose", "unpunctuated"])
def test_a_long_single_line_is_stored_with_verbatim_chunks_and_quotes(
    bot: Briefbot, tmp_path: Path, shape: str
) -> None:
    path = tmp_path / "one-line.txt"
    path.write_text(long_line(shape, 200_000), encoding="utf-8")
    [article_id] = bot.ingest([path]).added
    article = bot.article(article_id)
    assert "\n" not in article.text and len(article.title) <= 120
    chunks = bot.store.chunks_of(article_id)
    assert len(chunks) == article.chunk_count > 100
    assert all(article.text[c.start : c.end] == c.text for c in chunks)
    answer = bot.ask("How many engineers is North Korea sending to Russia?")
    quotes = [c for s in answer.sentences for c in s.citations]
    assert quotes
    for citation in quotes:
        assert article.text[citation.start : citation.end] == citation.quote


def test_the_duplicate_check_follows_other_writers_without_reading_every_signature(
    bot: Briefbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The MinHash index is kept between ingests and brought up to the store's generation by
    what was written and deleted since, by this process or another."""
    edited = WIRE.replace("SEOUL (AP) — ", "").replace("on Thursday", "Thursday")
    assert bot.ingest([SEEDS]).added
    other = Briefbot.open(settings=bot.settings, embedder=bot.embedder)
    ap = write_jsonl(tmp_path / "ap.jsonl", [{"id": "ap", "title": "N", "text": WIRE}])
    [ap_id] = other.ingest([ap]).added

    def no_full_read() -> dict[str, str]:
        raise AssertionError("read every signature again")

    monkeypatch.setattr(bot.store, "signatures", no_full_read)
    yonhap = write_jsonl(tmp_path / "yna.jsonl", [{"id": "yna", "title": "E", "text": edited}])
    assert bot.ingest([yonhap]).duplicates == [ap_id]  # written by the other process

    other.delete(ap_id)
    assert bot.ingest([yonhap]).added  # its deletion was replayed: nothing to merge into
