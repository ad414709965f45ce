"""``MemoEmbedder``: the same vectors as its embedder, each distinct text embedded once."""

from __future__ import annotations

import numpy as np

from briefbot.backends.memo import MemoEmbedder
from tests.fakes import FakeEmbedder


def test_vectors_are_the_embedders_and_each_text_is_embedded_once() -> None:
    fake = FakeEmbedder()
    memo = MemoEmbedder(fake)
    texts = ["Seoul said on Monday.", "Engineers were sent.", "Seoul said on Monday."]
    first = memo.embed(texts)
    np.testing.assert_array_equal(first, fake.embed(texts))
    assert fake.calls == [2, 3], "one call for the two distinct texts (then the direct call)"
    again = memo.embed(["Engineers were sent.", "A new sentence."])
    np.testing.assert_array_equal(again, fake.embed(["Engineers were sent.", "A new sentence."]))
    assert fake.calls[2] == 1, "only the new text goes to the model"
    assert memo.embed([]).shape == (0, fake.dimension)


def test_the_memory_is_bounded_least_recently_used_first() -> None:
    fake = FakeEmbedder()
    memo = MemoEmbedder(fake, size=2)
    memo.embed(["a b", "c d"])
    memo.embed(["a b"])  # used again: "c d" is now the oldest
    memo.embed(["e f"])
    calls = len(fake.calls)
    memo.embed(["a b", "e f"])
    assert len(fake.calls) == calls, "both still remembered"
    memo.embed(["c d"])
    assert fake.calls[-1] == 1, "the least recently used text was dropped"
