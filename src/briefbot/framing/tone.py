"""Tone: VADER compound sentiment per sentence and a writer's-voice subjectivity heuristic.

A sentence is *evaluative* when it has no attribution and, outside quotation marks, uses an
evaluative word (``evaluative.txt``) or a loaded term, or its sentiment is strong.
"""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from briefbot.framing.lexicons import Lexicon
from briefbot.framing.loaded import LoadedMatch, inside, quoted_regions

STRONG_SENTIMENT = 0.6
"""|compound| at or above which a sentence (or word) counts as strongly opinionated."""


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    return float(analyzer().polarity_scores(text)["compound"])


def evaluative_cues(sentence: str, lexicon: Lexicon, loaded: list[LoadedMatch]) -> list[str]:
    """Evaluative words and writer's-voice loaded terms of ``sentence``, outside quotes."""
    regions = quoted_regions(sentence)
    cues = [
        sentence[m.start : m.end]
        for m in lexicon.evaluative_matcher.find(sentence)
        if not inside((m.start, m.end), regions)
    ]
    cues += [
        sentence[item.match.start : item.match.end]
        for item in loaded
        if not item.in_quote and item.match.term.kind == "loaded"
    ]
    return cues


def is_evaluative(attributed: bool, cues: list[str], score: float) -> bool:
    return not attributed and (bool(cues) or abs(score) >= STRONG_SENTIMENT)
