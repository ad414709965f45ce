"""Across outlets: align facts by claim similarity (embeddings) into facts covered by all,
some or one article, and profile each outlet (who it quotes, loaded terms, tone, omissions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from briefbot.backends.embedders import Vectors
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

Embed = Callable[[Sequence[str]], Vectors]


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


def align(
    texts: Sequence[Sequence[str]], embed: Embed, threshold: float
) -> list[list[tuple[int, int, float]]]:
    """Group sentences of several documents into facts.

    Each sentence is linked to its most similar sentence in every other document when the
    cosine similarity reaches ``threshold``; linked sentences form one fact. Returns facts as
    lists of (document index, sentence index, best similarity to another document), in order
    of first appearance.
    """
    flat = [(d, s) for d, doc in enumerate(texts) for s in range(len(doc))]
    if not flat:
        return []
    vectors = embed([texts[d][s] for d, s in flat])
    offsets = np.cumsum([0, *[len(doc) for doc in texts]])
    groups = _UnionFind(len(flat))
    best_link = np.zeros(len(flat))
    for a in range(len(texts)):
        for b in range(len(texts)):
            if a == b or not len(texts[a]) or not len(texts[b]):
                continue
            block = vectors[offsets[a] : offsets[a + 1]] @ vectors[offsets[b] : offsets[b + 1]].T
            best = block.argmax(axis=1)
            for i, j in enumerate(best):
                value = float(block[i, j])
                row = int(offsets[a] + i)
                best_link[row] = max(best_link[row], value)
                if value >= threshold:
                    groups.union(row, int(offsets[b] + j))
    facts: dict[int, list[tuple[int, int, float]]] = {}
    for index, (d, s) in enumerate(flat):
        facts.setdefault(groups.find(index), []).append((d, s, float(best_link[index])))
    return list(facts.values())


def compare(outlets: Sequence[OutletInput], embed: Embed, threshold: float) -> Comparison:
    claims = [o.claims for o in outlets]
    groups = align([[c.span.text for c in doc] for doc in claims], embed, threshold)
    facts: list[Fact] = []
    for group in groups:
        cells: dict[int, FactCell] = {}
        for d, s, _ in sorted(group, key=lambda item: -item[2]):
            if d in cells:
                continue
            span = claims[d][s].span
            cells[d] = FactCell(
                article_id=outlets[d].article_id,
                outlet=outlets[d].outlet,
                citation=outlets[d].cite(span.start, span.end),
            )
        covered = len(cells)
        coverage = "all" if covered == len(outlets) else "one" if covered == 1 else "some"
        facts.append(Fact(index=0, coverage=coverage, cells=[cells[d] for d in sorted(cells)]))
    order = {"all": 0, "some": 1, "one": 2}
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
        ]
        only = [
            f.index for f in facts if f.coverage == "one" and f.cells[0].article_id == o.article_id
        ]
        speakers = [s for claim in o.critical.claims for s in claim.speakers]
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
        similarity_threshold=threshold,
        chart=framing_chart(profiles),
    )


def outlets_index(fact: Fact, outlets: Sequence[OutletInput]) -> int:
    ids = [o.article_id for o in outlets]
    return ids.index(fact.cells[0].article_id)
