"""Hedges: words that weaken or qualify a claim ("reportedly", "could", "expected to")."""

from __future__ import annotations

from briefbot.framing.lexicons import Lexicon, TermMatch


def find_hedges(sentence: str, lexicon: Lexicon) -> list[TermMatch]:
    """Hedges in ``sentence`` (offsets local to it), longest first, no overlaps."""
    return lexicon.hedge_matcher.find(sentence)
