"""The offline brief: whole source sentences chosen by centrality, position and attribution,
with MMR against redundancy, within the word budget, quoted verbatim."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from briefbot.backends.embedders import Embedder, Vectors
from briefbot.briefs.attribution import attributed
from briefbot.briefs.types import Brief, count_words, empty_brief
from briefbot.citations import CitedSentence, Passage
from briefbot.errors import EmptyScopeError
from briefbot.grounding.finalize import ground
from briefbot.grounding.injection import ArticleSource
from briefbot.grounding.mmr import Floats, mmr
from briefbot.grounding.scope import Scope
from briefbot.models import Article
from briefbot.settings import Settings
from briefbot.text.facts import names, numbers
from briefbot.text.sentences import Span, split_sentences

CENTRALITY_WEIGHT = 1.0


POSITION_WEIGHT = 2.0


POSITION_POWER = 0.5
"""Position score of the k-th sentence (0-based) of an article: ``(1 + k) ** -POSITION_POWER``."""


ATTRIBUTION_WEIGHT = 0.15


SPECIFICITY_WEIGHT = 0.3


SPECIFIC_FACTS = 4
"""Numbers and names that make a sentence fully specific (a news fact, not commentary)."""


DEPENDENT_PENALTY = 0.3
"""Taken off a sentence that opens with a pronoun or connective, unless its predecessor is in."""


MIN_SALIENCE_SHARE = 0.7
"""Sentences scoring below this share of the best one are left out even when words remain."""


CLAIM_SALIENCE_SHARE = 0.6
"""An attributed claim ("X claims ...") scoring this share of the best may still get room made."""


QUERY_WEIGHT = 0.5
"""Share of a sentence's centrality taken from its similarity to the topic query."""


MMR_LAMBDA = 0.7


DUPLICATE_SIMILARITY = 0.9
"""Sentences this similar to a chosen one are never added (wire copy in several outlets)."""


MIN_SENTENCE_WORDS = 5


MIN_SHORTENED_WORDS = 10


_TERMINAL = re.compile(r"[.!?][\"'”’)\]]*$")


_ATTRIBUTION = re.compile(
    r"\b(according to|said|says|say|told|claims?|claimed|reported|reports|announced|stated|"
    r"emphasi[sz]ed|insisted|warned|confirmed|denied|alleged|accused|estimated|citing)\b",
    re.IGNORECASE,
)


_FIRST_PERSON = re.compile(r"\b(I|I['’](?:m|ve|d|ll)|[Ww]e|[Mm]y|[Oo]ur|me)\b")


_DEPENDENT_OPENER = re.compile(
    r"^[\"'“‘]?(But|And|Or|So|Yet|However|Also|Still|Instead|Meanwhile|Then|It|Its|This|That|"
    r"These|Those|Such|He|She|They|His|Her|Their|Him|Them|The (?:move|decision|effort|plan))\b"
)


_TRAILING_CLAUSE = re.compile(
    r",\s+(?:(?P<word>[A-Za-z]+(?:ing|ed))|(?:an?|the)(?:\s+[\w’'-]+){1,3}\s+(?:that|which|who)"
    r"|which|who|whose)\b[^,;:\"“”]*\.$"
)
"""A trailing participle (", signaling ..."), appositive (", a move that ...") or relative."""


_KEEP_MODIFIERS = frozenset(
    {"according", "citing", "saying", "adding", "claiming", "noting", "reporting", "quoting"}
)


_SOURCE = re.compile(
    r"\b(according to|citing|quoting|said|says|say|told|reported|reports|announced|stated)\b",
    re.IGNORECASE,
)
"""Names a source: a trailing clause with one of these is never dropped."""


_CLAIM = re.compile(
    r"\b(claims?|claimed|emphasi[sz]ed|insisted|warned|denied|alleged|accused)\b", re.IGNORECASE
)
"""A claim resting on its source: worth shortening other picks to fit in."""


@dataclass(frozen=True)
class Candidate:
    """A sentence of an article that may go into the brief."""

    order: int
    position: int
    span: Span
    passage: Passage

    @property
    def words(self) -> int:
        return count_words(self.span.text)


def _containing(passages: Sequence[Passage], span: Span) -> Passage | None:
    for passage in passages:
        if passage.start <= span.start and span.end <= passage.end:
            return passage
    return None


def candidates(articles: Sequence[Article], passages: Sequence[Passage]) -> list[Candidate]:
    """Whole sentences of every article, headlines and fragments left out."""
    found: list[Candidate] = []
    for order, article in enumerate(articles):
        own = [p for p in passages if p.article_id == article.id]
        position = 0
        for span in split_sentences(article.text):
            if (
                count_words(span.text) < MIN_SENTENCE_WORDS
                or not _TERMINAL.search(span.text)
                or span.text.strip().casefold() == article.title.strip().casefold()
                or (_FIRST_PERSON.search(span.text) and not _ATTRIBUTION.search(span.text))
            ):
                continue
            passage = _containing(own, span)
            if passage is None:
                continue
            found.append(Candidate(order, position, span, passage))
            position += 1
    return found


def shortened(text: str) -> str | None:
    """``text`` without a trailing participle, appositive or relative clause, or None.

    Drops ", signaling ...", ", a move that ..." or ", which ...". The result is a verbatim
    prefix of the sentence plus its full stop; clauses naming a source ("..., according to
    Yonhap.", "..., which Reuters reported.") are never dropped.
    """
    match = _TRAILING_CLAUSE.search(text)
    if match is None:
        return None
    word = match.group("word")
    if (word and word.lower() in _KEEP_MODIFIERS) or _SOURCE.search(match.group()):
        return None
    prefix = text[: match.start()].rstrip()
    if (
        count_words(prefix) < MIN_SHORTENED_WORDS
        or prefix.count('"') % 2
        or prefix.count("“") != prefix.count("”")
    ):
        return None
    return prefix + "."


def salience(
    vectors: Vectors,
    found: Sequence[Candidate],
    query_vector: Vectors | None = None,
) -> np.typing.NDArray[np.float64]:
    """Centrality (to the mean of per-article centroids), position and attribution."""
    orders = sorted({c.order for c in found})
    centroids = []
    for order in orders:
        rows = [i for i, c in enumerate(found) if c.order == order]
        centroid = vectors[rows].mean(axis=0)
        centroids.append(centroid / (np.linalg.norm(centroid) or 1.0))
    scope_centroid = np.mean(centroids, axis=0)
    scope_centroid /= np.linalg.norm(scope_centroid) or 1.0
    centrality = (vectors @ scope_centroid).astype(np.float64)
    if query_vector is not None:
        relevance = (vectors @ query_vector).astype(np.float64)
        centrality = (1 - QUERY_WEIGHT) * centrality + QUERY_WEIGHT * relevance
    spread = centrality.max() - centrality.min()
    centrality = (centrality - centrality.min()) / spread if spread > 0 else centrality * 0
    position = np.array([(1.0 + c.position) ** -POSITION_POWER for c in found])
    attribution = np.array([1.0 if _ATTRIBUTION.search(c.span.text) else 0.0 for c in found])
    specificity = np.array(
        [
            min(1.0, (len(numbers(c.span.text)) + len(names(c.span.text))) / SPECIFIC_FACTS)
            for c in found
        ]
    )
    scores: np.typing.NDArray[np.float64] = (
        CENTRALITY_WEIGHT * centrality
        + POSITION_WEIGHT * position
        + ATTRIBUTION_WEIGHT * attribution
        + SPECIFICITY_WEIGHT * specificity
    )
    return scores


def _fit(
    candidate: Candidate, picks: Sequence[tuple[Candidate, str]], budget: int, *, make_room: bool
) -> tuple[str, list[tuple[int, str]]] | None:
    """Text to quote from ``candidate`` and the picks to shorten to make room for it, or None.

    The whole sentence or its shortened form, if it fits as it is; else picks quoted in full
    are shortened, largest savings first, until the sentence (or its shortened form) fits.
    """
    texts = [candidate.span.text]
    short = shortened(candidate.span.text)
    if short is not None:
        texts.append(short)
    for text in texts:
        if count_words(text) <= budget:
            return text, []
    if not make_room:
        return None
    savings = sorted(
        (
            (count_words(text) - count_words(short_pick), k, short_pick)
            for k, (pick, text) in enumerate(picks)
            if text == pick.span.text and (short_pick := shortened(text)) is not None
        ),
        key=lambda saving: -saving[0],
    )
    for text in texts:
        needed = count_words(text) - budget
        room: list[tuple[int, str]] = []
        for saved, k, short_pick in savings:
            if needed <= 0:
                break
            room.append((k, short_pick))
            needed -= saved
        if needed <= 0:
            return text, room
    return None


def _shorten(
    picks: list[tuple[Candidate, str]], room: Sequence[tuple[int, str]], budget: int
) -> int:
    """Quote the shortened texts ``room`` gives for those picks; the budget with the words freed."""
    for k, short in room:
        budget += count_words(picks[k][1]) - count_words(short)
        picks[k] = (picks[k][0], short)
    return budget


def select(
    found: Sequence[Candidate],
    vectors: Vectors,
    scores: np.typing.NDArray[np.float64],
    max_words: int,
) -> list[tuple[Candidate, str]]:
    """MMR within the word budget; each pick is a candidate and the text quoted from it.

    A sentence that depends on the one before it ("This effort...", "But...") is penalised
    unless that sentence is already chosen; words left at the end go to such continuations.
    Last, attributed claims that did not fit ("The ministry insisted that ...") get room by
    quoting chosen sentences in their shortened form (see ``_fit``).
    """
    similarity = (vectors @ vectors.T).astype(np.float64)
    floor = MIN_SALIENCE_SHARE * float(scores.max()) if len(scores) else 0.0
    dependent = np.array([bool(_DEPENDENT_OPENER.match(c.span.text)) for c in found])
    placed: set[tuple[int, int]] = set()
    picks: list[tuple[Candidate, str]] = []
    budget = max_words

    def orphan_penalty(remaining: list[int], _chosen: list[int]) -> Floats:
        orphaned = [
            dependent[i] and (found[i].order, found[i].position - 1) not in placed
            for i in remaining
        ]
        return -DEPENDENT_PENALTY * np.array(orphaned, dtype=np.float64)

    def fits(index: int, redundancy: float) -> bool:
        nonlocal budget
        if redundancy >= DUPLICATE_SIMILARITY:
            return False
        candidate = found[index]
        fit = _fit(candidate, picks, budget, make_room=False)
        if fit is None:
            return False
        text, _ = fit
        placed.add((candidate.order, candidate.position))
        picks.append((candidate, text))
        budget -= count_words(text)
        return True

    remaining = [i for i in range(len(found)) if scores[i] >= floor]
    chosen = mmr(
        scores, similarity, MMR_LAMBDA, candidates=remaining, adjust=orphan_penalty, accept=fits
    )
    # Words left over go to sentences that continue a chosen one ("This effort..."), which
    # read naturally right after it and carry its details.
    by_place = {(c.order, c.position): i for i, c in enumerate(found)}
    for candidate, _ in list(picks):
        follower = by_place.get((candidate.order, candidate.position + 1))
        if follower is None or follower in chosen or not dependent[follower]:
            continue
        fit = _fit(found[follower], picks, budget, make_room=False)
        if fit is None:
            continue
        text, _ = fit
        chosen.append(follower)
        picks.append((found[follower], text))
        budget -= count_words(text)
    # Attributed claims left out for want of words get room by shortening the picks.
    claim_floor = CLAIM_SALIENCE_SHARE * float(scores.max()) if len(scores) else 0.0
    claims = sorted(
        (
            i
            for i, c in enumerate(found)
            if i not in chosen and scores[i] >= claim_floor and _CLAIM.search(c.span.text)
        ),
        key=lambda i: -scores[i],
    )
    for index in claims:
        if chosen and similarity[index, chosen].max() >= DUPLICATE_SIMILARITY:
            continue
        fit = _fit(found[index], picks, budget, make_room=True)
        if fit is None:
            continue
        text, room = fit
        budget = _shorten(picks, room, budget)
        chosen.append(index)
        picks.append((found[index], text))
        budget -= count_words(text)
    return sorted(picks, key=lambda pick: (pick[0].order, pick[0].position))


def extractive_sentences(
    articles: Sequence[Article],
    passages: Sequence[Passage],
    embedder: Embedder,
    max_words: int,
    query: str | None = None,
) -> list[CitedSentence]:
    """Quoted sentences of the articles, each citing its exact span."""
    found = candidates(articles, passages)
    if not found:
        return []
    vectors = embedder.embed([c.span.text for c in found])
    query_vector = embedder.embed([query])[0] if query else None
    scores = salience(vectors, found, query_vector)
    sentences = []
    for candidate, text in select(found, vectors, scores, max_words):
        local = candidate.span.start - candidate.passage.start
        quoted = text if text == candidate.span.text else text[:-1]
        sentences.append(
            CitedSentence(
                text=text,
                citations=[candidate.passage.citation(local, local + len(quoted))],
            )
        )
    return sentences


def extractive_brief(
    scope: Scope,
    passages: Sequence[Passage],
    embedder: Embedder,
    settings: Settings,
    max_words: int,
    articles: ArticleSource | None = None,
) -> Brief:
    """The offline brief: quoted whole sentences, verified."""
    sentences = extractive_sentences(scope.articles, passages, embedder, max_words, scope.query)
    if not sentences:
        ids = ", ".join(a.id for a in scope.articles)
        raise EmptyScopeError(
            f"no whole sentence of {ids} fits in {max_words} words; nothing to brief "
            "(raise --max-words, or the articles have no running text)"
        )
    brief = empty_brief(scope, "extractive", max_words).model_copy(update={"sentences": sentences})
    grounded = ground(brief, passages, embedder, settings, articles=articles)
    return attributed(Brief.model_validate(grounded.model_dump()))
