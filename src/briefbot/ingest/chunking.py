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


def _split_long(text: str, span: Span, embedder: Embedder, limit: int) -> list[_Piece]:
    """Cut a sentence longer than ``limit`` tokens at token boundaries."""
    offsets = embedder.token_offsets(span.text)
    pieces: list[_Piece] = []
    for first in range(0, len(offsets), limit):
        window = offsets[first : first + limit]
        start = span.start + window[0][0]
        end = span.start + window[-1][1]
        if first + limit >= len(offsets):
            end = span.end  # keep trailing characters the tokenizer ignored
        piece_text = text[start:end].strip()
        if not piece_text:
            continue
        start = text.index(piece_text, start)
        pieces.append(_Piece(Span(start, start + len(piece_text), piece_text), len(window)))
    return pieces


def _pieces(text: str, embedder: Embedder, limit: int) -> list[_Piece]:
    sentences = split_sentences(text)
    counts = embedder.count_tokens([s.text for s in sentences])
    pieces: list[_Piece] = []
    for sentence, tokens in zip(sentences, counts, strict=True):
        if tokens <= limit:
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
    while True:
        pieces = _pieces(text, embedder, limit)
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
