"""The offline answer engine: quote the source sentences that best answer the question.

Every source sentence is scored against the question (embedding similarity, content-word
overlap, and whether it holds the expected kind of answer: a number for "how many", a date for
"when", a name for "who", a place for "where"). Near-duplicates are removed with MMR, and one to
``Settings.answer_max_sentences`` whole sentences are quoted verbatim, ordered by source and
position. When two sources give different values for the answer, both are quoted so the
conflict shows. No model is called; quotes go through the verifier like any answer.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from briefbot.answers.types import Answer, TextCallback, already_said
from briefbot.backends.embedders import Embedder, Vectors
from briefbot.citations import Citation, CitedSentence, Passage
from briefbot.grounding.finalize import ground
from briefbot.grounding.injection import ArticleSource
from briefbot.grounding.mmr import mmr
from briefbot.settings import Settings
from briefbot.text.facts import names, numbers
from briefbot.text.places import gazetteer
from briefbot.text.sentences import split_sentences
from briefbot.text.words import content_words, covered, normalise

AnswerType = Literal["number", "date", "person", "place", "any"]

SIMILARITY_WEIGHT = 0.6
OVERLAP_WEIGHT = 0.25
TYPE_WEIGHT = 0.15
FOCUS_WEIGHT = 0.25
MMR_LAMBDA = 0.7
KEEP_RATIO = 0.75
"""A sentence after the first is quoted only if it scores this share of the best one."""
MIN_WORDS = 4
EMBEDDED_SENTENCES = 16
"""Candidate sentences embedded per question, chosen by word overlap and answer type."""
SENTENCE_CACHE_SIZE = 4096
NOTHING_QUOTABLE = "No sentence in the retrieved sources answers the question."

_TYPE_PATTERNS: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        "number",
        re.compile(
            r"\b(how (many|much)|what (number|percentage|share|amount)|number of|revenue|price"
            r"|cost)\b",
            re.I,
        ),
    ),
    ("date", re.compile(r"\b(when|(what|which) (year|date|day|month|time)|date)\b", re.I)),
    (
        "person",
        re.compile(
            r"\b(who|whom|whose|which (person|company|group|organi[sz]ation|team)|winner)\b",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            r"\b(where|location|venue|which (country|city|region|town|place|state|province"
            r"|capital|nation|continent|island|county))\b",
            re.I,
        ),
    ),
]
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_MONTH_NAME = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_FULL_DATES = [
    (re.compile(rf"\b{_MONTH_NAME}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b"), (1, 2, 3)),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH_NAME},?\s+(\d{{4}})\b"), (2, 1, 3)),
    (re.compile(rf"\b{_MONTH_NAME},?\s+(\d{{4}})\b"), (1, 0, 2)),
    (re.compile(rf"\b{_MONTH_NAME}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d)"), (1, 2, 0)),
]
_MONTH_NUMBER = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_RELATIVE_DAY = re.compile(
    r"\b(yesterday|today|tomorrow|last (week|month|year)|next (week|month|year))\b", re.I
)
_PLACE = re.compile(
    r"\b(?:in|at|from|to|near|into|across)\s+(?:the\s+)?([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)"
)


_COUNTED = re.compile(r"\bhow\s+(?:many|much)\s+([\w'’-]+)", re.IGNORECASE)


def focus_words(question: str) -> list[str]:
    """The thing a "how many/much X" question counts, as stems (empty for other questions)."""
    match = _COUNTED.search(question)
    return content_words(match.group(1)) if match else []


def answer_type(question: str) -> AnswerType:
    """The kind of answer a question expects, from its wording."""
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.search(question):
            return kind
    return "any"


def _date_matches(text: str) -> list[tuple[str, int, int]]:
    """``(value, start, end)`` of each date in ``text``, most specific form only."""
    found: list[tuple[str, int, int]] = []
    covered_spans: list[tuple[int, int]] = []
    for pattern, (month_group, day_group, year_group) in _FULL_DATES:
        for match in pattern.finditer(text):
            if any(a <= match.start() < b for a, b in covered_spans):
                continue
            covered_spans.append(match.span())
            month = _MONTH_NUMBER[match.group(month_group)[:3].lower()]
            day = f"-{int(match.group(day_group)):02d}" if day_group else ""
            year = f"{match.group(year_group)}-" if year_group else ""
            found.append((f"{year}{month:02d}{day}", *match.span()))
    for match in _YEAR.finditer(text):
        if not any(a <= match.start() < b for a, b in covered_spans):
            found.append((match.group(0), *match.span()))
    found += [(m.group(0).lower(), *m.span()) for m in _RELATIVE_DAY.finditer(text)]
    return found


def calendar_dates(text: str) -> set[str]:
    """Dates as ISO-like strings, most specific form only ("July 21, 2017" -> "2017-07-21").

    Partial dates keep what is known ("2017-07", "07-21", "2017"); relative days ("last
    week") are kept as words.
    """
    return {value for value, _, _ in _date_matches(text)}


def specificity(values: set[str], kind: AnswerType) -> float:
    """How fully the values answer: a full date beats a month, which beats a bare year."""
    if not values:
        return 0.0
    if kind != "date":
        return 1.0
    return max({3: 1.0, 2: 0.7}.get(len(re.findall(r"\d+", v)), 0.4) for v in values)


def typed_values(text: str, kind: AnswerType, question: str) -> set[str]:
    """Values of the expected kind in ``text`` that the question does not already contain."""
    if kind == "number":
        found = set(numbers(text)) - set(numbers(question))
        return {v for v in found if not _YEAR.fullmatch(v)}
    if kind == "date":
        asked = calendar_dates(question)
        return {d for d in calendar_dates(text) if d not in asked}
    if kind in ("person", "place"):
        asked = {n.lower() for n in names(question)}
        if kind == "place":
            candidates = [m.group(1) for m in _PLACE.finditer(normalise(text))]
            known = set(names(text))
            places = gazetteer()
            found_names = [c for c in candidates if c in known] + [
                n for n in known if places.is_place(n)
            ]
        else:
            found_names = names(text)
        return {n.lower() for n in found_names} - asked
    return set()


_FOCUS_WINDOW = 4
"""Words after a number in which the counted thing must appear for the number to be its count."""


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _occurrences(text: str, surface: str) -> list[tuple[int, int]]:
    """Where ``surface`` stands in ``text`` as whole words (any case, any run of spaces, either
    apostrophe: ``names`` reads a normalised text)."""
    parts = [re.escape(p).replace("'", "['’]") for p in surface.split()]
    if not parts:
        return []
    pattern = re.compile(r"(?<![\w.])" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)]


def _counts(after: str, focus: Sequence[str]) -> bool:
    """Whether the counted thing follows a number closely, before any other number."""
    words: list[str] = []
    for word in after.split()[:_FOCUS_WINDOW]:
        if word[:1].isdigit():
            break
        words.append(word)
    vocabulary = set(content_words(" ".join(words)))
    return all(covered(w, vocabulary) for w in focus)


def value_spans(text: str, question: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` holding a value of the kind ``question`` asks for.

    The number of a "how many X" is the one X follows closely ("5,000 engineers"), when the
    text has one; otherwise every number the question does not already hold. Empty for a
    question of no particular kind.
    """
    kind = answer_type(question)
    if kind == "any":
        return []
    values = typed_values(text, kind, question)
    if not values:
        return []
    if kind == "date":
        return _merged([(a, b) for value, a, b in _date_matches(text) if value in values])
    spans: list[tuple[int, int]] = []
    if kind == "number":
        surfaces = numbers(text)
        for value in values:
            spans += _occurrences(text, surfaces[value])
        focus = focus_words(question)
        counting = [(a, b) for a, b in spans if focus and _counts(text[b:], focus)]
        return _merged(counting or spans)
    for name in values:
        spans += _occurrences(text, name)
    return _merged(spans)


@dataclass
class _Sentence:
    passage: Passage
    start: int  # local to passage.text
    end: int
    text: str
    score: float = 0.0
    values: set[str] = field(default_factory=set)
    typed: float = 0.0  # how well it holds a value of the asked kind, about the asked thing

    @property
    def article_start(self) -> int:
        return self.passage.start + self.start


def _candidates(passages: Sequence[Passage]) -> list[_Sentence]:
    """Source sentences, each once: chunk overlaps and wire copies are deduplicated."""
    seen_spans: set[tuple[str, int]] = set()
    seen_texts: set[str] = set()
    found: list[_Sentence] = []
    for passage in passages:
        for span in split_sentences(passage.text):
            key = (passage.article_id, passage.start + span.start)
            text = normalise(span.text).casefold()
            if key in seen_spans or text in seen_texts or len(text.split()) < MIN_WORDS:
                continue
            seen_spans.add(key)
            seen_texts.add(text)
            found.append(_Sentence(passage, span.start, span.end, span.text))
    return found


class ExtractiveEngine:
    """Answers by quoting whole source sentences verbatim; no model involved."""

    name = "extractive"

    def __init__(
        self, embedder: Embedder, settings: Settings, articles: ArticleSource | None = None
    ) -> None:
        self.embedder = embedder
        self.settings = settings
        self.articles = articles
        self._cache: dict[str, Vectors] = {}
        self._lock = threading.Lock()

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        on_text: TextCallback | None = None,
        said: Sequence[Citation] = (),
    ) -> Answer:
        chosen = self.select(question, passages, said)
        if not chosen:
            return Answer(
                question=question,
                mode=self.name,
                refused=True,
                refusal_reason=NOTHING_QUOTABLE,
            )
        sentences = [
            CitedSentence(text=s.text, citations=[s.passage.citation(s.start, s.end)])
            for s in chosen
        ]
        disagreement = disagreement_notice(chosen, answer_type(question))
        draft = Answer(
            question=question,
            mode=self.name,
            sentences=sentences,
            notices=[disagreement] if disagreement else [],
        )
        answer = ground(draft, passages, self.embedder, self.settings, articles=self.articles)
        if on_text is not None:
            for sentence in answer.sentences:
                on_text(sentence.text + " ")
        return answer

    def select(
        self, question: str, passages: Sequence[Passage], said: Sequence[Citation] = ()
    ) -> list[_Sentence]:
        """The sentences to quote in reading order (source rank, then position), except that for
        a "how many / who / when / where" question the sentence holding such a value comes
        first; none that an earlier answer of the conversation quoted (``said``)."""
        every = _candidates(passages)
        candidates = [
            c
            for c in every
            if not already_said(
                c.article_start, c.article_start + len(c.text), c.passage.article_id, said
            )
        ] or every  # all of it said before: say it again rather than nothing
        if not candidates:
            return []
        kind = answer_type(question)
        overlaps = _overlap(content_words(question), [c.text for c in candidates])
        focus = focus_words(question)
        for index, candidate in enumerate(candidates):
            candidate.values = typed_values(candidate.text, kind, question)
            # A number only answers "how many X" when the sentence is about X.
            on_focus = bool(focus) and all(
                covered(w, set(content_words(candidate.text))) for w in focus
            )
            typed = specificity(candidate.values, kind) if on_focus or not focus else 0.0
            candidate.typed = typed
            candidate.score = (
                OVERLAP_WEIGHT * overlaps[index] + TYPE_WEIGHT * typed + FOCUS_WEIGHT * on_focus
            )
        # Only the lexically most promising sentences are embedded (the model is the cost);
        # ties keep retrieval order.
        candidates = sorted(candidates, key=lambda c: -c.score)[:EMBEDDED_SENTENCES]
        vectors = self.vectors([question, *(c.text for c in candidates)])
        sentence_vectors = vectors[1:]
        similarity = sentence_vectors @ vectors[0]
        for index, candidate in enumerate(candidates):
            candidate.score += SIMILARITY_WEIGHT * float(similarity[index])
        picked = _mmr(candidates, sentence_vectors, self.settings.answer_max_sentences)
        if kind != "any":
            picked = _with_conflict(picked, candidates, kind)
        rank: dict[str, int] = {}
        for candidate in sorted(picked, key=lambda c: c.passage.n):
            rank.setdefault(candidate.passage.article_id, candidate.passage.n)
        ordered = sorted(picked, key=lambda c: (rank[c.passage.article_id], c.article_start))
        if kind == "any":
            return ordered
        # Answer first: the sentence holding a value of the asked kind leads.
        lead = max(ordered, key=lambda c: (c.typed > 0, bool(c.values), c.score))
        return [lead, *(c for c in ordered if c is not lead)]

    def vectors(self, texts: Sequence[str]) -> Vectors:
        """Embeddings of ``texts``; source sentences are remembered across questions."""
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = dict(zip(missing, self.embedder.embed(missing), strict=True))
            known.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > SENTENCE_CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
        return np.stack([known[t] for t in texts])


_DISAGREEING = {"number": "figure", "date": "date", "person": "name", "place": "place"}


def _who(passage: Passage) -> str:
    return passage.outlet or (f"“{passage.title}”" if passage.title else "one article")


def disagreement_notice(chosen: Sequence[_Sentence], kind: AnswerType) -> str | None:
    """A line saying the sources disagree, when a quoted sentence of another article gives
    the asked kind of value about the asked thing and shares none of the lead's values."""
    if kind not in _DISAGREEING or not chosen or not chosen[0].values or chosen[0].typed <= 0:
        return None
    lead = chosen[0]
    for other in chosen[1:]:
        if (
            other.passage.article_id != lead.passage.article_id
            and other.typed > 0
            and other.values
            and not other.values & lead.values
        ):
            first, second = _who(lead.passage), _who(other.passage)
            if first == second:
                first, second = "one article", "another"
            return (
                f"The sources disagree on the {_DISAGREEING[kind]}: {first} and {second} give "
                "different ones. Both are quoted below; check which is current."
            )
    return None


def _overlap(question_words: Sequence[str], texts: Sequence[str]) -> list[float]:
    """IDF-weighted share of the question's content words found in each text.

    Document frequencies come from the candidate sentences themselves, so a word every
    sentence shares (the story's subject) counts less than the one that singles out the answer.
    """
    words = list(dict.fromkeys(question_words))
    if not words:
        return [0.0] * len(texts)
    vocabularies = [set(content_words(t)) for t in texts]
    present = [[covered(w, vocabulary) for w in words] for vocabulary in vocabularies]
    total = len(texts)
    weights = [
        math.log(1 + total / (1 + sum(row[i] for row in present))) for i in range(len(words))
    ]
    norm = sum(weights)
    return [sum(w for w, hit in zip(weights, row, strict=True) if hit) / norm for row in present]


def _mmr(candidates: list[_Sentence], vectors: Vectors, limit: int) -> list[_Sentence]:
    """The best sentence, then others within ``KEEP_RATIO`` of it that add something new."""
    scores = [c.score for c in candidates]
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    best = scores[order[0]]
    pool = [i for i in order if scores[i] >= KEEP_RATIO * best] if best > 0 else order[:1]
    similarity = (vectors @ vectors.T).astype(np.float64)
    picked = mmr(scores, similarity, MMR_LAMBDA, limit=limit, candidates=pool)
    return [candidates[i] for i in picked]


def _with_conflict(
    picked: list[_Sentence], candidates: list[_Sentence], kind: AnswerType
) -> list[_Sentence]:
    """Add the best sentence of another source that gives a different answer, if any.

    Numbers and dates conflict when they share no value; names when the other sentence
    brings a name none of the picked sentences has.
    """
    top = picked[0]
    if not top.values:
        return picked
    picked_values = set().union(*(c.values for c in picked))
    exclusive = kind in ("number", "date")
    for candidate in sorted(candidates, key=lambda c: -c.score):
        if candidate.score < KEEP_RATIO * top.score:
            break
        if candidate.passage.article_id == top.passage.article_id or not candidate.values:
            continue
        differs = (
            not candidate.values & top.values if exclusive else bool(candidate.values - top.values)
        )
        if differs:
            shown = candidate in picked or candidate.values <= picked_values
            return picked if shown else [*picked, candidate]
    return picked
