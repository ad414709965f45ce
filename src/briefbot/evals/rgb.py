"""RGB: per question a pool of its positive and negative snippets (article-id filters over
one store); recall@3 of positives, accuracy, and with counterfactual snippets mixed in, how
often the answer shows both the true and the fake value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from briefbot.evals.datasets import RGBItem, rgb_articles
from briefbot.evals.scoring import RETRIEVER_NAMES, Progress, can_ask, contains_any
from briefbot.evals.stats import share
from briefbot.facade import Briefbot
from briefbot.models import SearchFilters
from briefbot.retrieval import create_retriever

RGB_NEAR_DUPLICATE = 0.95
"""Dedup threshold of the RGB store (the highest the MinHash LSH accepts)."""


@dataclass
class RGBResult:
    questions: int = 0
    snippets: int = 0
    positive_at_3: dict[str, int] = field(default_factory=dict)
    positive_share_at_3: dict[str, float] = field(default_factory=dict)
    answered: int | None = None
    correct: int | None = None
    refused: int | None = None
    conflict_questions: int = 0
    conflict_shown: int | None = None
    fake_only: int | None = None
    true_only: int | None = None
    ask_note: str = ""


def evaluate_rgb(
    bot: Briefbot,
    items: Sequence[RGBItem],
    *,
    answers: bool = True,
    progress: Progress | None = None,
) -> RGBResult:
    """Every snippet in ``bot``'s store once; each question sees only its own by id filter.

    The store should merge only near-identical copies (``near_duplicate_threshold`` =
    ``RGB_NEAR_DUPLICATE``): a counterfactual snippet differs from its positive in one value.
    """
    say = progress or (lambda _: None)
    result = RGBResult()
    kinds = ("positive", "negative", "positive_wrong")
    pools: list[dict[str, list[str]]] = []
    everything = []
    for item in items:
        by_kind = {kind: rgb_articles(item, kind) for kind in kinds}
        pools.append({kind: [a.id for a in arts] for kind, arts in by_kind.items()})
        everything += [a for arts in by_kind.values() for a in arts]
    result.snippets = len(everything)
    say(f"ingesting {len(everything)} RGB snippets into {bot.store.location}")
    bot.ingest_articles(everything)
    asking = answers and can_ask(bot)
    if answers and not asking:
        result.ask_note = "Briefbot.ask is not available: accuracy and conflicts skipped."
    if asking:
        result.answered = result.correct = result.refused = 0
        result.conflict_shown = result.fake_only = result.true_only = 0
    retrievers = {
        name: create_retriever(name, bot.store, bot.embedder, bot.bm25, bot.settings)
        for name in RETRIEVER_NAMES
    }
    result.positive_at_3 = dict.fromkeys(RETRIEVER_NAMES, 0)
    share_total = dict.fromkeys(RETRIEVER_NAMES, 0.0)
    for item, pool in zip(items, pools, strict=True):
        result.questions += 1
        positives = set(pool["positive"])
        clean = SearchFilters(article_ids=pool["positive"] + pool["negative"])
        for name, retriever in retrievers.items():
            top = retriever.search(item.question, 3, clean)
            in_top = sum(h.chunk.article_id in positives for h in top)
            result.positive_at_3[name] += in_top > 0
            share_total[name] += in_top / max(1, len(top))
        if not asking:
            continue
        assert result.answered is not None and result.correct is not None
        assert result.refused is not None
        answer = bot.ask(item.question, filters=clean)
        result.answered += 1
        result.refused += answer.refused
        result.correct += (not answer.refused) and contains_any([answer.text], item.answers)
        if pool["positive_wrong"]:
            _score_conflict(bot, item, pool, result)
    result.positive_share_at_3 = {
        name: total / result.questions if result.questions else 0.0
        for name, total in share_total.items()
    }
    return result


def _score_conflict(
    bot: Briefbot, item: RGBItem, pool: dict[str, list[str]], result: RGBResult
) -> None:
    assert result.conflict_shown is not None and result.fake_only is not None
    assert result.true_only is not None
    result.conflict_questions += 1
    mixed = SearchFilters(article_ids=pool["positive"] + pool["positive_wrong"] + pool["negative"])
    answer = bot.ask(item.question, filters=mixed)
    if answer.refused:
        return
    cited = [c.quote for s in answer.sentences for c in s.citations] + [answer.text]
    has_true = contains_any(cited, item.answers)
    has_fake = contains_any(cited, item.fake_answers)
    result.conflict_shown += has_true and has_fake
    result.fake_only += has_fake and not has_true
    result.true_only += has_true and not has_fake


def rgb_markdown(result: RGBResult) -> str:
    """The RGB table as Markdown."""
    n = result.questions
    lines = [
        f"RGB en_fact: {n} questions, {result.snippets} snippets; each question searches only "
        "its own snippets.",
        "",
        "| retriever | a positive in the top 3 | share of the top 3 that is positive |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {share(result.positive_at_3[name], n)} "
        f"| {result.positive_share_at_3[name]:.1%} |"
        for name in result.positive_at_3
    ]
    if result.answered is not None:
        c = result.conflict_questions
        lines += [
            "",
            "| answers (hybrid, extractive) | value |",
            "|---|---|",
            f"| accuracy (positives + negatives) | {share(result.correct or 0, n)} |",
            f"| refused | {result.refused}/{result.answered} |",
            f"| with counterfactuals: both values shown | {share(result.conflict_shown or 0, c)} |",
            f"| with counterfactuals: fake value only | {share(result.fake_only or 0, c)} |",
            f"| with counterfactuals: true value only | {share(result.true_only or 0, c)} |",
        ]
    if result.ask_note:
        lines += ["", result.ask_note]
    return "\n".join(lines)
