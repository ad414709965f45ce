"""Who says so: attribution patterns with the speaker extracted as a span of the sentence.

Patterns: "according to X", "citing X", "X said/claims/emphasized..." (verbs from
``attribution_verbs.txt``), '"...," said X', "echoed/framed/reported by X", state media,
officials, and a closing "..., it added." (the previous sentence's speaker). Offsets are
local to the sentence given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_CAP = r"[A-Z][\w'’.&-]*"
_POSSESSIVE = r"(?:['’]s)?"
_SPEAKER_NOUNS = (
    "officials?|spokes(?:man|woman|person|people)|ministry|ministries|agency|agencies|media|"
    "sources?|analysts?|experts?|police|military|army|government|governments|intelligence|"
    "authorities|officers?|witnesses|residents|lawmakers|legislators|diplomats?|investigators|"
    "prosecutors|researchers|scientists|reports?|statement|leaders?|minister|president|"
    "administration|office|department|service|committee|council|court|judge|critics|"
    "supporters|opponents|activists|observers|commentators|aides?|advisers?|advisors?|"
    "campaign|party|union|group|company|firm|newspaper|broadcaster|television|he|she|they|it|we"
)
_MODIFIERS = (
    r"(?:senior|top|former|local|western|foreign|military|government|state|intelligence|spy|"
    r"presidential|opposition|ruling|interior|justice|national|central|city|election|"
    r"security|health|unnamed|anonymous|several|some|many|other|two|three|regional|federal|"
    r"news|defen[cs]e|U\.S\.|U\.N\.|EU)"
)
SPEAKER = (
    rf"(?:(?:the|a|an|its|their|his|her|its\s+own|their\s+own)\s+)?"
    rf"(?:(?:{_CAP}{_POSSESSIVE}|{_MODIFIERS}|(?<=['’]s\s)[a-z][\w-]*){_POSSESSIVE}\s+){{0,6}}"
    rf"(?:{_CAP}|(?i:{_SPEAKER_NOUNS}))(?![\w'’])"
)
_NOT_SPEAKERS = {
    "the", "this", "that", "these", "those", "it", "its", "there", "here", "such", "a", "an",
    "what", "which", "who", "while", "when", "as", "but", "and", "if", "on", "in", "for", "during",
}  # fmt: skip
_STATE_MEDIA = re.compile(
    rf"(?:(?:(?:{_CAP}\s+){{0,2}}{_CAP}{_POSSESSIVE}|its|their)\s+(?:own\s+)?)?"
    r"state(?:-run|-owned|-controlled)?\s+(?:media|television|TV|news\s+agency|broadcaster|"
    r"press|newspaper|outlets?)"
    rf"(?:,?\s+{_CAP}(?:\s+{_CAP})*)?",
)
_ACCORDING = re.compile(r"\baccording\s+to\s+", re.IGNORECASE)
_CITING = re.compile(
    r"\bciting\s+(?:(?:data|reports?|information|figures|documents|estimates|sources|"
    r"a\s+(?:\w+\s+)?report|an\s+(?:\w+\s+)?report|a\s+statement|statements)\s+(?:from|by|of)\s+)?",
    re.IGNORECASE,
)
_PHRASE_END = re.compile(
    r"[,.;:!?()\"“”]|\s[—–-]\s|\s(?:that|which|who|whose|and\s+said|as\s+(?:saying|well))\b"
)
_OFFICIAL = re.compile(
    r"(?i:official|ministry|minister|government|spokes|president|administration|department|"
    r"authorit|police|military|army|embassy|kremlin|white\s+house|pentagon|state\s+department)"
)
_INTELLIGENCE = re.compile(r"(?i:intelligence|spy\s+agency)")
_MEDIA = re.compile(r"(?i:news|agency|newspaper|broadcaster|television|media|reuters|press)")


@dataclass(frozen=True, slots=True)
class Found:
    """An attribution in a sentence: the speaker span and the cue that introduced it."""

    speaker_start: int
    speaker_end: int
    cue_start: int
    cue_end: int
    pattern: str  # according_to | citing | verb | verb_after_quote | passive | state_media
    # | pronoun ("..., it added.": the source type is the previous sentence's speaker's)
    source_type: str  # state_media | intelligence | official | media | person_or_group


def _source_type(speaker: str, pattern: str) -> str:
    if pattern == "state_media" or re.search(r"(?i)\bstate(?:-run|-owned)?\s+media", speaker):
        return "state_media"
    if _INTELLIGENCE.search(speaker):
        return "intelligence"
    if _OFFICIAL.search(speaker):
        return "official"
    if _MEDIA.search(speaker):
        return "media"
    return "person_or_group"


def _phrase_after(sentence: str, start: int, limit: int = 90) -> tuple[int, int] | None:
    """The noun phrase starting at ``start``, up to punctuation or a clause word."""
    window = sentence[start : start + limit]
    stop = _PHRASE_END.search(window)
    end = start + (stop.start() if stop else len(window))
    while end > start and sentence[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _clean_speaker(sentence: str, start: int, end: int) -> tuple[int, int] | None:
    text = sentence[start:end]
    if text.strip().casefold() in _NOT_SPEAKERS:
        return None
    words = text.split()
    if (
        words
        and words[0].casefold() in _NOT_SPEAKERS - {"the", "a", "an", "its"}
        and len(words) > 1
    ):
        start += len(text) - len(text.lstrip()) + len(words[0]) + 1
    return start, end


@lru_cache(maxsize=8)
def _verb_patterns(
    verbs: tuple[str, ...],
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    alternation = "|".join(re.escape(v) for v in sorted(verbs, key=len, reverse=True))
    auxiliary = (
        r"(?:(?:has|have|had|was|were|is|are|also|later|previously|repeatedly|publicly)\s+)*"
    )
    before = re.compile(
        rf"(?<![\w'’])(?P<speaker>{SPEAKER})(?:,\s+[^,;:\"“”]{{1,60}},)?\s+{auxiliary}"
        rf"(?P<verb>(?i:{alternation}))(?![\w'’])"
    )
    after = re.compile(
        rf"[,\"“”'’]\s*(?P<verb>(?i:{alternation}))\s+(?P<speaker>{SPEAKER})(?![\w'’])"
    )
    passive = re.compile(rf"(?P<verb>(?i:{alternation}))\s+by\s+(?P<speaker>{SPEAKER})(?![\w'’])")
    # "..., it added." closes a sentence the speaker of the one before goes on saying; "it"
    # anywhere else ("the island it claims as its own") is not a speaker.
    closing_it = re.compile(
        rf",\s+(?P<speaker>it)\s+(?:also\s+)?(?P<verb>(?i:{alternation}))\s*[.!?]?[\"”’']?\s*$"
    )
    return before, after, passive, closing_it


def find_attributions(sentence: str, verbs: tuple[str, ...]) -> list[Found]:
    """Every attribution in ``sentence``, in order, without duplicate speakers."""
    found: list[Found] = []

    def add(span: tuple[int, int] | None, cue: tuple[int, int], pattern: str) -> None:
        if span is None:
            return
        cleaned = _clean_speaker(sentence, *span)
        if cleaned is None:
            return
        start, end = cleaned
        if any(f.speaker_start < end and start < f.speaker_end for f in found):
            return
        kind = _source_type(sentence[start:end], pattern)
        found.append(Found(start, end, cue[0], cue[1], pattern, kind))

    for match in _ACCORDING.finditer(sentence):
        add(_phrase_after(sentence, match.end()), match.span(), "according_to")
    for match in _CITING.finditer(sentence):
        add(_phrase_after(sentence, match.end()), match.span(), "citing")
    for match in _STATE_MEDIA.finditer(sentence):
        add(match.span(), match.span(), "state_media")
    before, after, passive, closing_it = _verb_patterns(verbs)
    for pattern, name in ((passive, "passive"), (after, "verb_after_quote"), (before, "verb")):
        for match in pattern.finditer(sentence):
            add(match.span("speaker"), match.span("verb"), name)
    closing = closing_it.search(sentence)
    if closing and not found:
        start, end = closing.span("speaker")
        found.append(Found(start, end, *closing.span("verb"), "pronoun", "person_or_group"))
    found.sort(key=lambda f: f.speaker_start)
    return found
