"""Sentence segmentation with exact character offsets into the original text.

nupunkt (a maintained Punkt implementation with a bundled English model) is used within
each paragraph, so a sentence never crosses a blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nupunkt

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True)
class Span:
    """``text`` is exactly ``source[start:end]``."""

    start: int
    end: int
    text: str


def _stripped(text: str, start: int, end: int) -> Span | None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    offset = start + (len(piece) - len(piece.lstrip()))
    return Span(offset, offset + len(stripped), stripped)


def paragraphs(text: str) -> list[Span]:
    """Blank-line separated paragraphs, stripped, with offsets."""
    spans: list[Span] = []
    position = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        span = _stripped(text, position, end)
        if span:
            spans.append(span)
        if match:
            position = match.end()
    return spans


def split_sentences(text: str) -> list[Span]:
    """Sentences of ``text`` in order, each stripped of surrounding whitespace."""
    spans: list[Span] = []
    for paragraph in paragraphs(text):
        covered = paragraph.start
        for start, end in nupunkt.sent_spans(paragraph.text):
            # Spans tile the paragraph; take them as given so nothing is ever dropped.
            span = _stripped(text, paragraph.start + start, paragraph.start + end)
            if span:
                spans.append(span)
            covered = paragraph.start + end
        rest = _stripped(text, covered, paragraph.end)
        if rest:
            spans.append(rest)
    return spans
