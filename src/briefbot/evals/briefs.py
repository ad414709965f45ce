"""Brief evaluation: ROUGE against human summaries, next to a LEAD-3 baseline in the same run.

NeuS: each 3-article story's brief against the AllSides neutral roundup. FRANK: each CNN/DM
article's brief against its reference highlights. Briefs are built on the product path
(chunking, passages, extractive selection, verifier) without a store.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rouge_score import rouge_scorer

from briefbot.backends.embedders import Embedder
from briefbot.briefs.extractive import extractive_brief
from briefbot.briefs.types import Brief, count_words
from briefbot.errors import BriefbotError, EmptyScopeError
from briefbot.evals.datasets import Item, load_frank, load_neus
from briefbot.evals.stats import percentile
from briefbot.grounding.scope import Scope, article_passages
from briefbot.ingest.chunking import chunk_article
from briefbot.models import Article, Chunk, article_id_for
from briefbot.settings import Settings
from briefbot.text.sentences import split_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")

Progress = Callable[[int, int], None]


def lead3(articles: list[tuple[str, str]], max_words: int) -> str:
    """First three sentences of each article, first sentences first, cut to ``max_words``."""
    leads = [[s.text for s in split_sentences(text)[:3]] for _, text in articles]
    ordered = [lead[i] for i in range(3) for lead in leads if i < len(lead)]
    words = " ".join(ordered).split()
    return " ".join(words[:max_words])


def _articles(item: Item) -> list[Article]:
    return [
        Article(
            id=article_id_for(text),
            key=f"{item.name}/{number}",
            title=title or f"{item.name} article {number}",
            source=f"outlet {number}",
            text=text,
        )
        for number, (title, text) in enumerate(item.articles, start=1)
        if text.strip()
    ]


def build_brief(
    articles: list[Article], embedder: Embedder, settings: Settings, max_words: int
) -> Brief:
    chunks: dict[str, list[Chunk]] = {
        a.id: chunk_article(
            a.id,
            a.text,
            embedder,
            settings.chunk_max_tokens,
            settings.chunk_overlap_sentences,
        )
        for a in articles
    }
    passages = article_passages(articles, lambda article_id: chunks.get(article_id, []))
    return extractive_brief(Scope(articles), passages, embedder, settings, max_words)


@dataclass
class SetResult:
    name: str
    items: int = 0
    skipped: list[str] = field(default_factory=list)
    brief: dict[str, list[float]] = field(default_factory=lambda: {t: [] for t in ROUGE_TYPES})
    lead: dict[str, list[float]] = field(default_factory=lambda: {t: [] for t in ROUGE_TYPES})
    sentences: int = 0
    supported: int = 0
    words: list[int] = field(default_factory=list)
    lead_words: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def mean(self, scores: dict[str, list[float]], kind: str) -> float:
        return statistics.fmean(scores[kind]) if scores[kind] else float("nan")

    @property
    def supported_share(self) -> float:
        return self.supported / self.sentences if self.sentences else float("nan")


def evaluate(
    name: str,
    items: list[Item],
    embedder: Embedder,
    settings: Settings,
    max_words: int,
    progress: Progress | None = None,
) -> SetResult:
    """Brief and LEAD-3 of every item, scored with ROUGE-1/2/L F1 (stemmed)."""
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    result = SetResult(name)
    for done, item in enumerate(items):
        if progress:
            progress(done, len(items))
        articles = _articles(item)
        started = time.perf_counter()
        try:
            brief = build_brief(articles, embedder, settings, max_words)
        except EmptyScopeError as exc:
            result.skipped.append(f"{item.name}: {exc}")
            continue
        result.seconds.append(time.perf_counter() - started)
        result.items += 1
        baseline = lead3(item.articles, max_words)
        for scores, text in ((result.brief, brief.text), (result.lead, baseline)):
            measured = scorer.score(item.reference, text)
            for kind in ROUGE_TYPES:
                scores[kind].append(measured[kind].fmeasure)
        result.sentences += len(brief.sentences)
        result.supported += sum(s.supported for s in brief.sentences)
        result.words.append(brief.word_count)
        result.lead_words.append(count_words(baseline))
    if progress:
        progress(len(items), len(items))
    return result


def table(results: list[SetResult]) -> str:
    """A Markdown table: ROUGE of brief and LEAD-3, support share, words, time per brief."""
    lines = [
        "| set | n | system | ROUGE-1 | ROUGE-2 | ROUGE-L | words (mean) | supported | "
        "s/brief p50 | s/brief p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for system, scores, words in (
            ("extractive brief", r.brief, r.words),
            ("LEAD-3", r.lead, r.lead_words),
        ):
            is_brief = scores is r.brief
            lines.append(
                f"| {r.name} | {r.items} | {system} | "
                + " | ".join(f"{100 * r.mean(scores, k):.2f}" for k in ROUGE_TYPES)
                + f" | {statistics.fmean(words) if words else float('nan'):.0f} | "
                + (f"{100 * r.supported_share:.1f}% of {r.sentences}" if is_brief else "")
                + " | "
                + (f"{percentile(r.seconds, 50):.3f}" if is_brief else "")
                + " | "
                + (f"{percentile(r.seconds, 95):.3f}" if is_brief else "")
                + " |"
            )
    return "\n".join(lines)


def run(
    data: Path,
    embedder: Embedder,
    settings: Settings,
    *,
    limit: int | None = None,
    offset: int = 0,
    max_words: int | None = None,
    sets: tuple[str, ...] = ("neus", "frank"),
    progress: Callable[[str], Progress] | None = None,
) -> list[SetResult]:
    """Evaluate the chosen sets under ``data`` (the shared data folder).

    ``offset`` skips the first items of each set (e.g. those the selection weights were
    chosen on), ``limit`` keeps the next N.
    """
    budget = max_words or settings.brief_max_words
    loaders = {"neus": load_neus, "frank": load_frank}
    results = []
    for name in sets:
        if name not in loaders:
            raise BriefbotError(f"unknown evaluation set {name!r}; choose from neus, frank")
        folder = data / name
        if not folder.is_dir():
            raise BriefbotError(f"{folder} does not exist; pass the shared data folder (--data)")
        items = loaders[name](folder, limit, offset)
        results.append(
            evaluate(name, items, embedder, settings, budget, progress(name) if progress else None)
        )
    return results


def iter_failures(results: list[SetResult]) -> Iterator[str]:
    for r in results:
        yield from r.skipped
