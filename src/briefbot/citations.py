"""Cited text as data: sentences, their citations to exact spans, and numbered sources.

Answers, briefs and framing findings all use these types; rendering to text, Markdown or
HTML happens at the edge (``render.py``, the CLI, the UI).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Citation(BaseModel):
    """A pointer from a sentence to the exact characters of an article that support it."""

    n: int = Field(description="Number of the source in the answer's source list (1-based).")
    article_id: str
    chunk_id: str
    start: int = Field(description="Offset in the article text.")
    end: int
    quote: str = Field(description="article.text[start:end], copied by code, never by a model.")
    highlights: list[tuple[int, int]] = Field(
        default_factory=list,
        description="Ranges of the article text inside the quote that hold what the question "
        'asked for (the number of a "how many", the date of a "when"); shown highlighted.',
    )


class CitedSentence(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    supported: bool = False
    support_score: float = 0.0
    note: str | None = Field(
        default=None, description="Why the verifier flagged or re-attached the sentence."
    )
    copied: list[tuple[int, int]] = Field(
        default_factory=list,
        description="Character ranges of ``text`` copied word for word from its sources; shown "
        "inside quotation marks.",
    )
    attribution: str | None = Field(
        default=None, description='Who the copied words belong to ("Reuters reported").'
    )

    @property
    def whole_quote(self) -> bool:
        """Whether the copied words are the whole sentence (its closing mark aside)."""
        end = len(self.text.rstrip().rstrip(".!?"))
        return len(self.copied) == 1 and self.copied[0][0] == 0 and self.copied[0][1] >= end

    @property
    def shown(self) -> str:
        """The sentence as a reader gets it: copied words quoted and attributed in the sentence
        ("“…,” Reuters reported."; a quote that follows one from the same outlet is not
        credited again), otherwise ``text`` itself."""
        if not self.copied:
            return self.text
        text = _inner_quotes(self.text.rstrip(), self.copied)
        end = len(text.rstrip(".!?"))
        if self.whole_quote:
            if not self.attribution:  # the sentence before credits the same outlet
                return f"“{text}”"
            # "… on ‘Fox News Sunday.’" ends in a quotation of its own: the comma goes inside it.
            body, closers = text.rstrip(_CLOSERS), text[len(text.rstrip(_CLOSERS)) :]
            stripped = body.rstrip(".!?")
            if body[len(stripped) :] in ("", "."):
                return f"“{stripped},{closers}” {self.attribution}."
            return f"“{text}” {self.attribution}."
        pieces, position = [], 0
        for start, stop in self.copied:
            pieces += [text[position:start], "“", text[start:stop], "”"]
            position = stop
        body = "".join(pieces) + text[position:end]
        return f"{body}, {self.attribution}{text[end:] or '.'}"

    @property
    def shown_parts(self) -> tuple[str, str]:
        """``shown`` split where its citation markers go: an attributed sentence takes them
        before its closing full stop ("…," Reuters reported [1].), any other after its end."""
        shown = self.shown
        if self.copied and self.attribution and shown[-1:] in (".", "!", "?"):
            return shown[:-1], shown[-1]
        return shown, ""


_CLOSERS = "’'\"”"
"""Closing quotation marks a quoted sentence may end with."""


def _inner_quotes(text: str, ranges: list[tuple[int, int]]) -> str:
    """Double quotation marks inside quoted ranges become single ones (same length)."""
    chars = list(text)
    for start, stop in ranges:
        for i in range(start, min(stop, len(chars))):
            if chars[i] == '"':  # a straight mark opens after a space or a bracket, else closes
                opens = i == 0 or chars[i - 1].isspace() or chars[i - 1] in "([{—–-‘"
                chars[i] = "‘" if opens else "’"
            else:
                chars[i] = {"“": "‘", "”": "’"}.get(chars[i], chars[i])
    return "".join(chars)


class SourceRef(BaseModel):
    n: int
    article_id: str
    title: str
    outlet: str
    published: datetime | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump()
        data["published"] = self.published.isoformat() if self.published else None
        return data


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_cost_usd: float | None = None
    model: str | None = None

    def plus(self, other: Usage | None) -> Usage:
        """Token counts and costs of two LLM calls together (cost unknown if both are)."""
        if other is None:
            return self
        costs = [c for c in (self.estimated_cost_usd, other.estimated_cost_usd) if c is not None]
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            estimated_cost_usd=sum(costs) if costs else None,
            model=self.model or other.model,
        )


class CitedText(BaseModel):
    """Sentences with citations and their numbered sources: the shape of answers and briefs."""

    mode: str = Field(description="'extractive' or 'llm'.")
    refused: bool = False
    refusal_reason: str | None = None
    refusal_details: str | None = Field(
        default=None, description="The figures behind a refusal, for whoever wants them."
    )
    sentences: list[CitedSentence] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    usage: Usage | None = None
    notices: list[str] = Field(
        default_factory=list, description="Things the reader must know (e.g. LLM fell back)."
    )

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        return data

    @property
    def text(self) -> str:
        """The sentences as a reader gets them (copied words quoted and attributed)."""
        return " ".join(s.shown for s in self.sentences)


class Passage(BaseModel):
    """A numbered piece of source text shown to an engine; citations point inside it.

    ``text`` is exactly ``article.text[start:end]``, so a span found inside the passage maps
    back to the article by adding ``start``.
    """

    n: int
    article_id: str
    chunk_id: str
    text: str
    start: int
    end: int
    title: str
    outlet: str
    published: datetime | None = None
    url: str | None = None

    def source_ref(self) -> SourceRef:
        return SourceRef(
            n=self.n,
            article_id=self.article_id,
            title=self.title,
            outlet=self.outlet,
            published=self.published,
            url=self.url,
        )

    def citation(self, local_start: int, local_end: int) -> Citation:
        """A citation of ``text[local_start:local_end]`` in article coordinates."""
        return Citation(
            n=self.n,
            article_id=self.article_id,
            chunk_id=self.chunk_id,
            start=self.start + local_start,
            end=self.start + local_end,
            quote=self.text[local_start:local_end],
        )
