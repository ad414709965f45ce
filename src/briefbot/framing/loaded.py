"""Loaded and euphemistic terms, whether they sit inside a quotation, and neutral rewrites."""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefbot.framing.lexicons import Lexicon, TermMatch
from briefbot.text.words import stem

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


_TECHNICAL_USE = [
    (
        re.compile(r"terror(?:ist|ists|ism)?$", re.IGNORECASE),
        re.compile(
            r"^\s+(?:attacks?|groups?|organi[sz]ations?|networks?|threats?|activity|plots?|"
            r"cells?|suspects?|charges?|financing|watch ?list|list)\b",
            re.IGNORECASE,
        ),
        re.compile(r"\b(?:war|fight|campaign) (?:on|against)\s+$", re.IGNORECASE),
    ),
    (
        re.compile(r"entitlements?$", re.IGNORECASE),
        re.compile(
            r"^\s+(?:programs?|programmes?|spending|cuts?|reforms?|benefits?)\b", re.IGNORECASE
        ),
        None,
    ),
]
"""Category names in their technical use ("terrorist attacks", "the war on terror",
"entitlement programs"): the designation of an event or a budget line, not the writer's label."""

_VERB_BEFORE_CLAIM = re.compile(
    r"(?:^|\W)(?:to|i|we|you|they|he|she|it|who|which|that|will|would|could|can|may|might|"
    r"should|must|did|do|does|not|n['’]t|also|still|now|falsely|wrongly|erroneously|repeatedly)"
    r"\s+$",
    re.IGNORECASE,
)
_NOUN_BEFORE_CLAIM = re.compile(
    r"(?:\b(?:the|a|an|these|those|this|that|such|his|her|its|their|our|your|my|any|many|"
    r"some|no|of|by|on|about|despite|against|over|with|for|new|recent|latest|false|similar)|"
    r"['’]s|\w+ed)\s+$",
    re.IGNORECASE,
)
_NOUN_AFTER_CLAIMS = re.compile(
    r"^(?:\s*$|\s*[.,;:)!?]|\s+(?:of|were|are|was|is|into|against|from|by|on|about|and|or|"
    r"have|had)\b)",
    re.IGNORECASE,
)


def _claim_is_noun(found: str, before: str, after: str) -> bool:
    """Whether "claim"/"claims" is the noun ("their claims", "claims of racism"): the AP
    caution against "claim" is about the verb of saying, not the noun."""
    if _VERB_BEFORE_CLAIM.search(before):
        return False
    if _NOUN_BEFORE_CLAIM.search(before):
        return True
    return found == "claim" or bool(_NOUN_AFTER_CLAIMS.match(after))


def _in_context(sentence: str, match: TermMatch) -> bool:
    """Whether a lexicon match is loaded here: not part of a proper name ("the Regime Change
    Act", capitalised mid-sentence), not a claim of territory or responsibility, not the noun
    "claim", not a category name in its technical use ("terrorist attacks")."""
    found = sentence[match.start : match.end]
    before = sentence[: match.start]
    after = sentence[match.end :]
    stripped = before.rstrip(' “"‘(')
    opens_sentence = not stripped or stripped[-1:] in ".!?:"
    if found[:1].isupper() and not opens_sentence:
        return False
    word = found.casefold()
    if word.startswith("claim"):
        if word in {"claim", "claims"} and _claim_is_noun(word, before, after):
            return False
        return not _NOT_A_JUDGEMENT_AFTER.match(after)
    for term, following, preceding in _TECHNICAL_USE:
        if term.match(word) and (
            following.match(after) or (preceding is not None and preceding.search(before))
        ):
            return False
    return True


def find_loaded(sentence: str, lexicon: Lexicon) -> list[LoadedMatch]:
    regions = quoted_regions(sentence)
    return [
        LoadedMatch(m, inside((m.start, m.end), regions))
        for m in lexicon.loaded_matcher.find(sentence)
        if _in_context(sentence, m)
    ]


_IRREGULAR_PAST = {"said": "say", "fell": "fall", "spun": "spin", "tore": "tear", "took": "take"}
_SILENT_E = ("ise", "ize", "ate", "uce", "ive", "ove", "ote", "ure", "age", "ase", "ide", "ine")


def _is_past_verb(word: str) -> bool:
    return word.endswith("ed") or word in _IRREGULAR_PAST


def _base_verb(past: str) -> str:
    """The base form of a past-tense neutral verb ("criticised" -> "criticise")."""
    if past in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[past]
    stem = past[:-2]
    if stem.endswith("i"):
        return stem[:-1] + "y"
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    if (stem + "e").endswith(_SILENT_E) and stem[-3:-2] not in _VOWELS:
        return stem + "e"
    return stem


def _plural(word: str) -> str:
    if word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in _VOWELS:
        return word[:-1] + "ies"
    if word.endswith(("x", "ch", "sh")):
        return word + "es"
    return word + "s"


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


Form = str
"""base, s, past or ing: the inflection of a word matched by a wildcard term."""


def _form(stem: str, word: str) -> Form | None:
    """How ``word`` inflects the wildcard ``stem`` ("slam" + "med" = past); ``None`` for a
    derivation (insist -> insistence, bitter -> bitterly) the neutral wording was not made for."""
    ending = word[len(stem) :]
    if len(ending) >= 3 and ending[0] == stem[-1:] and ending[1:] in {"ed", "ing"}:
        ending = ending[1:]  # slam -> slammed, pummel -> pummelled
    if ending in {"", "e", "y"}:
        return "base"
    if ending in {"s", "es", "ies"}:
        return "s"
    if ending in {"d", "ed", "ied"}:
        return "past"
    if ending == "ing":
        return "ing"
    return None


_VERB_CONTEXT = re.compile(
    r"(?:^|\W)(?:to|will|would|can|could|may|might|shall|should|must|do|does|did|not|n['’]t|i|we|"
    r"you|they|who|that|which|there|also|still|never|often|always|\w+s)\s+$",
    re.IGNORECASE,
)
"""Before a base-form verb ("to rebuke", "they slam", "officials admit"); elsewhere the base
form is a noun ("the full rant", "public ridicule") and a verb's neutral wording does not fit."""


def neutral_form(match: TermMatch, found: str, before: str = "") -> str | None:
    """The replacement for ``found`` (``before`` is the text preceding it): the first
    alternative, inflected like ``found``, capitalised alike; ``""`` drops the word and
    ``None`` means no neutral wording fits this form ("insistence" for a verb's "said")."""
    neutral = match.term.neutral.split("/")[0].strip()
    if not neutral:
        return ""
    words = match.term.term.split()
    starred = next((i for i, w in enumerate(words) if w.endswith("*")), None)
    found_words = found.split()
    if starred is not None and len(found_words) == len(words):
        form = _form(words[starred].rstrip("*").casefold(), found_words[starred].casefold())
        if form is None:
            return None
        first, _, rest = neutral.partition(" ")
        if _is_past_verb(first):
            if form == "base" and not _VERB_CONTEXT.search(before):
                return None
            if form in {"s", "ing"}:
                neutral = _inflect(neutral, found_words[starred])
            elif form == "base":
                neutral = f"{_base_verb(first)} {rest}".strip()
        else:
            *head, last = neutral.split(" ")
            if form == "s":
                neutral = " ".join([*head, _plural(last)])
            elif form == "base":
                neutral = " ".join([*head, _singular(last)])
    if found[:1].isupper() and neutral[:1].islower():
        neutral = neutral[0].upper() + neutral[1:]
    return neutral


def _inflect(neutral: str, found: str) -> str:
    """Carry the found word's ending (-ing, -s) over to a past-tense neutral verb."""
    first, _, rest = neutral.partition(" ")
    word = found.casefold()
    if not _is_past_verb(first):
        return neutral
    stem = _base_verb(first)
    if word.endswith("ing"):
        if stem.endswith("e") and not stem.endswith("ee"):
            first = stem[:-1] + "ing"
        elif first.endswith("ed") and first[-3:-2] == first[-4:-3]:
            first = first[:-2] + "ing"  # stopped -> stopping
        else:
            first = stem + "ing"
    elif word.endswith("s") and not word.endswith("ss"):
        first = stem + "es" if stem.endswith(("s", "x", "ch", "sh")) else stem + "s"
    return f"{first} {rest}".strip()


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


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’-]+", text)


def _repeats_a_neighbour(new: str, before: str, after: str) -> bool:
    """Whether the replacement's head word already stands right before or after the term
    ("military aggression" -> "military"; "terrorist attacks" -> "attacks")."""
    head = stem(_words(new)[-1]) if _words(new) else ""
    neighbours = _words(before)[-1:] + _words(after)[:1]
    return bool(head) and head in {stem(w) for w in neighbours}


def _coordinated_with_itself(new: str, before: str, after: str) -> bool:
    """Whether the replacement would be coordinated with its own word ("unrest and protests"
    -> "protests and protests")."""
    head = stem(_words(new)[-1]) if _words(new) else ""
    following, previous = _words(after)[:2], _words(before)[-2:]
    pairs = [following, previous[::-1]]
    return any(
        len(p) == 2 and p[0].casefold() in {"and", "or"} and stem(p[1]) == head for p in pairs
    )


def neutralise(sentence: str, matches: list[LoadedMatch]) -> tuple[str, list[tuple[str, str]]]:
    """``sentence`` with loaded terms outside quotes replaced; returns (text, [(old, new)]).

    A term is left as written when no neutral wording fits its form or the wording would be
    coordinated with itself; it is dropped when the wording repeats its neighbour.
    """
    pieces: list[str] = []
    replaced: list[tuple[str, str]] = []
    position = 0
    for item in sorted(matches, key=lambda m: m.match.start):
        if item.in_quote:
            continue
        found = sentence[item.match.start : item.match.end]
        before = sentence[position : item.match.start]
        after = sentence[item.match.end :]
        written = item.match.term.neutral.split("/")[0].strip()
        new = neutral_form(item.match, found, sentence[: item.match.start])
        if written and _repeats_a_neighbour(written, before, after):
            new = ""
        elif new is None or (new and _coordinated_with_itself(new, before, after)):
            continue
        pieces.append(_fit_article(before, new))
        pieces.append(new)
        replaced.append((found, new))
        position = item.match.end
    pieces.append(sentence[position:])
    text = re.sub(r"\s{2,}", " ", "".join(pieces))
    text = re.sub(r"\s+([,.;:])", r"\1", text).strip()
    return text[:1].upper() + text[1:], replaced
