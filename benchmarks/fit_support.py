"""Fit the support checker's calibrated model on FRANK's human judgements (dev split).

    .venv/bin/python benchmarks/fit_support.py [--data ../shared/data] [--features a,b,...]
        [--folds 5] [--seeds 5] [--no-write]

Each FRANK summary sentence is checked, as ``briefbot eval verify`` checks it, against every
chunk of its article; its features come from ``SupportChecker.features``. A logistic regression
on standardised features is fitted with soft labels (a sentence counts as supported with the
weight of its summary's human Factuality, unsupported with the rest), and the operating
threshold is the one that passes the most fully faithful summaries while at most 10% of mostly
unfaithful ones pass (a summary passes when every sentence is supported: score at the
threshold and no number, date or name missing).

Every figure printed is held out: cross-validation grouped by article (no article's summaries
on both sides), fits and thresholds chosen on the training folds only, repeated over several
fold seeds. With no ``--no-write``, the model refitted on the whole dev split is written to
``src/briefbot/grounding/support_model.json`` with its held-out figures and this command.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import GroupKFold  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA, machine

from briefbot import Settings
from briefbot.backends.embedders import MiniLMEmbedder
from briefbot.evals.datasets import load_frank_judgements
from briefbot.evals.stats import spearman
from briefbot.evals.verify import UNFAITHFUL_BELOW, passages_of
from briefbot.grounding.support import FEATURES, SupportChecker
from briefbot.text.facts import Facts
from briefbot.text.sentences import split_sentences

MODEL_PATH = Path(__file__).resolve().parents[1] / "src/briefbot/grounding/support_model.json"
SHIPPED = ("novel_words", "novel_numbers", "span_pair_novel", "pair_novel", "cos_max")
MAX_UNFAITHFUL_PASS = 0.10
Floats = npt.NDArray[np.float64]


@dataclass
class Table:
    """One row per summary sentence."""

    features: Floats  # sentences x FEATURES
    blocked: npt.NDArray[np.bool_]  # a number, date or name of the sentence is missing
    summary: npt.NDArray[np.int64]  # index of the sentence's summary
    factuality: Floats  # per summary
    dataset: list[str]  # per summary
    article: list[str]  # per summary


def extract(data: Path, limit: int | None) -> Table:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    embedder = MiniLMEmbedder()
    judgements = load_frank_judgements(data / "frank", limit)
    rows: list[list[float]] = []
    blocked: list[bool] = []
    owner: list[int] = []
    checker = SupportChecker(embedder)
    parts: dict[str, list[str]] = {}
    for number, judgement in enumerate(judgements):
        if judgement.article_hash not in parts:
            passages = passages_of(
                judgement.article_hash[:16], judgement.article, embedder, settings
            )
            parts[judgement.article_hash] = [p.text for p in passages]
        premise = checker.premise(parts[judgement.article_hash])
        sentences = [s.text for s in split_sentences(judgement.summary)] or [judgement.summary]
        for sentence in sentences:
            features, _, _ = checker.features(sentence, premise)
            rows.append([features[name] for name in FEATURES])
            blocked.append(bool(Facts.of(sentence).missing_from(premise.text)))
            owner.append(number)
        if number % 100 == 0:
            print(f"features: {number}/{len(judgements)} summaries", file=sys.stderr)
    return Table(
        np.array(rows),
        np.array(blocked),
        np.array(owner),
        np.array([j.factuality for j in judgements]),
        [j.dataset for j in judgements],
        [j.article_hash for j in judgements],
    )


@dataclass
class Fit:
    weights: dict[str, float]
    bias: float
    threshold: float

    def scores(self, table: Table, names: list[str]) -> Floats:
        columns = [FEATURES.index(n) for n in names]
        z = self.bias + table.features[:, columns] @ np.array([self.weights[n] for n in names])
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _summary_views(
    table: Table, sentence_scores: Floats, threshold: float
) -> tuple[Floats, npt.NDArray[np.bool_]]:
    """Each summary's mean score, and whether every sentence of it is supported."""
    n = len(table.factuality)
    total = np.bincount(table.summary, weights=sentence_scores, minlength=n)
    count = np.bincount(table.summary, minlength=n)
    ok = (sentence_scores >= threshold) & ~table.blocked
    failed = np.bincount(table.summary, weights=(~ok).astype(float), minlength=n)
    return total / np.maximum(count, 1), failed == 0


def fit(table: Table, names: list[str], summaries: npt.NDArray[np.int64]) -> Fit:
    keep = np.isin(table.summary, summaries)
    x = table.features[keep][:, [FEATURES.index(n) for n in names]]
    factuality = table.factuality[table.summary[keep]]
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    standard = (x - mean) / std
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(
        np.vstack([standard, standard]),
        np.r_[np.ones(len(x)), np.zeros(len(x))],
        sample_weight=np.r_[factuality, 1.0 - factuality],
    )
    coefficients = model.coef_[0] / std
    bias = float(model.intercept_[0] - (model.coef_[0] * mean / std).sum())
    result = Fit(dict(zip(names, map(float, coefficients), strict=True)), bias, 0.5)
    result.threshold = operating_point(table, names, result, summaries)
    return result


def operating_point(
    table: Table, names: list[str], model: Fit, summaries: npt.NDArray[np.int64]
) -> float:
    """The threshold passing most faithful summaries with <= 10% of unfaithful ones passing."""
    scores = model.scores(table, names)
    faithful = np.isin(np.arange(len(table.factuality)), summaries) & (table.factuality == 1.0)
    unfaithful = np.isin(np.arange(len(table.factuality)), summaries) & (
        table.factuality < UNFAITHFUL_BELOW
    )
    best, best_pass = 1.0, -1.0
    for threshold in np.round(np.arange(0.05, 0.96, 0.005), 3):
        _, passed = _summary_views(table, scores, float(threshold))
        if passed[unfaithful].mean() <= MAX_UNFAITHFUL_PASS and passed[faithful].mean() > best_pass:
            best, best_pass = float(threshold), float(passed[faithful].mean())
    return best


def held_out(table: Table, names: list[str], folds: int, seed: int) -> dict[str, dict[str, float]]:
    """Cross-validated figures: every summary scored by a model that never saw its article."""
    articles = sorted(set(table.article))
    rng = np.random.default_rng(seed)
    group_of = {a: int(g) for a, g in zip(articles, rng.permutation(len(articles)), strict=True)}
    groups = np.array([group_of[a] for a in table.article])
    summary_score = np.zeros(len(table.factuality))
    passed = np.zeros(len(table.factuality), dtype=bool)
    for train, test in GroupKFold(n_splits=folds).split(table.factuality, groups=groups):
        model = fit(table, names, train)
        scores = model.scores(table, names)
        means, ok = _summary_views(table, scores, model.threshold)
        summary_score[test], passed[test] = means[test], ok[test]
    figures: dict[str, dict[str, float]] = {}
    datasets = np.array(table.dataset)
    for name in ("cnndm", "xsum", "all"):
        keep = np.ones(len(datasets), dtype=bool) if name == "all" else datasets == name
        faithful = keep & (table.factuality == 1.0)
        unfaithful = keep & (table.factuality < UNFAITHFUL_BELOW)
        figures[name] = {
            "n": int(keep.sum()),
            "spearman": spearman(list(summary_score[keep]), list(table.factuality[keep])),
            "factual_pass_rate": float(passed[faithful].mean()),
            "unfactual_pass_rate": float(passed[unfaithful].mean()),
        }
    return figures


def summarise(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in runs[0]:
        out[name] = {
            key: round(float(np.mean([r[name][key] for r in runs])), 4) for key in runs[0][name]
        }
        out[name]["spearman_std"] = round(float(np.std([r[name]["spearman"] for r in runs])), 4)
    return out


def line(label: str, figures: dict[str, dict[str, float]]) -> str:
    c, x, a = figures["cnndm"], figures["xsum"], figures["all"]
    return (
        f"{label:48s} Spearman {c['spearman']:.3f}±{c['spearman_std']:.3f} / "
        f"{x['spearman']:.3f}±{x['spearman_std']:.3f}   pass faithful "
        f"{c['factual_pass_rate']:.2f}/{x['factual_pass_rate']:.2f}/{a['factual_pass_rate']:.2f}"
        f"  unfaithful {c['unfactual_pass_rate']:.2f}/{x['unfactual_pass_rate']:.2f}/"
        f"{a['unfactual_pass_rate']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--features", default=",".join(SHIPPED))
    parser.add_argument("--compare", action="append", default=[], help="Another feature set.")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=None, help="Keep extracted features here.")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.cache and args.cache.exists():
        saved = np.load(args.cache, allow_pickle=True)
        table = Table(
            features=saved["features"],
            blocked=saved["blocked"],
            summary=saved["summary"],
            factuality=saved["factuality"],
            dataset=list(saved["dataset"]),
            article=list(saved["article"]),
        )
    else:
        table = extract(args.data, args.limit)
        if args.cache:
            np.savez(
                args.cache,
                features=table.features,
                blocked=table.blocked,
                summary=table.summary,
                factuality=table.factuality,
                dataset=np.array(table.dataset),
                article=np.array(table.article),
            )
    print(
        f"{len(table.summary)} sentences of {len(table.factuality)} summaries "
        f"({time.perf_counter() - started:.0f} s)"
    )
    names = args.features.split(",")
    candidates = [names, *(c.split(",") for c in args.compare)]
    results = {}
    for candidate in candidates:
        runs = [held_out(table, candidate, args.folds, seed) for seed in range(args.seeds)]
        results[",".join(candidate)] = summarise(runs)
        print(line(",".join(candidate)[:48], results[",".join(candidate)]))
    if args.no_write:
        return
    final = fit(table, names, np.arange(len(table.factuality)))
    command = "python benchmarks/fit_support.py" + (
        f" --features {args.features}" if names != list(SHIPPED) else ""
    )
    model = {
        "weights": {k: round(v, 5) for k, v in final.weights.items()},
        "bias": round(final.bias, 5),
        "threshold": final.threshold,
        "fitted": {
            "command": command,
            "data": "FRANK development split (../shared/data/frank)",
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": machine(),
            "labels": "soft: each sentence weighted by its summary's human Factuality",
            "operating_point": "most faithful summaries passing with <= 10% of mostly "
            "unfaithful ones passing (pooled CNN/DM and XSum)",
            "held_out": f"{args.folds}-fold CV grouped by article, mean of {args.seeds} seeds",
            "figures": results[",".join(names)],
        },
    }
    MODEL_PATH.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
