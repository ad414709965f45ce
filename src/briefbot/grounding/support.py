"""Does a source span support a claim? The one support check behind answers, briefs and framing.

A claim is checked against a premise: the text of everything it cites (one or more passages).
Its support score is a calibrated logistic model over a few features, fitted on human
factuality judgements by ``benchmarks/fit_support.py`` and stored in ``support_model.json``:

- ``novel_words``: share of the claim's content words found nowhere in the premise (extrinsic
  content, the typical error of an abstractive summary);
- ``novel_numbers``: numbers and dates of the claim missing from the premise (0, 1, 2 or more);
- ``span_bigram_novel``: share of the claim's word pairs absent from its best span (the best
  single source sentence or two adjacent ones): facts recombined into who-did-what the source
  never said;
- ``trigram_novel``: share of the claim's word triples absent from the whole premise;
- ``cos_max``: embedding similarity of the claim with its most similar premise sentence.

The claim is supported when the score reaches the threshold *and* every number, date and name
it states (and its negation, if it has one) is in the premise: a wrong figure is never
outweighed by similar wording. ``SupportChecker`` caches analysed premises and embeddings, so
checking many claims against one article embeds each sentence once. The verifier
(``grounding.verify``) calls ``check``; the framing comparison asks whether two outlets'
sentences restate each other (``same_fact``), with the same fact rule and a score that does not
expect two reporters to share wording.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from briefbot.backends.embedders import Embedder
from briefbot.errors import ConfigError
from briefbot.text.facts import Facts, dates, disagree, numbers
from briefbot.text.sentences import split_sentences
from briefbot.text.words import Vocabulary, content_words, covered, normalise, stem, vocabulary_of

MODEL_FILE = "support_model.json"
FEATURES = (
    "novel_words",
    "novel_numbers",
    "span_bigram_novel",
    "trigram_novel",
    "cos_max",
    "span_pair_novel",
    "pair_novel",
)
PAIR_WINDOW = 3
"""Content words of a source span at most this far apart count as a pair ("sending 5,000
engineers" holds the pair "sending engineers")."""
PREFIX = 5
"""Word pairs compare stems cut to this length ("Korea" and "Korean" agree)."""

RESTATEMENT_THRESHOLD = 0.55
"""Restatement score from which two outlets' sentences can be one fact (hand-set; see
``SupportChecker.restates``)."""
_RECALL_WEIGHT, _SIMILARITY_WEIGHT, _FACT_WEIGHT = 0.45, 0.35, 0.20

_TOKEN = re.compile(r"[^\W\d_][\w'’\-]*|\d+(?:[.,]\d+)*")
_CACHED_PREMISES = 256
_CACHED_VECTORS = 8192

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SupportModel:
    """``score = sigmoid(bias + sum(weight * feature))``; supported from ``threshold`` up."""

    weights: dict[str, float]
    bias: float
    threshold: float

    @classmethod
    def from_json(cls, data: dict[str, object], where: str) -> SupportModel:
        try:
            weights = data["weights"]
            if not isinstance(weights, dict):
                raise TypeError("weights is not an object")
            model = cls(
                weights={str(k): float(v) for k, v in weights.items()},
                bias=float(str(data["bias"])),
                threshold=float(str(data["threshold"])),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"{where}: the support model is damaged ({error})") from error
        unknown = set(model.weights) - set(FEATURES)
        if unknown:
            raise ConfigError(f"{where}: the support model uses unknown features {sorted(unknown)}")
        return model

    def score(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


@cache
def shipped_model() -> SupportModel:
    """The fitted model shipped with briefbot (``grounding/support_model.json``)."""
    text = resources.files("briefbot.grounding").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return SupportModel.from_json(json.loads(text), MODEL_FILE)


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


def lexical_recall(claim_words: Sequence[str], premise: str) -> float:
    """Share of the claim's content words found in the premise (1.0 for no content words)."""
    if not claim_words:
        return 1.0
    vocabulary = vocabulary_of(premise)
    return sum(covered(w, vocabulary) for w in claim_words) / len(claim_words)


def restatement_score(recall: float, similarity: float, facts: Facts, missing: int) -> float:
    """Content-word recall, similarity and facts found; no free fact credit without facts."""
    if not facts.count:
        return (_RECALL_WEIGHT * recall + _SIMILARITY_WEIGHT * max(similarity, 0.0)) / (
            _RECALL_WEIGHT + _SIMILARITY_WEIGHT
        )
    found = 1.0 - missing / facts.count
    return (
        _RECALL_WEIGHT * recall + _SIMILARITY_WEIGHT * max(similarity, 0.0) + _FACT_WEIGHT * found
    )


def _tokens(text: str) -> list[str]:
    return [stem(t) for t in _TOKEN.findall(normalise(text).lower())]


def _ngrams(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return set(zip(*(tokens[i:] for i in range(n)), strict=False))


def _prefixes(text: str) -> list[str]:
    return [w[:PREFIX] for w in content_words(text)]


def _window_pairs(words: Sequence[str]) -> set[tuple[str, ...]]:
    return {(a, b) for i, a in enumerate(words) for b in words[i + 1 : i + 1 + PAIR_WINDOW]}


def _novel_share(grams: set[tuple[str, ...]], known: set[tuple[str, ...]]) -> float:
    return sum(g not in known for g in grams) / len(grams) if grams else 0.0


@dataclass(frozen=True)
class Evidence:
    """A span of one premise part: ``text == parts[part][start:end]``."""

    part: int
    start: int
    end: int
    text: str


@dataclass
class Premise:
    """Premise parts analysed once: sentences, candidate spans, vocabularies, word n-grams."""

    parts: tuple[str, ...]
    sentences: list[Evidence]
    spans: list[Evidence]  # each sentence, then each two adjacent sentences of one part
    span_sentences: list[tuple[int, ...]]  # which sentences each span is made of
    span_vocabularies: list[Vocabulary]
    span_bigrams: list[set[tuple[str, ...]]]
    span_pairs: list[set[tuple[str, ...]]]
    pairs: set[tuple[str, ...]]
    vocabulary: Vocabulary
    trigrams: set[tuple[str, ...]]
    numbers: set[str]
    dates: set[str]
    vectors: Vectors | None = None

    @classmethod
    def of(cls, parts: Sequence[str]) -> Premise:
        sentences: list[Evidence] = []
        pairs: list[tuple[int, int]] = []
        for part, text in enumerate(parts):
            found = split_sentences(text)
            first = len(sentences)
            sentences += [Evidence(part, s.start, s.end, s.text) for s in found]
            if not found and text.strip():
                sentences.append(Evidence(part, 0, len(text), text))
            pairs += itertools.pairwise(range(first, len(sentences)))
        tokens = [_tokens(s.text) for s in sentences]
        bigrams = [_ngrams(t, 2) for t in tokens]
        prefixes = [_prefixes(s.text) for s in sentences]
        spans = list(sentences)
        span_sentences: list[tuple[int, ...]] = [(i,) for i in range(len(sentences))]
        for a, b in pairs:
            first_, second = sentences[a], sentences[b]
            text = parts[first_.part][first_.start : second.end]
            spans.append(Evidence(first_.part, first_.start, second.end, text))
            span_sentences.append((a, b))
        whole = "\n\n".join(parts)
        return cls(
            parts=tuple(parts),
            sentences=sentences,
            spans=spans,
            span_sentences=span_sentences,
            span_vocabularies=[vocabulary_of(s.text) for s in spans],
            span_bigrams=[set().union(*(bigrams[i] for i in ids)) for ids in span_sentences],
            span_pairs=[
                _window_pairs([w for i in ids for w in prefixes[i]]) for ids in span_sentences
            ],
            pairs=set().union(*(_window_pairs(p) for p in prefixes)),
            vocabulary=vocabulary_of(whole),
            trigrams=set().union(*(_ngrams(t, 3) for t in tokens)),
            numbers=set(numbers(whole, words=True)),
            dates=set(dates(whole)),
        )

    @property
    def text(self) -> str:
        return "\n\n".join(self.parts)


@dataclass(frozen=True)
class Support:
    """The verdict on one (claim, premise) pair."""

    supported: bool
    score: float
    missing: list[str] = field(default_factory=list)
    """Numbers, dates and names of the claim the premise lacks ("a negation" for a negation)."""
    evidence: list[Evidence] = field(default_factory=list)
    """The best span first, then sentences holding what of the claim the best span lacks."""
    novel: list[str] = field(default_factory=list)
    """The claim's content words (as written) the premise lacks."""
    features: dict[str, float] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """Why not, in plain words; None when supported."""
        if self.supported:
            return None
        if self.missing:
            return missing_reason(self.missing)
        if self.novel:
            return missing_reason(self.novel)
        if self.evidence:
            return f"the source does not say this (closest: “{_clip(self.evidence[0].text)}”)"
        return "the source does not say this"


def _clip(text: str, limit: int = 120) -> str:
    text = normalise(text)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _as_parts(premise: str | Sequence[str]) -> tuple[str, ...]:
    return (premise,) if isinstance(premise, str) else tuple(premise)


class SupportChecker:
    """Checks claims against premises with one cache of premises and embeddings.

    ``threshold`` (``Settings.support_threshold``) overrides the model's fitted operating point.
    """

    def __init__(
        self,
        embedder: Embedder,
        threshold: float | None = None,
        model: SupportModel | None = None,
    ) -> None:
        self.embedder = embedder
        self.model = model or shipped_model()
        self.threshold = self.model.threshold if threshold is None else threshold
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._premises: OrderedDict[tuple[str, ...], Premise] = OrderedDict()

    def embed(self, texts: Iterable[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if todo:
            for text, vector in zip(todo, self.embedder.embed(todo), strict=True):
                self._vectors[text] = vector
            while len(self._vectors) > _CACHED_VECTORS:
                self._vectors.popitem(last=False)

    def vector(self, text: str) -> Vectors:
        if text not in self._vectors:
            self.embed([text])
        return self._vectors[text]

    def similarity(self, a: str, b: str) -> float:
        self.embed([a, b])
        return float(np.dot(self.vector(a), self.vector(b)))

    def premise(self, premise: str | Sequence[str]) -> Premise:
        parts = _as_parts(premise)
        found = self._premises.get(parts)
        if found is None:
            found = Premise.of(parts)
            self._premises[parts] = found
            while len(self._premises) > _CACHED_PREMISES:
                self._premises.popitem(last=False)
        if found.vectors is None:
            texts = [s.text for s in found.sentences]
            self.embed(texts)
            found.vectors = (
                np.stack([self.vector(t) for t in texts]).astype(np.float32)
                if texts
                else np.zeros((0, 1), dtype=np.float32)
            )
        return found

    def features(self, claim: str, premise: Premise) -> tuple[dict[str, float], int, list[str]]:
        """The model's features, the index of the best span and the claim's novel words."""
        words = content_words(claim)
        novel = [w for w in words if not covered(w, premise.vocabulary)]
        stated = list(numbers(claim).items()) + list(dates(claim).items())
        known = premise.numbers | premise.dates
        novel_numbers = sum(value not in known for value, _ in stated)
        if not premise.sentences:
            empty = {"novel_words": 1.0, "novel_numbers": float(min(novel_numbers, 2))}
            rest = {"span_bigram_novel": 1.0, "trigram_novel": 1.0, "cos_max": 0.0}
            return empty | rest | {"span_pair_novel": 1.0, "pair_novel": 1.0}, -1, []
        assert premise.vectors is not None
        cosines = premise.vectors @ self.vector(claim)
        span_cosines = [max(float(cosines[i]) for i in ids) for ids in premise.span_sentences]
        recalls = [
            sum(covered(w, vocabulary) for w in words) / len(words) if words else 1.0
            for vocabulary in premise.span_vocabularies
        ]
        # Recall first, similarity to break near-ties; a single sentence wins an exact tie.
        best = max(
            range(len(premise.spans)), key=lambda i: (recalls[i] + 0.5 * span_cosines[i], -i)
        )
        tokens = _tokens(claim)
        bigrams = _ngrams(tokens, 2)
        pairs = _ngrams(_prefixes(claim), 2)
        features = {
            "novel_words": len(novel) / len(words) if words else 0.0,
            "novel_numbers": float(min(novel_numbers, 2)),
            "span_bigram_novel": _novel_share(bigrams, premise.span_bigrams[best]),
            "trigram_novel": _novel_share(_ngrams(tokens, 3), premise.trigrams),
            "cos_max": float(cosines.max()),
            "span_pair_novel": _novel_share(pairs, premise.span_pairs[best]),
            "pair_novel": _novel_share(pairs, premise.pairs),
        }
        return features, best, _surface(claim, novel)

    def check(self, claim: str, premise: str | Sequence[str]) -> Support:
        analysed = self.premise(premise)
        features, best, novel = self.features(claim, analysed)
        score = self.model.score(features)
        facts = Facts.of(claim)
        missing = facts.missing_from(analysed.text)
        evidence = []
        if best >= 0:
            evidence = [analysed.spans[best], *_completing_spans(claim, facts, analysed, best)]
        supported = not missing and score >= self.threshold
        return Support(supported, score, missing, evidence, novel, features)

    def restates(self, claim: str, other: str) -> Support:
        """Whether ``other``, another outlet's sentence, reports ``claim``'s fact.

        Two reporters word one fact independently, so this score does not count shared word
        pairs the way ``check`` does (a sentence citing its source is expected to keep its
        wording; an outlet is not): it mixes content-word recall of ``claim`` in ``other``,
        embedding similarity and the facts found. The hard fact rule is the same as ``check``'s.
        """
        facts = Facts.of(claim)
        missing = facts.missing_from(other)
        claim_words = content_words(claim)
        recall = lexical_recall(claim_words, other)
        score = restatement_score(recall, self.similarity(claim, other), facts, len(missing))
        supported = not missing and score >= RESTATEMENT_THRESHOLD
        evidence = [Evidence(0, 0, len(other), other)]
        other_words = vocabulary_of(other)
        novel = [w for w in claim_words if not covered(w, other_words)]
        return Support(supported, score, missing, evidence, _surface(claim, novel))

    def same_fact(self, a: str, b: str) -> tuple[bool, Support, Support]:
        """Whether ``a`` and ``b`` state the same fact, and both verdicts (``restates``).

        Each must restate the other to the threshold, and neither may state a number or date
        the other contradicts. Names are not required both ways, since outlets attribute the
        same fact differently ("Seoul's spy agency said on Monday" against "according to
        Yonhap"): "5,000 engineers" and "5,000 engineers, on Tuesday" are one fact; "5,000
        engineers" and "9,000 engineers" are not.
        """
        self.embed([a, b])
        forward, backward = self.restates(a, b), self.restates(b, a)
        conflict = disagree(stated_numbers(a), stated_numbers(b))
        same = min(forward.score, backward.score) >= RESTATEMENT_THRESHOLD and not conflict
        return same, forward, backward


def _surface(claim: str, stems: Sequence[str]) -> list[str]:
    """The claim's words as written for the given stems (first occurrence), at most three."""
    wanted = set(stems)
    found: list[str] = []
    for token in _TOKEN.findall(claim):
        for part in token.split("-"):
            if stem(part) in wanted and part not in found:
                found.append(part)
                wanted.discard(stem(part))
    return found[:3]


MAX_EXTRA_EVIDENCE = 2


def _completing_spans(claim: str, facts: Facts, premise: Premise, best: int) -> list[Evidence]:
    """Sentences holding what the best span lacks of the claim (its facts, then its content
    words), so a reporter can click every part of a sentence that combines several."""
    span = premise.spans[best]
    lacking_facts = facts.missing_from(span.text)
    lacking_words = [
        w
        for w in dict.fromkeys(content_words(claim))
        if not covered(w, premise.span_vocabularies[best]) and covered(w, premise.vocabulary)
    ]
    extra: list[Evidence] = []
    for sentence in premise.sentences:
        if len(extra) == MAX_EXTRA_EVIDENCE or not (lacking_facts or lacking_words):
            break
        if sentence.part == span.part and span.start <= sentence.start < span.end:
            continue
        vocabulary = vocabulary_of(sentence.text)
        still = facts.missing_from(sentence.text) if lacking_facts else []
        facts_held = [f for f in lacking_facts if f not in still]
        words_held = [w for w in lacking_words if covered(w, vocabulary)]
        if facts_held or words_held:
            extra.append(sentence)
            lacking_facts = [f for f in lacking_facts if f not in facts_held]
            lacking_words = [w for w in lacking_words if w not in words_held]
    return extra


def stated_numbers(text: str) -> frozenset[str]:
    """The numbers and dates a sentence states, canonical ("5,000" and "5000" agree)."""
    facts = Facts.of(text)
    return frozenset(facts.numbers) | frozenset(facts.dates)
