"""Across outlets: align facts into facts covered by all, some or one article, and profile
each outlet (who it quotes, loaded terms, tone, omissions).

"The same fact" is decided by the support checker (``grounding.support``), not by similarity:
two sentences are one fact only when each restates the other (the fact rule, and a restatement
score at its threshold) and neither contradicts a number or date of the other
(``SupportChecker.same_fact``). Embedding
similarity only picks which sentences are worth checking. A fact is "only in X" only when no
sentence of any other article comes close to supporting it; where one partly does, the fact
names that outlet as a possible match ("unclear") instead, so the report never claims an
exclusive it cannot back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from briefbot.framing.analyzer import Citer, SentenceAnalysis
from briefbot.framing.chart import framing_chart
from briefbot.framing.report import (
    Comparison,
    CriticalReading,
    Fact,
    FactCell,
    Omission,
    OutletProfile,
    Tone,
)
from briefbot.grounding.support import SupportChecker


@dataclass
class OutletInput:
    article_id: str
    outlet: str
    analysis: Sequence[SentenceAnalysis]
    cite: Citer
    critical: CriticalReading
    tone: Tone

    @property
    def claims(self) -> list[SentenceAnalysis]:
        return [a for a in self.analysis if a.is_claim]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


CANDIDATES = 3
"""Most similar sentences of each other article that are checked for each claim."""

POSSIBLE_SUPPORT = 0.4
"""Support score at which another article may report a fact: too close to call "only in"."""


@dataclass
class Alignment:
    """Facts as lists of (document, sentence, support), and for each sentence the best support
    any sentence of each other document gives it."""

    facts: list[list[tuple[int, int, float]]]
    best_support: dict[tuple[int, int, int], float]


def align(texts: Sequence[Sequence[str]], checker: SupportChecker, prefilter: float) -> Alignment:
    """Group sentences of several documents into facts by mutual support.

    For each sentence, the ``CANDIDATES`` most similar sentences of every other document (cosine
    at least ``prefilter``) are checked both ways; when they state the same fact
    (``SupportChecker.same_fact``), they are one fact. Facts are in order of first appearance.
    """
    flat = [(d, s) for d, doc in enumerate(texts) for s in range(len(doc))]
    alignment = Alignment([], {})
    if not flat:
        return alignment
    checker.embed(texts[d][s] for d, s in flat)
    vectors = np.array([checker.vector(texts[d][s]) for d, s in flat])
    offsets = np.cumsum([0, *[len(doc) for doc in texts]])
    groups = _UnionFind(len(flat))
    link = np.zeros(len(flat))
    for a in range(len(texts)):
        for b in range(len(texts)):
            if a == b or not len(texts[a]) or not len(texts[b]):
                continue
            block = vectors[offsets[a] : offsets[a + 1]] @ vectors[offsets[b] : offsets[b + 1]].T
            for i, row in enumerate(block):
                best = 0.0
                for j in np.argsort(-row)[:CANDIDATES]:
                    if row[j] < prefilter:
                        break
                    same, forward, backward = checker.same_fact(texts[a][i], texts[b][int(j)])
                    best = max(best, forward.score)
                    if same:
                        index = int(offsets[a] + i)
                        link[index] = max(link[index], min(forward.score, backward.score))
                        groups.union(index, int(offsets[b] + j))
                alignment.best_support[(a, i, b)] = best
    facts: dict[int, list[tuple[int, int, float]]] = {}
    for index, (d, s) in enumerate(flat):
        facts.setdefault(groups.find(index), []).append((d, s, float(link[index])))
    alignment.facts = list(facts.values())
    return alignment


def compare(
    outlets: Sequence[OutletInput], checker: SupportChecker, prefilter: float
) -> Comparison:
    claims = [o.claims for o in outlets]
    alignment = align([[c.span.text for c in doc] for doc in claims], checker, prefilter)
    facts: list[Fact] = []
    for group in alignment.facts:
        cells: dict[int, FactCell] = {}
        for d, s, support in sorted(group, key=lambda item: -item[2]):
            if d in cells:
                continue
            span = claims[d][s].span
            cells[d] = FactCell(
                article_id=outlets[d].article_id,
                outlet=outlets[d].outlet,
                citation=outlets[d].cite(span.start, span.end),
                support=round(support, 4) if len(group) > 1 else None,
            )
        possible = [
            outlets[other].outlet
            for other in range(len(outlets))
            if other not in cells
            and max(alignment.best_support.get((d, s, other), 0.0) for d, s, _ in group)
            >= POSSIBLE_SUPPORT
        ]
        covered = len(cells)
        coverage = "all" if covered == len(outlets) else "one" if covered == 1 else "some"
        if coverage == "one" and possible:
            coverage = "unclear"
        facts.append(
            Fact(
                index=0,
                coverage=coverage,
                cells=[cells[d] for d in sorted(cells)],
                possibly_also=possible,
            )
        )
    order = {"all": 0, "some": 1, "unclear": 2, "one": 3}
    facts.sort(
        key=lambda f: (order[f.coverage], outlets_index(f, outlets), f.cells[0].citation.start)
    )
    for index, fact in enumerate(facts, start=1):
        fact.index = index
    profiles = []
    for o in outlets:
        omits = [
            Omission(fact_index=f.index, reported_by=f.cells)
            for f in facts
            if all(c.article_id != o.article_id for c in f.cells)
            and o.outlet not in f.possibly_also
        ]
        only = [
            f.index for f in facts if f.coverage == "one" and f.cells[0].article_id == o.article_id
        ]
        # "it" of "..., it added." names nobody: the speaker it continues is already listed
        speakers = [
            s for claim in o.critical.claims for s in claim.speakers if s.pattern != "pronoun"
        ]
        profiles.append(
            OutletProfile(
                article_id=o.article_id,
                outlet=o.outlet,
                quoted=speakers,
                loaded_terms=[t for t in o.critical.loaded_terms if not t.in_quote],
                tone=o.tone,
                omits=omits,
                only_here=only,
            )
        )
    return Comparison(
        facts=facts,
        outlets=profiles,
        similarity_threshold=prefilter,
        chart=framing_chart(profiles),
    )


def outlets_index(fact: Fact, outlets: Sequence[OutletInput]) -> int:
    ids = [o.article_id for o in outlets]
    return ids.index(fact.cells[0].article_id)
