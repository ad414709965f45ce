"""``text.words``: bm25s's English stopwords repeated rather than imported (bm25s loads scipy),
and the indexed vocabulary that answers ``covered`` as a plain set does."""

from __future__ import annotations

from bm25s.stopwords import STOPWORDS_EN
from hypothesis import given
from hypothesis import strategies as st

from briefbot.text.words import (
    BM25S_STOPWORDS_EN,
    STOPWORDS,
    Vocabulary,
    covered,
    vocabulary_of,
)


def test_the_repeated_list_is_bm25s_own() -> None:
    assert BM25S_STOPWORDS_EN == STOPWORDS_EN


def test_every_bm25s_stopword_is_a_stopword() -> None:
    assert set(STOPWORDS_EN) <= STOPWORDS


@given(
    st.text(alphabet="abcdemnr", min_size=1, max_size=9),
    st.sets(st.text(alphabet="abcdemnr", min_size=1, max_size=9), max_size=12),
)
def test_an_indexed_vocabulary_covers_exactly_what_a_plain_set_does(
    word: str, words: set[str]
) -> None:
    assert covered(word, Vocabulary(words)) == covered(word, words)


def test_a_word_covers_a_longer_one_it_begins_and_is_covered_by_one_it_extends() -> None:
    vocabulary = vocabulary_of("The deminers cleared the fields")
    assert isinstance(vocabulary, Vocabulary)
    assert covered("demin", vocabulary)  # begins 'deminer'
    assert covered("fieldwork", Vocabulary({"field"}))  # 'field' begins it
    assert not covered("dem", vocabulary)  # three letters are not enough
    assert not covered("mine", vocabulary)
