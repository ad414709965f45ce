"""Brief benchmark: ROUGE-1/2/L of extractive briefs next to LEAD-3, support, time per brief.

    .venv/bin/python benchmarks/briefs.py [--data ../shared/data] [--limit N] [--max-words 120]

NeuS (3-article stories vs the AllSides neutral roundup) and FRANK (CNN/DM articles vs their
reference highlights), with the real MiniLM. LEAD-3 (first three sentences of each article,
first sentences first, cut to the same word budget) is computed in the same run. Targets:
extractive brief >= LEAD-3 on ROUGE-2 on both sets, 100% of sentences supported.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA, machine, stamp, write_section

from briefbot import Settings
from briefbot.backends.embedders import MiniLMEmbedder
from briefbot.evals.briefs import iter_failures, run, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--limit", type=int, default=None, help="First N items of each set.")
    parser.add_argument("--offset", type=int, default=0, help="Skip the first N items of each.")
    parser.add_argument("--max-words", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="Do not update the docs.")
    args = parser.parse_args()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    started = time.perf_counter()
    results = run(
        args.data,
        MiniLMEmbedder(),
        settings,
        limit=args.limit,
        offset=args.offset,
        max_words=args.max_words,
    )
    elapsed = time.perf_counter() - started
    rendered = table(results)
    print(rendered)
    for failure in iter_failures(results):
        print("skipped:", failure)
    command = "python benchmarks/briefs.py" + (f" --limit {args.limit}" if args.limit else "")
    if args.offset:
        command += f" --offset {args.offset}"
    if args.max_words:
        command += f" --max-words {args.max_words}"
    verdicts = []
    for r in results:
        brief, lead = r.mean(r.brief, "rouge2"), r.mean(r.lead, "rouge2")
        verdicts.append(
            f"- {r.name}: ROUGE-2 brief {100 * brief:.2f} vs LEAD-3 {100 * lead:.2f} "
            f"({'meets' if brief >= lead else 'misses'} the target); "
            f"{100 * r.supported_share:.1f}% of sentences supported"
        )
    body = "\n".join(
        [
            f"Machine: {machine()} (`nproc` {os.cpu_count()}, `uname -m` {platform.machine()}); "
            f"{stamp()}.",
            f"Command: `{command}` (real all-MiniLM-L6-v2, budget "
            f"{args.max_words or settings.brief_max_words} words; whole run {elapsed:.0f} s).",
            "",
            rendered,
            "",
            *verdicts,
            "",
            "ROUGE is F1 (rouge-score, stemmed) x 100. NeuS: each 3-article story against the "
            "AllSides neutral roundup; FRANK: the CNN/DM articles against their reference "
            "highlights. LEAD-3 takes the first three sentences of each article, first "
            "sentences first, cut to the same word budget. Briefs are built on the product path "
            "(chunking, passages, extractive selection, verifier) without a store; time per "
            "brief includes embedding and verification. The selection weights in "
            "`src/briefbot/briefs/extractive.py` were chosen on the first 60 items of each set; "
            "`--offset 60` measures on items that played no part in that choice.",
            "",
            "The brief is scored as a reporter pastes it: copied sentences in quotation marks, "
            "credited to their outlet (the eval's articles are named `outlet 1`, `outlet 2`, … so "
            "each credit is three words: “…,” outlet 1 reported). The credits add words and take "
            "none away, so ROUGE recall cannot fall; F1 falls by their share of the length. "
            "Before the credits (commit 0b4b27d, same command): NeuS ROUGE-2 "
            "15.97, FRANK 18.67.",
        ]
    )
    if not args.no_write:
        title = "Briefs (ROUGE vs LEAD-3)"
        write_section(title + (f", items from {args.offset}" if args.offset else ""), body)


if __name__ == "__main__":
    main()
