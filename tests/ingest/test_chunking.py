"""Chunking invariants: coverage, exact offsets, the embedder's limit, sentence overlap."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefbot.backends.embedders import Embedder, Vectors
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


# --- one very long line ------------------------------------------------------------------


class RecordingEmbedder:
    """Another embedder's tokenizer, recording the length of every text it is given."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name, self.dimension, self.max_tokens = inner.name, inner.dimension, inner.max_tokens
        self.seen: list[int] = []

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        self.seen.append(len(text))
        return self.inner.token_offsets(text)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        self.seen.extend(len(t) for t in texts)
        return self.inner.count_tokens(texts)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self.inner.embed(texts)


def long_line(shape: str, size: int) -> str:
    """The seed article's prose run together on one line, repeated to ``size`` characters;
    ``unpunctuated``: with every sentence mark removed too (one "sentence" of ``size``)."""
    prose = " ".join(SEED_FILE.read_text(encoding="utf-8").split("\n")[1:]).split()
    words = [re.sub(r"[.!?;:]", "", w) for w in prose] if shape == "unpunctuated" else prose
    line = " ".join(words)
    return " ".join([line] * (size // len(line) + 1))[:size].strip()


@pytest.mark.parametrize("shape", ["prose", "unpunctuated"])
@pytest.mark.parametrize("tokenizer", ["fake", "minilm"])
def test_a_long_single_line_is_chunked_with_linear_work_and_exact_offsets(
    shape: str, tokenizer: str, request: pytest.FixtureRequest
) -> None:
    inner = FakeEmbedder() if tokenizer == "fake" else request.getfixturevalue("minilm")
    seconds = []
    for size in (100_000, 400_000):
        text = long_line(shape, size)
        runs = []
        for _ in range(3):  # the best of three CPU times: the machine is shared
            embedder = RecordingEmbedder(inner)
            started = time.process_time()
            chunks = chunk_article("f" * 16, text, embedder, max_tokens=256)
            runs.append(time.process_time() - started)
        seconds.append(min(runs))
        # The tokenizer never sees the whole line, and reads each character about twice (a
        # long run is cut into windows; the chunks are measured once, not re-cut and re-read).
        assert max(embedder.seen) <= 16_000, max(embedder.seen)
        assert sum(embedder.seen) <= 3 * len(text)
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert chunk.embed_tokens <= embedder.max_tokens
        for previous, following in itertools.pairwise(chunks):
            assert (
                following.start <= previous.end or not text[previous.end : following.start].strip()
            )
        assert not text[: chunks[0].start].strip() and not text[chunks[-1].end :].strip()
    # Four times the text: about four times the time (quadratic work would be sixteen).
    assert seconds[1] / seconds[0] < 8, seconds
