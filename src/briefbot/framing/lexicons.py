"""The framing lexicons: data files an editor can extend (format in ``docs/lexicons.md``).

``loaded_terms.csv`` (term, neutral alternative, kind, note), ``hedges.txt``,
``attribution_verbs.txt`` and ``evaluative.txt`` live in ``briefbot/data``; a directory set in
``Settings.framing_lexicon_dir`` replaces any of them file by file. A malformed line raises
``ConfigError`` naming the file and the line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from briefbot.errors import ConfigError

LOADED_FILE = "loaded_terms.csv"
HEDGES_FILE = "hedges.txt"
VERBS_FILE = "attribution_verbs.txt"
EVALUATIVE_FILE = "evaluative.txt"
LOADED_HEADER = ["term", "neutral", "kind", "note"]
KINDS = ("loaded", "euphemism")
_TERM = re.compile(r"^[\w'’.\-]+\*?(?: [\w'’.\-]+\*?)*$")

Kind = Literal["loaded", "euphemism"]


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon entry. ``neutral`` is empty when the neutral form drops the word."""

    term: str
    kind: str = "hedge"
    neutral: str = ""
    note: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True)
class TermMatch:
    start: int
    end: int
    term: Term


def _term_regex(term: str) -> str:
    parts = []
    for word in term.split():
        stem = word.rstrip("*")
        literal = "['’]".join(re.escape(piece) for piece in re.split(r"['’]", stem))
        parts.append(literal + (r"[\w'’-]*" if word.endswith("*") else ""))
    body = r"\s+".join(parts)
    tail = "" if term.endswith("-") else r"(?![\w-])(?!['’]\w\w)"
    return r"(?<![\w-])(?<!\w['’])" + body + tail


_WORD_START = re.compile(r"(?<![\w'’])\w")


@dataclass
class TermMatcher:
    """Finds lexicon terms in a sentence: leftmost, then longest, no overlaps.

    Terms are indexed by their first two letters, so each word start tries only a few.
    A lower-case term matched with a capital letter away from the start of the sentence is a
    name ("May", "Patriot"), not the word, and is skipped.
    """

    terms: list[Term]
    _index: dict[str, list[tuple[re.Pattern[str], Term]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {}
        for term in self.terms:
            pattern = re.compile(_term_regex(term.term), re.IGNORECASE)
            self._index.setdefault(term.term[:2].casefold(), []).append((pattern, term))

    def find(self, sentence: str) -> list[TermMatch]:
        found: list[TermMatch] = []
        covered = 0
        for word in _WORD_START.finditer(sentence):
            position = word.start()
            if position < covered:
                continue
            best: TermMatch | None = None
            for pattern, term in self._index.get(sentence[position : position + 2].casefold(), []):
                match = pattern.match(sentence, position)
                if match and (best is None or match.end() > best.end):
                    best = TermMatch(position, match.end(), term)
            if best is None:
                continue
            at_start = not sentence[:position].strip(" \"'“‘(—-")
            if best.term.term.islower() and sentence[position].isupper() and not at_start:
                continue
            found.append(best)
            covered = best.end
        return found


@dataclass
class Lexicon:
    loaded: list[Term]
    hedges: list[Term]
    verbs: list[str]
    evaluative: list[Term]
    loaded_matcher: TermMatcher = field(init=False, repr=False)
    hedge_matcher: TermMatcher = field(init=False, repr=False)
    evaluative_matcher: TermMatcher = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.loaded_matcher = TermMatcher(self.loaded)
        self.hedge_matcher = TermMatcher(self.hedges)
        self.evaluative_matcher = TermMatcher(self.evaluative)


def _check_term(term: str, location: str) -> None:
    if not _TERM.match(term):
        raise ConfigError(
            f"{location}: {term!r} is not a term: use words separated by single spaces "
            "(letters, digits, hyphens, apostrophes), each optionally ending in '*'"
        )


def _read(directory: Path | None, name: str) -> tuple[str, str]:
    if directory is not None and (directory / name).is_file():
        path = directory / name
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the lexicon file: {exc}") from exc
    resource = resources.files("briefbot") / "data" / name
    return resource.read_text(encoding="utf-8"), str(resource)


def parse_loaded_terms(text: str, source: str) -> list[Term]:
    """Parse ``loaded_terms.csv``; every error names ``source`` and the line."""
    terms: list[Term] = []
    seen: dict[str, int] = {}
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        location = f"{source}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            row = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            raise ConfigError(f"{location}: not a CSV line: {exc}") from exc
        row = [cell.strip() for cell in row]
        if not header_seen:
            if row != LOADED_HEADER:
                raise ConfigError(
                    f"{location}: the first line must be the header {','.join(LOADED_HEADER)}"
                )
            header_seen = True
            continue
        if len(row) != len(LOADED_HEADER):
            raise ConfigError(
                f"{location}: expected 4 fields (term,neutral,kind,note), found {len(row)}; "
                "quote a field that contains a comma"
            )
        term, neutral, kind, note = row
        if not term:
            raise ConfigError(f"{location}: the term is empty")
        _check_term(term, location)
        if kind not in KINDS:
            raise ConfigError(f"{location}: kind {kind!r} must be one of {', '.join(KINDS)}")
        key = term.casefold()
        if key in seen:
            raise ConfigError(f"{location}: {term!r} is already defined on line {seen[key]}")
        seen[key] = number
        terms.append(Term(term=term, kind=kind, neutral=neutral, note=note, location=location))
    if not header_seen:
        raise ConfigError(f"{source}: empty lexicon, expected the header {','.join(LOADED_HEADER)}")
    return terms


def parse_word_list(text: str, source: str, kind: str) -> list[Term]:
    """Parse a one-term-per-line file (``#`` comments); errors name ``source`` and the line."""
    terms: list[Term] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        location = f"{source}:{number}"
        _check_term(entry, location)
        key = entry.casefold()
        if key in seen:
            raise ConfigError(f"{location}: {entry!r} is already listed on line {seen[key]}")
        seen[key] = number
        terms.append(Term(term=entry, kind=kind, location=location))
    return terms


def load_lexicon(directory: Path | None = None) -> Lexicon:
    """Read the four lexicon files (``directory`` overrides the bundled ones)."""
    if directory is not None and not directory.is_dir():
        raise ConfigError(
            f"BRIEFBOT_FRAMING_LEXICON_DIR={directory} is not a directory; "
            "unset it to use the bundled lexicons"
        )
    loaded = parse_loaded_terms(*_read(directory, LOADED_FILE))
    hedges = parse_word_list(*_read(directory, HEDGES_FILE), kind="hedge")
    verbs = parse_word_list(*_read(directory, VERBS_FILE), kind="verb")
    for verb in verbs:
        if " " in verb.term or "*" in verb.term:
            raise ConfigError(f"{verb.location}: an attribution verb is one word form, no '*'")
    evaluative = parse_word_list(*_read(directory, EVALUATIVE_FILE), kind="evaluative")
    return Lexicon(
        loaded=loaded, hedges=hedges, verbs=[v.term for v in verbs], evaluative=evaluative
    )


@lru_cache(maxsize=4)
def cached_lexicon(directory: Path | None = None) -> Lexicon:
    return load_lexicon(directory)
