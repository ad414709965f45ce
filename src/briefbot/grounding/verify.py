"""The verifier: every answer sentence is checked against the exact span it cites.

A sentence quoted verbatim from a passage is supported by that span. Any other sentence is
checked by the support checker (``grounding.support``) against everything it cites, taken as one
premise: every number, date and name it states must be there (hard rule) and its calibrated
support score must reach the threshold (``Settings.support_threshold``, by default the fitted
operating point). It is cited to its best span (one source sentence or two adjacent ones), plus
the sentences holding facts that span lacks. A sentence its cited passages do not support is
re-attached to the other passages when they do.

``apply_policy`` then removes or flags unsupported sentences (``Settings.unsupported``) and turns
an answer with nothing supported into a refusal; ``renumber_sources`` keeps only cited sources.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefbot.backends.embedders import Embedder
from briefbot.citations import Citation, CitedSentence, Passage
from briefbot.grounding.support import Support, SupportChecker
from briefbot.settings import Settings
from briefbot.text.sentences import split_sentences
from briefbot.text.words import content_words, normalise

MIN_CLAIM_WORDS = 3
"""Shorter sentences are never accepted as verbatim quotes ("1" is inside "1,000")."""


def _whole_words_find(haystack: str, needle: str) -> int:
    """Position of ``needle`` in ``haystack`` starting and ending at word boundaries, or -1."""
    match = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack)
    return match.start() if match else -1


@dataclass
class _Verification:
    supported: bool
    score: float
    citations: list[Citation]
    support: Support | None = None


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
        self._spans: dict[int, list[tuple[int, int]]] = {}

    def spans(self, index: int) -> list[tuple[int, int]]:
        """Local spans of each sentence of a passage, then of each two adjacent ones."""
        if index not in self._spans:
            sentences = split_sentences(self.passages[index].text)
            spans = [(s.start, s.end) for s in sentences]
            self._spans[index] = spans + [
                (a.start, b.end) for a, b in itertools.pairwise(sentences)
            ]
        return self._spans[index]

    def verbatim(self, sentence: str, indexes: Sequence[int]) -> _Verification | None:
        """A sentence quoted exactly from a passage is supported by that very span."""
        if len(sentence.split()) < MIN_CLAIM_WORDS:
            return None
        needle = normalise(sentence)
        for index in indexes:
            passage = self.passages[index]
            position = _whole_words_find(passage.text, sentence)
            if position >= 0:
                citation = passage.citation(position, position + len(sentence))
                return _Verification(True, 1.0, [citation])
            for start, end in self.spans(index):
                if normalise(passage.text[start:end]) == needle:
                    return _Verification(True, 1.0, [passage.citation(start, end)])
        return None

    def check(self, sentence: str, indexes: Sequence[int]) -> _Verification:
        """Support for ``sentence`` from the passages at ``indexes``, checked as one premise."""
        if not indexes or len(content_words(sentence)) < 2:
            # Nothing to check against, or a fragment ("1", "Yes.") that asserts nothing.
            return _Verification(False, 0.0, [])
        exact = self.verbatim(sentence, indexes)
        if exact is not None:
            return exact
        support = self.checker.check(sentence, [self.passages[i].text for i in indexes])
        citations = [
            self.passages[indexes[e.part]].citation(e.start, e.end) for e in support.evidence
        ]
        return _Verification(support.supported, support.score, citations, support)

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
            if result.support is not None:
                notes.append(result.support.reason or "the cited source does not say this")
            elif not cited:
                notes.append("no source supports it")
            else:
                notes.append("the cited source does not say this")
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
