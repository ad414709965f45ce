"""Framing evaluation on BASIL (annotated lexical/informational bias) and NeuS (per-lean outlets).

BASIL: precision/recall of flagged loaded terms against ``lex`` spans (a flag counts when it
overlaps a span), recall of ``inf`` spans among sentences flagged as one-sided (writer's
evaluative voice) or omitted elsewhere (a fact only this outlet reports), and per-outlet
densities; each next to a VADER baseline computed in the same run. NeuS: per-lean density.
The lexical metrics need no embedder; the omission metric uses one when given.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

import numpy as np
from pydantic import BaseModel, Field

from briefbot.backends.embedders import Embedder
from briefbot.evals.datasets import BasilArticle
from briefbot.evals.stats import percent, spearman
from briefbot.framing.analyzer import SentenceAnalysis, analyze_text
from briefbot.framing.compare import align
from briefbot.framing.lexicons import Lexicon
from briefbot.framing.tone import STRONG_SENTIMENT, analyzer
from briefbot.grounding.support import SupportChecker
from briefbot.text.sentences import Span

BASELINE_WORD_COMPOUND = 0.5
"""A word is 'strongly opinionated' for the baseline when its own VADER compound reaches this."""
_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class SpanScore(BaseModel):
    flags: int
    flags_on_spans: int
    spans: int
    spans_found: int

    @property
    def precision(self) -> float:
        return self.flags_on_spans / self.flags if self.flags else 0.0

    @property
    def recall(self) -> float:
        return self.spans_found / self.spans if self.spans else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score_spans(
    flags: Sequence[Sequence[tuple[int, int]]], gold: Sequence[Sequence[tuple[int, int]]]
) -> SpanScore:
    """Per-article flags against gold spans: a flag is right when it overlaps a gold span."""
    counts = SpanScore(flags=0, flags_on_spans=0, spans=0, spans_found=0)
    for article_flags, article_gold in zip(flags, gold, strict=True):
        counts.flags += len(article_flags)
        counts.flags_on_spans += sum(
            any(_overlaps(f, g) for g in article_gold) for f in article_flags
        )
        counts.spans += len(article_gold)
        counts.spans_found += sum(any(_overlaps(f, g) for f in article_flags) for g in article_gold)
    return counts


def vader_word_flags(
    sentences: Sequence[Span], threshold: float = BASELINE_WORD_COMPOUND
) -> list[tuple[int, int]]:
    """Baseline: every word whose VADER lexicon valence gives |compound| >= threshold."""
    lexicon: dict[str, float] = analyzer().lexicon
    flags = []
    for sentence in sentences:
        for match in _WORD.finditer(sentence.text):
            valence = lexicon.get(match.group().casefold())
            if valence is not None and abs(valence) / (valence**2 + 15) ** 0.5 >= threshold:
                flags.append((sentence.start + match.start(), sentence.start + match.end()))
    return flags


def loaded_flags(analysis: Sequence[SentenceAnalysis]) -> list[tuple[int, int]]:
    return [
        (a.span.start + m.match.start, a.span.start + m.match.end)
        for a in analysis
        for m in a.loaded
    ]


def _sentence_flags(sentences: Sequence[Span], flagged: Sequence[bool]) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s, f in zip(sentences, flagged, strict=True) if f]


class OutletRow(BaseModel):
    outlet: str
    articles: int
    words: int
    flagged_per_1000: float = Field(description="Loaded-term flags per 1,000 words.")
    baseline_per_1000: float
    lex_per_1000: float = Field(description="Annotated lex spans per 1,000 words.")
    inf_per_1000: float


class BasilResult(BaseModel):
    articles: int
    sentences: int
    unplaced_annotations: int
    lexicon_terms: int
    lex: SpanScore
    lex_baseline: SpanScore
    lex_precision_writer_voice: float = Field(
        description="Precision of flags outside quotation marks only."
    )
    inf_recall: float | None = None
    inf_flag_rate: float | None = None
    inf_baseline_recall: float = 0.0
    inf_baseline_flag_rate: float = 0.0
    inf_evaluative_only_recall: float = 0.0
    inf_evaluative_flag_rate: float = 0.0
    article_spearman: float = Field(
        description="Rank correlation, per article, of loaded flags and annotated lex spans."
    )
    baseline_spearman: float
    outlets: list[OutletRow]
    embedder: str | None = None


def _by_triplet(articles: Sequence[BasilArticle]) -> Iterator[list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, article in enumerate(articles):
        groups[article.triplet].append(index)
    yield from groups.values()


def evaluate_basil(
    articles: Sequence[BasilArticle],
    lexicon: Lexicon,
    embedder: Embedder | None = None,
    threshold: float = 0.45,
) -> BasilResult:
    analyses = [analyze_text_on(a, lexicon) for a in articles]
    ours = [loaded_flags(x) for x in analyses]
    baseline = [vader_word_flags(a.sentences) for a in articles]
    lex_gold = [a.lex for a in articles]
    writer = [
        [
            (s.span.start + m.match.start, s.span.start + m.match.end)
            for s in x
            for m in s.loaded
            if not m.in_quote
        ]
        for x in analyses
    ]
    writer_score = score_spans(writer, lex_gold)

    evaluative = [[s.evaluative for s in x] for x in analyses]
    one_sided = [list(flags) for flags in evaluative]
    if embedder is not None:
        for group in _by_triplet(articles):
            if len(group) < 2:
                continue
            texts = [[s.span.text for s in analyses[i]] for i in group]
            checker = SupportChecker(embedder)
            for fact in align(texts, checker, threshold).facts:
                if len({d for d, _, _ in fact}) == 1:
                    for d, s, _ in fact:
                        one_sided[group[d]][s] = True
    strong = [[abs(s.compound) >= STRONG_SENTIMENT for s in x] for x in analyses]
    inf_gold = [a.inf for a in articles]

    def sentence_recall(flags: Sequence[Sequence[bool]]) -> tuple[float, float]:
        spans = [
            _sentence_flags([s.span for s in x], f) for x, f in zip(analyses, flags, strict=True)
        ]
        score = score_spans(spans, inf_gold)
        total = sum(len(f) for f in flags)
        return score.recall, (sum(sum(f) for f in flags) / total if total else 0.0)

    inf_recall, inf_rate = sentence_recall(one_sided)
    base_recall, base_rate = sentence_recall(strong)
    eval_recall, eval_rate = sentence_recall(evaluative)

    outlets: dict[str, list[int]] = defaultdict(list)
    for index, article in enumerate(articles):
        outlets[article.outlet].append(index)
    rows = []
    for outlet, indexes in sorted(outlets.items()):
        words = sum(s.words for i in indexes for s in analyses[i])
        per = 1000 / words if words else 0.0
        rows.append(
            OutletRow(
                outlet=outlet,
                articles=len(indexes),
                words=words,
                flagged_per_1000=round(per * sum(len(ours[i]) for i in indexes), 2),
                baseline_per_1000=round(per * sum(len(baseline[i]) for i in indexes), 2),
                lex_per_1000=round(per * sum(len(articles[i].lex) for i in indexes), 2),
                inf_per_1000=round(per * sum(len(articles[i].inf) for i in indexes), 2),
            )
        )
    return BasilResult(
        articles=len(articles),
        sentences=sum(len(x) for x in analyses),
        unplaced_annotations=sum(a.unplaced for a in articles),
        lexicon_terms=len(lexicon.loaded),
        lex=score_spans(ours, lex_gold),
        lex_baseline=score_spans(baseline, lex_gold),
        lex_precision_writer_voice=round(writer_score.precision, 4),
        inf_recall=inf_recall if embedder is not None else None,
        inf_flag_rate=inf_rate if embedder is not None else None,
        inf_baseline_recall=base_recall,
        inf_baseline_flag_rate=base_rate,
        inf_evaluative_only_recall=eval_recall,
        inf_evaluative_flag_rate=eval_rate,
        article_spearman=spearman([len(f) for f in ours], [len(g) for g in lex_gold]),
        baseline_spearman=spearman([len(f) for f in baseline], [len(g) for g in lex_gold]),
        outlets=rows,
        embedder=embedder.name if embedder is not None else None,
    )


def analyze_text_on(article: BasilArticle, lexicon: Lexicon) -> list[SentenceAnalysis]:
    """BASIL's own sentence split (annotations are per sentence), analysed lexically."""
    from briefbot.framing.analyzer import analyze_sentence

    return [analyze_sentence(span, lexicon) for span in article.sentences]


class LeanRow(BaseModel):
    lean: str
    articles: int
    words: int
    loaded_per_1000: float
    baseline_per_1000: float
    mean_compound: float
    evaluative_share: float
    attributed_share: float


def evaluate_neus(items: Sequence[tuple[str, str]], lexicon: Lexicon) -> list[LeanRow]:
    grouped: dict[str, list[list[SentenceAnalysis]]] = defaultdict(list)
    for lean, text in items:
        grouped[lean].append(analyze_text(text, lexicon))
    rows = []
    for lean in sorted(grouped, key=lambda x: {"left": 0, "center": 1, "right": 2}.get(x, 3)):
        sentences = [s for analysis in grouped[lean] for s in analysis]
        words = sum(s.words for s in sentences) or 1
        claims = [s for s in sentences if s.is_claim]
        baseline = len(vader_word_flags([s.span for s in sentences]))
        rows.append(
            LeanRow(
                lean=lean,
                articles=len(grouped[lean]),
                words=words,
                loaded_per_1000=round(1000 * sum(len(s.loaded) for s in sentences) / words, 2),
                baseline_per_1000=round(1000 * baseline / words, 2),
                mean_compound=round(float(np.mean([s.compound for s in sentences])), 4)
                if sentences
                else 0.0,
                evaluative_share=round(
                    sum(s.evaluative for s in sentences) / max(len(sentences), 1), 4
                ),
                attributed_share=round(sum(s.attributed for s in claims) / max(len(claims), 1), 4),
            )
        )
    return rows


def _lift(recall: float | None, rate: float | None) -> str:
    return "n/a" if recall is None or not rate else f"{recall / rate:.2f}"


def render_markdown(basil: BasilResult | None, neus: list[LeanRow] | None) -> str:
    lines: list[str] = []
    if basil is not None:
        lines += [
            f"BASIL: {basil.articles} articles, {basil.sentences} sentences, "
            f"{basil.lex.spans} `lex` spans, {basil.unplaced_annotations}"
            " annotations not placeable in the text; lexicon of "
            f"{basil.lexicon_terms} loaded/euphemistic terms.",
            "",
            "| lexical bias (`lex` spans) | flags | precision | recall | F1 "
            "| per-article Spearman |",
            "|---|---|---|---|---|---|",
            f"| loaded-term lexicon | {basil.lex.flags} | {percent(basil.lex.precision)} | "
            f"{percent(basil.lex.recall)} | {percent(basil.lex.f1)} | "
            f"{basil.article_spearman:.2f} |",
            f"| baseline: words with strong VADER sentiment (absolute compound ≥ "
            f"{BASELINE_WORD_COMPOUND}) | {basil.lex_baseline.flags} | "
            f"{percent(basil.lex_baseline.precision)} | {percent(basil.lex_baseline.recall)} | "
            f"{percent(basil.lex_baseline.f1)} | {basil.baseline_spearman:.2f} |",
            "",
            f"Precision of lexicon flags outside quotation marks only: "
            f"{percent(basil.lex_precision_writer_voice)}.",
            "",
            "| informational bias (`inf` spans) | recall | sentences flagged | lift |",
            "|---|---|---|---|",
            f"| one-sided (evaluative voice) or reported by this outlet only "
            f"(aligned with {basil.embedder or 'no embedder'}) | {percent(basil.inf_recall)} | "
            f"{percent(basil.inf_flag_rate)} | {_lift(basil.inf_recall, basil.inf_flag_rate)} |",
            f"| evaluative voice only | {percent(basil.inf_evaluative_only_recall)} | "
            f"{percent(basil.inf_evaluative_flag_rate)} | "
            f"{_lift(basil.inf_evaluative_only_recall, basil.inf_evaluative_flag_rate)} |",
            f"| baseline: sentences with absolute compound ≥ {STRONG_SENTIMENT} | "
            f"{percent(basil.inf_baseline_recall)} | {percent(basil.inf_baseline_flag_rate)} | "
            f"{_lift(basil.inf_baseline_recall, basil.inf_baseline_flag_rate)} |",
            "",
            "Lift is recall divided by the share of sentences flagged: flagging sentences at "
            "random gives about 1.0.",
            "",
            "| outlet | articles | words | loaded flags /1k words | VADER baseline /1k | "
            "annotated `lex` /1k | annotated `inf` /1k |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.outlet} | {r.articles} | {r.words} | {r.flagged_per_1000} | "
            f"{r.baseline_per_1000} | {r.lex_per_1000} | {r.inf_per_1000} |"
            for r in basil.outlets
        ]
        lines.append("")
    if neus is not None:
        lines += [
            "NeuS (AllSides stories), per outlet lean:",
            "",
            "| lean | articles | words | loaded terms /1k words | VADER baseline /1k | "
            "mean compound | evaluative sentences | attributed claims |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.lean} | {r.articles} | {r.words} | {r.loaded_per_1000} | "
            f"{r.baseline_per_1000} | {r.mean_compound:+.3f} | {percent(r.evaluative_share)} | "
            f"{percent(r.attributed_share)} |"
            for r in neus
        ]
    return "\n".join(lines)


PRIOR_STRENGTHS = (1.0, 2.0, 4.0, 8.0)
PRIOR_THRESHOLDS = (0.0, 0.05, 0.08, 0.10, 0.12, 0.15, 0.20, 0.25, 0.30)


class FoldRow(BaseModel):
    """Held-out scores of one fold of triplets."""

    fold: int
    articles: int
    lexicon: SpanScore
    baseline: SpanScore
    prior: SpanScore = Field(description="Terms kept by the per-term prior fitted on the others.")
    prior_setting: str = Field(description="Strength and threshold chosen on the training folds.")


Flag = tuple[str, tuple[int, int]]


def _term_flags(analysis: Sequence[SentenceAnalysis]) -> list[Flag]:
    return [
        (m.match.term.term, (a.span.start + m.match.start, a.span.start + m.match.end))
        for a in analysis
        for m in a.loaded
    ]


def fold_of(articles: Sequence[BasilArticle], folds: int) -> list[int]:
    """A fold per article: whole triplets (one event, three outlets) never straddle folds."""
    triplets = sorted({a.triplet for a in articles})
    number = {t: i % folds for i, t in enumerate(triplets)}
    return [number[a.triplet] for a in articles]


def _prior_keep(
    flags: Sequence[Sequence[Flag]], gold: Sequence[Sequence[tuple[int, int]]], strength: float
) -> dict[str, float]:
    """Per-term precision on these articles, smoothed toward the overall precision."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for article_flags, article_gold in zip(flags, gold, strict=True):
        for term, span in article_flags:
            counts[term][0] += 1
            counts[term][1] += any(_overlaps(span, g) for g in article_gold)
    total = sum(n for n, _ in counts.values())
    mean = sum(h for _, h in counts.values()) / total if total else 0.0
    return {t: (h + strength * mean) / (n + strength) for t, (n, h) in counts.items()}


def _kept(
    flags: Sequence[Flag], prior: dict[str, float], threshold: float
) -> list[tuple[int, int]]:
    """Flags whose term's prior reaches ``threshold`` (a term never seen keeps its flags)."""
    return [span for term, span in flags if prior.get(term, 1.0) >= threshold]


def _choose_prior(
    flags: Sequence[Sequence[Flag]],
    gold: Sequence[Sequence[tuple[int, int]]],
    folds: Sequence[int],
    min_recall: float,
) -> tuple[float, float]:
    """(strength, threshold) with the best inner-CV precision at ``min_recall`` (else F1)."""
    best: tuple[tuple[bool, float], tuple[float, float]] | None = None
    for strength in PRIOR_STRENGTHS:
        for threshold in PRIOR_THRESHOLDS:
            kept_flags: list[list[tuple[int, int]]] = []
            kept_gold: list[Sequence[tuple[int, int]]] = []
            for held in sorted(set(folds)):
                train = [i for i, f in enumerate(folds) if f != held]
                prior = _prior_keep([flags[i] for i in train], [gold[i] for i in train], strength)
                for i, f in enumerate(folds):
                    if f == held:
                        kept_flags.append(_kept(flags[i], prior, threshold))
                        kept_gold.append(gold[i])
            score = score_spans(kept_flags, kept_gold)
            reached = score.recall >= min_recall
            key = (reached, score.precision if reached else score.f1)
            if best is None or key > best[0]:
                best = (key, (strength, threshold))
    assert best is not None
    return best[1]


def cross_validate_basil(
    articles: Sequence[BasilArticle], lexicon: Lexicon, folds: int = 5, min_recall: float = 0.20
) -> list[FoldRow]:
    """Held-out loaded-term precision/recall per fold of triplets: the analyzer as shipped, the
    VADER baseline and a per-term prior (strength and threshold chosen by inner CV on the
    training folds only, then fitted on them and applied to the held-out fold)."""
    flags = [_term_flags(analyze_text_on(a, lexicon)) for a in articles]
    gold = [a.lex for a in articles]
    fold = fold_of(articles, folds)
    rows = []
    for held in range(folds):
        train = [i for i, f in enumerate(fold) if f != held]
        test = [i for i, f in enumerate(fold) if f == held]
        strength, threshold = _choose_prior(
            [flags[i] for i in train],
            [gold[i] for i in train],
            [fold[i] for i in train],
            min_recall,
        )
        prior = _prior_keep([flags[i] for i in train], [gold[i] for i in train], strength)
        test_gold = [gold[i] for i in test]
        rows.append(
            FoldRow(
                fold=held,
                articles=len(test),
                lexicon=score_spans([[s for _, s in flags[i]] for i in test], test_gold),
                baseline=score_spans(
                    [vader_word_flags(articles[i].sentences) for i in test], test_gold
                ),
                prior=score_spans([_kept(flags[i], prior, threshold) for i in test], test_gold),
                prior_setting=f"strength {strength:g}, threshold {threshold:g}",
            )
        )
    return rows


def _pooled(scores: Sequence[SpanScore]) -> SpanScore:
    return SpanScore(
        flags=sum(s.flags for s in scores),
        flags_on_spans=sum(s.flags_on_spans for s in scores),
        spans=sum(s.spans for s in scores),
        spans_found=sum(s.spans_found for s in scores),
    )


def render_cv(rows: Sequence[FoldRow]) -> str:
    """Per-fold held-out precision/recall, their mean and the pooled counts."""

    def cell(s: SpanScore) -> str:
        return f"{percent(s.precision)} / {percent(s.recall)} ({s.flags})"

    def mean(scores: Sequence[SpanScore]) -> str:
        p = float(np.mean([s.precision for s in scores]))
        r = float(np.mean([s.recall for s in scores]))
        return f"{percent(p)} / {percent(r)}"

    lines = [
        "| held-out fold | articles | lexicon: precision / recall (flags) | VADER baseline "
        "| per-term prior (chosen on the other folds) | prior setting |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.fold} | {r.articles} | {cell(r.lexicon)} | {cell(r.baseline)} | "
        f"{cell(r.prior)} | {r.prior_setting} |"
        for r in rows
    ]
    columns = [[r.lexicon for r in rows], [r.baseline for r in rows], [r.prior for r in rows]]
    lines.append(f"| mean of folds | | {' | '.join(mean(c) for c in columns)} | |")
    lines.append(
        f"| pooled | {sum(r.articles for r in rows)} | "
        f"{' | '.join(cell(_pooled(c)) for c in columns)} | |"
    )
    return "\n".join(lines)
