"""What the QA evaluations share: the retrievers compared, SQuAD-style answer matching,
latency summaries."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from briefbot.evals.stats import median, percentile
from briefbot.facade import Briefbot

RETRIEVER_NAMES = ("hybrid", "dense", "bm25")


Progress = Callable[[str], None]


_PUNCTUATION = frozenset(string.punctuation) | frozenset("“”‘’–—…«»")


_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD-style answer normalisation: case, punctuation and articles dropped, words
    separated by single spaces, with a space at each end so containment is whole-word."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if ch in _PUNCTUATION else ch for ch in text)
    return " " + " ".join(_ARTICLES.sub(" ", text).split()) + " "


def contains_any(texts: Iterable[str], answers: Sequence[str]) -> bool:
    """A gold string occurs in one of the texts as whole words, ignoring case, punctuation
    and quote styles (so "Noma" is not found in "Nomalizo", nor "2066" inside a URL)."""
    wanted = [w for w in (normalize_answer(a) for a in answers) if w.strip()]
    return any(w in normalize_answer(text) for text in texts for w in wanted)


def can_ask(bot: Briefbot) -> bool:
    return callable(getattr(bot, "ask", None))


@dataclass
class Latency:
    samples_ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return median(self.samples_ms)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)
