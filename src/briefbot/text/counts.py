"""Counts in words for people: "1 sentence", "2 sentences"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 fact``, ``2 facts``; ``many`` for irregular plurals (``party``, ``parties``)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
