"""Question-answering evaluation: retrieval recall, answer accuracy, conflicts, latency.

RealTimeQA: all search results pooled in one store. The headline is leave-one-week-out: every
retrieval setting chosen on three weeks and measured on the fourth (``evals.crossval``). Then
the shipped settings on all the data: recall@k of hybrid, dense and BM25 next to the oracles
(the gold string somewhere in the corpus, or in the question's own search results), and
extractive ``ask`` accuracy.
RGB: per question a pool of its positive and negative snippets (article-id filters over one
store); recall@3 of positives, accuracy, and with counterfactual snippets mixed in, how often
the answer shows both the true and the fake value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefbot.evals.crossval import CrossValidation, crossval_markdown, leave_one_week_out
from briefbot.evals.datasets import load_realtimeqa, load_rgb
from briefbot.evals.realtimeqa import (
    RealTimeQAResult,
    audit_corpus_oracle,
    evaluate_realtimeqa,
    oracle_audit_markdown,
    realtimeqa_markdown,
)
from briefbot.evals.rgb import RGB_NEAR_DUPLICATE, RGBResult, evaluate_rgb, rgb_markdown
from briefbot.evals.scoring import Progress
from briefbot.facade import Briefbot
from briefbot.settings import Settings


@dataclass
class QAReport:
    realtimeqa: RealTimeQAResult
    embedder: str
    sections: list[str]
    """Markdown: leave-one-week-out, the RealTimeQA tables of the shipped settings, the
    corpus-oracle audit (full runs), RGB."""
    crossval: CrossValidation | None = None
    rgb: RGBResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """The figures of the shipped settings as fractions (nothing tuned on this data), and
        the leave-one-week-out folds under ``realtimeqa.leave_one_week_out``."""
        r = self.realtimeqa
        names = [n for n in ("hybrid", "dense", "bm25") if n in r.retrievers]
        realtimeqa: dict[str, Any] = {
            "questions": r.questions,
            "corpus_oracle": _fraction(r.oracle, r.questions),
            "results_oracle": _fraction(r.results_oracle, r.questions),
            f"recall_at_{r.k}": {n: _fraction(r.retrievers[n].found, r.questions) for n in names},
            "of_results_oracle": {
                n: _fraction(r.retrievers[n].found_in_results_oracle, r.results_oracle)
                for n in names
            },
            "accuracy": _fraction(r.correct, r.answered),
            "accuracy_on_oracle": _fraction(r.correct_in_oracle, r.oracle),
        }
        if self.crossval is not None:
            realtimeqa["leave_one_week_out"] = self.crossval.to_dict()
        out: dict[str, Any] = {"realtimeqa": realtimeqa}
        if self.rgb is not None:
            g = self.rgb
            out["rgb"] = {
                "questions": g.questions,
                "accuracy": _fraction(g.correct, g.answered),
                "both_values_shown": _fraction(g.conflict_shown, g.conflict_questions),
                "fake_only": _fraction(g.fake_only, g.conflict_questions),
                "true_only": _fraction(g.true_only, g.conflict_questions),
            }
        return out


def _fraction(part: int | None, whole: int | None) -> float | None:
    """``part / whole``, or None when either is missing or there is nothing to divide."""
    return part / whole if part is not None and whole else None


def run_qa(
    data: Path,
    store: str | Path,
    settings: Settings,
    work: Path,
    *,
    k: int = 5,
    answers: bool = True,
    limit: int | None = None,
    rgb: bool = True,
    crossval: bool = True,
    progress: Progress | None = None,
) -> QAReport:
    """The whole QA evaluation behind `briefbot eval qa` and `benchmarks/qa.py`.

    Both data sets are loaded before any store is opened, so a bad path fails at once.
    ``crossval`` adds the leave-one-week-out table, first.
    RealTimeQA runs on ``store``; RGB on a store of its own in ``work`` that merges only
    near-identical snippets.
    """
    realtimeqa = load_realtimeqa(data / "realtimeqa")
    rgb_items = load_rgb(data / "rgb" / "en_fact.jsonl") if rgb else []
    bot = Briefbot.open(store=store, settings=settings)
    result = evaluate_realtimeqa(
        bot, realtimeqa, k, answers=answers, limit=limit, progress=progress
    )
    sections = [realtimeqa_markdown(result)]
    folds = None
    if crossval:
        folds = leave_one_week_out(
            bot, realtimeqa, k, answers=answers, limit=limit, progress=progress
        )
        sections.insert(0, crossval_markdown(folds))
    if not limit:
        gaps = audit_corpus_oracle(bot, realtimeqa, result.retrievers["hybrid"].found_ids)
        sections.append(oracle_audit_markdown(gaps, result))
    rgb_result = None
    if rgb:
        rgb_settings = settings.model_copy(update={"near_duplicate_threshold": RGB_NEAR_DUPLICATE})
        rgb_bot = Briefbot.open(
            store=work / "rgb-store", settings=rgb_settings, embedder=bot.embedder
        )
        rgb_result = evaluate_rgb(rgb_bot, rgb_items, answers=answers, progress=progress)
        sections.append(rgb_markdown(rgb_result))
    report = QAReport(result, bot.embedder.name, sections, crossval=folds, rgb=rgb_result)
    return report
