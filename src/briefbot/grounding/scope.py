"""What a brief or comparison reads: article ids or a topic query resolved to articles,
and those articles' chunks as numbered passages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from briefbot.backends.store import ChromaStore
from briefbot.citations import Passage
from briefbot.errors import EmptyScopeError
from briefbot.grounding.story import split_story
from briefbot.models import Article, Chunk, Hit, SearchFilters, as_utc
from briefbot.settings import Settings

SearchFn = Callable[[str, int, SearchFilters | None], list[Hit]]
"""``search(query, k, filters)``: the retriever a topic brief finds its articles with."""


@dataclass(frozen=True)
class Scope:
    """The articles a brief covers (texts included), in reading order."""

    articles: list[Article]
    query: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outlets: list[str] | None = None
    left_out: list[tuple[Article, list[str]]] = field(default_factory=list)
    """Articles the topic query matched that are not on the best article's story, each with
    the story's words it does not mention."""


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

    A topic query keeps the articles on the best match's story (``grounding.story``), not
    every article that clears ``brief_article_floor``. With both, the query picks among the
    given ids. Raises ``NotFoundError`` for an unknown id and ``EmptyScopeError`` when
    nothing is left to brief.
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
        figures = (
            f"best similarity {best:.2f}; a topic brief needs {floor:.2f}"
            if hits
            else "no passage matched the search"
        )
        tries = ["other words for it"]
        if since or until:
            tries.append("a wider date range")
        if outlet_list:
            tries.append("all outlets")
        tries.append("adding articles that cover it")
        raise EmptyScopeError(
            f"The library has nothing on “{query}” in {filters.describe()}: nothing to brief. "
            "Try " + ", ".join(tries[:-1]) + f" or {tries[-1]}.",
            details=figures,
        )
    ranked = sorted(
        (a for a, score in best_of.items() if score >= settings.brief_article_floor),
        key=lambda a: -best_of[a],
    )
    found = [a for a in (store.get_article(i) for i in ranked) if a is not None]
    on_story, left_out = split_story(query, found)
    articles = on_story[: settings.brief_max_articles]
    return Scope(articles, query, since, until, outlet_list, left_out)


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
