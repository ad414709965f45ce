"""Which of a topic query's articles tell one story: those sharing its key terms with the best.

Embedding similarity alone says an article is *near* a query, not that it is *about* it: for
"Taiwan China tensions", MiniLM puts an article on North Korean troops in Russia above the
brief floor (geopolitics, military, Asia). A story is held together by its names and key
words, so the filter is lexical and anchored on the best-matching article:

- the story's terms are the query's content words that the best article contains (a query word
  the best article lacks, say "tensions", does not define the story);
- of those, the names (words the best article writes capitalised, e.g. "Taiwan") are what
  the story is about: every other article must mention all of them;
- a query with no names ("interest rates inflation") asks instead for at least half of the
  story's terms.

An article left out is only said to lack those words (``missing``), never to be about
something else: the filter is lexical and cannot know that (a tabloid's "Kim Jong Un's
regime ships troops to Russia" tells the North Korea story without the word "North").

When the best article holds no query word (a purely semantic match), there is nothing to
anchor on and every article is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from briefbot.models import Article
from briefbot.text.words import STOPWORDS, content_words, covered, normalise, stem, strip_possessive

_WORD = re.compile(r"[^\W\d_][\w'’\-]*")


@dataclass(frozen=True)
class StoryTerms:
    """The terms an article must share with the best one to be on its story (stems)."""

    names: tuple[str, ...]
    words: tuple[str, ...]
    shown: dict[str, str] = field(default_factory=dict, compare=False)
    """Each term as the query writes it ("Taiwan" for "taiwan"), for notices."""

    @property
    def empty(self) -> bool:
        return not self.names and not self.words


def _vocabulary(article: Article) -> set[str]:
    return set(content_words(f"{article.title}\n{article.text}"))


def _capitalised_stems(text: str) -> set[str]:
    """Stems the text writes capitalised in most of their occurrences (names, not words)."""
    upper: dict[str, int] = {}
    total: dict[str, int] = {}
    for match in _WORD.finditer(normalise(text)):
        token = strip_possessive(match.group(0))
        if token.lower() in STOPWORDS:
            continue
        key = stem(token)
        total[key] = total.get(key, 0) + 1
        if token[:1].isupper():
            upper[key] = upper.get(key, 0) + 1
    return {key for key, count in upper.items() if count * 2 > total[key]}


def story_terms(query: str, best: Article) -> StoryTerms:
    """The query's terms found in the best article, split into names and other words."""
    vocabulary = _vocabulary(best)
    terms = [t for t in dict.fromkeys(content_words(query)) if covered(t, vocabulary)]
    capitalised = _capitalised_stems(f"{best.title}\n{best.text}")
    names = tuple(t for t in terms if t in capitalised)
    words = tuple(t for t in terms if t not in capitalised)
    shown: dict[str, str] = {}
    for match in _WORD.finditer(query):
        for term in content_words(match.group(0)):
            shown.setdefault(term, match.group(0))
    return StoryTerms(names, words, shown)


def on_story(article: Article, terms: StoryTerms) -> bool:
    """Whether ``article`` mentions every story name, or (no names) half the story's words."""
    if terms.empty:
        return True
    vocabulary = _vocabulary(article)
    if terms.names:
        return all(covered(t, vocabulary) for t in terms.names)
    needed = math.ceil(len(terms.words) / 2)
    return sum(covered(t, vocabulary) for t in terms.words) >= needed


def missing(article: Article, terms: StoryTerms) -> list[str]:
    """The story's names (or, with none, its words) ``article`` does not mention, as the query
    writes them."""
    vocabulary = _vocabulary(article)
    wanted = terms.names or terms.words
    return [terms.shown.get(t, t) for t in wanted if not covered(t, vocabulary)]


def split_story(
    query: str, ranked: Sequence[Article]
) -> tuple[list[Article], list[tuple[Article, list[str]]]]:
    """``ranked`` (best match first) split into the articles on the best one's story and the
    rest, each in the given order; each of the rest with the story's words it lacks."""
    if not ranked:
        return [], []
    terms = story_terms(query, ranked[0])
    kept = [ranked[0]]
    left_out: list[tuple[Article, list[str]]] = []
    for article in ranked[1:]:
        if on_story(article, terms):
            kept.append(article)
        else:
            left_out.append((article, missing(article, terms)))
    return kept, left_out
