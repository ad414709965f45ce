"""Retrieval levers on RealTimeQA, each judged leave-one-week-out (issue 12).

    .venv/bin/python benchmarks/qa_levers.py --variant NAME=STORE[:key=value,...] ... [--data DIR]

Each variant is a RealTimeQA store (built or reused: ingest is idempotent) opened with the
settings given after the colon, e.g. ``chunks-128=/tmp/c128:chunk_max_tokens=128``; a store
built some other way (an experiment) is named by its path alone. Every variant gets the same
leave-one-week-out selection as `briefbot eval qa` (briefbot.evals.crossval): the fusion and
recency settings chosen on three weeks, measured on the fourth, extractive answers asked on
the held-out week. The table goes to its section of docs/benchmarks.md, with the notes given
by ``--note NAME=TEXT`` (how a store was built, kept or dropped).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA, machine, stamp, write_section

from briefbot import Briefbot, Settings
from briefbot.evals.crossval import CrossValidation, leave_one_week_out
from briefbot.evals.datasets import load_realtimeqa
from briefbot.evals.stats import share

SECTION = "Question answering: retrieval levers, leave one week out (RealTimeQA)"


def parse_variant(text: str) -> tuple[str, Path, dict[str, Any]]:
    name, _, rest = text.partition("=")
    path, _, options = rest.partition(":")
    updates: dict[str, Any] = {}
    for pair in filter(None, options.split(",")):
        key, _, value = pair.partition("=")
        updates[key] = value
    return name, Path(path), updates


def row(name: str, cv: CrossValidation, note: str) -> str:
    right, oracle = cv.answers_on_oracle() or (0, 0)
    return (
        f"| {name} | {cv.mean('hybrid'):.1%} | {cv.worst('hybrid'):.1%} "
        f"| {cv.mean('dense'):.1%} | {cv.mean('bm25'):.1%} "
        f"| {cv.mean('hybrid', True):.2f} | {cv.worst('hybrid', True):.2f} "
        f"| {cv.hybrid_leads()}/{len(cv.folds)} | {share(right, oracle)} | {note} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--note", action="append", default=[])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Take a variant's row from STORE.lever.md when an earlier run left one.",
    )
    args = parser.parse_args()
    notes = dict(n.partition("=")[::2] for n in args.note)
    data = load_realtimeqa(args.data / "realtimeqa")
    started = time.perf_counter()
    rows = []
    embedder = None
    for text in args.variant:
        name, path, updates = parse_variant(text)
        saved = path.with_name(path.name + ".lever.md")
        if args.reuse and saved.exists():
            cells = saved.read_text().strip().rstrip("|").split(" | ")
            rows.append(" | ".join([*cells[:-1], notes.get(name, cells[-1].strip())]) + " |")
            continue
        settings = Settings(**updates)
        bot = Briefbot.open(store=path, settings=settings, embedder=embedder)
        embedder = bot.embedder
        report = bot.ingest_articles(data.articles)
        print(f"{name}: {report.summary()}", file=sys.stderr)
        bot.bm25.refresh()
        cv = leave_one_week_out(bot, data, progress=lambda m: print(m, file=sys.stderr))
        rows.append(row(name, cv, notes.get(name, "")))
        saved.write_text(rows[-1] + "\n")
        print(rows[-1], file=sys.stderr)
    command = " ".join(["python", "benchmarks/qa_levers.py", *map(shlex.quote, sys.argv[1:])])
    text = "\n".join(
        [
            f"{stamp()}; {machine()}. Command: `{command}` "
            f"({time.perf_counter() - started:.0f} s).",
            "",
            "Every figure is on held-out weeks: for each of the four weeks, the fusion and "
            "recency settings are chosen on the other three (evals/crossval.py) and measured "
            "on it. Mean and worst over the four folds; of results oracle: the share found "
            "among questions whose own search results hold the answer.",
            "",
            "| variant | hybrid recall@5 mean | worst | dense mean | bm25 mean "
            "| hybrid of results oracle mean | worst | hybrid above both | "
            "answers right on corpus-oracle questions | note |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
