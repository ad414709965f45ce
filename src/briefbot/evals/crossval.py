"""Leave-one-week-out evaluation of retrieval on RealTimeQA: every setting chosen on three
weeks and measured on the fourth.

Each question's candidates are fetched once, deep enough for every setting tried; each
retriever then ranks them under each setting through its own ``rank`` (the code a search
runs), so one pass over the questions scores the whole grid. For each held-out week the
setting with the best recall@k on the other weeks is chosen (mean reciprocal rank breaks
ties, then closeness to the shipped setting) and measured on the held-out week, separately
for hybrid, dense and BM25, so that each single retriever gets the same chance to be tuned.
Answers are asked on each held-out week under the hybrid setting chosen without it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from briefbot.evals.datasets import QAItem, RealTimeQA
from briefbot.evals.scoring import RETRIEVER_NAMES, Progress, contains_any
from briefbot.evals.stats import share
from briefbot.facade import Briefbot
from briefbot.models import SearchFilters
from briefbot.retrieval import Candidates, create_retriever, fetch_candidates

Setting = dict[str, Any]
"""An update of ``Settings`` fields."""

_RECENCY = [{"recency_weight": 0.0}] + [
    {"recency_weight": w, "recency_half_life_days": h}
    for w, h in itertools.product((0.5, 1.0, 2.0), (3.0, 7.0, 14.0))
]
SINGLE_GRID: list[Setting] = [
    {"retrieval_candidates": c, **r} for c, r in itertools.product((20, 50, 100), _RECENCY)
]
"""Settings tried for dense and BM25 alone: how deep the recency prior reaches, and the prior."""

HYBRID_GRID: list[Setting] = [
    {"retrieval_candidates": c, "fusion_dense_weight": w, "mmr_lambda": m, **r}
    for c, w, m, r in itertools.product((50, 100), (0.5, 1.0, 2.0), (0.75, 1.0), _RECENCY)
]
"""Settings tried for hybrid: candidates per side, the dense ranking's weight in fusion, how
much MMR favours diversity, and the recency prior. (Fewer candidates, RRF k 20 and a convex
fusion of normalised scores were tried on the dev weeks and never helped; see
docs/benchmarks.md.)"""

GRIDS: dict[str, list[Setting]] = {"hybrid": HYBRID_GRID, "dense": SINGLE_GRID, "bm25": SINGLE_GRID}
DEPTH = 100
"""Candidates fetched per side: the deepest setting of the grids."""
RANKS = 20
"""Ranks looked at for the mean reciprocal rank that breaks ties (every retriever here ranks
prefix-stably, so the top k of these are its top k)."""


@dataclass
class Case:
    """One question with its fetched candidates and what the oracles say of it."""

    item: QAItem
    week: str
    in_corpus: bool
    in_results: bool
    filters: SearchFilters | None
    found: Candidates


@dataclass
class Fold:
    """One held-out week: the settings chosen on the others and what they give on it."""

    week: str
    questions: int
    corpus_oracle: int
    results_oracle: int
    chosen: dict[str, Setting] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    found_in_results_oracle: dict[str, int] = field(default_factory=dict)
    correct: int | None = None
    correct_in_oracle: int | None = None

    def recall(self, name: str) -> float:
        return self.found[name] / self.questions if self.questions else float("nan")

    def of_results_oracle(self, name: str) -> float:
        if not self.results_oracle:
            return float("nan")
        return self.found_in_results_oracle[name] / self.results_oracle

    def hybrid_leads(self) -> bool:
        """Hybrid finds more than dense and more than BM25 on this week."""
        return all(self.found["hybrid"] > self.found[n] for n in ("dense", "bm25"))


@dataclass
class CrossValidation:
    k: int
    folds: list[Fold]
    refit: dict[str, Setting]
    """The setting each grid chooses on every week: what a refit on all the data gives."""

    def _values(self, name: str, of_results_oracle: bool) -> list[float]:
        return [
            f.of_results_oracle(name) if of_results_oracle else f.recall(name) for f in self.folds
        ]

    def mean(self, name: str, of_results_oracle: bool = False) -> float:
        values = self._values(name, of_results_oracle)
        return sum(values) / len(values) if values else float("nan")

    def worst(self, name: str, of_results_oracle: bool = False) -> float:
        return min(self._values(name, of_results_oracle), default=float("nan"))

    def hybrid_leads(self) -> int:
        """Folds in which hybrid finds more than dense and more than BM25."""
        return sum(f.hybrid_leads() for f in self.folds)

    def answers_on_oracle(self) -> tuple[int, int] | None:
        """Right answers on held-out corpus-oracle questions, and their number (None when no
        answers were asked)."""
        answered = [f for f in self.folds if f.correct_in_oracle is not None]
        if not answered:
            return None
        return sum(f.correct_in_oracle or 0 for f in answered), sum(
            f.corpus_oracle for f in answered
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "folds": [
                {
                    "week": f.week,
                    "questions": f.questions,
                    "results_oracle": f.results_oracle,
                    "chosen": f.chosen,
                    "recall_at_k": {n: f.recall(n) for n in RETRIEVER_NAMES},
                    "of_results_oracle": {n: f.of_results_oracle(n) for n in RETRIEVER_NAMES},
                    "accuracy_on_oracle": (
                        f.correct_in_oracle / f.corpus_oracle
                        if f.correct_in_oracle is not None and f.corpus_oracle
                        else None
                    ),
                }
                for f in self.folds
            ],
            "mean": {n: self.mean(n) for n in RETRIEVER_NAMES},
            "worst": {n: self.worst(n) for n in RETRIEVER_NAMES},
            "refit_on_all_weeks": self.refit,
        }


def week_of(item: QAItem) -> str:
    return item.group or (item.asked.strftime("%Y-%m-%d") if item.asked else "undated")


def fetch_cases(
    bot: Briefbot, data: RealTimeQA, limit: int | None = None, depth: int = DEPTH
) -> list[Case]:
    """Every question's candidates, ``depth`` per side, as of the day it was asked."""
    text_of = {a.id: a.text for a in data.articles}
    corpus = list(text_of.values())
    cases = []
    for item in data.questions[:limit] if limit else data.questions:
        filters = SearchFilters(as_of=item.asked) if item.asked else None
        own = [text_of[i] for i in item.result_ids if i in text_of]
        cases.append(
            Case(
                item=item,
                week=week_of(item),
                in_corpus=contains_any(corpus, item.answers),
                in_results=contains_any(own, item.answers),
                filters=filters,
                found=fetch_candidates(
                    bot.store, bot.embedder, bot.bm25, item.question, depth, filters
                ),
            )
        )
    return cases


def _score_grid(
    bot: Briefbot, name: str, grid: Sequence[Setting], cases: Sequence[Case], k: int
) -> list[list[tuple[bool, float]]]:
    """For each setting, for each case: the gold string in the top k, and 1/rank of the first
    passage holding it within ``RANKS`` ranks (0 when none does)."""
    table = []
    for setting in grid:
        retriever = create_retriever(
            name, bot.store, bot.embedder, bot.bm25, bot.settings.model_copy(update=setting)
        )
        row = []
        for case in cases:
            ranked = retriever.rank(case.found, RANKS, case.filters)
            first = next(
                (
                    rank
                    for rank, hit in enumerate(ranked, start=1)
                    if contains_any([hit.chunk.text], case.item.answers)
                ),
                None,
            )
            row.append((first is not None and first <= k, 1.0 / first if first else 0.0))
        table.append(row)
    return table


def _distance(setting: Setting, shipped: Mapping[str, Any]) -> float:
    """How far a setting is from the shipped one (ties go to the nearer): relative
    differences of numbers, 1 for each other value that differs."""
    total = 0.0
    for key, value in setting.items():
        current = shipped[key]
        if isinstance(value, int | float) and isinstance(current, int | float):
            total += abs(value - current) / (abs(current) or 1.0)
        else:
            total += value != current
    return total


def choose(
    grid: Sequence[Setting],
    table: Sequence[Sequence[tuple[bool, float]]],
    rows: Iterable[int],
    shipped: Mapping[str, Any],
) -> int:
    """The index of the setting with the most found among ``rows``, then the best mean
    reciprocal rank, then the nearest to ``shipped``."""

    rows = list(rows)

    def merit(index: int) -> tuple[int, float, float]:
        found = sum(table[index][r][0] for r in rows)
        reciprocal = sum(table[index][r][1] for r in rows)
        return (found, reciprocal, -_distance(grid[index], shipped))

    return max(range(len(grid)), key=merit)


def leave_one_week_out(
    bot: Briefbot,
    data: RealTimeQA,
    k: int = 5,
    *,
    answers: bool = True,
    limit: int | None = None,
    progress: Progress | None = None,
    grids: Mapping[str, Sequence[Setting]] = GRIDS,
) -> CrossValidation:
    """Settings chosen on all weeks but one and measured on that one, for every week."""
    say = progress or (lambda _: None)
    say(f"fetching {DEPTH} candidates per retriever for each question")
    cases = fetch_cases(bot, data, limit)
    shipped_values = bot.settings.model_dump()
    tables = {}
    for name, grid in grids.items():
        say(f"ranking under {len(grid)} {name} settings")
        tables[name] = _score_grid(bot, name, grid, cases, k)
    folds = folds_from_tables(cases, grids, tables, shipped_values)
    refit = {
        name: dict(grid[choose(grid, tables[name], range(len(cases)), shipped_values)])
        for name, grid in grids.items()
    }
    for fold in folds:
        if answers and "hybrid" in fold.chosen:
            _ask_week(bot, fold, [c for c in cases if c.week == fold.week])
        say(
            f"week {fold.week}: hybrid {share(fold.found['hybrid'], fold.questions)} "
            f"with {_setting_text(fold.chosen['hybrid'])}"
        )
    return CrossValidation(k=k, folds=folds, refit=refit)


def folds_from_tables(
    cases: Sequence[Case],
    grids: Mapping[str, Sequence[Setting]],
    tables: Mapping[str, Sequence[Sequence[tuple[bool, float]]]],
    shipped: Mapping[str, Any],
) -> list[Fold]:
    """One fold per week, each retriever's setting chosen on the other weeks' rows only; no
    folds when there are fewer than two weeks (nothing to choose on)."""
    weeks = sorted({c.week for c in cases})
    if len(weeks) < 2:
        return []
    folds = []
    for week in weeks:
        held = [i for i, c in enumerate(cases) if c.week == week]
        train = [i for i, c in enumerate(cases) if c.week != week]
        fold = Fold(
            week=week,
            questions=len(held),
            corpus_oracle=sum(cases[i].in_corpus for i in held),
            results_oracle=sum(cases[i].in_results for i in held),
        )
        for name, grid in grids.items():
            best = choose(grid, tables[name], train, shipped)
            fold.chosen[name] = dict(grid[best])
            fold.found[name] = sum(tables[name][best][i][0] for i in held)
            fold.found_in_results_oracle[name] = sum(
                tables[name][best][i][0] and cases[i].in_results for i in held
            )
        folds.append(fold)
    return folds


def _ask_week(bot: Briefbot, fold: Fold, cases: Sequence[Case]) -> None:
    """Extractive answers to the held-out week's questions under the fold's hybrid setting."""
    tuned = bot.with_settings(retriever="hybrid", **fold.chosen["hybrid"])
    fold.correct = fold.correct_in_oracle = 0
    for case in cases:
        answer = tuned.ask(case.item.question, filters=case.filters)
        right = not answer.refused and contains_any([answer.text], case.item.answers)
        fold.correct += right
        fold.correct_in_oracle += right and case.in_corpus


def _setting_text(setting: Setting) -> str:
    short = {
        "retrieval_candidates": "candidates",
        "rrf_k": "RRF k",
        "mmr_lambda": "MMR lambda",
        "fusion_dense_weight": "dense weight",
        "recency_weight": "recency",
        "recency_half_life_days": "half-life",
    }
    if not setting.get("recency_weight", 1):
        setting = {k: v for k, v in setting.items() if k != "recency_half_life_days"}
    return ", ".join(f"{short.get(k, k)} {v:g}" for k, v in setting.items())


def crossval_markdown(cv: CrossValidation) -> str:
    """The leave-one-week-out table, mean and worst fold, the verdict and the refit."""
    k = cv.k
    if not cv.folds:
        return (
            "Leave one week out: the questions come from fewer than two weeks, so no setting "
            "can be chosen on other weeks; only the shipped settings are measured below."
        )
    lines = [
        f"Leave one week out (headline): for each week, every retrieval setting is chosen on "
        f"the other weeks (best recall@{k}) and measured on this one; dense and BM25 are tuned "
        "the same way. Recall counts the gold string in the top "
        f"{k}; of results oracle: among questions whose own search results hold the answer.",
        "",
        f"| held-out week | questions | results oracle | hybrid recall@{k} | dense | bm25 "
        "| hybrid of results oracle | dense | bm25 | answers right (of corpus oracle) "
        "| hybrid setting chosen on the other weeks |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in cv.folds:
        right = (
            f"{f.correct_in_oracle}/{f.corpus_oracle}" if f.correct_in_oracle is not None else "-"
        )
        lines.append(
            f"| {f.week} | {f.questions} | {f.results_oracle} | "
            + " | ".join(share(f.found[n], f.questions) for n in RETRIEVER_NAMES)
            + " | "
            + " | ".join(
                share(f.found_in_results_oracle[n], f.results_oracle) for n in RETRIEVER_NAMES
            )
            + f" | {right} | {_setting_text(f.chosen['hybrid'])} |"
        )
    for label, pick in (("mean", cv.mean), ("worst fold", cv.worst)):
        lines.append(
            f"| **{label}** | | | "
            + " | ".join(f"{pick(n):.1%}" for n in RETRIEVER_NAMES)
            + " | "
            + " | ".join(f"{pick(n, True):.1%}" for n in RETRIEVER_NAMES)
            + " | | |"
        )
    lines += [
        "",
        f"Hybrid above both dense and BM25 in {cv.hybrid_leads()} of {len(cv.folds)} folds.",
    ]
    answers = cv.answers_on_oracle()
    if answers is not None:
        lines.append(
            f"Extractive answers on held-out weeks: {share(*answers)} right on questions whose "
            "answer is in the corpus."
        )
    lines += [
        "",
        "Chosen on all four weeks (for reference: the shipped defaults are changed only where "
        "the folds agree): "
        + "; ".join(f"{name}: {_setting_text(s)}" for name, s in cv.refit.items())
        + ".",
    ]
    return "\n".join(lines)
