"""The ``Brief`` type: one cited paragraph, and how its words are counted."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field

from briefbot.citations import CitedText
from briefbot.grounding.scope import Scope

BriefMode = Literal["auto", "extractive", "llm"]


_WORDS = re.compile(r"\S+")


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
        """Words of the sentences themselves: the budget; attributions come on top."""
        return sum(count_words(s.text) for s in self.sentences)


def empty_brief(scope: Scope, mode: str, max_words: int) -> Brief:
    return Brief(
        mode=mode,
        article_ids=[a.id for a in scope.articles],
        query=scope.query,
        since=scope.since,
        until=scope.until,
        outlets=scope.outlets,
        max_words=max_words,
    )
