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
from collections.abc import Sequence
from dataclasses import dataclass, field

from briefbot.backends.embedders import Embedder
from briefbot.citations import Citation, CitedSentence, Passage
from briefbot.grounding.support import SupportChecker, lexical_recall, missing_reason, support_score
from briefbot.settings import Settings
from briefbot.text.facts import Facts
from briefbot.text.sentences import split_sentences
from briefbot.text.words import content_words, normalise

EMBEDDED_CANDIDATES = 6
"""Candidate spans per sentence that are embedded (the best by lexical and fact scores)."""


MIN_CLAIM_WORDS = 3
"""Shorter sentences are never accepted as verbatim quotes ("1" is inside "1,000")."""


def _whole_words_find(haystack: str, needle: str) -> int:
    """Position of ``needle`` in ``haystack`` starting and ending at word boundaries, or -1."""
    match = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack)
    return match.start() if match else -1


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


def candidate_spans(passage: Passage) -> list[tuple[int, int, bool]]:
    """Local spans of each source sentence, then of each two adjacent ones (``single`` flag)."""
    sentences = split_sentences(passage.text)
    spans = [(s.start, s.end, True) for s in sentences]
    spans += [(a.start, b.end, False) for a, b in itertools.pairwise(sentences)]
    return spans


@dataclass
class _Verification:
    supported: bool
    score: float
    citations: list[Citation]
    missing: list[str]


class _Verifier:
    def __init__(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        settings: Settings,
        checker: SupportChecker | None = None,
    ) -> None:
        self.passages = list(passages)
        self.checker = checker or SupportChecker(embedder, settings.support_threshold)
        self.threshold = settings.support_threshold
        self._spans: dict[int, list[tuple[int, int, bool]]] = {}

    def spans(self, index: int) -> list[tuple[int, int, bool]]:
        if index not in self._spans:
            passage = self.passages[index]
            self._spans[index] = candidate_spans(passage) or [(0, len(passage.text), True)]
        return self._spans[index]

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
        self.checker.embed([sentence, *(c.text for c in shortlist)])
        for candidate in shortlist:
            candidate.similarity = self.checker.similarity(sentence, candidate.text)
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
            return _Verification(True, top.score, [top.citation()], [])
        if len(bests) > 1:
            # A sentence may combine facts from several cited passages.
            union_text = " ".join(c.text for c in bests)
            missing = facts.missing_from(union_text)
            lexical = lexical_recall(words, union_text)
            similarity = max(c.similarity for c in bests)
            fact_score = 1.0 - len(missing) / facts.count if facts.count else 1.0
            score = support_score(lexical, similarity, fact_score, bool(facts.count))
            if not missing and score >= self.threshold:
                cited = [c.citation() for c in bests if c.lexical > 0]
                return _Verification(True, score, cited, [])
        return _Verification(False, top.score, [top.citation()], top.missing)

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
                notes.append(missing_reason(result.missing))
            elif not cited:
                notes.append("no source supports it")
            else:
                notes.append(
                    "the cited source does not say this "
                    f"(support {result.score:.2f}, needs {self.threshold:.2f})"
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
    checker: SupportChecker | None = None,
) -> list[CitedSentence]:
    """Check each sentence against the passages it cites; see the module docstring.

    Returns new sentences with ``supported``, ``support_score``, ``note`` set and
    ``citations`` rewritten to the exact supporting spans (article coordinates). A shared
    ``checker`` keeps its embeddings across calls (the evaluation checks many summaries of
    one article).
    """
    verifier = _Verifier(passages, embedder, settings, checker)
    return [verifier.verify(sentence) for sentence in sentences]
