"""Run every benchmark in sequence (`make bench`); each writes its own section of
docs/benchmarks.md. Needs ../shared/data; takes a long time on 2 cores (about an hour).

    .venv/bin/python benchmarks/run_all.py [--store /tmp/briefbot-bench/rtqa-store]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="/tmp/briefbot-bench/rtqa-store")
    args = parser.parse_args()
    python = sys.executable
    steps = [
        [python, "ingest.py", *map(str, sorted(DATA.glob("realtimeqa/*_gcs.jsonl"))),
         "--store", args.store],
        [python, "qa.py", "--store", args.store],
        [python, "embedders.py", "--store", args.store],
        [python, "load.py", "--store", args.store],
        [python, "briefs.py"],
        [python, "story.py"],
        [python, "verify.py"],
        [python, "framing.py", "--embedder", "minilm"],
        [python, "ui.py"],
    ]  # fmt: skip
    for step in steps:
        print("$", " ".join(step[1:]), flush=True)
        subprocess.run(step, cwd=HERE, check=True)


if __name__ == "__main__":
    main()
