"""The offline answer engine: quote the source sentences that best answer the question.

Every source sentence is scored against the question (embedding similarity, content-word
overlap, and whether it holds the expected kind of answer: a number for "how many", a date for
"when", a name for "who", a place for "where"). Near-duplicates are removed with MMR, and one to
``Settings.answer_max_sentences`` whole sentences are quoted verbatim, ordered by source and
position. When two sources give different values for the answer, both are quoted so the
conflict shows: the other source is looked for in the answer's passages and in the ``wider``
ones ranked after them, and counts only when it states the same claim (the two sentences alike
once their values are blanked), so a figure about something else is not a disagreement. No
model is called; quotes go through the verifier like any answer.
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
from briefbot.text.words import content_words, covered, normalise, vocabulary_of

AnswerType = Literal["number", "date", "person", "place", "any"]

SIMILARITY_WEIGHT = 0.6
OVERLAP_WEIGHT = 0.25
TYPE_WEIGHT = 0.15
FOCUS_WEIGHT = 0.25
MMR_LAMBDA = 0.7
KEEP_RATIO = 0.75
"""A sentence after the first is quoted only if it scores this share of the best one."""
MIN_WORDS = 4
EMBEDDED_SENTENCES = 8
"""Candidate sentences embedded per question, chosen by word overlap and answer type. Embedding
is most of an answer's time: 8 instead of 16 answered as many RealTimeQA questions or more in
each of the four weeks (45 against 43 of 94) with `ask` p95 275 ms against 367."""
SENTENCE_CACHE_SIZE = 4096
NOTHING_QUOTABLE = "No sentence in the retrieved sources answers the question."
SAME_CLAIM = 0.85
"""Cosine of two sentences with their asked-for values blanked from which they state one claim:
"X won the 2019 Tour de France" in both, so different winners are a disagreement."""
RIVAL_OVERLAP = 0.5
"""Share of the lead's content words (values aside) a sentence needs to be compared at all."""
RIVAL_MIN_WORDS = 3
"""Content words a sentence must keep once its values are blanked to be compared: "X: X ;
Director." says too little to agree or disagree with anything."""
RIVALS_EMBEDDED = 12

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
    rival_of: _Sentence | None = None  # the quoted sentence whose claim it gives differently

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
        wider: Sequence[Passage] = (),
    ) -> Answer:
        chosen = self.select(question, passages, said, wider)
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
        quoted = {s.passage.chunk_id for s in chosen}
        cited = [*passages, *(p for p in wider if p.chunk_id in quoted)]
        answer = ground(draft, cited, self.embedder, self.settings, articles=self.articles)
        if on_text is not None:
            for sentence in answer.sentences:
                on_text(sentence.text + " ")
        return answer

    def select(
        self,
        question: str,
        passages: Sequence[Passage],
        said: Sequence[Citation] = (),
        wider: Sequence[Passage] = (),
    ) -> list[_Sentence]:
        """The sentences to quote in reading order (source rank, then position), except that for
        a "how many / who / when / where" question the sentence holding such a value comes
        first, and a source that states its claim with another value (``rival``) second; none
        that an earlier answer of the conversation quoted (``said``). ``wider`` passages are
        only searched for that rival."""
        shown = {p.chunk_id for p in passages}
        pooled = _candidates([*passages, *(p for p in wider if p.chunk_id not in shown)])
        every = [c for c in pooled if c.passage.chunk_id in shown]
        further = [c for c in pooled if c.passage.chunk_id not in shown]
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
            on_focus = _mark_values(candidate, kind, question, focus)
            candidate.score = (
                OVERLAP_WEIGHT * overlaps[index]
                + TYPE_WEIGHT * candidate.typed
                + FOCUS_WEIGHT * on_focus
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
        rank: dict[str, int] = {}
        for candidate in sorted(picked, key=lambda c: c.passage.n):
            rank.setdefault(candidate.passage.article_id, candidate.passage.n)
        ordered = sorted(picked, key=lambda c: (rank[c.passage.article_id], c.article_start))
        if kind == "any":
            return ordered
        # Answer first: the sentence holding a value of the asked kind leads.
        lead = max(ordered, key=lambda c: (c.typed > 0, bool(c.values), c.score))
        chosen = [lead, *(c for c in ordered if c is not lead)]
        for index, sentence in enumerate(chosen):
            others = [c for c in candidates if c is not sentence]
            rival = self.rival(sentence, others, further, question)
            if rival is not None:
                rival.rival_of = sentence
                rest = [c for c in chosen[index + 1 :] if c is not rival]
                return [*(c for c in chosen[: index + 1] if c is not rival), rival, *rest]
        return chosen

    def rival(
        self,
        lead: _Sentence,
        scored: Sequence[_Sentence],
        further: Sequence[_Sentence],
        question: str,
    ) -> _Sentence | None:
        """The sentence of another article that states ``lead``'s claim with another value,
        from the ``scored`` candidates or the ``further`` sentences of the wider passages.

        Numbers differ when they share no value, dates when none of one can be a date of the
        other ("April 29" and "April 29, 2015" agree); names when each sentence has a name the
        other cannot match ("Biden" is "Joe Biden", Kursk is in Russia). Both sentences, their
        values blanked, must be alike (``SAME_CLAIM``): "North Korea is sending X engineers"
        against another figure for the engineers is a disagreement; the same figure for the
        deminers is another fact.
        """
        kind = answer_type(question)
        if not lead.values or lead.typed <= 0:
            return None
        lead_words = set(content_words(_blanked(lead.text, question)))
        if len(lead_words) < RIVAL_MIN_WORDS:
            return None
        asked = vocabulary_of(question)
        # What the lead says beyond the question's own words is its claim; a rival must say
        # most of it too, not just name the same subject.
        claim = {w for w in lead_words if not covered(w, asked)}
        focus = focus_words(question)
        exclusive = kind in ("number", "date")
        unscored = {id(s) for s in further}
        rivals = []
        for other in [*scored, *further]:
            if other.passage.article_id == lead.passage.article_id:
                continue
            words = vocabulary_of(other.text)  # cheap test first: most sentences stop here
            if sum(covered(w, words) for w in lead_words) < RIVAL_OVERLAP * len(lead_words):
                continue
            if id(other) in unscored:
                _mark_values(other, kind, question, focus)
            if not other.values or other.typed <= 0:
                continue
            if kind == "date":
                differs = not any(_same_date(a, b) for a in lead.values for b in other.values)
            elif exclusive:
                differs = not other.values & lead.values
            else:
                differs = _names_differ(lead.values, other.values, kind)
            if not differs:
                continue
            words = vocabulary_of(_blanked(other.text, question))
            shared = sum(covered(w, words) for w in lead_words) / len(lead_words)
            claimed = sum(covered(w, words) for w in claim) / len(claim) if claim else 1.0
            if shared >= RIVAL_OVERLAP and claimed >= RIVAL_OVERLAP:
                rivals.append((shared, other))
        if not rivals:
            return None
        rivals = sorted(rivals, key=lambda pair: -pair[0])[:RIVALS_EMBEDDED]
        vectors = self.vectors(
            [_blanked(s.text, question) for s in (lead, *(o for _, o in rivals))]
        )
        similarity = vectors[1:] @ vectors[0]
        best = int(np.argmax(similarity))
        return rivals[best][1] if float(similarity[best]) >= SAME_CLAIM else None

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
    """A line saying the sources disagree, when a quoted sentence of another article states the
    lead's claim with another value (``ExtractiveEngine.rival``)."""
    if kind not in _DISAGREEING:
        return None
    other = next((c for c in chosen if c.rival_of is not None), None)
    if other is None or other.rival_of is None:
        return None
    first, second = _who(other.rival_of.passage), _who(other.passage)
    if first == second:
        first, second = "one article", "another"
    return (
        f"The sources disagree on the {_DISAGREEING[kind]}: {first} and {second} give "
        "different ones. Both are quoted below; check which is current."
    )


def _mark_values(
    sentence: _Sentence, kind: AnswerType, question: str, focus: Sequence[str]
) -> bool:
    """Set ``sentence``'s values of the asked kind and how well it holds one; whether it is
    about the counted thing of a "how many X" (a number only answers it when it is)."""
    sentence.values = typed_values(sentence.text, kind, question)
    on_focus = bool(focus) and all(covered(w, vocabulary_of(sentence.text)) for w in focus)
    sentence.typed = specificity(sentence.values, kind) if on_focus or not focus else 0.0
    return on_focus


def _date_parts(value: str) -> tuple[str | None, str | None, str | None]:
    """(year, month, day) of a ``calendar_dates`` value; None where it does not say."""
    parts = value.split("-")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return (parts[0], parts[1], None) if len(parts[0]) == 4 else (None, parts[0], parts[1])
    return (value, None, None) if value.isdigit() else (None, None, None)


def _same_date(a: str, b: str) -> bool:
    """Whether two ``calendar_dates`` values can be one date ("04-29" and "2015-04-29")."""
    if a == b:
        return True
    parts_a, parts_b = _date_parts(a), _date_parts(b)
    if parts_a == (None, None, None) or parts_b == (None, None, None):
        return True  # a relative day ("last week") could be any date: no disagreement
    return all(x is None or y is None or x == y for x, y in zip(parts_a, parts_b, strict=True))


def _names_differ(mine: set[str], theirs: set[str], kind: AnswerType) -> bool:
    """Whether each side gives a name the other cannot match. For places only names the
    gazetteer knows count: "from the National Intelligence Service" answers "where" well
    enough to be quoted, not well enough to say two sources disagree."""
    if kind == "place":
        places = gazetteer()
        mine = {v for v in mine if places.is_place(v)}
        theirs = {v for v in theirs if places.is_place(v)}
    return any(not any(_same_name(v, m, kind) for m in mine) for v in theirs) and any(
        not any(_same_name(m, v, kind) for v in theirs) for m in mine
    )


def _same_name(a: str, b: str, kind: AnswerType) -> bool:
    """Whether two names can be one answer: "Biden" and "Joe Biden"; for places also one
    inside the other ("Kursk" and "Russia") or a capital and its country."""
    words_a, words_b = set(a.split()), set(b.split())
    if words_a <= words_b or words_b <= words_a:
        return True
    return kind == "place" and gazetteer().within(a, b)


def _blanked(text: str, question: str) -> str:
    """``text`` with the values of the kind ``question`` asks for replaced by a blank."""
    spans = value_spans(text, question)
    pieces, at = [], 0
    for start, end in spans:
        pieces += [text[at:start], "X"]
        at = end
    return "".join([*pieces, text[at:]])


def _overlap(question_words: Sequence[str], texts: Sequence[str]) -> list[float]:
    """IDF-weighted share of the question's content words found in each text.

    Document frequencies come from the candidate sentences themselves, so a word every
    sentence shares (the story's subject) counts less than the one that singles out the answer.
    """
    words = list(dict.fromkeys(question_words))
    if not words:
        return [0.0] * len(texts)
    vocabularies = [vocabulary_of(t) for t in texts]
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
