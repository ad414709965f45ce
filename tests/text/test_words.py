"""``text.words`` repeats bm25s's English stopwords rather than importing bm25s (and scipy)."""

from __future__ import annotations

from bm25s.stopwords import STOPWORDS_EN

from briefbot.text.words import BM25S_STOPWORDS_EN, STOPWORDS


def test_the_repeated_list_is_bm25s_own() -> None:
    assert BM25S_STOPWORDS_EN == STOPWORDS_EN


def test_every_bm25s_stopword_is_a_stopword() -> None:
    assert set(STOPWORDS_EN) <= STOPWORDS
