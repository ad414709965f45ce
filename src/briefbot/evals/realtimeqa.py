"""RealTimeQA: all search results pooled in one store; recall@k of hybrid, dense and BM25
next to the oracles, extractive ``ask`` accuracy, and an audit of the corpus oracle."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from briefbot.backends.lexical import tokenize
from briefbot.evals.datasets import RealTimeQA
from briefbot.evals.scoring import (
    RETRIEVER_NAMES,
    Latency,
    Progress,
    can_ask,
    contains_any,
    normalize_answer,
)
from briefbot.evals.stats import ms, share, table_cell
from briefbot.facade import Briefbot
from briefbot.models import SearchFilters
from briefbot.retrieval import create_retriever

NO_RECENCY = "hybrid, no recency prior"
"""Ablation row of the RealTimeQA table: hybrid with ``recency_weight=0``."""


DEPTHS = (10, 20)
"""Deeper cut-offs reported next to recall@k (every retriever here ranks prefix-stably)."""


@dataclass
class RetrieverResult:
    name: str
    found: int = 0
    found_in_oracle: int = 0
    found_in_results_oracle: int = 0
    found_at: dict[int, int] = field(default_factory=dict)
    found_ids: set[str] = field(default_factory=set)
    latency: Latency = field(default_factory=Latency)


@dataclass
class RealTimeQAResult:
    k: int
    questions: int = 0
    oracle: int = 0
    results_oracle: int = 0
    articles: int = 0
    chunks: int = 0
    ingest_note: str = ""
    retrievers: dict[str, RetrieverResult] = field(default_factory=dict)
    relevant_oracle: int = 0
    relevant_other: int = 0
    answered: int | None = None
    correct: int | None = None
    correct_in_oracle: int | None = None
    refused: int | None = None
    ask_latency: Latency = field(default_factory=Latency)
    ask_note: str = ""

    def recall(self, name: str) -> float:
        return self.retrievers[name].found / self.questions if self.questions else float("nan")

    def recall_of_oracle(self, name: str) -> float:
        return self.retrievers[name].found / self.oracle if self.oracle else float("nan")

    def recall_of_results_oracle(self, name: str) -> float:
        """Share of the questions whose own search results hold the answer that are found."""
        found = self.retrievers[name].found_in_results_oracle
        return found / self.results_oracle if self.results_oracle else float("nan")


def evaluate_realtimeqa(
    bot: Briefbot,
    data: RealTimeQA,
    k: int = 5,
    *,
    answers: bool = True,
    limit: int | None = None,
    progress: Progress | None = None,
) -> RealTimeQAResult:
    """Ingest the pooled corpus (idempotent), then score every question."""
    say = progress or (lambda _: None)
    result = RealTimeQAResult(k=k, articles=len(data.articles))
    say(f"ingesting {len(data.articles)} articles into {bot.store.location}")
    started = time.perf_counter()
    report = bot.ingest_articles(data.articles)
    result.ingest_note = f"{report.summary()} in {time.perf_counter() - started:.0f} s"
    say(result.ingest_note)
    result.chunks = bot.store.count_chunks()
    bot.bm25.refresh()
    corpus = [a.text for a in data.articles]
    text_of = {a.id: a.text for a in data.articles}
    retrievers = {
        name: create_retriever(name, bot.store, bot.embedder, bot.bm25, bot.settings)
        for name in RETRIEVER_NAMES
    }
    if bot.settings.recency_weight > 0:
        plain = bot.settings.model_copy(update={"recency_weight": 0.0})
        retrievers[NO_RECENCY] = create_retriever(
            "hybrid", bot.store, bot.embedder, bot.bm25, plain
        )
    result.retrievers = {name: RetrieverResult(name) for name in retrievers}
    for retriever in retrievers.values():
        retriever.search("warm-up query", k)
    asking = answers and can_ask(bot)
    if answers and not asking:
        result.ask_note = "Briefbot.ask is not available: answer accuracy skipped."
        say(result.ask_note)
    if asking:
        result.answered = result.correct = result.correct_in_oracle = result.refused = 0
    questions = data.questions[:limit] if limit else data.questions
    for number, item in enumerate(questions, start=1):
        in_oracle = contains_any(corpus, item.answers)
        own_results = [text_of[i] for i in item.result_ids if i in text_of]
        in_results = contains_any(own_results, item.answers)
        result.questions += 1
        result.oracle += in_oracle
        result.results_oracle += in_results
        asked = SearchFilters(as_of=item.asked) if item.asked else None
        for name, retriever in retrievers.items():
            started = time.perf_counter()
            hits = retriever.search(item.question, k, asked)
            elapsed = (time.perf_counter() - started) * 1000
            scored = result.retrievers[name]
            scored.latency.samples_ms.append(elapsed)
            if contains_any([h.chunk.text for h in hits], item.answers):
                scored.found += 1
                scored.found_in_oracle += in_oracle
                scored.found_in_results_oracle += in_results
                scored.found_ids.add(item.id)
            deeper = retriever.search(item.question, max(DEPTHS), asked)
            for depth in DEPTHS:
                found = contains_any([h.chunk.text for h in deeper[:depth]], item.answers)
                scored.found_at[depth] = scored.found_at.get(depth, 0) + found
        relevant = bot.retrieve(item.question, k, filters=asked).relevant
        if in_oracle:
            result.relevant_oracle += relevant
        else:
            result.relevant_other += relevant
        if asking:
            _score_answer(bot, item.question, item.answers, in_oracle, result, asked)
        if number % 20 == 0:
            say(f"{number}/{len(questions)} questions")
    return result


INCIDENTAL_OVERLAP = 0.5
"""An occurrence is incidental when the chunk holding it shares fewer than this share of the
question's content words (stemmed, stopwords removed)."""


@dataclass
class OracleGap:
    """A corpus-oracle question whose own search results lack the answer: where it occurs."""

    question: str
    answer: str
    chunks: int
    best_overlap: float
    context: str
    found: bool

    @property
    def incidental(self) -> bool:
        return self.best_overlap < INCIDENTAL_OVERLAP


def audit_corpus_oracle(
    bot: Briefbot, data: RealTimeQA, found_ids: set[str] | None = None
) -> list[OracleGap]:
    """For each question in the corpus oracle but not the results oracle, the stored chunks
    that hold its answer and how much of the question the best of them shares."""
    text_of = {a.id: a.text for a in data.articles}
    corpus = list(text_of.values())
    chunks = list(bot.store.iter_chunks())
    normalized = [normalize_answer(c.text) for c in chunks]
    terms = tokenize([c.text for c in chunks])
    gaps = []
    for item in data.questions:
        own = [text_of[i] for i in item.result_ids if i in text_of]
        if not contains_any(corpus, item.answers) or contains_any(own, item.answers):
            continue
        wanted = [w for w in (normalize_answer(a) for a in item.answers) if w.strip()]
        holding = [i for i, text in enumerate(normalized) if any(w in text for w in wanted)]
        question_terms = set(tokenize([item.question])[0]) or {""}
        overlap = {i: len(question_terms & set(terms[i])) / len(question_terms) for i in holding}
        best = max(holding, key=lambda i: overlap[i], default=None)
        context = ""
        if best is not None:
            at = normalized[best].find(wanted[0])
            context = " ".join(normalized[best][max(0, at - 60) : at + len(wanted[0]) + 40].split())
        gaps.append(
            OracleGap(
                question=item.question,
                answer=item.answers[0],
                chunks=len(holding),
                best_overlap=overlap.get(best, 0.0) if best is not None else 0.0,
                context=context,
                found=item.id in (found_ids or set()),
            )
        )
    return gaps


def oracle_audit_markdown(gaps: Sequence[OracleGap], result: RealTimeQAResult) -> str:
    """The audit as Markdown, with the recall@k ceiling it implies."""
    incidental = [g for g in gaps if g.incidental and not g.found]
    ceiling = result.oracle - len(incidental)
    lines = [
        f"Corpus-oracle questions whose own search results lack the answer: {len(gaps)}. "
        f"In {len(incidental)} of them (not found by hybrid) every chunk holding the answer "
        f"shares less than {INCIDENTAL_OVERLAP:.0%} of the question's content words: the "
        "string occurs, but not in coverage of the question. Unless such a passage is "
        f"retrieved by chance, recall@{result.k} cannot exceed {ceiling}/{result.oracle} = "
        f"{share(ceiling, result.oracle)} of the corpus oracle.",
        "",
        "| answer | question | chunks holding it | best overlap | hybrid found | context |",
        "|---|---|---|---|---|---|",
    ]
    for gap in sorted(gaps, key=lambda g: g.best_overlap):
        question = gap.question if len(gap.question) <= 70 else gap.question[:67] + "..."
        lines.append(
            f"| {table_cell(gap.answer)} | {table_cell(question)} | {gap.chunks} "
            f"| {gap.best_overlap:.0%} | {'yes' if gap.found else 'no'} "
            f"| {table_cell(gap.context)} |"
        )
    return "\n".join(lines)


def _score_answer(
    bot: Briefbot,
    question: str,
    gold: Sequence[str],
    in_oracle: bool,
    result: RealTimeQAResult,
    filters: SearchFilters | None,
) -> None:
    assert result.answered is not None and result.correct is not None
    assert result.correct_in_oracle is not None and result.refused is not None
    started = time.perf_counter()
    answer = bot.ask(question, filters=filters)
    result.ask_latency.samples_ms.append((time.perf_counter() - started) * 1000)
    result.answered += 1
    result.refused += answer.refused
    if not answer.refused and contains_any([answer.text], gold):
        result.correct += 1
        result.correct_in_oracle += in_oracle


def realtimeqa_markdown(result: RealTimeQAResult) -> str:
    """The RealTimeQA tables as Markdown."""
    k = result.k
    lines = [
        f"RealTimeQA: {result.questions} questions, {result.articles} pooled articles "
        f"({result.chunks} chunks), each question asked as of its own date. A gold string "
        "counts where it occurs as whole words (case, punctuation and quote styles ignored).",
        f"Corpus oracle (gold anywhere in the pooled corpus): {result.oracle}/{result.questions}"
        f" = {share(result.oracle, result.questions)}. Results oracle (gold in the question's own "
        f"search results): {result.results_oracle}/{result.questions} = "
        f"{share(result.results_oracle, result.questions)}.",
        "",
        f"| retriever | recall@{k} | of corpus oracle | of results oracle | "
        + " | ".join(f"recall@{d}" for d in DEPTHS)
        + " | retrieval p50 ms | retrieval p95 ms |",
        "|---|---|---|---|" + "---|" * len(DEPTHS) + "---|---|",
    ]
    for name, r in result.retrievers.items():
        deeper = " | ".join(share(r.found_at.get(d, 0), result.questions) for d in DEPTHS)
        lines.append(
            f"| {name} | {share(r.found, result.questions)} | {share(r.found, result.oracle)} "
            f"| {share(r.found_in_results_oracle, result.results_oracle)} "
            f"| {deeper} | {ms(r.latency.p50)} | {ms(r.latency.p95)} |"
        )
    lines += [
        "",
        "Of corpus oracle: recall@k over the corpus oracle. Of results oracle: questions "
        "found among those whose own search results hold the answer, over their number.",
    ]
    if {"hybrid", "dense", "bm25"} <= set(result.retrievers):
        lines += ["", _verdict(result)]
    lines += [
        "",
        f"Relevance floor: {result.relevant_oracle}/{result.oracle} oracle questions pass it, "
        f"{result.relevant_other}/{result.questions - result.oracle} of the others.",
    ]
    if result.answered is not None:
        assert result.correct is not None and result.correct_in_oracle is not None
        lines += [
            "",
            "| extractive answers | value |",
            "|---|---|",
            f"| accuracy (gold string in the answer) | {share(result.correct, result.answered)} |",
            f"| accuracy on oracle questions | {share(result.correct_in_oracle, result.oracle)} |",
            f"| refused | {result.refused}/{result.answered} |",
            f"| `ask` p50 / p95 ms | {ms(result.ask_latency.p50)} / {ms(result.ask_latency.p95)} |",
        ]
    if result.ask_note:
        lines += ["", result.ask_note]
    return "\n".join(lines)


TARGET_SHARE_OF_ORACLE = 0.85


def _verdict(result: RealTimeQAResult) -> str:
    """Hybrid against the target: a share of each oracle, and above both single retrievers."""
    found = {name: r.found for name, r in result.retrievers.items()}
    in_results = {name: r.found_in_results_oracle for name, r in result.retrievers.items()}
    parts = []
    for label, fraction, counts in (
        ("corpus oracle", result.recall_of_oracle("hybrid"), found),
        ("results oracle", result.recall_of_results_oracle("hybrid"), in_results),
    ):
        above = all(counts["hybrid"] > counts[n] for n in ("dense", "bm25"))
        met = fraction >= TARGET_SHARE_OF_ORACLE and above
        parts.append(
            f"{label}: hybrid {fraction:.2f} of it, {'above' if above else 'not above'} both "
            f"single retrievers: {'met' if met else 'NOT met'}"
        )
    return (
        f"Target (hybrid recall@{result.k} >= {TARGET_SHARE_OF_ORACLE} of the oracle and above "
        "both single retrievers): " + "; ".join(parts) + "."
    )
