"""Question-answering evaluation: retrieval recall, answer accuracy, conflicts, latency.

RealTimeQA: all search results pooled in one store; recall@k of hybrid, dense and BM25 next to
the oracle (the gold string occurs somewhere in the corpus); extractive ``ask`` accuracy.
RGB: per question a pool of its positive and negative snippets (article-id filters over one
store); recall@3 of positives, accuracy, and with counterfactual snippets mixed in, how often
the answer shows both the true and the fake value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from briefbot.evals.datasets import load_realtimeqa, load_rgb
from briefbot.evals.realtimeqa import (
    RealTimeQAResult,
    audit_corpus_oracle,
    evaluate_realtimeqa,
    oracle_audit_markdown,
    realtimeqa_markdown,
)
from briefbot.evals.rgb import RGB_NEAR_DUPLICATE, evaluate_rgb, rgb_markdown
from briefbot.evals.scoring import Progress
from briefbot.facade import Briefbot
from briefbot.settings import Settings


@dataclass
class QAReport:
    realtimeqa: RealTimeQAResult
    embedder: str
    sections: list[str]
    """Markdown: the RealTimeQA tables, the corpus-oracle audit (full runs), RGB."""


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
    progress: Progress | None = None,
) -> QAReport:
    """The whole QA evaluation behind `briefbot eval qa` and `benchmarks/qa.py`.

    Both data sets are loaded before any store is opened, so a bad path fails at once.
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
    if not limit:
        gaps = audit_corpus_oracle(bot, realtimeqa, result.retrievers["hybrid"].found_ids)
        sections.append(oracle_audit_markdown(gaps, result))
    if rgb:
        rgb_settings = settings.model_copy(update={"near_duplicate_threshold": RGB_NEAR_DUPLICATE})
        rgb_bot = Briefbot.open(
            store=work / "rgb-store", settings=rgb_settings, embedder=bot.embedder
        )
        rgb_result = evaluate_rgb(rgb_bot, rgb_items, answers=answers, progress=progress)
        sections.append(rgb_markdown(rgb_result))
    return QAReport(result, bot.embedder.name, sections)
