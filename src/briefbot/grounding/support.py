"""Does a source span support a claim? The one support check behind answers, briefs and framing.

A claim is supported by a premise when every number, date and name it states (and a negation,
if it has one) is in the premise, and its support score reaches the threshold. The score mixes
content-word recall of the claim in the premise, embedding similarity and fact consistency.
``SupportChecker`` caches embeddings, so checking many claims against many premises embeds each
text once; the verifier (``grounding.verify``) and the framing comparison both use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from briefbot.backends.embedders import Embedder
from briefbot.text.facts import Facts, disagree
from briefbot.text.words import content_words, covered

LEXICAL_WEIGHT = 0.45
EMBEDDING_WEIGHT = 0.35
FACT_WEIGHT = 0.20


def lexical_recall(claim_words: Sequence[str], premise: str) -> float:
    """Share of the claim's content words found in the premise (1.0 for no content words)."""
    if not claim_words:
        return 1.0
    vocabulary = set(content_words(premise))
    return sum(covered(w, vocabulary) for w in claim_words) / len(claim_words)


def support_score(lexical: float, similarity: float, fact_score: float, has_facts: bool) -> float:
    """Weighted support; a claim without numbers, dates or names gets no free fact credit."""
    if not has_facts:
        return (LEXICAL_WEIGHT * lexical + EMBEDDING_WEIGHT * max(similarity, 0.0)) / (
            LEXICAL_WEIGHT + EMBEDDING_WEIGHT
        )
    return (
        LEXICAL_WEIGHT * lexical
        + EMBEDDING_WEIGHT * max(similarity, 0.0)
        + FACT_WEIGHT * fact_score
    )


def missing_reason(missing: Sequence[str]) -> str:
    """What the source lacks, in plain words ("the source does not mention 9,000 or Ukraine")."""
    facts = [m for m in missing if m != "a negation"]
    parts = []
    if facts:
        quoted = ", ".join(f"“{m}”" for m in facts[:-1])
        listed = f"{quoted} or “{facts[-1]}”" if quoted else f"“{facts[-1]}”"
        parts.append(f"the source does not mention {listed}")
    if "a negation" in missing:
        parts.append("the sentence makes a negation the source does not make")
    return "; ".join(parts)


@dataclass(frozen=True)
class Support:
    """The verdict on one (claim, premise) pair."""

    supported: bool
    score: float
    missing: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str | None:
        """Why not, in plain words; None when supported."""
        if self.supported:
            return None
        return missing_reason(self.missing) or "the source does not say this"


class SupportChecker:
    """Checks claims against premises with one embedding cache."""

    def __init__(self, embedder: Embedder, threshold: float) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}

    def embed(self, texts: Iterable[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if todo:
            for text, vector in zip(todo, self.embedder.embed(todo), strict=True):
                self._vectors[text] = vector

    def vector(self, text: str) -> npt.NDArray[np.float32]:
        self.embed([text])
        return self._vectors[text]

    def similarity(self, a: str, b: str) -> float:
        self.embed([a, b])
        return float(np.dot(self._vectors[a], self._vectors[b]))

    def check(self, claim: str, premise: str) -> Support:
        facts = Facts.of(claim)
        missing = facts.missing_from(premise)
        fact_score = 1.0 - len(missing) / facts.count if facts.count else 1.0
        lexical = lexical_recall(content_words(claim), premise)
        score = support_score(
            lexical, self.similarity(claim, premise), fact_score, bool(facts.count)
        )
        return Support(not missing and score >= self.threshold, score, missing)

    def check_many(self, pairs: Sequence[tuple[str, str]]) -> list[Support]:
        """``check`` for each (claim, premise), embedding every distinct text in one batch."""
        self.embed(text for pair in pairs for text in pair)
        return [self.check(claim, premise) for claim, premise in pairs]

    def mutual(self, a: str, b: str) -> tuple[Support, Support]:
        """Each side checked against the other."""
        first, second = self.check_many([(a, b), (b, a)])
        return first, second

    def same_fact(self, a: str, b: str) -> tuple[bool, Support, Support]:
        """Whether ``a`` and ``b`` state the same fact, and both verdicts.

        Each must reach the support threshold given the other, and neither may state a number
        or date the other contradicts. Names are not required both ways, since outlets
        attribute the same fact differently ("Seoul's spy agency said on Monday" against
        "according to Yonhap"): "5,000 engineers" and "5,000 engineers, on Tuesday" are one
        fact; "5,000 engineers" and "9,000 engineers" are not.
        """
        forward, backward = self.mutual(a, b)
        conflict = disagree(stated_numbers(a), stated_numbers(b))
        same = min(forward.score, backward.score) >= self.threshold and not conflict
        return same, forward, backward


def stated_numbers(text: str) -> frozenset[str]:
    """The numbers and dates a sentence states, canonical ("5,000" and "5000" agree)."""
    facts = Facts.of(text)
    return frozenset(facts.numbers) | frozenset(facts.dates)
