"""Chunking invariants: coverage, exact offsets, the embedder's limit, sentence overlap."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from briefbot.backends.embedders import Embedder
from briefbot.ingest.chunking import chunk_article
from briefbot.text.sentences import split_sentences
from tests.conftest import SEED_FILE
from tests.fakes import FakeEmbedder

WORDS = st.sampled_from(
    ["Pyongyang", "troops", "said", "5,000", "engineers", "Dr.", "U.S.", "the", "a", "Kursk",
     "“quoted”", "(Yonhap)", "e.g.", "—", "reportedly", "10.5%", "Jan.", "mines", "x" * 40]
)  # fmt: skip
SENTENCE = st.lists(WORDS, min_size=1, max_size=40).map(lambda ws: " ".join(ws) + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=6).map(" ".join)
ARTICLE = st.lists(PARAGRAPH, min_size=1, max_size=6).map("\n\n".join)


@settings(max_examples=120, deadline=None)
@given(text=ARTICLE, limit=st.integers(min_value=8, max_value=80))
def test_chunks_slice_back_cover_every_sentence_and_fit(text: str, limit: int) -> None:
    embedder = FakeEmbedder(max_tokens=limit)
    chunks = chunk_article("a" * 16, text, embedder, max_tokens=1000)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.embed_tokens <= limit
        assert embedder.count_tokens([chunk.text])[0] == chunk.embed_tokens
    covered = [(c.start, c.end) for c in chunks]
    for sentence in split_sentences(text):
        # every character of every sentence lies in some chunk
        for position in range(sentence.start, sentence.end):
            if not text[position].isspace():
                assert any(a <= position < b for a, b in covered), sentence.text
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(c.id == f"{'a' * 16}:{c.ordinal:04d}" for c in chunks)


def test_consecutive_chunks_share_one_sentence() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = chunk_article("b" * 16, text, FakeEmbedder(max_tokens=20), max_tokens=20)
    assert len(chunks) > 3
    for previous, following in itertools.pairwise(chunks):
        last_sentence = split_sentences(previous.text)[-1].text
        assert following.text.startswith(last_sentence)


def test_no_overlap_when_disabled() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = chunk_article("c" * 16, text, FakeEmbedder(max_tokens=20), 20, overlap_sentences=0)
    assert all(a.end < b.start for a, b in itertools.pairwise(chunks))


def test_overlong_sentence_is_cut_at_token_boundaries() -> None:
    text = "word " * 100 + "end."
    chunks = chunk_article("d" * 16, text, FakeEmbedder(max_tokens=16), 16)
    assert len(chunks) >= 7
    assert all(c.embed_tokens <= 16 for c in chunks)
    assert chunks[-1].text.endswith("end.")


def test_seed_chunks_fit_minilm_measured_with_its_tokenizer(minilm: Embedder) -> None:
    text = SEED_FILE.read_text(encoding="utf-8")
    chunks = chunk_article("e" * 16, text, minilm, max_tokens=10_000)
    assert minilm.max_tokens == 254  # 256 word pieces less [CLS] and [SEP]
    assert len(chunks) >= 2
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.embed_tokens == minilm.count_tokens([chunk.text])[0] <= 254
        assert chunk.llm_tokens > 0
