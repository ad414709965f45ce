"""Cited text rendered for people: plain text and Markdown.

Text puts ``[n]`` after each sentence and lists the numbered sources with the quoted spans
below. Markdown uses footnotes ``[^n]`` that carry the source and its quotes. Everything that
comes from articles or a model is escaped, so Markdown or HTML inside a source cannot turn
into links or markup. Unsupported sentences are always visibly flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlparse

from briefbot.citations import Citation, CitedSentence, CitedText, SourceRef
from briefbot.text.clean import one_line

UNSUPPORTED_MARK = "[unsupported]"
NO_ANSWER = "the sources do not support one."
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~^$&])")
_LINE_START = re.compile(r"^(\s*)([-=])")
_ORDERED_ITEM = re.compile(r"^(\s*\d+)([.)])")
_BACKTICKS = re.compile(r"`+")
_LINKABLE = re.compile(
    r"(?i)(?:(?:https?://|ftp://|www\.|mailto:|xmpp:)|[\w.+-]+@[\w-]+\.)\S*?"
    r"(?=[.,:;!?\"')\]]*(?:\s|$))"
)


def _escape_punctuation(text: str) -> str:
    """Backslash-escape what Markdown would interpret, leaving ordinary punctuation readable."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _ORDERED_ITEM.sub(r"\1\\\2", text)
    return _LINE_START.sub(r"\1\\\2", text)


def _code_span(text: str) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds."""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape_markdown(text: str) -> str:
    """One line of source text as literal Markdown: no links, images, emphasis or HTML.

    Markdown's special characters are backslash-escaped. Escapes do not stop GFM autolinks
    (renderers find ``http://...``, ``www.`` and e-mail addresses in the parsed text), so
    those are shown as code spans, which are never linked.
    """
    flat = one_line(text)
    parts: list[str] = []
    last = 0
    for match in _LINKABLE.finditer(flat):
        parts.append(_escape_punctuation(flat[last : match.start()]))
        parts.append(_code_span(match.group()))
        last = match.end()
    parts.append(_escape_punctuation(flat[last:]))
    return "".join(parts)


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) and has no characters that could break out of ``<...>``."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    if re.search(r"[\s<>\"'`\\]", url.strip()):
        return None
    return url.strip()


def markers(sentence: CitedSentence) -> list[int]:
    return list(dict.fromkeys(c.n for c in sentence.citations))


def quotes_by_source(text: CitedText) -> dict[int, list[str]]:
    """Distinct quoted spans of each source number, in order of citation."""
    quotes: dict[int, list[str]] = {}
    for sentence in text.sentences:
        for citation in sentence.citations:
            found = quotes.setdefault(citation.n, [])
            quote = one_line(citation.quote)
            if quote not in found:
                found.append(quote)
    return quotes


Mark = Callable[[str], str]
"""How plain text shows an asked-for value inside a quote."""


def plain_mark(value: str) -> str:
    """``*5,000*``: the value a "how many" asked for, in text that has no colours."""
    return f"*{value}*"


_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters, removed from the quote first
_MARKED = re.compile(f"{_OPEN}(.*?){_CLOSE}")


def _unmarked(text: str) -> str:
    return text.replace(_OPEN, "").replace(_CLOSE, "")


def marked_line(citation: Citation, mark: Mark) -> str:
    """The quote on one line, its highlights (``Citation.highlights``) passed through ``mark``."""
    quote = citation.quote
    spans = sorted(
        (max(0, a - citation.start), min(len(quote), b - citation.start))
        for a, b in citation.highlights
    )
    parts: list[str] = []
    last = 0
    for start, end in spans:
        if start < last or start >= end:
            continue
        parts += [_unmarked(quote[last:start]), _OPEN, _unmarked(quote[start:end]), _CLOSE]
        last = end
    parts.append(_unmarked(quote[last:]))
    return _MARKED.sub(lambda m: mark(m.group(1).strip()), one_line("".join(parts)))


def source_line(source: SourceRef) -> str:
    """ "Title — Outlet, 2024-10-01 — URL" from the source's facts (not escaped)."""
    parts = [one_line(source.title) or "(untitled)"]
    about = ", ".join(
        p
        for p in (one_line(source.outlet), source.published and source.published.date().isoformat())
        if p
    )
    if about:
        parts.append(about)
    url = safe_url(source.url)
    if url:
        parts.append(url)
    return " — ".join(parts)


def _flag(sentence: CitedSentence) -> str:
    note = f": {one_line(sentence.note)}" if sentence.note else ""
    return f"{UNSUPPORTED_MARK}{note}"


def _marked_quotes(text: CitedText, mark: Mark) -> dict[int, list[str]]:
    """``quotes_by_source`` with each quote's asked-for values passed through ``mark``."""
    quotes: dict[int, list[str]] = {}
    seen: set[str] = set()
    for sentence in text.sentences:
        for citation in sentence.citations:
            plain = f"{citation.n}\n{one_line(citation.quote)}"
            if plain not in seen:
                seen.add(plain)
                quotes.setdefault(citation.n, []).append(marked_line(citation, mark))
    return quotes


def render_text(text: CitedText, mark: Mark = plain_mark) -> str:
    """Plain text: notices, sentences with ``[n]``, then numbered sources and their quotes
    (what the question asked for passed through ``mark``)."""
    lines = [f"Note: {one_line(n)}" for n in text.notices]
    if text.refused:
        lines.append(f"No answer: {one_line(text.refusal_reason or NO_ANSWER)}")
        if text.refusal_details:
            lines.append(f"Details: {one_line(text.refusal_details)}")
        return "\n".join(lines) + "\n"
    if lines:
        lines.append("")
    body = []
    for sentence in text.sentences:
        shown, closing = sentence.shown_parts
        piece = one_line(shown) + "".join(f" [{n}]" for n in markers(sentence)) + closing
        if not sentence.supported:
            piece += f" {_flag(sentence)}"
        body.append(piece)
    lines.append(" ".join(body))
    quotes = _marked_quotes(text, mark)
    if text.sources:
        lines += ["", "Sources:"]
        for source in text.sources:
            lines.append(f"[{source.n}] {source_line(source)}")
            lines += [f'    "{q}"' for q in quotes.get(source.n, [])]
    return "\n".join(lines) + "\n"


def _footnote_source(source: SourceRef) -> str:
    title = escape_markdown(source.title) or "(untitled)"
    about = ", ".join(
        p
        for p in (
            escape_markdown(source.outlet),
            source.published and source.published.date().isoformat(),
        )
        if p
    )
    url = safe_url(source.url)
    heading = f"**{title}**" + (f", {about}" if about else "") + (f", <{url}>" if url else "")
    return heading


def render_markdown(text: CitedText) -> str:
    """Markdown: sentences with footnote references ``[^n]``; each footnote quotes its spans."""
    lines = [f"> **Note:** {escape_markdown(n)}" for n in text.notices]
    if lines:
        lines.append("")
    if text.refused:
        lines.append(f"**No answer:** {escape_markdown(text.refusal_reason or NO_ANSWER)}")
        return "\n".join(lines) + "\n"
    body = []
    for sentence in text.sentences:
        shown, closing = sentence.shown_parts
        piece = escape_markdown(shown) + "".join(f"[^{n}]" for n in markers(sentence)) + closing
        if not sentence.supported:
            piece += f" **{escape_markdown(UNSUPPORTED_MARK)}**"
            if sentence.note:
                piece += f" _{escape_markdown(sentence.note)}_"
        body.append(piece)
    lines.append(" ".join(body))
    quotes = quotes_by_source(text)
    if text.sources:
        lines.append("")
        for source in text.sources:
            quoted = " ".join(f"“{escape_markdown(q)}”" for q in quotes.get(source.n, []))
            lines.append(
                f"[^{source.n}]: {_footnote_source(source)}" + (f": {quoted}" if quoted else "")
            )
    return "\n".join(lines) + "\n"
