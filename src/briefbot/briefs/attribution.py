"""Briefs a reporter can paste: words copied from a source are quoted and attributed.

Any run of ``MIN_COPIED_WORDS`` or more words of a brief sentence that stands word for word in
the spans it cites is marked as copied; the sentence names the outlets it copies from ("…,"
Reuters reported); whole quotes in a row from one outlet are credited once. Only the display
changes (``CitedSentence.shown``): the sentence's own text, the one the checker verified, stays
as it is, and so do its citations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from briefbot.citations import CitedSentence, CitedText, SourceRef

MIN_COPIED_WORDS = 8
"""A copied run this long is quoted (a common threshold for verbatim reuse in newsrooms)."""

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[\w'’\-]+")
CitedT = TypeVar("CitedT", bound=CitedText)


def _key(word: str) -> str:
    return word.casefold().replace("’", "'")


def copied_runs(sentence: str, quotes: Sequence[str]) -> list[tuple[int, int]]:
    """Character ranges of ``sentence`` that stand word for word in one of ``quotes``."""
    words = list(_WORD.finditer(sentence))
    if len(words) < MIN_COPIED_WORDS:
        return []
    known: set[tuple[str, ...]] = set()
    for quote in quotes:
        keys = [_key(w) for w in _WORD.findall(quote)]
        known |= {
            tuple(keys[i : i + MIN_COPIED_WORDS]) for i in range(len(keys) - MIN_COPIED_WORDS + 1)
        }
    keys = [_key(w.group(0)) for w in words]
    covered = [False] * len(words)
    for i in range(len(words) - MIN_COPIED_WORDS + 1):
        if tuple(keys[i : i + MIN_COPIED_WORDS]) in known:
            covered[i : i + MIN_COPIED_WORDS] = [True] * MIN_COPIED_WORDS
    runs: list[tuple[int, int]] = []
    for i, word in enumerate(words):
        if not covered[i]:
            continue
        if runs and i > 0 and covered[i - 1]:
            runs[-1] = (runs[-1][0], word.end())
        else:
            runs.append((word.start(), word.end()))
    # A run from the first word or to the last takes the marks around it: the opening quote of
    # a sentence that starts with a quotation, the closing ones of one that ends with it.
    if runs and runs[0][0] == words[0].start():
        runs[0] = (0, runs[0][1])
    if runs and runs[-1][1] == words[-1].end():
        runs[-1] = (runs[-1][0], max(words[-1].end(), len(sentence.rstrip().rstrip(".!?"))))
    return runs


def credit(sources: Sequence[SourceRef]) -> str:
    """ "Reuters reported", "Reuters and AP reported"; "the article reported" for a source with
    no outlet (its citation marker says which article; a long title in every sentence would
    bury the brief)."""
    outlets = list(dict.fromkeys(s.outlet for s in sources if s.outlet))
    if not outlets:
        return "the article reported" if len(sources) == 1 else "the articles reported"
    names = outlets[0] if len(outlets) == 1 else ", ".join(outlets[:-1]) + f" and {outlets[-1]}"
    return f"{names} reported"


def attributed(text: CitedT) -> CitedT:
    """``text`` with every copied run of its sentences quoted and attributed.

    Whole quoted sentences in a row from the same outlets are credited once, on the first, as
    a newsroom credits a run of quotes; a partly copied sentence is always credited.
    """
    by_n = {s.n: s for s in text.sources}
    sentences: list[CitedSentence] = []
    previous: str | None = None
    for sentence in text.sentences:
        runs = copied_runs(sentence.text, [c.quote for c in sentence.citations])
        cited = [by_n[n] for n in dict.fromkeys(c.n for c in sentence.citations) if n in by_n]
        if not (runs and cited):
            sentences.append(sentence)
            previous = None
            continue
        quoted = sentence.model_copy(update={"copied": runs, "attribution": credit(cited)})
        if quoted.whole_quote:
            if quoted.attribution == previous:
                quoted = quoted.model_copy(update={"attribution": None})
            else:
                previous = quoted.attribution
        else:
            previous = None
        sentences.append(quoted)
    return text.model_copy(update={"sentences": sentences})
