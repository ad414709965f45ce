"""CLI start-up: wall time of whole `briefbot` commands over the seed store, each a new process.

Commands that only read or prune the store (`articles`, `show`, `doctor`) should cost the
import of briefbot and nothing more; `ask` loads MiniLM and torch, so it is the comparison.
The floor is `import briefbot.cli` alone. With `--baseline REV` the same commands also run
on the `src/` of that git revision (extracted to a temporary folder, never checked out), in
the same run and interleaved with the current code, so the two columns share the machine's
load.

    .venv/bin/python benchmarks/cli_start.py [--runs 5] [--baseline REV] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import ROOT, machine, stamp, write_section

from briefbot import Briefbot, Settings

SEEDS = ROOT / "seeds"
QUESTION = "How many engineers is North Korea sending to Russia?"
TITLE = "CLI start (seed store, one process per command)"


def extract_src(revision: str, into: Path) -> Path:
    """``src/`` of ``revision``, written under ``into`` (the work tree is not touched)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "src"], cwd=ROOT, capture_output=True
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive {revision}: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def time_command(src: Path, argv: list[str], cwd: Path) -> float:
    """Seconds from starting a Python process that runs ``briefbot argv`` until it exits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "OPENAI_"))}
    env.update(
        PYTHONPATH=str(src), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )  # fmt: skip
    run_cli = f"import sys; sys.argv = ['briefbot', *{argv!r}]; from briefbot.cli import main"
    code = "import briefbot.cli" if argv == ["--import-only"] else run_cli + "; main()"
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"briefbot {' '.join(argv)} failed:\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="Runs of each command (median).")
    parser.add_argument("--baseline", help="Git revision to time beside the current code.")
    parser.add_argument("--no-write", action="store_true", help="Do not touch docs/benchmarks.md.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefbot-cli-bench-") as folder:
        work = Path(folder)
        store = work / "store"
        settings = Settings(store_path=store, _env_file=None)  # type: ignore[call-arg]
        bot = Briefbot.open(settings=settings)
        bot.ingest([SEEDS])
        [article] = bot.articles()
        del bot
        commands = {
            "import briefbot.cli (floor)": ["--import-only"],
            "briefbot articles": ["articles", "--store", str(store)],
            "briefbot show ID": ["show", article.id, "--store", str(store)],
            "briefbot doctor": ["doctor", "--store", str(store)],
            "briefbot ask QUESTION": ["ask", QUESTION, "--store", str(store)],
        }
        variants = {"now": ROOT / "src"}
        if args.baseline:
            variants = {args.baseline: extract_src(args.baseline, work / "baseline"), **variants}
        times: dict[tuple[str, str], list[float]] = {}
        for run in range(args.runs):
            for label, argv in commands.items():
                for variant, src in variants.items():
                    seconds = time_command(src, argv, work)
                    times.setdefault((label, variant), []).append(seconds)
                    print(f"run {run + 1} {variant:>10} {label:<28} {seconds:6.2f} s", flush=True)
        load = os.getloadavg()[0]

    def cell(label: str, variant: str) -> str:
        values = times[(label, variant)]
        return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"

    names = list(variants)
    header = "| command | " + " | ".join(f"`{n}`" if n != "now" else "this commit" for n in names)
    table = header + " |\n|---|" + "---|" * len(names) + "\n"
    table += "\n".join(
        f"| `{label}` | " + " | ".join(cell(label, v) for v in names) + " |" for label in commands
    )
    command = "python benchmarks/cli_start.py" + (
        f" --baseline {args.baseline}" if args.baseline else ""
    )
    body = (
        f"Machine: {machine()}; load average {load:.1f} at the end (the machine is shared). "
        f"Run: {stamp()}.\n\nCommand: `{command}` (median of {args.runs} runs, min–max in "
        "brackets; each a new `python -c` process running the CLI's `main` over the seed "
        "store embedded with MiniLM; extractive engine; the columns interleaved run by run).\n\n"
        + table
        + "\n\n`articles`, `show` and `doctor` open the store without loading MiniLM or torch "
        "(the embedder loads on first use; `tests/cli/test_start.py` checks it), so they cost "
        "the floor plus opening Chroma; `ask` still loads the model and embeds the question.\n"
    )
    print(table)
    if not args.no_write:
        write_section(TITLE, body)


if __name__ == "__main__":
    main()
