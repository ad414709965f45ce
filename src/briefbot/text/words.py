"""Words as the checks compare them: one stopword list, stems, content words.

``STOPWORDS`` extends bm25s's English list with the function and reporting words of news
copy ("said", "according", "reportedly"), so that a claim's content is what it reports, not
who reported it. Stems are PyStemmer's Snowball English, as in the lexical index.
bm25s's list is repeated here (``BM25S_STOPWORDS_EN``, checked against bm25s by a test)
because importing bm25s imports scipy, 0.2 s that commands which never search should not pay.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

BM25S_STOPWORDS_EN = (
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
)  # fmt: skip
"""``bm25s.stopwords.STOPWORDS_EN``, the list the lexical index drops (``lexical.tokenize``)."""

_STOPWORD_TEXT = """a about above after again against all also am an and any are as at be
    because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves according said says say reportedly also however meanwhile still yet
    per via amid among upon within without across around another many much may might must
    shall us its it's one's there's that's what's who's let's including since though although
    whether either neither every"""
STOPWORDS = frozenset(BM25S_STOPWORDS_EN) | frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"[^\W\d_][\w'’\-]*|\d+(?:[.,]\d+)*")

SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "mn": 1e6,
    "bn": 1e9,
    "m": 1e6,
    "k": 1e3,
}


def number_value(digits: str, scale: str | None) -> str | None:
    """The canonical value of "5,000" or "5" with scale "thousand" ("5000"); None for "1,2"."""
    groups = digits.split(",")
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]) and "." not in "".join(groups[:-1]):
        digits = "".join(groups)
    elif len(groups) > 1:
        return None  # "1,2" is a list, not a number
    try:
        value = float(digits)
    except ValueError:
        return None
    if scale:
        value *= SCALES[scale.lower()]
    return f"{int(value)}" if value == int(value) else f"{value:g}"


STEMMER = Stemmer.Stemmer("english")
"""Snowball English, shared with the lexical index so both agree on what a word is."""


def normalise(text: str) -> str:
    """NFKC, curly quotes and dashes made plain, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip()


def strip_possessive(word: str) -> str:
    word = word.replace("’", "'")
    return word[:-2] if word.lower().endswith("'s") else word.rstrip("'")


def stem(word: str) -> str:
    """The Snowball stem of a word, lower-cased, possessive removed."""
    return str(STEMMER.stemWord(strip_possessive(word.lower())))


def content_words(text: str) -> list[str]:
    """Stems of the words that carry content (no stopwords), numbers canonicalised."""
    if len(text) <= _REMEMBERED_CHARS:
        return list(_remembered_content_words(text))
    return list(_content_words(text))


_REMEMBERED_CHARS = 1000
"""Texts up to this long (sentences) have their content words remembered: the support checks
ask again for the same sentences (a claim against every candidate sentence, each candidate
against every claim)."""


@lru_cache(maxsize=16384)
def _remembered_content_words(text: str) -> tuple[str, ...]:
    return _content_words(text)


def _content_words(text: str) -> tuple[str, ...]:
    words: list[str] = []
    for match in _WORD.finditer(normalise(text)):
        token = match.group(0)
        if token[0].isdigit():
            value = number_value(token, None)
            if value is not None:
                words.append(value)
            continue
        lowered = strip_possessive(token.lower())
        if lowered in STOPWORDS or len(lowered) < 2:
            continue
        words.extend(stem(part) for part in lowered.split("-") if part)
    return tuple(words)


def _word_match(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_PREFIX and long.startswith(short)


MIN_PREFIX = 4
"""A word matches a longer one it begins ('demin' of 'deminer') from this many letters."""


class Vocabulary(frozenset[str]):
    """Stemmed words with the prefixes ``covered`` matches indexed on first use, so a test is a
    few set lookups instead of a scan of every word (the answer's rival search makes many)."""

    _prefixes: frozenset[str] | None = None

    def prefixes(self) -> frozenset[str]:
        if self._prefixes is None:
            self._prefixes = frozenset(
                w[:i] for w in self if len(w) >= MIN_PREFIX for i in range(MIN_PREFIX, len(w) + 1)
            )
        return self._prefixes


def vocabulary_of(text: str) -> Vocabulary:
    """The content words of ``text``, indexed for ``covered`` (remembered for a sentence)."""
    if len(text) <= _REMEMBERED_CHARS:
        return _remembered_vocabulary(text)
    return Vocabulary(content_words(text))


@lru_cache(maxsize=8192)
def _remembered_vocabulary(text: str) -> Vocabulary:
    return Vocabulary(content_words(text))


def covered(word: str, vocabulary: set[str] | frozenset[str]) -> bool:
    """Whether a stemmed word (or a word it prefixes, e.g. 'demin' of 'deminer') is there."""
    if word in vocabulary:
        return True
    if isinstance(vocabulary, Vocabulary):
        return len(word) >= MIN_PREFIX and (
            word in vocabulary.prefixes()
            or any(word[:i] in vocabulary for i in range(MIN_PREFIX, len(word)))
        )
    return any(_word_match(word, other) for other in vocabulary)
