"""The answer types: ``Answer`` and the engine protocol the ``ask`` flow drives."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import Field

from briefbot.citations import Citation, CitedText, Passage
from briefbot.models import Hit

TextCallback = Callable[[str], None]
"""Receives answer text as it is produced (streaming)."""


class Answer(CitedText):
    """A question's answer: cited sentences over numbered sources (see ``CitedText``)."""

    question: str
    standalone_query: str | None = Field(
        default=None, description="The question rewritten to stand alone (follow-ups)."
    )


class AnswerEngine(Protocol):
    """Produces a finalized ``Answer`` (``grounding.finalize``) from numbered passages."""

    name: str  # "extractive" or "llm"

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        on_text: TextCallback | None = None,
        said: Sequence[Citation] = (),
        wider: Sequence[Passage] = (),
    ) -> Answer:
        """``said``: spans earlier answers of the conversation quoted, not to be repeated.
        ``wider``: the passages ranked after ``passages``, where a source that gives the
        answer's value differently may be found (the extractive engine quotes it too)."""
        ...


def already_said(start: int, end: int, article_id: str, said: Sequence[Citation]) -> bool:
    """Whether ``article_id[start:end]`` overlaps a span an earlier answer quoted."""
    return any(c.article_id == article_id and c.start < end and start < c.end for c in said)


def passages_from_hits(hits: Sequence[Hit]) -> list[Passage]:
    """Number hits 1..n in rank order, one passage per chunk."""
    return [
        Passage(
            n=number,
            article_id=hit.chunk.article_id,
            chunk_id=hit.chunk.id,
            text=hit.chunk.text,
            start=hit.chunk.start,
            end=hit.chunk.end,
            title=hit.title,
            outlet=hit.source,
            published=hit.published,
            url=hit.url,
        )
        for number, hit in enumerate(hits, start=1)
    ]
