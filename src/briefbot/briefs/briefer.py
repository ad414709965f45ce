"""One-paragraph briefs of an article, a story (several articles) or a topic.

A brief reads every article in scope in full. The extractive brief (offline default) quotes
whole sentences chosen by centrality, position and attribution, with MMR against redundancy,
within a word budget, in reading order (article order, then position). The LLM brief
(``LLMBriefWriter``) writes a paragraph from numbered passages, map-reducing through per-article
notes when the articles do not fit the model's context. Either way every sentence cites exact
article spans and passes through the verifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import Field

from briefbot.answers.llm import format_passage, is_question, parse_answer
from briefbot.backends.embedders import Embedder, Vectors
from briefbot.backends.llm import ChatMessage, ChatModel, create_chat_model
from briefbot.backends.store import ChromaStore
from briefbot.citations import CitedSentence, CitedText, Passage, Usage
from briefbot.errors import EmptyScopeError, LLMError
from briefbot.grounding.finalize import ground
from briefbot.grounding.injection import ArticleSource
from briefbot.grounding.mmr import Floats, mmr
from briefbot.models import Article, Chunk, Hit, SearchFilters, as_utc
from briefbot.prompts import Prompt, load_prompt, prompts_dir
from briefbot.settings import Settings
from briefbot.text.facts import names, numbers
from briefbot.text.sentences import Span, split_sentences
from briefbot.text.tokens import count_llm_tokens

BriefMode = Literal["auto", "extractive", "llm"]

SearchFn = Callable[[str, int, SearchFilters | None], list[Hit]]
"""``search(query, k, filters)``: the retriever a topic brief finds its articles with."""

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

BRIEF_PLACEHOLDERS = frozenset({"max_words", "scope", "sources"})
NOTES_PLACEHOLDERS = frozenset({"title", "passages"})

_WORDS = re.compile(r"\S+")
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


def count_words(text: str) -> int:
    return len(_WORDS.findall(text))


class Brief(CitedText):
    """A one-paragraph brief: cited sentences over numbered sources, and the scope it covers."""

    article_ids: list[str] = Field(
        default_factory=list, description="Articles in scope, in reading order; all read in full."
    )
    query: str | None = Field(default=None, description="Topic query that chose the articles.")
    since: datetime | None = None
    until: datetime | None = None
    outlets: list[str] | None = None
    max_words: int = Field(description="Word budget of the paragraph.")

    @property
    def word_count(self) -> int:
        return count_words(self.text)


# --- scope -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The articles a brief covers (texts included), in reading order."""

    articles: list[Article]
    query: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outlets: list[str] | None = None


def _describe(query: str | None, filters: SearchFilters) -> str:
    return f"query {query!r} in {filters.describe()}" if query else filters.describe()


def _in_filters(article: Article, filters: SearchFilters) -> bool:
    if (filters.since or filters.until) and article.published is None:
        return False
    published = as_utc(article.published) if article.published else None
    if filters.since and published and published < as_utc(filters.since):
        return False
    if filters.until and published and published > as_utc(filters.until):
        return False
    if filters.outlets:
        wanted = {o.casefold() for o in filters.outlets}
        if not wanted & {o.casefold() for o in article.outlets}:
            return False
    return True


def resolve_scope(
    store: ChromaStore,
    search: SearchFn,
    settings: Settings,
    *,
    article_ids: Sequence[str] | None = None,
    query: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    outlets: Sequence[str] | None = None,
) -> Scope:
    """Articles of a brief: the given ids (checked), or those a topic query finds.

    With both, the query picks among the given ids. Raises ``NotFoundError`` for an unknown
    id and ``EmptyScopeError`` when nothing is left to brief.
    """
    outlet_list = list(outlets) if outlets else None
    query = query.strip() if query else None
    ids = list(dict.fromkeys(i.strip() for i in article_ids or [] if i.strip()))
    if not ids and not query:
        raise EmptyScopeError("nothing to brief: give one or more article ids or a --query")
    filters = SearchFilters(outlets=outlet_list, since=since, until=until, article_ids=ids or None)
    given: list[Article] = []
    for article_id in ids:
        given.append(store.article(article_id))
    if not query:
        articles = [a for a in given if _in_filters(a, filters)]
        if not articles:
            raise EmptyScopeError(
                f"none of the {len(given)} article(s) matches "
                f"{_describe(None, filters)}; nothing to brief"
            )
        return Scope(articles, None, since, until, outlet_list)
    hits = search(query, settings.brief_search_chunks, filters)
    floor = settings.relevance_floor
    best_of: dict[str, float] = {}
    for hit in hits:
        similarity = hit.similarity if hit.similarity is not None else hit.score
        article_id = hit.chunk.article_id
        best_of[article_id] = max(best_of.get(article_id, similarity), similarity)
    best = max(best_of.values(), default=0.0)
    if best < floor:
        found = f"best similarity {best:.2f} < relevance floor {floor:.2f}" if hits else "no hits"
        raise EmptyScopeError(
            f"no article in {store.location} matches "
            f"{_describe(query, filters)} ({found}); nothing to brief"
        )
    ranked = sorted(
        (a for a, score in best_of.items() if score >= settings.brief_article_floor),
        key=lambda a: -best_of[a],
    )
    articles = []
    for article_id in ranked[: settings.brief_max_articles]:
        article = store.get_article(article_id)
        if article is not None:
            articles.append(article)
    return Scope(articles, query, since, until, outlet_list)


# --- passages ----------------------------------------------------------------------------


def article_passages(
    articles: Sequence[Article], chunks_of: Callable[[str], Sequence[Chunk]]
) -> list[Passage]:
    """Numbered passages over the articles, one per stored chunk: exact article slices."""
    passages: list[Passage] = []
    for article in articles:
        spans = [(c.id, c.start, c.end) for c in chunks_of(article.id)]
        if not spans and article.text:
            spans = [(Chunk.make_id(article.id, 0), 0, len(article.text))]
        for chunk_id, start, end in spans:
            passages.append(
                Passage(
                    n=len(passages) + 1,
                    article_id=article.id,
                    chunk_id=chunk_id,
                    text=article.text[start:end],
                    start=start,
                    end=end,
                    title=article.title,
                    outlet=", ".join(article.outlets),
                    published=article.published,
                    url=article.url,
                )
            )
    return passages


# --- extractive brief --------------------------------------------------------------------


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


# --- orchestration -----------------------------------------------------------------------


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
    brief = _empty_brief(scope, "extractive", max_words).model_copy(update={"sentences": sentences})
    return Brief.model_validate(
        ground(brief, passages, embedder, settings, articles=articles).model_dump()
    )


def _empty_brief(scope: Scope, mode: str, max_words: int) -> Brief:
    return Brief(
        mode=mode,
        article_ids=[a.id for a in scope.articles],
        query=scope.query,
        since=scope.since,
        until=scope.until,
        outlets=scope.outlets,
        max_words=max_words,
    )


class Briefer:
    """Builds briefs over a store; ``Briefbot.brief`` delegates here."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        settings: Settings,
        search: SearchFn,
        chat_factory: Callable[[Settings], ChatModel] = create_chat_model,
    ) -> None:
        self.chat_factory = chat_factory
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.search = search

    def brief(
        self,
        article_ids: Sequence[str] | None = None,
        query: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outlets: Sequence[str] | None = None,
        max_words: int | None = None,
        mode: BriefMode = "auto",
    ) -> Brief:
        """A verified brief; ``mode`` "auto" uses the LLM when one is configured."""
        budget = max_words if max_words is not None else self.settings.brief_max_words
        if budget < MIN_SENTENCE_WORDS:
            raise EmptyScopeError(
                f"a brief of {budget} words cannot hold a sentence; use at least "
                f"{MIN_SENTENCE_WORDS} words (--max-words)"
            )
        scope = resolve_scope(
            self.store,
            self.search,
            self.settings,
            article_ids=article_ids,
            query=query,
            since=since,
            until=until,
            outlets=outlets,
        )
        passages = article_passages(scope.articles, self.store.chunks_of)
        if mode == "extractive" or (mode == "auto" and not self.settings.llm_configured):
            return self.extractive(scope, passages, budget)
        writer = LLMBriefWriter(
            self.chat_factory(self.settings), self.embedder, self.settings, articles=self.store
        )
        try:
            written = writer.write(scope, passages, budget)
        except LLMError as exc:
            reason = f"The language model failed ({exc})"
        else:
            if not written.refused:
                return written
            reason = "No sentence of the language model's brief is supported by the articles"
        fallback = self.extractive(scope, passages, budget)
        notice = f"{reason}; this is the extractive brief instead."
        return fallback.model_copy(
            update={"notices": [notice, *fallback.notices], "usage": writer.usage}
        )

    def extractive(self, scope: Scope, passages: Sequence[Passage], max_words: int) -> Brief:
        return extractive_brief(
            scope, passages, self.embedder, self.settings, max_words, articles=self.store
        )


@dataclass
class Note:
    """A line of per-article notes (map step) and the passage numbers it cites."""

    text: str
    passages: list[int]


def scope_label(scope: Scope) -> str:
    if scope.query:
        return f"the news on {scope.query!r} ({len(scope.articles)} articles)"
    if len(scope.articles) == 1:
        return "this article"
    return f"this story, as {len(scope.articles)} articles report it"


def note_block(number: int, note: Note, outlet: str) -> str:
    return f"[{number}] ({outlet or 'unknown outlet'}) {note.text}"


class LLMBriefWriter:
    """A paragraph written by the chat model from numbered passages, then verified.

    When every passage fits the context budget the model writes from them directly. Otherwise
    it first writes notes per article (map), each note citing passage numbers, then one
    paragraph from the notes (reduce); a sentence citing note ``k`` cites note k's passages.
    """

    def __init__(
        self,
        chat: ChatModel,
        embedder: Embedder,
        settings: Settings,
        articles: ArticleSource | None = None,
    ) -> None:
        self.chat = chat
        self.embedder = embedder
        self.settings = settings
        self.articles = articles
        directory = prompts_dir(settings)
        self.brief_prompt = load_prompt("brief", BRIEF_PLACEHOLDERS, directory)
        self.notes_prompt = load_prompt("brief_notes", NOTES_PLACEHOLDERS, directory)
        self.usage: Usage | None = None

    def budget(self, prompt: Prompt, **values: str) -> int:
        """Tokens left for source text once the prompt and the reply are accounted for."""
        frame = sum(count_llm_tokens(m["content"]) + 4 for m in prompt.messages(**values))
        return self.settings.llm_context_tokens - self.settings.llm_max_answer_tokens - frame

    def ask(self, messages: list[ChatMessage]) -> str:
        result = self.chat.complete(messages, max_tokens=self.settings.llm_max_answer_tokens)
        self.usage = result.usage.plus(self.usage)
        return result.text

    def write(self, scope: Scope, passages: Sequence[Passage], max_words: int) -> Brief:
        blocks = [format_passage(p) for p in passages]
        label = scope_label(scope)
        room = self.budget(self.brief_prompt, max_words=str(max_words), scope=label, sources="")
        notices: list[str] = []
        if sum(count_llm_tokens(b + "\n\n") for b in blocks) <= room:
            reply = self.ask(
                self.brief_prompt.messages(
                    max_words=str(max_words), scope=label, sources="\n\n".join(blocks)
                )
            )
            sentences = self.cited(reply, {p.n: [p] for p in passages})
        else:
            notes = self.notes(scope, passages)
            by_number = {p.n: p for p in passages}
            outlets = {p.n: p.outlet for p in passages}
            lines: list[str] = []
            sources: dict[int, list[Passage]] = {}
            used = 0
            for note in notes:
                number = len(lines) + 1
                line = note_block(number, note, outlets.get(note.passages[0], ""))
                cost = count_llm_tokens(line + "\n")
                if used + cost > room:
                    notices.append(
                        f"{len(notes) - len(lines)} note(s) did not fit the model's context "
                        "and were left out of the brief."
                    )
                    break
                used += cost
                lines.append(line)
                sources[number] = [by_number[n] for n in note.passages if n in by_number]
            reply = self.ask(
                self.brief_prompt.messages(
                    max_words=str(max_words), scope=label, sources="\n".join(lines)
                )
            )
            sentences = self.cited(reply, sources)
            notices.append(
                f"The articles did not fit the model's context at once: the brief was written "
                f"from {len(notes)} notes taken article by article."
            )
        sentences, cut = within_words(sentences, max_words)
        if cut:
            notices.append(f"{cut} sentence(s) past the {max_words}-word limit were cut.")
        if not sentences:
            raise LLMError(f"the model {self.chat.name} returned no brief")
        brief = _empty_brief(scope, "llm", max_words).model_copy(
            update={"sentences": sentences, "notices": notices, "usage": self.usage}
        )
        grounded = ground(brief, passages, self.embedder, self.settings, articles=self.articles)
        return Brief.model_validate(grounded.model_dump())

    def notes(self, scope: Scope, passages: Sequence[Passage]) -> list[Note]:
        """Map step: notes for each article, in groups of passages that fit the budget."""
        notes: list[Note] = []
        for article in scope.articles:
            own = [p for p in passages if p.article_id == article.id]
            room = self.budget(self.notes_prompt, title=article.title, passages="")
            group: list[Passage] = []
            used = 0
            for passage in [*own, None]:
                cost = count_llm_tokens(format_passage(passage) + "\n\n") if passage else 0
                if group and (passage is None or used + cost > room):
                    notes += self.note_group(article, group)
                    group, used = [], 0
                if passage is not None:
                    group.append(passage)
                    used += cost
        if not notes:
            raise LLMError(f"the model {self.chat.name} returned no notes for the brief")
        return notes

    def note_group(self, article: Article, group: Sequence[Passage]) -> list[Note]:
        reply = self.ask(
            self.notes_prompt.messages(
                title=article.title, passages="\n\n".join(format_passage(p) for p in group)
            )
        )
        allowed = [p.n for p in group]
        found = []
        for line in reply.splitlines():
            parsed = parse_answer(line)
            text = " ".join(s.text for s in parsed).strip()
            if not text or text.endswith(":"):
                continue
            # A note without a (valid) marker cites the whole group; the verifier narrows it.
            cited = [n for s in parsed for n in s.numbers if n in allowed] or allowed
            found.append(Note(text, list(dict.fromkeys(cited))))
        return found

    def cited(self, reply: str, sources: dict[int, list[Passage]]) -> list[CitedSentence]:
        """Sentences of the reply; ``[n]`` becomes citations of the passages behind source n.

        Citations cover whole passages here; the verifier narrows each to the exact span.
        """
        sentences = []
        for parsed in parse_answer(reply):
            if is_question(parsed.text):
                continue
            cited = [p for n in parsed.numbers for p in sources.get(n, [])]
            unique = list({p.n: p for p in cited}.values())
            sentences.append(
                CitedSentence(
                    text=parsed.text,
                    citations=[p.citation(0, len(p.text)) for p in unique],
                )
            )
        return sentences


def within_words(sentences: list[CitedSentence], max_words: int) -> tuple[list[CitedSentence], int]:
    """The leading sentences that fit ``max_words``, and how many were cut."""
    kept: list[CitedSentence] = []
    used = 0
    for sentence in sentences:
        words = count_words(sentence.text)
        if used + words > max_words:
            break
        kept.append(sentence)
        used += words
    return kept, len(sentences) - len(kept)
