"""QA benchmark: RealTimeQA recall@5 (hybrid, dense, BM25 vs oracle), RGB, answer accuracy, latency.

    .venv/bin/python benchmarks/qa.py [--data ../shared/data] [--store DIR] [--limit N]

Runs the same code as `briefbot eval qa` (briefbot.evals.qa) with the real MiniLM and writes
its section of docs/benchmarks.md. The headline is leave-one-week-out (every setting chosen on
three weeks, measured on the fourth). Targets (issue 12): hybrid recall@5 >= 0.95 of the
results oracle and above dense and BM25 in every fold; extractive accuracy >= 60% on questions
whose answer is in the corpus; RGB both values shown >= 60%, fake alone <= 5%; retrieval p95
<= 50 ms, extractive `ask` p95 <= 250 ms.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA, machine, stamp, write_section

from briefbot import Settings
from briefbot.evals.qa import run_qa

SECTION = "Question answering: retrieval and answers (RealTimeQA, RGB)"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="briefbot-qa-"))
    try:
        run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path) -> None:
    """Stores without ``--store`` live in ``work`` (removed afterwards)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument(
        "--store", type=Path, default=None, help="RealTimeQA store to build or reuse."
    )
    parser.add_argument("--limit", type=int, default=None, help="First N RealTimeQA questions.")
    parser.add_argument("--no-answers", action="store_true", help="Skip `ask`.")
    parser.add_argument("--no-rgb", action="store_true")
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="torch.set_num_threads before running."
    )
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)

    started = time.perf_counter()
    settings = Settings()
    report = run_qa(
        args.data,
        args.store or work / "rtqa-store",
        settings,
        work,
        answers=not args.no_answers,
        limit=args.limit,
        rgb=not args.no_rgb,
        progress=lambda m: print(m, file=sys.stderr),
    )
    rtqa = report.realtimeqa
    command = " ".join(["python", "benchmarks/qa.py", *map(shlex.quote, sys.argv[1:])])
    text = "\n\n".join(
        [
            f"{stamp()}; {machine()}; embedder {report.embedder}; retriever settings: "
            f"candidates {settings.retrieval_candidates} per retriever, RRF k {settings.rrf_k}, "
            f"MMR lambda {settings.mmr_lambda}, duplicate chunk cosine "
            f"{settings.chunk_duplicate_threshold}, recency prior weight "
            f"{settings.recency_weight} with half-life {settings.recency_half_life_days} days; "
            f"relevance floor {settings.relevance_floor}.",
            f"Command: `{command}` ({time.perf_counter() - started:.0f} s, {rtqa.ingest_note}).",
            "Definitions: recall@k = the gold answer string occurs (as whole words, ignoring "
            "case, punctuation and quote styles) in the top-k chunk texts; corpus oracle = it "
            "occurs anywhere in the pooled corpus (the issue's definition); results oracle = it "
            "occurs in the question's own search results (the data README's); every question "
            "is asked as of its `question_date`, which the recency prior counts ages from; "
            "accuracy = it occurs "
            "in the text of the answer `Briefbot.ask` gives (extractive engine, no LLM); the "
            "relevance floor line counts questions whose retrieval clears "
            "`Settings.relevance_floor` (those that do not are refused). Latencies are per call, "
            "in one process, while other work shared the 2 cores.",
            *report.sections,
        ]
    )
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
