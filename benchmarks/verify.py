"""Support-checker benchmark: agreement with FRANK's human factuality judgements.

    .venv/bin/python benchmarks/verify.py [--data ../shared/data] [--limit N] [--no-write]

Runs the same code as `briefbot eval verify` (briefbot.evals.verify) with the real MiniLM and
writes the "Support checker vs human judges (FRANK)" section of docs/benchmarks.md. Targets
(issue 14): Spearman >= 0.60 on CNN/DM and >= 0.30 on XSum; at most 10% of mostly unfaithful
summaries pass while at least 85% of fully faithful ones do; <= 100 ms per sentence.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA, machine, stamp, write_section

from briefbot import Settings
from briefbot.backends.embedders import MiniLMEmbedder
from briefbot.evals.verify import evaluate_verify, verify_markdown

TITLE = "Support checker vs human judges (FRANK)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--limit", type=int, default=None, help="First N judged summaries.")
    parser.add_argument("--no-write", action="store_true", help="Do not update the docs.")
    args = parser.parse_args()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    started = time.perf_counter()
    report = evaluate_verify(args.data, MiniLMEmbedder(), settings, args.limit, progress=print)
    elapsed = time.perf_counter() - started
    table = verify_markdown(report)
    print(table)
    print(json.dumps(report.to_dict(), indent=1))
    if args.no_write:
        return
    limit = f" --limit {args.limit}" if args.limit else ""
    body = (
        f"Command: `python benchmarks/verify.py{limit}` (real all-MiniLM-L6-v2; "
        f"whole run {elapsed:.0f} s). Same code as "
        "`briefbot eval verify --data ../shared/data`.\n\n"
        f"Machine: {machine()}. Run: {stamp()}.\n\n"
        "Each FRANK system summary is split into sentences; each sentence cites every chunk of "
        "its article; the product verifier checks each. A summary's score is the mean support "
        "score of its sentences; it passes when every sentence is supported at the shipped "
        "threshold. Faithful = human Factuality 1.0; mostly unfaithful = below 0.5.\n\n" + table
    )
    write_section(TITLE, body)


if __name__ == "__main__":
    main()
