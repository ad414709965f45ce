"""Pure formatting for the web app: source text made safe for Markdown, labels, quote context.

Nothing here decides anything about the news; it only turns briefbot's data into strings the
page shows. Source text (titles, quotes, article bodies) is always passed through
``md_escape`` so an article cannot inject markup, links or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from briefbot.citations import Citation, CitedSentence, CitedText, SourceRef
from briefbot.models import Article, SearchFilters
from briefbot.render import escape_markdown
from briefbot.render import safe_url as web_url
from briefbot.settings import Settings, without_userinfo
from briefbot.text.clean import for_display as for_display
from briefbot.text.counts import plural

if TYPE_CHECKING:
    from briefbot.framing.report import CriticalReading

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_SPACES = re.compile(r"\s+")

UNSUPPORTED_BADGE = ":orange-badge[:material/warning: not supported by the sources]"


def md_escape_inline(text: str) -> str:
    """One line of source text as literal Markdown (see ``render.escape_markdown``)."""
    return escape_markdown(for_display(text))


def md_escape(text: str) -> str:
    """Source text as literal Markdown, keeping its paragraphs (blank-line separated)."""
    paragraphs = [p.strip() for p in _BLANK_LINE.split(for_display(text))]
    return "\n\n".join(md_escape_inline(p) for p in paragraphs if p)


DRAFT_NOTICE = "Draft, not yet checked against the sources"


def draft_markdown(text: str) -> str:
    """Streaming answer text as a marked, quoted draft: the verified answer replaces it, so
    nothing unchecked is shown as if it were the answer."""
    quoted = "\n>\n".join(f"> {p}" for p in md_escape(text).split("\n\n") if p)
    return f":gray[*{DRAFT_NOTICE} …*]\n\n{quoted or '>'} ▌"


def date_label(value: datetime | date | None) -> str:
    if value is None:
        return "undated"
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def source_byline(ref: SourceRef) -> str:
    """``Outlet · date`` of a numbered source, as plain text."""
    return f"{for_display(ref.outlet) or 'unknown outlet'} · {date_label(ref.published)}"


def article_label(article: Article) -> str:
    """One-line plain-text label of an article for pickers."""
    outlet = for_display(article.source) or "unknown outlet"
    return f"{for_display(article.title)} — {outlet}, {date_label(article.published)}"


def outlet_choices(articles: list[Article]) -> list[str]:
    return sorted({name for a in articles for name in a.outlets if name}, key=str.casefold)


def date_bounds(articles: list[Article]) -> tuple[date, date] | None:
    """First and last publication day in ``articles`` (None when no article is dated)."""
    days = [a.published.date() for a in articles if a.published]
    return (min(days), max(days)) if days else None


def day_range(value: object) -> tuple[date | None, date | None]:
    """First and last day of a ``st.date_input`` range value (empty, one day, or two)."""
    values = value if isinstance(value, tuple | list) else [value]
    days = [d for d in values if isinstance(d, date)]
    return (days[0], days[-1]) if days else (None, None)


def search_filters(
    outlets: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    article_ids: list[str] | None = None,
) -> SearchFilters:
    """Filters from widget values: days become the start and end of the day in UTC."""
    return SearchFilters(
        outlets=outlets or None,
        since=datetime.combine(since, time.min, tzinfo=UTC) if since else None,
        until=datetime.combine(until, time.max, tzinfo=UTC) if until else None,
        article_ids=article_ids or None,
    )


def describe_filters(filters: SearchFilters | None) -> str:
    """What a search was limited to, in words (``all articles`` when unfiltered)."""
    return for_display((filters or SearchFilters()).describe())


def safe_url(url: str | None) -> str | None:
    """A link the page may show: an http(s) URL (``render.safe_url``) without any
    ``user:password@`` part, so credentials in a URL never reach the page."""
    checked = web_url(url)
    return without_userinfo(checked) if checked else None


def engine_label(settings: Settings) -> str:
    """Which engine answers, with model and server; never the key."""
    if not settings.llm_configured:
        return "Extractive (offline): answers quote the sources verbatim, no language model."
    server = safe_url(settings.openai_base_url) or "api.openai.com"
    return f"LLM: {for_display(settings.llm_model)} at {server}"


def citation_markers(citations: list[Citation]) -> str:
    numbers = sorted({c.n for c in citations})
    return "".join(f"\\[{n}\\]" for n in numbers)


def sentence_markdown(sentence: CitedSentence) -> str:
    """A sentence as Markdown: escaped text, its ``[n]`` markers, a badge when unsupported."""
    body, closing = sentence.shown_parts
    markers = citation_markers(sentence.citations)
    line = f"{md_escape_inline(body)} {markers}".rstrip() + md_escape_inline(closing)
    return line if sentence.supported else f"{UNSUPPORTED_BADGE} {line}"


def cited_markdown(cited: CitedText) -> str:
    """The sentences of an answer or brief as one Markdown paragraph for display."""
    return " ".join(sentence_markdown(s) for s in cited.sentences)


@dataclass(frozen=True)
class QuoteContext:
    """A quoted span with the rest of its paragraph around it."""

    before: str
    quote: str
    after: str


def quote_context(text: str, start: int, end: int, max_side: int = 400) -> QuoteContext:
    """The paragraph around ``text[start:end]``, at most ``max_side`` characters each side."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    para_start = text.rfind("\n\n", 0, start)
    para_start = 0 if para_start < 0 else para_start + 2
    para_end = text.find("\n\n", end)
    para_end = len(text) if para_end < 0 else para_end
    before = text[para_start:start]
    after = text[end:para_end]
    if len(before) > max_side:
        cut = before.find(" ", len(before) - max_side)
        before = "…" + before[cut if cut >= 0 else len(before) - max_side :]
    if len(after) > max_side:
        cut = after.rfind(" ", 0, max_side)
        after = after[: cut if cut > 0 else max_side] + "…"
    return QuoteContext(before=before, quote=text[start:end], after=after)


HIGHLIGHT = "orange-background"
"""Streamlit colour of the asked-for value inside a quote (``:orange-background[5,000]``)."""


def _escape_piece(piece: str) -> str:
    """``md_escape_inline`` keeping one space where the piece began or ended with one."""
    inner = md_escape_inline(piece)
    if not inner:
        return " " if piece.strip() == "" and piece else ""
    lead = " " if piece[:1].isspace() else ""
    trail = " " if piece[-1:].isspace() else ""
    return f"{lead}{inner}{trail}"


def marked_quote(quote: str, highlights: Sequence[tuple[int, int]] = ()) -> str:
    """The quote as literal Markdown, the ``highlights`` (ranges of ``quote``) coloured."""
    spans = sorted((max(0, a), min(len(quote), b)) for a, b in highlights if a < b)
    if not spans:
        return md_escape_inline(quote).strip()
    parts: list[str] = []
    last = 0
    for start, end in spans:
        if start < last:
            continue
        parts.append(_escape_piece(quote[last:start]))
        parts.append(f":{HIGHLIGHT}[{md_escape_inline(quote[start:end])}]")
        last = end
    parts.append(_escape_piece(quote[last:]))
    return "".join(parts).strip()


def context_markdown(context: QuoteContext, highlights: Sequence[tuple[int, int]] = ()) -> str:
    """The paragraph as literal Markdown with the quoted span in bold, its ``highlights``
    (ranges of the quote) coloured."""
    before = md_escape_inline(context.before)
    after = md_escape_inline(context.after)
    quote = marked_quote(context.quote, highlights)
    sep_before = " " if before and not before.endswith(" ") else ""
    sep_after = " " if after and not after.startswith(" ") else ""
    return f"{before}{sep_before}**{quote}**{sep_after}{after}".strip()


def citation_label(citation: Citation, source: SourceRef | None, width: int = 70) -> str:
    """Expander label of a citation: ``[n] “start of the quote…” — Title`` (escaped)."""
    quote = _SPACES.sub(" ", citation.quote).strip()
    if len(quote) > width:
        quote = quote[: width + 1].rsplit(" ", 1)[0] + "…"
    title = f" — {source.title}" if source else ""
    return f"\\[{citation.n}\\] " + md_escape_inline(f"“{quote}”{title}")


def source_label(n: int, source: SourceRef | None, quotes: int, width: int = 70) -> str:
    """Expander label of a source: ``[n] Title — outlet · 2 quotes`` (escaped)."""
    title = _SPACES.sub(" ", source.title if source else "").strip() or "(untitled)"
    if len(title) > width:
        title = title[: width + 1].rsplit(" ", 1)[0] + "…"
    outlet = f" — {source.outlet}" if source and source.outlet else ""
    count = f"{quotes} quote{'s' if quotes != 1 else ''}"
    return f"\\[{n}\\] " + md_escape_inline(f"{title}{outlet} · {count}")


def refusal_text(cited: CitedText) -> str:
    """Why nothing was answered, what was searched and what to try, as literal Markdown."""
    reason = cited.refusal_reason or "Nothing in the library supports an answer."
    return f"**No answer.** {md_escape_inline(reason)}"


def snippet(text: str, width: int = 90) -> str:
    """The start of ``text`` on one line, cut at a word boundary (plain text)."""
    flat = _SPACES.sub(" ", for_display(text)).strip()
    if len(flat) <= width:
        return flat
    return flat[: width + 1].rsplit(" ", 1)[0] + "…"


def finding_label(tag: str, quote: str, width: int = 80) -> str:
    """Expander label of a framing finding: bold ``tag`` then the quote's start (escaped)."""
    start = f"“{md_escape_inline(snippet(quote, width))}”"
    return f"**{md_escape_inline(tag)}** · {start}" if tag.strip() else start


def signed(value: float) -> str:
    return f"{value:+.2f}"


NEUTRAL_TONE = 0.05
"""VADER's usual cut: a compound score within ±0.05 reads as neutral."""


def tone_label(compound: float) -> str:
    """A tone score in words: negative, neutral or positive."""
    if compound <= -NEUTRAL_TONE:
        return "negative"
    return "positive" if compound >= NEUTRAL_TONE else "neutral"


def critical_findings(critical: CriticalReading) -> int:
    """How many findings the critical reading lists (claims, hedges, terms, voice, parties)."""
    return (
        len(critical.claims)
        + len(critical.hedges)
        + len(critical.loaded_terms)
        + len(critical.evaluative)
        + len(critical.unquoted_parties)
    )


def critical_summary(critical: CriticalReading) -> str:
    """The critical reading in one line of counts, e.g. "3 claims; 1 hedge; 2 loaded terms"."""
    if not critical_findings(critical):
        return "Nothing to flag: no claims, hedges, loaded terms or evaluative sentences found."
    parts = []
    if critical.claims:
        parts.append(plural(len(critical.claims), "claim"))
    if critical.hedges:
        parts.append(plural(len(critical.hedges), "hedge"))
    if critical.loaded_terms:
        parts.append(plural(len(critical.loaded_terms), "loaded term"))
    if critical.evaluative:
        voice = plural(len(critical.evaluative), "sentence")
        parts.append(f"{voice} in the writer's own voice")
    if critical.unquoted_parties:
        parties = plural(len(critical.unquoted_parties), "party", "parties")
        parts.append(f"{parties} mentioned, never quoted")
    return "; ".join(parts) + "."


def percent(share: float) -> str:
    return f"{share:.0%}"


def provenance(cited: CitedText) -> str:
    """Which engine wrote it, from how many sources, and what an LLM call cost (plain text)."""
    parts = [
        f"{cited.mode} engine",
        f"{len(cited.sources)} source{'s' if len(cited.sources) != 1 else ''}",
    ]
    usage = cited.usage
    if usage is not None and (usage.prompt_tokens or usage.completion_tokens):
        model = f"{for_display(usage.model)}: " if usage.model else ""
        parts.append(
            f"{model}{usage.prompt_tokens:,} prompt + {usage.completion_tokens:,} answer tokens"
        )
        if usage.estimated_cost_usd is not None:
            parts.append(f"about ${usage.estimated_cost_usd:.4f}")
    return " · ".join(parts)
