"""The offline critical reading of one article: claims and who makes them, hedges, loaded terms,
the writer's evaluative voice, and parties mentioned but never quoted.

Everything here is lexical and deterministic (no embedder): ``analyze_text`` is what the
benchmarks use; corroboration against other articles is added by ``framer.py``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from briefbot.citations import Citation
from briefbot.framing.attribution import Found, find_attributions
from briefbot.framing.hedges import find_hedges
from briefbot.framing.lexicons import Lexicon, TermMatch
from briefbot.framing.loaded import LoadedMatch, find_loaded
from briefbot.framing.report import (
    Claim,
    CriticalReading,
    EvaluativeSentence,
    Party,
    Speaker,
    TermFinding,
    Tone,
)
from briefbot.framing.tone import compound, evaluative_cues, is_evaluative
from briefbot.models import Article, Chunk
from briefbot.text.places import gazetteer
from briefbot.text.sentences import Span, split_sentences

MIN_CLAIM_WORDS = 4
_WORD = re.compile(r"[\w'’-]+")
_NAME = re.compile(
    r"(?<![\w'’])[A-Z][\w'’.&-]*(?:(?:\s+(?:of|the|for|de|al|bin|von|van)){0,2}"
    r"\s+[A-Z][\w'’.&-]*)*"
)
_NAME_STOP = {
    "the", "this", "that", "these", "those", "it", "its", "there", "here", "a", "an", "and",
    "but", "or", "if", "on", "in", "at", "for", "as", "by", "to", "of", "while", "when", "during",
    "after", "before", "since", "although", "though", "however", "meanwhile", "according",
    "with", "without", "from", "we", "they", "he", "she", "i", "you", "our", "their", "his",
    "her", "mr", "mrs", "ms", "dr", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "yet", "so", "still", "also",
    "even", "not", "no", "yes", "all", "some", "many", "most", "one", "two", "three", "what",
    "who", "why", "how", "where", "which", "then", "now", "today", "yesterday",
}  # fmt: skip
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|ern|ican|ians|eans|icans)$")


@dataclass
class SentenceAnalysis:
    """What the lexical rules found in one sentence; match offsets are local to ``span``."""

    span: Span
    attributions: list[Found]
    hedges: list[TermMatch]
    loaded: list[LoadedMatch]
    compound: float
    cues: list[str]
    evaluative: bool
    is_claim: bool
    words: int = field(default=0)

    @property
    def attributed(self) -> bool:
        return bool(self.attributions)


def analyze_sentence(span: Span, lexicon: Lexicon) -> SentenceAnalysis:
    text = span.text
    found = find_attributions(text, tuple(lexicon.verbs))
    loaded = find_loaded(text, lexicon)
    score = compound(text)
    cues = evaluative_cues(text, lexicon, loaded)
    words = len(_WORD.findall(text))
    return SentenceAnalysis(
        span=span,
        attributions=found,
        hedges=find_hedges(text, lexicon),
        loaded=loaded,
        compound=score,
        cues=cues,
        evaluative=is_evaluative(bool(found), cues, score),
        is_claim=words >= MIN_CLAIM_WORDS and not text.rstrip().endswith("?"),
        words=words,
    )


def analyze_text(text: str, lexicon: Lexicon) -> list[SentenceAnalysis]:
    """Lexical analysis of every sentence of ``text`` (offsets into ``text``); a closing
    "..., it added." takes the source type of the sentence before's last speaker."""
    items = [analyze_sentence(span, lexicon) for span in split_sentences(text)]
    for before, item in itertools.pairwise(items):
        if before.attributions:
            item.attributions = [
                replace(f, source_type=before.attributions[-1].source_type)
                if f.pattern == "pronoun"
                else f
                for f in item.attributions
            ]
    return items


class Citer:
    """Makes citations of article spans, numbered ``n``, pointing at the enclosing chunk."""

    def __init__(self, article: Article, n: int, chunks: Sequence[Chunk]) -> None:
        self.article = article
        self.n = n
        self.chunks = list(chunks)

    def chunk_id(self, start: int, end: int) -> str:
        best, overlap = "", 0
        for chunk in self.chunks:
            shared = min(end, chunk.end) - max(start, chunk.start)
            if shared > overlap:
                best, overlap = chunk.id, shared
        return best

    def __call__(self, start: int, end: int) -> Citation:
        return Citation(
            n=self.n,
            article_id=self.article.id,
            chunk_id=self.chunk_id(start, end),
            start=start,
            end=end,
            quote=self.article.text[start:end],
        )

    def local(self, span: Span, start: int, end: int) -> Citation:
        return self(span.start + start, span.start + end)


def _speakers(item: SentenceAnalysis, cite: Citer) -> list[Speaker]:
    text = item.span.text
    return [
        Speaker(
            name=text[f.speaker_start : f.speaker_end],
            source_type=f.source_type,
            pattern=f.pattern,
            citation=cite.local(item.span, f.speaker_start, f.speaker_end),
        )
        for f in item.attributions
    ]


def _hedge_findings(item: SentenceAnalysis, cite: Citer) -> list[TermFinding]:
    text = item.span.text
    return [
        TermFinding(
            text=text[m.start : m.end],
            term=m.term.term,
            kind="hedge",
            citation=cite.local(item.span, m.start, m.end),
        )
        for m in item.hedges
    ]


def _loaded_findings(item: SentenceAnalysis, cite: Citer) -> list[TermFinding]:
    text = item.span.text
    return [
        TermFinding(
            text=text[lm.match.start : lm.match.end],
            term=lm.match.term.term,
            kind=lm.match.term.kind,
            neutral=lm.match.term.neutral,
            note=lm.match.term.note,
            in_quote=lm.in_quote,
            citation=cite.local(item.span, lm.match.start, lm.match.end),
        )
        for lm in item.loaded
    ]


def _title_like(text: str) -> bool:
    words = _WORD.findall(text)
    capitals = sum(1 for w in words if w[:1].isupper())
    return len(words) >= 4 and capitals / len(words) > 0.6


def _midsentence_capitals(analysis: Sequence[SentenceAnalysis]) -> set[str]:
    """Capitalised words seen away from a sentence start: names, not sentence openers."""
    seen: set[str] = set()
    for item in analysis:
        for match in re.finditer(r"(?<=[\w,;:] )[A-Z][\w'’.&-]*", item.span.text):
            seen.add(match.group())
    return seen


def _names(item: SentenceAnalysis, capitals: set[str]) -> list[tuple[str, int, int]]:
    """Capitalised names in a sentence (local offsets), without leading function words."""
    text = item.span.text
    names = []
    for match in _NAME.finditer(text):
        start, words = match.start(), match.group().split()
        opener = not text[: match.start()].strip(" \"'“‘(")
        # a capitalised opener is a name only when a name goes on after it ("Kim Jong Un's
        # regime") or the article capitalises it elsewhere too
        continued = len(words) > 1 and words[1][:1].isupper()
        if opener and not continued and words and words[0] not in capitals:
            words[0] = words[0].casefold()
        while words and (words[0].strip(".,").casefold() in _NAME_STOP or words[0][:1].islower()):
            start = text.index(words[1], start + len(words[0])) if len(words) > 1 else match.end()
            words = words[1:]
        if not words:
            continue
        name = re.sub(r"['’]s$", "", " ".join(words)).rstrip(".,")
        if _DEMONYM.search(name) or len(name) < 3:
            continue
        names.append((name, start, start + len(name)))
    return names


def _is_quoted(name: str, speaker_words: set[str], speaker_names: list[str]) -> bool:
    words = [w.casefold() for w in name.split() if w[:1].isupper()]
    if words and all(any(s.startswith(w) for s in speaker_words) for w in words):
        return True
    lowered = name.casefold()
    return any(s and s in lowered for s in speaker_names)


_LOCATIVE = re.compile(
    r"\b(?:in|at|near|from|to|into|across|outside|inside|around|toward|towards)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_PLACE_NOUN = re.compile(
    r"^\s+(?:region|province|oblast|district|county|area|city|town|border|state)\b", re.IGNORECASE
)


def unquoted_parties(analysis: Sequence[SentenceAnalysis], cite: Citer) -> list[Party]:
    """Names mentioned in the article that never appear as a speaker of an attribution.

    A capital and its country are one party ("Pyongyang said" quotes North Korea); a town
    that the article names as a location ("in Kursk", "the Kursk region") is a place, not a
    party.
    """
    speaker_words: set[str] = set()
    speaker_names: list[str] = []
    for item in analysis:
        for f in item.attributions:
            speaker = item.span.text[f.speaker_start : f.speaker_end]
            named = [w for w in re.findall(r"[\w'’.-]+", speaker) if w[:1].isupper()]
            speaker_words.update(re.sub(r"['’]s$", "", w).casefold() for w in named)
            if named:
                speaker_names.append(" ".join(re.sub(r"['’]s$", "", w) for w in named).casefold())
    places = gazetteer()
    seen: dict[str, Party] = {}
    located: set[str] = set()
    capitals = _midsentence_capitals(analysis)
    for item in analysis:
        if _title_like(item.span.text):
            continue
        for name, start, end in _names(item, capitals):
            key = name.casefold()
            text = item.span.text
            if _LOCATIVE.search(text[:start]) or _PLACE_NOUN.match(text[end:]):
                located.add(key)
            if key in seen:
                seen[key].mentions += 1
                continue
            if any(
                _is_quoted(alias, speaker_words, speaker_names) for alias in places.aliases(name)
            ):
                continue
            seen[key] = Party(name=name, mentions=1, citation=cite.local(item.span, start, end))
    parties = [p for key, p in seen.items() if not (key in located and places.is_town(p.name))]
    return sorted(parties, key=lambda p: (-p.mentions, p.citation.start))


def tone_of(analysis: Sequence[SentenceAnalysis]) -> Tone:
    sentences = len(analysis)
    words = sum(a.words for a in analysis)
    loaded = sum(1 for a in analysis for m in a.loaded if not m.in_quote)
    claims = [a for a in analysis if a.is_claim]
    return Tone(
        words=words,
        sentences=sentences,
        mean_compound=round(sum(a.compound for a in analysis) / sentences, 4) if sentences else 0.0,
        evaluative_share=round(sum(a.evaluative for a in analysis) / sentences, 4)
        if sentences
        else 0.0,
        loaded_terms=loaded,
        loaded_per_1000_words=round(1000 * loaded / words, 2) if words else 0.0,
        attributed_share=round(sum(a.attributed for a in claims) / len(claims), 4)
        if claims
        else 0.0,
    )


def critical_reading(
    analysis: Sequence[SentenceAnalysis], cite: Citer
) -> tuple[CriticalReading, Tone]:
    """Claims with attributions and hedges, loaded terms, evaluative voice, unquoted parties."""
    reading = CriticalReading()
    for item in analysis:
        hedges = _hedge_findings(item, cite)
        reading.hedges += hedges
        reading.loaded_terms += _loaded_findings(item, cite)
        sentence = cite(item.span.start, item.span.end)
        if item.evaluative:
            reading.evaluative.append(
                EvaluativeSentence(citation=sentence, cues=item.cues, compound=item.compound)
            )
        if item.is_claim:
            reading.claims.append(
                Claim(
                    citation=sentence,
                    attributed=item.attributed,
                    speakers=_speakers(item, cite),
                    hedges=hedges,
                    compound=item.compound,
                    evaluative=item.evaluative,
                )
            )
    reading.unquoted_parties = unquoted_parties(analysis, cite)
    if not reading.claims:
        reading.notes.append(
            f"no claims found: the article has no sentence of {MIN_CLAIM_WORDS} or more words"
        )
    else:
        unattributed = sum(not c.attributed for c in reading.claims)
        reading.notes.append(
            f"{len(reading.claims)} claims, {unattributed} stated without attribution"
        )
    return reading, tone_of(analysis)
