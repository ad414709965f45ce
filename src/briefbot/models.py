"""The news data model: articles, their chunks, search hits and ingest reports."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_WHITESPACE = re.compile(r"\s+")


def normalise_for_identity(text: str) -> str:
    """The form of a text whose hash is the article id: NFKC, whitespace collapsed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def article_id_for(text: str) -> str:
    """Stable id of an article: 16 hex digits of the SHA-256 of its normalised text."""
    return hashlib.sha256(normalise_for_identity(text).encode("utf-8")).hexdigest()[:16]


class Outlet(BaseModel):
    """One publication of an article: who ran it, where and when."""

    model_config = ConfigDict(frozen=True)

    name: str
    url: str | None = None
    title: str | None = None
    published: datetime | None = None


class Article(BaseModel):
    """A news article as stored: full text kept, so spans can always be shown."""

    id: str
    key: str = Field(description="Identity of the source (URL, JSONL id or file path).")
    title: str
    source: str = Field(default="", description="Outlet that published it first.")
    authors: list[str] = Field(default_factory=list)
    published: datetime | None = None
    url: str | None = None
    language: str | None = None
    text: str
    also_published: list[Outlet] = Field(
        default_factory=list, description="Other outlets that ran the same (wire) copy."
    )
    chunk_count: int = 0

    @property
    def outlets(self) -> list[str]:
        names = [self.source] if self.source else []
        names += [o.name for o in self.also_published if o.name not in names]
        return names


class Chunk(BaseModel):
    """A span of an article's text, sized for the embedder."""

    id: str
    article_id: str
    ordinal: int
    text: str
    start: int = Field(description="Offset of the first character in the article text.")
    end: int = Field(description="Offset one past the last character in the article text.")
    embed_tokens: int = Field(description="Length in the embedder's own tokens.")
    llm_tokens: int = Field(description="Length in cl100k_base tokens, for LLM budgets.")

    @staticmethod
    def make_id(article_id: str, ordinal: int) -> str:
        return f"{article_id}:{ordinal:04d}"


class Hit(BaseModel):
    """A retrieved chunk with the article facts a citation needs."""

    chunk: Chunk
    score: float
    similarity: float | None = Field(
        default=None,
        description="Cosine similarity of the chunk to the query (``score`` may be a fused rank "
        "score), when the retriever knows it.",
    )
    title: str
    source: str
    published: datetime | None = None
    url: str | None = None

    @property
    def quote(self) -> str:
        return self.chunk.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.chunk.article_id,
            "chunk_id": self.chunk.id,
            "score": round(self.score, 4),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "title": self.title,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "quote": self.chunk.text,
        }


class SearchFilters(BaseModel):
    """Metadata filters applied by every retriever, and the moment the question is asked."""

    outlets: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    article_ids: list[str] | None = None
    as_of: datetime | None = Field(
        default=None,
        description="When the question is asked: the recency prior counts an article's age "
        "from here. Not a filter; None means ``until`` if set, else now.",
    )

    def reference_time(self) -> datetime:
        """The moment ages are counted from (``as_of``, else ``until``, else now), in UTC."""
        return as_utc(self.as_of or self.until or datetime.now(UTC))

    def is_empty(self) -> bool:
        """No filter is set (``as_of`` is not a filter)."""
        return not (self.outlets or self.since or self.until or self.article_ids)

    def describe(self) -> str:
        """What a search is limited to, in words ("all articles" when nothing is set)."""
        parts = []
        if self.outlets:
            parts.append("outlets " + ", ".join(self.outlets))
        since = self.since.date().isoformat() if self.since else None
        until = self.until.date().isoformat() if self.until else None
        if since and until:
            parts.append(f"published {since} to {until}")
        elif since or until:
            parts.append(f"published since {since}" if since else f"published until {until}")
        if self.article_ids:
            count = len(self.article_ids)
            parts.append(f"{count} chosen article{'s' if count != 1 else ''}")
        return "; ".join(parts) or "all articles"


def as_utc(moment: datetime) -> datetime:
    """``moment`` with a time zone; naive datetimes are taken to be UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Skipped(BaseModel):
    location: str
    reason: str


class IngestReport(BaseModel):
    """What an ingest did, article by article."""

    added: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    duplicates: list[str] = Field(
        default_factory=list, description="Ids of stored articles that gained another outlet."
    )
    skipped: list[Skipped] = Field(default_factory=list)
    superseded: list[str] = Field(
        default_factory=list,
        description="Keys given twice in one ingest with different text; the last one is kept.",
    )
    chunks_embedded: int = 0

    @property
    def ok(self) -> bool:
        return not self.skipped

    def merge(self, other: IngestReport) -> None:
        self.added += other.added
        self.unchanged += other.unchanged
        self.replaced += other.replaced
        self.duplicates += other.duplicates
        self.skipped += other.skipped
        self.superseded += other.superseded
        self.chunks_embedded += other.chunks_embedded

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.unchanged)} unchanged, "
            f"{len(self.replaced)} replaced, {len(self.duplicates)} duplicates, "
            f"{len(self.skipped)} skipped; {self.chunks_embedded} chunks embedded"
            + (f"; {len(self.superseded)} superseded" if self.superseded else "")
        )
