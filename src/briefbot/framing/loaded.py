"""Loaded and euphemistic terms, whether they sit inside a quotation, and neutral rewrites."""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefbot.framing.lexicons import Lexicon, TermMatch

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’(?![\w])")
_VOWELS = "aeiou"


@dataclass(frozen=True, slots=True)
class LoadedMatch:
    match: TermMatch
    in_quote: bool


def quoted_regions(sentence: str) -> list[tuple[int, int]]:
    """Spans between matching quotation marks (the speaker's words, not the writer's)."""
    return [m.span() for m in _QUOTED.finditer(sentence)]


def inside(span: tuple[int, int], regions: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in regions)


_NOT_A_JUDGEMENT_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:as (?:its|their|his|her|our) own|as part of|sovereignty|"
    r"territor\w*|responsibility|credit|victory|the (?:title|throne|seat|prize))\b",
    re.IGNORECASE,
)
"""After "claims": a claim of territory, title or responsibility, not doubt about a statement
("the island it claims as its own", "claimed responsibility")."""


def _in_context(sentence: str, match: TermMatch) -> bool:
    """Whether a lexicon match is loaded here: not part of a proper name ("the Regime Change
    Act", capitalised mid-sentence), not a claim of territory or responsibility."""
    found = sentence[match.start : match.end]
    before = sentence[: match.start].rstrip(' “"‘(')
    opens_sentence = not before or before[-1:] in ".!?:"
    if found[:1].isupper() and not opens_sentence:
        return False
    if found.casefold().startswith("claim"):
        return not _NOT_A_JUDGEMENT_AFTER.match(sentence[match.end :])
    return True


def find_loaded(sentence: str, lexicon: Lexicon) -> list[LoadedMatch]:
    regions = quoted_regions(sentence)
    return [
        LoadedMatch(m, inside((m.start, m.end), regions))
        for m in lexicon.loaded_matcher.find(sentence)
        if _in_context(sentence, m)
    ]


def _inflect(neutral: str, found: str) -> str:
    """Carry the found word's ending (-ing, -s) over to a past-tense neutral verb."""
    first, _, rest = neutral.partition(" ")
    word = found.split()[0].casefold()
    if not (first.endswith("ed") or first == "said"):
        return neutral
    stem = "say" if first == "said" else first[:-2]
    if word.endswith("ing"):
        first = stem + "ing"
    elif word.endswith("s") and not word.endswith("ss"):
        if first == "said":
            first = "says"
        elif stem[-1:] in "szcvtg" and stem[-1:] not in _VOWELS:
            first = stem + "es"
        else:
            first = stem + "s"
    return f"{first} {rest}".strip()


def neutral_form(match: TermMatch, found: str) -> str:
    """The replacement for ``found``: the first alternative, inflected, capitalised alike."""
    neutral = match.term.neutral.split("/")[0].strip()
    if not neutral:
        return ""
    if match.term.term.endswith("*"):
        neutral = _inflect(neutral, found)
    if found[:1].isupper() and neutral[:1].islower():
        neutral = neutral[0].upper() + neutral[1:]
    return neutral


_ARTICLE_BEFORE = re.compile(r"\b(a|an|A|An)(\s+)$")


def _fit_article(before: str, word: str) -> str:
    """``before`` with a final "a"/"an" matched to ``word`` ("a brazen" -> "an open")."""
    found = _ARTICLE_BEFORE.search(before)
    if found is None or not word:
        return before
    article = "an" if word[:1].casefold() in "aeiou" else "a"
    if found.group(1)[:1].isupper():
        article = article.capitalize()
    return before[: found.start()] + article + found.group(2)


_DETERMINER_BEFORE = re.compile(
    r"\b(?:the|these|those|such|his|her|its|their|our|your|my|of|any|many|some|no)\s+$",
    re.IGNORECASE,
)


def _neighbour_is(word: str, before: str, after: str) -> bool:
    """Whether ``word`` already stands right before or after the replaced term."""
    previous = re.findall(r"[\w'’-]+", before)[-1:]
    following = re.findall(r"[\w'’-]+", after)[:1]
    return word.casefold() in {w.casefold() for w in previous + following}


def neutralise(sentence: str, matches: list[LoadedMatch]) -> tuple[str, list[tuple[str, str]]]:
    """``sentence`` with loaded terms outside quotes replaced; returns (text, [(old, new)])."""
    pieces: list[str] = []
    replaced: list[tuple[str, str]] = []
    position = 0
    for item in sorted(matches, key=lambda m: m.match.start):
        if item.in_quote:
            continue
        found = sentence[item.match.start : item.match.end]
        new = neutral_form(item.match, found)
        before = sentence[position : item.match.start]
        after = sentence[item.match.end :]
        if found.casefold() == "claims" and _DETERMINER_BEFORE.search(before):
            new = "statements"  # the noun ("the claims were false"), not the verb ("says")
        if new and _neighbour_is(new, before, after):
            new = ""  # "military aggression" -> "military", never "military military"
        pieces.append(_fit_article(before, new))
        pieces.append(new)
        replaced.append((found, new))
        position = item.match.end
    pieces.append(sentence[position:])
    text = re.sub(r"\s{2,}", " ", "".join(pieces))
    text = re.sub(r"\s+([,.;:])", r"\1", text).strip()
    return text[:1].upper() + text[1:], replaced
