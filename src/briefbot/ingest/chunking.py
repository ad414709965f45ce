"""Pack sentences into chunks that fit the embedder, with a sentence of overlap.

Sizes are measured with the embedder's own tokenizer, so no chunk is ever silently truncated
by the model; offsets always slice back to the exact article text.
"""

from __future__ import annotations

from dataclasses import dataclass

from briefbot.backends.embedders import Embedder
from briefbot.models import Chunk
from briefbot.text.sentences import Span, split_sentences
from briefbot.text.tokens import count_llm_tokens_batch


@dataclass(frozen=True, slots=True)
class _Piece:
    span: Span
    tokens: int


def _window_chars(limit: int) -> int:
    """Longest text given to the tokenizer at once: several chunks' worth, never a whole line.

    A sentence longer than this (a run without sentence marks, a single-line file) is cut into
    windows first, so tokenizing it costs time and memory in proportion to the window, not to
    the run: one call over a 5 MB run held about a million offsets at once.
    """
    return max(4096, 32 * limit)


def _window_end(text: str, start: int, end: int, size: int) -> int:
    """Where a window from ``start`` ends: at the last whitespace before ``start + size``
    (so no word is cut), at ``start + size`` in a run without any, or at ``end``."""
    if end - start <= size:
        return end
    cut = start + size
    space = max(text.rfind(" ", start + 1, cut), text.rfind("\n", start + 1, cut))
    return space if space > start else cut


def _groups(
    offsets: list[tuple[int, int]], limit: int, complete: bool
) -> tuple[list[tuple[int, int]], int]:
    """``[first, last)`` runs of at most ``limit`` tokens, each ending between two words
    where the run has a word boundary, so a piece measures the same alone as inside its chunk.
    Unless ``complete``, a tail of ``limit`` tokens or fewer is left for the next window; the
    second value is where the ungrouped tokens start."""
    ranges: list[tuple[int, int]] = []
    first = 0
    while first < len(offsets):
        if not complete and len(offsets) - first <= limit:
            break
        last = min(first + limit, len(offsets))
        if last < len(offsets):
            for cut in range(last, first, -1):
                if offsets[cut][0] > offsets[cut - 1][1]:  # a gap: token ``cut`` starts a word
                    last = cut
                    break
        ranges.append((first, last))
        first = last
    return ranges, first


def _split_long(text: str, span: Span, embedder: Embedder, limit: int) -> list[_Piece]:
    """Cut a sentence longer than ``limit`` tokens at token boundaries, window by window;
    tokens a window leaves over start the next one, so no window end makes a short piece."""
    pieces: list[_Piece] = []
    size = _window_chars(limit)
    position = span.start
    while position < span.end:
        stop = _window_end(text, position, span.end, size)
        offsets = embedder.token_offsets(text[position:stop])
        complete = stop >= span.end
        if not complete and len(offsets) <= limit:
            size *= 2  # very long tokens (a run the tokenizer reads as one word): widen
            continue
        ranges, rest = _groups(offsets, limit, complete)
        for first, last in ranges:
            start = position + offsets[first][0]
            end = position + offsets[last - 1][1]
            if complete and last == len(offsets):
                end = span.end  # keep trailing characters the tokenizer ignored
            piece_text = text[start:end].strip()
            if piece_text:
                start = text.index(piece_text, start)
                piece = Span(start, start + len(piece_text), piece_text)
                pieces.append(_Piece(piece, last - first))
        if complete:
            break
        position = max(position + offsets[rest][0], position + 1)
    return pieces


def _sentence_tokens(sentences: list[Span], embedder: Embedder, limit: int) -> list[int | None]:
    """Token counts of ``sentences``; None for those too long to count in one call (they are
    over the limit anyway, and ``_split_long`` measures them window by window)."""
    size = _window_chars(limit)
    short = [s.text for s in sentences if len(s.text) <= size]
    counts = iter(embedder.count_tokens(short))
    return [next(counts) if len(s.text) <= size else None for s in sentences]


def _pieces(
    text: str,
    sentences: list[Span],
    counts: list[int | None],
    embedder: Embedder,
    limit: int,
) -> list[_Piece]:
    pieces: list[_Piece] = []
    for sentence, tokens in zip(sentences, counts, strict=True):
        if tokens is not None and tokens <= limit:
            pieces.append(_Piece(sentence, tokens))
        else:
            pieces.extend(_split_long(text, sentence, embedder, limit))
    return pieces


def _pack(pieces: list[_Piece], limit: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing into ``[first, last)`` index ranges of ``pieces``."""
    ranges: list[tuple[int, int]] = []
    first = 0
    while first < len(pieces):
        total = 0
        last = first
        while last < len(pieces) and total + pieces[last].tokens <= limit:
            total += pieces[last].tokens
            last += 1
        last = max(last, first + 1)
        ranges.append((first, last))
        if last >= len(pieces):
            break
        following = max(last - overlap, first + 1)
        # Overlap only when the repeated sentences leave room for at least one new one.
        carried = sum(p.tokens for p in pieces[following:last])
        first = following if carried + pieces[last].tokens <= limit else last
    return ranges


def chunk_article(
    article_id: str,
    text: str,
    embedder: Embedder,
    max_tokens: int,
    overlap_sentences: int = 1,
) -> list[Chunk]:
    """Chunks of ``text``; each is ``text[start:end]`` and at most the embedder's limit."""
    ceiling = min(max_tokens, embedder.max_tokens)
    limit = ceiling
    sentences = split_sentences(text)
    counts = _sentence_tokens(sentences, embedder, limit)
    while True:
        pieces = _pieces(text, sentences, counts, embedder, limit)
        ranges = _pack(pieces, limit, overlap_sentences)
        spans = [(pieces[a].span.start, pieces[b - 1].span.end) for a, b in ranges]
        texts = [text[start:end] for start, end in spans]
        embed_counts = embedder.count_tokens(texts)
        excess = max(embed_counts, default=0) - ceiling
        # Word pieces of a joined text can differ from the sum of the parts (a sentence cut
        # inside a word); measure again and tighten rather than let the model truncate.
        if excess <= 0 or limit <= 8:
            break
        limit = max(8, limit - excess)
    llm_counts = count_llm_tokens_batch(texts)
    return [
        Chunk(
            id=Chunk.make_id(article_id, ordinal),
            article_id=article_id,
            ordinal=ordinal,
            text=chunk_text,
            start=start,
            end=end,
            embed_tokens=embed_count,
            llm_tokens=llm_count,
        )
        for ordinal, ((start, end), chunk_text, embed_count, llm_count) in enumerate(
            zip(spans, texts, embed_counts, llm_counts, strict=True)
        )
    ]
