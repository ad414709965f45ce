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
import resource
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
TARGETS = {"briefbot articles": 1.5, "briefbot show ID": 1.5, "briefbot doctor": 1.5}
"""Issue 15: commands that need no model start in under 1.5 s."""


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


def time_command(src: Path, argv: list[str], cwd: Path) -> tuple[float, float]:
    """Seconds from starting a Python process that runs ``briefbot argv`` until it exits, and
    the CPU seconds (user + system) that process used: on a shared machine the wall time
    grows with the load, the CPU time much less."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "OPENAI_"))}
    env.update(
        PYTHONPATH=str(src), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )  # fmt: skip
    run_cli = f"import sys; sys.argv = ['briefbot', *{argv!r}]; from briefbot.cli import main"
    code = "import briefbot.cli" if argv == ["--import-only"] else run_cli + "; main()"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"briefbot {' '.join(argv)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


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
        cpus: dict[tuple[str, str], list[float]] = {}
        loads = [os.getloadavg()[0]]
        for run in range(args.runs):
            for label, argv in commands.items():
                for variant, src in variants.items():
                    seconds, cpu = time_command(src, argv, work)
                    times.setdefault((label, variant), []).append(seconds)
                    cpus.setdefault((label, variant), []).append(cpu)
                    print(
                        f"run {run + 1} {variant:>10} {label:<28} {seconds:6.2f} s "
                        f"(cpu {cpu:5.2f} s)",
                        flush=True,
                    )
            loads.append(os.getloadavg()[0])
        load = os.getloadavg()[0]

    def cell(label: str, variant: str) -> str:
        values = times[(label, variant)]
        return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"

    def cpu_cell(label: str, variant: str) -> str:
        return f"{statistics.median(cpus[(label, variant)]):.2f} s"

    def verdict(label: str) -> str:
        if label not in TARGETS:
            return ""
        median = statistics.median(times[(label, "now")])
        return f"≤ {TARGETS[label]:.1f} s: " + ("met" if median <= TARGETS[label] else "**missed**")

    names = list(variants)
    shown = [f"`{n}`" if n != "now" else "this commit" for n in names]
    header = (
        "| command | "
        + " | ".join(f"{n} wall" for n in shown)
        + " | "
        + " | ".join(f"{n} CPU" for n in shown)
        + " | target (this commit's wall median) |"
    )
    table = header + "\n|---|" + "---|" * (2 * len(names) + 1) + "\n"
    table += "\n".join(
        f"| `{label}` | "
        + " | ".join(cell(label, v) for v in names)
        + " | "
        + " | ".join(cpu_cell(label, v) for v in names)
        + f" | {verdict(label)} |"
        for label in commands
    )
    command = "python benchmarks/cli_start.py" + (
        f" --baseline {args.baseline}" if args.baseline else ""
    )
    body = (
        f"Machine: {machine()}; load average {min(loads):.1f}–{max(loads):.1f} during the run, "
        f"{load:.1f} at the end (the machine is shared). Run: {stamp()}.\n\n"
        f"Command: `{command}` (median of {args.runs} runs, min–max in brackets; each a new "
        "`python -c` process running the CLI's `main` over the seed store embedded with "
        "MiniLM; extractive engine; the columns interleaved run by run; CPU is the process's "
        "user + system time, median).\n\n"
        + table
        + "\n\n`articles`, `show` and `doctor` open the store without loading MiniLM or torch "
        "(the embedder loads on first use) and without importing what only other commands use "
        "(scipy through datasketch or bm25s, the framing analysers, ingest; "
        "`tests/cli/test_start.py` checks both), so they cost the floor plus importing chromadb "
        "(about 0.8 s of CPU with numpy and pydantic, which the floor does not import) and "
        "opening the store; `ask` still loads the model and embeds the question.\n"
    )
    print(table)
    if not args.no_write:
        write_section(TITLE, body)


if __name__ == "__main__":
    main()
