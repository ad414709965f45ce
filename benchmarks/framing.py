"""Framing analysis on BASIL and NeuS: loaded-term precision/recall beside a VADER baseline.

Usage: .venv/bin/python benchmarks/framing.py [--data ../shared/data] [--embedder minilm]
Writes the "Framing" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA, machine, stamp, write_section

from briefbot.backends.embedders import create_embedder
from briefbot.evals.datasets import load_allsides, load_basil
from briefbot.evals.framing import evaluate_basil, evaluate_neus, render_markdown
from briefbot.framing.lexicons import load_lexicon
from briefbot.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--embedder", default="minilm", help="'none' skips the omission metric")
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    settings = Settings()
    lexicon = load_lexicon(settings.framing_lexicon_dir)
    started = time.perf_counter()
    lexical = evaluate_basil(load_basil(args.data / "basil"), lexicon)
    lexical_s = time.perf_counter() - started
    aligner = None
    if args.embedder != "none":
        aligner = create_embedder(settings.model_copy(update={"embedder": args.embedder}))
    started = time.perf_counter()
    basil = evaluate_basil(
        load_basil(args.data / "basil"), lexicon, aligner, settings.framing_similarity
    )
    aligned_s = time.perf_counter() - started
    started = time.perf_counter()
    neus = evaluate_neus(load_allsides(args.data / "neus" / "allsides_stories.jsonl"), lexicon)
    neus_s = time.perf_counter() - started
    assert lexical.lex == basil.lex
    table = render_markdown(basil, neus)
    print(table)
    body = (
        f"Machine: {machine()}. Run: {stamp()}.\n\n"
        f"Command: `.venv/bin/python benchmarks/framing.py --embedder {args.embedder}` "
        f"(the same figures: `briefbot eval framing --embedder {args.embedder}`).\n\n"
        f"Offline analyzer, no embedder needed for the lexical metrics: BASIL analysed in "
        f"{lexical_s:.1f} s, with triplet alignment ({args.embedder}, cosine ≥ "
        f"{settings.framing_similarity}) in {aligned_s:.1f} s; NeuS in {neus_s:.1f} s. "
        "The lexicon is general news vocabulary (docs/lexicons.md), not fitted to BASIL; a "
        "flag counts when it overlaps an annotated span. BASIL annotates few spans "
        "(about 2.6 `lex` per 1,000 words), so precision is low for any lexicon; the baseline "
        "in the same run is the yardstick.\n\n" + table
    )
    if not args.no_write:
        write_section("Framing (BASIL, NeuS)", body)


if __name__ == "__main__":
    main()
