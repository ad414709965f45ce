"""Follow-up questions rewritten into standalone queries before retrieval.

"What about the deminers?" after "How many engineers is North Korea sending to Russia?"
means "How many deminers is North Korea sending to Russia?". Offline, ``ExtractiveRewriter``
carries the previous turn's question form and names into a short follow-up; an LLM
implementation of ``QueryRewriter`` can do the same with a prompt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from briefbot.text.facts import names
from briefbot.text.words import STOPWORDS, content_words

if TYPE_CHECKING:
    from briefbot.answers.types import Answer

History = Sequence["Answer"]
"""Earlier turns of a conversation, oldest first."""

_WHAT_ABOUT = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<focus>.+?)\s*[?.!]*\s*$", re.IGNORECASE
)
_AND_FOCUS = re.compile(r"^\s*and\s+(?P<focus>.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_HOW_MANY = re.compile(
    r"^(?P<lead>\s*how\s+(?:many|much)\s+)(?P<noun>[\w'’-]+)(?P<rest>.*)$", re.IGNORECASE
)
_ANAPHORA = frozenset(
    {
        "it",
        "its",
        "they",
        "them",
        "their",
        "he",
        "him",
        "his",
        "she",
        "her",
        "there",
        "that",
        "this",
        "those",
        "these",
    }
)
_FOLLOW_UP_WORDS = 2
"""A question with fewer content words than this and no name of its own leans on context."""


class QueryRewriter(Protocol):
    """Turns a follow-up into a question that can be searched on its own."""

    def rewrite(self, question: str, history: History) -> str: ...


def previous_query(history: History) -> str | None:
    """The standalone form of the last turn's question."""
    if not history:
        return None
    last = history[-1]
    return last.standalone_query or last.question


def needs_context(question: str) -> bool:
    """Whether a question looks like a follow-up (short, anaphoric, or "what about ...")."""
    if _WHAT_ABOUT.match(question) or _AND_FOCUS.match(question):
        return True
    words = re.findall(r"[\w'’]+", question.lower())
    if any(w in _ANAPHORA for w in words):
        return True
    return len(content_words(question)) < _FOLLOW_UP_WORDS and not names(question)


def _strip_article(phrase: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", phrase.strip(), flags=re.IGNORECASE)


class ExtractiveRewriter:
    """Carries the previous turn's question form and names into a follow-up (no model)."""

    def rewrite(self, question: str, history: History) -> str:
        previous = previous_query(history)
        if previous is None or not needs_context(question):
            return question
        match = _WHAT_ABOUT.match(question) or _AND_FOCUS.match(question)
        if match:
            focus = _strip_article(match.group("focus"))
            how_many = _HOW_MANY.match(previous)
            if how_many and how_many.group("noun").lower() not in STOPWORDS:
                return f"{how_many.group('lead')}{focus}{how_many.group('rest')}".strip()
            return f"{previous.rstrip(' ?.!')}: what about {focus}?"
        carried = [n for n in names(previous) if n.lower() not in question.lower()]
        if not carried:
            carried = [w for w in content_words(previous) if w not in question.lower()][:5]
        if not carried:
            return question
        return f"{question.rstrip()} ({', '.join(carried)})"
