"""How well the support checker agrees with human factuality judgements (FRANK).

Each system summary is split into sentences the way an answer is; each sentence cites every
chunk of its article, as an LLM answer cites its passages; the product's verifier
(``grounding.verify``) checks each sentence. A summary's score is the mean of its sentences'
support scores, and it *passes* when every sentence is supported at the shipped threshold.
Reported per dataset (CNN/DM, XSum) and over all: Spearman and Pearson with the human
``Factuality``, the share of fully faithful summaries that pass and of mostly unfaithful ones
(< 0.5) that pass, recall of each FRANK error type, and milliseconds per sentence; ROUGE-1/2
precision of the summary against its article are the baselines of the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

from briefbot.backends.embedders import Embedder
from briefbot.citations import CitedSentence, Passage
from briefbot.evals.datasets import FRANK_ERROR_TYPES, FactualityJudgement, load_frank_judgements
from briefbot.evals.stats import median, pearson, percent, spearman
from briefbot.grounding.scope import article_passages
from briefbot.grounding.support import SupportChecker
from briefbot.grounding.verify import verify_sentences
from briefbot.ingest.chunking import chunk_article
from briefbot.models import Article
from briefbot.settings import Settings
from briefbot.text.sentences import split_sentences

DATASETS = ("cnndm", "xsum")
UNFAITHFUL_BELOW = 0.5
BASELINES = ("rouge1", "rouge2")

Progress = Callable[[str], None]


@dataclass
class SummaryCheck:
    """The checker's view of one judged summary."""

    judgement: FactualityJudgement
    scores: list[float]
    supported: list[bool]
    notes: list[str]
    seconds: float
    baselines: dict[str, float] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def passed(self) -> bool:
        return all(self.supported)


def passages_of(
    article_id: str, text: str, embedder: Embedder, settings: Settings
) -> list[Passage]:
    """The article's chunks as numbered passages, as the store would hold them."""
    chunks = chunk_article(
        article_id, text, embedder, settings.chunk_max_tokens, settings.chunk_overlap_sentences
    )
    article = Article(id=article_id, key=article_id, title="", text=text)
    return article_passages([article], lambda _: chunks)


def check_summary(
    judgement: FactualityJudgement,
    passages: Sequence[Passage],
    embedder: Embedder,
    settings: Settings,
    checker: SupportChecker | None = None,
) -> SummaryCheck:
    """Each summary sentence, citing every passage, through the product's verifier."""
    texts = [s.text for s in split_sentences(judgement.summary)] or [judgement.summary]
    cited = [
        CitedSentence(text=t, citations=[p.citation(0, len(p.text)) for p in passages])
        for t in texts
    ]
    started = time.perf_counter()
    verified = verify_sentences(cited, passages, embedder, settings, checker=checker)
    seconds = time.perf_counter() - started
    return SummaryCheck(
        judgement,
        [s.support_score for s in verified],
        [s.supported for s in verified],
        [s.note or "" for s in verified],
        seconds,
    )


@dataclass
class DatasetResult:
    name: str
    checks: list[SummaryCheck]

    @property
    def n(self) -> int:
        return len(self.checks)

    def _human(self) -> list[float]:
        return [c.judgement.factuality for c in self.checks]

    def correlation(self, scores: Sequence[float]) -> tuple[float, float]:
        return spearman(scores, self._human()), pearson(scores, self._human())

    def pass_rate(self, keep: Callable[[float], bool]) -> float | None:
        chosen = [c for c in self.checks if keep(c.judgement.factuality)]
        return sum(c.passed for c in chosen) / len(chosen) if chosen else None

    def error_recall(self) -> dict[str, float | None]:
        """Per FRANK error type: the share of summaries with that error that do not pass."""
        recall: dict[str, float | None] = {}
        for kind in FRANK_ERROR_TYPES:
            having = [c for c in self.checks if kind in c.judgement.errors]
            recall[kind] = sum(not c.passed for c in having) / len(having) if having else None
        return recall

    def ms_per_sentence(self) -> float:
        return median([1000 * c.seconds / max(1, len(c.scores)) for c in self.checks])

    def to_dict(self) -> dict[str, Any]:
        rho, r = self.correlation([c.score for c in self.checks])
        return {
            "n": self.n,
            "spearman": rho,
            "pearson": r,
            "factual_pass_rate": self.pass_rate(lambda f: f >= 1.0),
            "unfactual_pass_rate": self.pass_rate(lambda f: f < UNFAITHFUL_BELOW),
            "ms_per_sentence": self.ms_per_sentence(),
            "error_recall": self.error_recall(),
        }

    def baselines(self) -> dict[str, dict[str, float]]:
        return {
            name: dict(
                zip(
                    ("spearman", "pearson"),
                    self.correlation([c.baselines[name] for c in self.checks]),
                    strict=True,
                )
            )
            for name in BASELINES
        }


@dataclass
class VerifyReport:
    datasets: dict[str, DatasetResult]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: d.to_dict() for name, d in self.datasets.items()}
        out["baselines"] = {name: d.baselines() for name, d in self.datasets.items()}
        return out


def evaluate_verify(
    data: Path,
    embedder: Embedder,
    settings: Settings,
    limit: int | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """The FRANK agreement report (``briefbot eval verify``, ``benchmarks/verify.py``)."""
    judgements = load_frank_judgements(data / "frank", limit)
    scorer = rouge_scorer.RougeScorer(list(BASELINES), use_stemmer=True)
    passages: dict[str, list[Passage]] = {}
    checkers: dict[str, SupportChecker] = {}
    checks = []
    for number, judgement in enumerate(judgements, start=1):
        if judgement.article_hash not in passages:
            passages[judgement.article_hash] = passages_of(
                judgement.article_hash[:16], judgement.article, embedder, settings
            )
            # one embedding cache per article: its summaries share candidate spans
            checkers = {
                judgement.article_hash: SupportChecker(embedder, settings.support_threshold)
            }
        check = check_summary(
            judgement,
            passages[judgement.article_hash],
            embedder,
            settings,
            checkers[judgement.article_hash],
        )
        rouge = scorer.score(judgement.article, judgement.summary)
        check.baselines = {name: rouge[name].precision for name in BASELINES}
        checks.append(check)
        if progress and number % 50 == 0:
            progress(f"verify: {number}/{len(judgements)} summaries")
    by_dataset = {
        name: DatasetResult(name, [c for c in checks if c.judgement.dataset == name])
        for name in DATASETS
    }
    return VerifyReport({**by_dataset, "all": DatasetResult("all", checks)})


def verify_markdown(report: VerifyReport) -> str:
    """The tables of ``docs/benchmarks.md``."""
    lines = [
        "| set | n | Spearman | Pearson | faithful summaries passed | mostly unfaithful "
        "(< 0.5) passed | ms / sentence (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in report.datasets.items():
        d = result.to_dict()
        lines.append(
            f"| {name} | {d['n']} | {d['spearman']:.3f} | {d['pearson']:.3f} | "
            f"{percent(d['factual_pass_rate'])} | {percent(d['unfactual_pass_rate'])} | "
            f"{d['ms_per_sentence']:.0f} |"
        )
    lines += ["", "Baselines in the same run (ROUGE precision of the summary against its article):"]
    lines += ["", "| set | ROUGE-1 P Spearman | ROUGE-2 P Spearman | ROUGE-2 P Pearson |"]
    lines += ["|---|---|---|---|"]
    for name, result in report.datasets.items():
        b = result.baselines()
        lines.append(
            f"| {name} | {b['rouge1']['spearman']:.3f} | {b['rouge2']['spearman']:.3f} | "
            f"{b['rouge2']['pearson']:.3f} |"
        )
    kinds = " | ".join(FRANK_ERROR_TYPES)
    lines += ["", "Recall per FRANK error type (share of summaries with that error that fail):"]
    lines += ["", f"| set | {kinds} |", "|---|" + "---|" * len(FRANK_ERROR_TYPES)]
    for name, result in report.datasets.items():
        recall = result.error_recall()
        lines.append(
            f"| {name} | " + " | ".join(percent(recall[k]) for k in FRANK_ERROR_TYPES) + " |"
        )
    return "\n".join(lines)
