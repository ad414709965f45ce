"""``Briefer``: a brief of an article, a story (several articles) or a topic.

It resolves the scope (``grounding.scope``), reads every article in it in full, and writes
the extractive brief (``briefs.extractive``, the offline default) or the LLM brief
(``briefs.llm``), falling back to the extractive one when the model fails. Either way every
sentence cites exact article spans and passes through ``grounding.finalize``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from briefbot.backends.embedders import Embedder
from briefbot.backends.llm import ChatModel, create_chat_model
from briefbot.backends.store import ChromaStore
from briefbot.briefs.extractive import MIN_SENTENCE_WORDS, extractive_brief
from briefbot.briefs.llm import LLMBriefWriter
from briefbot.briefs.types import Brief, BriefMode
from briefbot.citations import Passage
from briefbot.errors import EmptyScopeError, LLMError
from briefbot.grounding.scope import Scope, SearchFn, article_passages, resolve_scope
from briefbot.settings import Settings

LEFT_OUT_TITLES = 3
"""Titles a left-out notice names before it says "and N more"."""


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" or {words[-1]}"


def left_out_notice(scope: Scope) -> str:
    """Which matched articles the brief leaves out, by title, each with the story's words it
    does not mention (what the filter knows; not a claim about what the article is about)."""
    titles = [
        f"“{article.title}”" + (f" (no mention of {_either(lacking)})" if lacking else "")
        for article, lacking in scope.left_out[:LEFT_OUT_TITLES]
    ]
    more = len(scope.left_out) - len(titles)
    named = ", ".join(titles) + (f" and {more} more" if more else "")
    count = len(scope.left_out)
    return (
        f"Left out {count} article{'s' if count != 1 else ''} that came up for “{scope.query}” "
        f"but may be on another story: {named}."
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
        brief = self._write(scope, passages, budget, mode)
        if scope.left_out:
            brief = brief.model_copy(update={"notices": [*brief.notices, left_out_notice(scope)]})
        return brief

    def _write(
        self, scope: Scope, passages: Sequence[Passage], budget: int, mode: BriefMode
    ) -> Brief:
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
