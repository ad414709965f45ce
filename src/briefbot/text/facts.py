"""What a sentence asserts that a source span must contain: numbers, dates, names, negation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefbot.text.words import (
    STOPWORDS,
    covered,
    normalise,
    number_value,
    stem,
    strip_possessive,
)

_SMALL_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
)
_NUMBER_WORDS = {word: index for index, word in enumerate(_SMALL_NUMBERS.split())} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
}
_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = re.compile(
    r"\b(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_WEEKDAY = re.compile(r"\b(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b")
_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:\s*(thousand|millions?|billion|trillion|mn|bn|[mk])\b)?",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_NAME_CONNECTORS = frozenset({"of", "de", "del", "der", "la", "le", "van", "von", "al", "bin"})


def numbers(text: str, *, words: bool = False) -> dict[str, str]:
    """Numbers in ``text`` as ``{canonical value: surface form}``.

    "5,000", "5000" and "5 thousand" share the value ``5000``. With ``words`` the number words
    one..eighty count too (used on source spans, so "3 officials" matches "three officials").
    """
    found: dict[str, str] = {}
    for match in _NUMBER.finditer(text):
        scale = match.group(2)
        if scale and scale.lower() in ("m", "k") and match.group(0)[len(match.group(1))] == " ":
            scale = None  # "5 m" is five metres, not five million
        value = number_value(match.group(1), scale)
        if value is not None:
            found.setdefault(value, match.group(0).strip())
            if scale:  # "5 million" also holds the bare "5"
                plain = number_value(match.group(1), None)
                if plain is not None:
                    found.setdefault(plain, match.group(1))
    if words:
        for word in re.findall(r"[a-z]+", text.lower()):
            if word in _NUMBER_WORDS:
                found.setdefault(str(_NUMBER_WORDS[word]), word)
    return found


def dates(text: str) -> dict[str, str]:
    """Month and weekday names as ``{canonical: surface}`` ("Sept." and "September" agree)."""
    found: dict[str, str] = {}
    for match in _MONTH.finditer(text):
        found.setdefault(f"month:{_MONTHS[match.group(1)[:3].lower()]}", match.group(1))
    for match in _WEEKDAY.finditer(text):
        found.setdefault(f"weekday:{match.group(1).lower()}", match.group(0))
    return found


def names(text: str) -> list[str]:
    """Capitalised names ("Kim Jong Un", "North Korea", "NATO"), possessives stripped.

    A capitalised word opening the sentence is taken only as part of a longer name, and then
    only when it is not a function word ("The", "In").
    """
    text = normalise(text)
    found: list[str] = []
    run: list[str] = []
    run_starts_sentence = False

    def close() -> None:
        nonlocal run
        while run and run[-1].lower() in _NAME_CONNECTORS:
            run.pop()
        words = list(run)
        if run_starts_sentence and words and words[0].lower() in STOPWORDS:
            words = words[1:]
        if words and not (run_starts_sentence and len(run) == 1):
            name = " ".join(words)
            if not _MONTH.fullmatch(name) and not _WEEKDAY.fullmatch(name):
                found.append(name)
        run = []

    previous_end = 0
    for match in _NAME_WORD.finditer(text):
        word = strip_possessive(match.group(0))
        gap = text[previous_end : match.start()]
        sentence_start = previous_end == 0 or gap.strip()[-1:] in (".", "!", "?", ":")
        previous_end = match.end()
        is_capital = (
            word[:1].isupper()
            and not _MONTH.fullmatch(word)
            and not _WEEKDAY.fullmatch(word)
            and word != "I"
        )
        if run and (gap not in (" ", "-") or sentence_start):
            close()
        if is_capital:
            if not run:
                run_starts_sentence = sentence_start
            run.append(word)
        elif run and word.lower() in _NAME_CONNECTORS:
            run.append(word)
        elif run:
            close()
        if match.group(0) != word or match.group(0).endswith(("'", "’")):
            close()
    if run:
        close()
    return list(dict.fromkeys(found))


_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|denied|denies|deny)\b|n't\b",
    re.IGNORECASE,
)


def negated(text: str) -> bool:
    return bool(_NEGATION.search(normalise(text)))


@dataclass(frozen=True)
class Facts:
    """What a sentence asserts that a span must contain verbatim (modulo normalisation).

    A negated sentence needs a negation in its span too ("is not sending" is not supported
    by "is sending").
    """

    numbers: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    negated: bool = False

    @classmethod
    def of(cls, text: str) -> Facts:
        return cls(numbers(text), dates(text), names(text), negated(text))

    @property
    def count(self) -> int:
        return len(self.numbers) + len(self.dates) + len(self.names) + self.negated

    def missing_from(self, span: str) -> list[str]:
        """Surface forms of the facts ``span`` does not contain."""
        span_numbers = numbers(span, words=True)
        span_dates = dates(span)
        span_words = {stem(w) for w in re.findall(r"[^\W\d_]+", normalise(span).lower())}
        missing = [s for v, s in self.numbers.items() if v not in span_numbers]
        missing += [s for v, s in self.dates.items() if v not in span_dates]
        for name in self.names:
            parts = [
                stem(p) for p in re.findall(r"[^\W\d_]+", name.lower()) if p not in _NAME_CONNECTORS
            ]
            if not all(covered(p, span_words) for p in parts):
                missing.append(name)
        if self.negated and not negated(span):
            missing.append("a negation")
        return missing


def disagree(facts: frozenset[str], other: frozenset[str]) -> bool:
    """Each side states something the other does not (12 dead against 15 dead)."""
    return bool(facts - other) and bool(other - facts)
