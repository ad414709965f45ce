"""The verifier: every answer sentence is checked against the exact span it cites.

For each sentence the best supporting span (one or two source sentences) is searched inside the
passages it cites. Support needs every number, date and name of the sentence to appear in the
span (hard rule) and a support score at or above ``Settings.support_threshold``; the score mixes
content-word recall of the sentence in the span, embedding similarity and fact consistency. A
sentence its cited passage does not support is re-attached to another passage that does.

``apply_policy`` then removes or flags unsupported sentences (``Settings.unsupported``) and turns
an answer with nothing supported into a refusal; ``renumber_sources`` keeps only cited sources.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np

from briefbot.citations import Citation, CitedSentence, CitedText, Passage, SourceRef
from briefbot.backends.embedders import Embedder
from briefbot.text.sentences import split_sentences
from briefbot.settings import Settings

LEXICAL_WEIGHT = 0.45
EMBEDDING_WEIGHT = 0.35
FACT_WEIGHT = 0.20
EMBEDDED_CANDIDATES = 6
"""Candidate spans per sentence that are embedded (the best by lexical and fact scores)."""

CitedT = TypeVar("CitedT", bound=CitedText)

NO_SUPPORT_REASON = "None of the answer's sentences is supported by the retrieved sources."


@runtime_checkable
class SupportJudge(Protocol):
    """An optional second opinion (e.g. an LLM) on whether ``span`` supports ``sentence``."""

    def judge(self, sentence: str, span: str) -> bool: ...


# --- text analysis -----------------------------------------------------------------------

_STOPWORD_TEXT = """a about above after again against all also am an and any are as at be
    because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves according said says say reportedly also however meanwhile still yet
    per via amid among upon within without across around another many much may might must
    shall us its it's one's there's that's what's who's let's including since though although
    whether either neither every"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
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
_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "mn": 1e6,
    "bn": 1e9,
    "m": 1e6,
    "k": 1e3,
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
_WORD = re.compile(r"[^\W\d_][\w'’\-]*|\d+(?:[.,]\d+)*")
_NAME_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_NAME_CONNECTORS = frozenset({"of", "de", "del", "der", "la", "le", "van", "von", "al", "bin"})


MIN_CLAIM_WORDS = 3
"""Shorter sentences are never accepted as verbatim quotes ("1" is inside "1,000")."""


def _whole_words_find(haystack: str, needle: str) -> int:
    """Position of ``needle`` in ``haystack`` starting and ending at word boundaries, or -1."""
    match = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack)
    return match.start() if match else -1


def normalise(text: str) -> str:
    """NFKC, curly quotes and dashes made plain, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip()


def _strip_possessive(word: str) -> str:
    word = word.replace("’", "'")
    return word[:-2] if word.lower().endswith("'s") else word.rstrip("'")


def _number_value(digits: str, scale: str | None) -> str | None:
    groups = digits.split(",")
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]) and "." not in "".join(groups[:-1]):
        digits = "".join(groups)
    elif len(groups) > 1:
        return None  # "1,2" is a list, not a number
    try:
        value = float(digits)
    except ValueError:
        return None
    if scale:
        value *= _SCALES[scale.lower()]
    return f"{int(value)}" if value == int(value) else f"{value:g}"


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
        value = _number_value(match.group(1), scale)
        if value is not None:
            found.setdefault(value, match.group(0).strip())
            if scale:  # "5 million" also holds the bare "5"
                plain = _number_value(match.group(1), None)
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
        word = _strip_possessive(match.group(0))
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


def stem(word: str) -> str:
    """A light stem: lower-cased, possessive and common inflections removed."""
    word = _strip_possessive(word.lower())
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """Stems of the words that carry content (no stopwords), numbers canonicalised."""
    words: list[str] = []
    for match in _WORD.finditer(normalise(text)):
        token = match.group(0)
        if token[0].isdigit():
            value = _number_value(token, None)
            if value is not None:
                words.append(value)
            continue
        lowered = _strip_possessive(token.lower())
        if lowered in STOPWORDS or len(lowered) < 2:
            continue
        words.extend(stem(part) for part in lowered.split("-") if part)
    return words


def _word_match(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and long.startswith(short)


def covered(word: str, vocabulary: set[str]) -> bool:
    """Whether a stemmed word (or a word it prefixes, e.g. 'demin' of 'deminer') is there."""
    return word in vocabulary or any(_word_match(word, other) for other in vocabulary)


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


# --- scoring -----------------------------------------------------------------------------


@dataclass
class _Candidate:
    passage: Passage
    start: int  # local to passage.text
    end: int
    text: str
    lexical: float = 0.0
    missing: list[str] = field(default_factory=list)
    fact_score: float = 1.0
    has_facts: bool = False
    single: bool = True
    similarity: float = 0.0

    @property
    def score(self) -> float:
        return support_score(self.lexical, self.similarity, self.fact_score, self.has_facts)

    def citation(self) -> Citation:
        return self.passage.citation(self.start, self.end)


def lexical_recall(sentence_words: Sequence[str], span: str) -> float:
    """Share of the sentence's content words found in the span (1.0 for no content words)."""
    if not sentence_words:
        return 1.0
    vocabulary = set(content_words(span))
    return sum(covered(w, vocabulary) for w in sentence_words) / len(sentence_words)


def candidate_spans(passage: Passage) -> list[tuple[int, int, bool]]:
    """Local spans of each source sentence, then of each two adjacent ones (``single`` flag)."""
    sentences = split_sentences(passage.text)
    spans = [(s.start, s.end, True) for s in sentences]
    spans += [(a.start, b.end, False) for a, b in itertools.pairwise(sentences)]
    return spans


def support_score(lexical: float, similarity: float, fact_score: float, has_facts: bool) -> float:
    """Weighted support; a sentence without numbers, dates or names gets no free fact credit."""
    if not has_facts:
        return (LEXICAL_WEIGHT * lexical + EMBEDDING_WEIGHT * max(similarity, 0.0)) / (
            LEXICAL_WEIGHT + EMBEDDING_WEIGHT
        )
    return (
        LEXICAL_WEIGHT * lexical
        + EMBEDDING_WEIGHT * max(similarity, 0.0)
        + FACT_WEIGHT * fact_score
    )


@dataclass
class _Verification:
    supported: bool
    score: float
    citations: list[Citation]
    missing: list[str]
    judged_out: bool = False


class _Verifier:
    def __init__(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        settings: Settings,
        judge: SupportJudge | None,
    ) -> None:
        self.passages = list(passages)
        self.embedder = embedder
        self.threshold = settings.support_threshold
        self.judge = judge
        self._spans: dict[int, list[tuple[int, int, bool]]] = {}
        self._vectors: dict[str, np.typing.NDArray[np.float32]] = {}

    def spans(self, index: int) -> list[tuple[int, int, bool]]:
        if index not in self._spans:
            passage = self.passages[index]
            self._spans[index] = candidate_spans(passage) or [(0, len(passage.text), True)]
        return self._spans[index]

    def embed(self, texts: Iterable[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if todo:
            for text, vector in zip(todo, self.embedder.embed(todo), strict=True):
                self._vectors[text] = vector

    def similarity(self, a: str, b: str) -> float:
        return float(np.dot(self._vectors[a], self._vectors[b]))

    def verbatim(self, sentence: str, indexes: Sequence[int]) -> _Verification | None:
        """A sentence quoted exactly from a passage is supported by that very span."""
        needle = normalise(sentence)
        if len(sentence.split()) < MIN_CLAIM_WORDS:
            return None
        for index in indexes:
            passage = self.passages[index]
            position = _whole_words_find(passage.text, sentence)
            if position >= 0:
                citation = passage.citation(position, position + len(sentence))
                return _Verification(True, 1.0, [citation], [])
            for start, end, _ in self.spans(index):
                if normalise(passage.text[start:end]) == needle:
                    return _Verification(True, 1.0, [passage.citation(start, end)], [])
        return None

    def best(self, sentence: str, index: int, facts: Facts, words: list[str]) -> _Candidate:
        passage = self.passages[index]
        candidates = []
        for start, end, single in self.spans(index):
            text = passage.text[start:end]
            missing = facts.missing_from(text)
            candidates.append(
                _Candidate(
                    passage,
                    start,
                    end,
                    text,
                    lexical=lexical_recall(words, text),
                    missing=missing,
                    fact_score=1.0 - len(missing) / facts.count if facts.count else 1.0,
                    has_facts=bool(facts.count),
                    single=single,
                )
            )
        candidates.sort(key=lambda c: (-(c.fact_score + c.lexical), c.end - c.start))
        shortlist = candidates[:EMBEDDED_CANDIDATES]
        self.embed([sentence, *(c.text for c in shortlist)])
        for candidate in shortlist:
            candidate.similarity = self.similarity(sentence, candidate.text)
        # One supporting sentence is a better citation than a pair that scores a little higher.
        return max(
            shortlist,
            key=lambda c: (not c.missing, c.single and c.score >= self.threshold, c.score),
        )

    def check(self, sentence: str, indexes: Sequence[int]) -> _Verification:
        """Best support for ``sentence`` among the passages at ``indexes``."""
        if not indexes or len(content_words(sentence)) < 2:
            # Nothing to check against, or a fragment ("1", "Yes.") that asserts nothing.
            return _Verification(False, 0.0, [], [])
        exact = self.verbatim(sentence, indexes)
        if exact is not None:
            return exact
        facts = Facts.of(sentence)
        words = content_words(sentence)
        bests = sorted(
            (self.best(sentence, i, facts, words) for i in indexes),
            key=lambda c: (not c.missing, c.score),
            reverse=True,
        )
        top = bests[0]
        if not top.missing and top.score >= self.threshold:
            return self._judged(sentence, top.score, [top])
        if len(bests) > 1:
            # A sentence may combine facts from several cited passages.
            union_text = " ".join(c.text for c in bests)
            missing = facts.missing_from(union_text)
            lexical = lexical_recall(words, union_text)
            similarity = max(c.similarity for c in bests)
            fact_score = 1.0 - len(missing) / facts.count if facts.count else 1.0
            score = support_score(lexical, similarity, fact_score, bool(facts.count))
            if not missing and score >= self.threshold:
                return self._judged(sentence, score, [c for c in bests if c.lexical > 0])
        return _Verification(False, top.score, [top.citation()], top.missing)

    def _judged(self, sentence: str, score: float, spans: list[_Candidate]) -> _Verification:
        citations = [c.citation() for c in spans]
        if self.judge is not None and not self.judge.judge(
            sentence, " ".join(c.text for c in spans)
        ):
            return _Verification(False, score, citations, [], judged_out=True)
        return _Verification(True, score, citations, [])

    def indexes_for(self, citations: Sequence[Citation]) -> tuple[list[int], list[int]]:
        """Passage indexes the citations point to, and the citation numbers that point nowhere."""
        by_n = {p.n: i for i, p in enumerate(self.passages)}
        by_chunk = {p.chunk_id: i for i, p in enumerate(self.passages)}
        found: list[int] = []
        dangling: list[int] = []
        for citation in citations:
            index = by_n.get(citation.n)
            if index is None or self.passages[index].chunk_id != citation.chunk_id:
                index = by_chunk.get(citation.chunk_id, index)
            if index is None:
                dangling.append(citation.n)
            elif index not in found:
                found.append(index)
        return found, dangling

    def verify(self, sentence: CitedSentence) -> CitedSentence:
        cited, dangling = self.indexes_for(sentence.citations)
        notes = [f"cited source [{n}] does not exist" for n in dangling]
        result = self.check(sentence.text, cited)
        if not result.supported:
            others = [i for i in range(len(self.passages)) if i not in cited]
            moved = self.check(sentence.text, others) if others else None
            if moved is not None and moved.supported:
                numbers_ = ", ".join(f"[{c.n}]" for c in moved.citations)
                if cited:
                    old = ", ".join(f"[{self.passages[i].n}]" for i in cited)
                    notes.append(
                        f"citation moved from source {old} to {numbers_}, which supports it"
                    )
                else:
                    notes.append(f"citation added: source {numbers_} supports it")
                result = moved
        if not result.supported:
            if result.missing:
                notes.append("not in the cited source: " + ", ".join(result.missing))
            elif result.judged_out:
                notes.append("the support judge found the cited span does not support it")
            elif not cited:
                notes.append("no source supports it")
            else:
                notes.append(
                    f"the cited source does not support it "
                    f"(score {result.score:.2f} < {self.threshold:.2f})"
                )
        return sentence.model_copy(
            update={
                "citations": result.citations,
                "supported": result.supported,
                "support_score": round(result.score, 4),
                "note": "; ".join(notes) or None,
            }
        )


def verify_sentences(
    sentences: list[CitedSentence],
    passages: Sequence[Passage],
    embedder: Embedder,
    settings: Settings,
    judge: SupportJudge | None = None,
) -> list[CitedSentence]:
    """Check each sentence against the passages it cites; see the module docstring.

    Returns new sentences with ``supported``, ``support_score``, ``note`` set and
    ``citations`` rewritten to the exact supporting spans (article coordinates).
    """
    verifier = _Verifier(passages, embedder, settings, judge)
    return [verifier.verify(sentence) for sentence in sentences]


def apply_policy(text: CitedT, settings: Settings) -> CitedT:
    """Remove or flag unsupported sentences; nothing supported makes the text a refusal.

    With ``settings.unsupported == "flag"`` unsupported sentences stay, marked by
    ``supported=False`` and their ``note``, and a notice says how many there are.
    """
    if text.refused:
        return text
    supported = [s for s in text.sentences if s.supported]
    if not supported:
        return text.model_copy(
            update={
                "refused": True,
                "refusal_reason": NO_SUPPORT_REASON,
                "sentences": [],
                "sources": [],
            }
        )
    dropped = len(text.sentences) - len(supported)
    if not dropped:
        return text
    notices = list(text.notices)
    if settings.unsupported == "remove":
        notices.append(f"{dropped} sentence(s) the sources do not support were removed.")
        return text.model_copy(update={"sentences": supported, "notices": notices})
    notices.append(f"{dropped} sentence(s) the sources do not support are flagged.")
    return text.model_copy(update={"notices": notices})


def renumber_sources(text: CitedT, passages: Sequence[Passage]) -> CitedT:
    """Keep only the sources the sentences cite, numbered 1..n in order of first citation.

    Passages of the same article become one source; citations are renumbered to match.
    """
    by_article = {p.article_id: p for p in reversed(passages)}
    numbers_: dict[str, int] = {}
    sources: list[SourceRef] = []
    sentences = []
    for sentence in text.sentences:
        citations = []
        for citation in sentence.citations:
            if citation.article_id not in numbers_:
                numbers_[citation.article_id] = len(numbers_) + 1
                passage = by_article.get(citation.article_id)
                if passage is not None:
                    ref = passage.source_ref()
                    sources.append(ref.model_copy(update={"n": numbers_[citation.article_id]}))
            citations.append(citation.model_copy(update={"n": numbers_[citation.article_id]}))
        sentences.append(sentence.model_copy(update={"citations": citations}))
    return text.model_copy(update={"sentences": sentences, "sources": sources})
