"""Shared helpers for benchmark scripts: machine facts and docs/benchmarks.md sections."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "docs" / "benchmarks.md"
SHARED_DATA = ROOT.parent / "shared" / "data"
HEADER = (
    "# Benchmarks\n\nEach section is written by the script named in it; rerun the command to "
    "reproduce. Figures are medians/ratios measured within one run on a shared 2-core machine.\n"
)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = cpu
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores ({model}), {mem_gib:.0f} GiB RAM"


def stamp() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or 'uncommitted'}"


def write_section(title: str, body: str) -> None:
    """Replace (or append) the ``## title`` section of docs/benchmarks.md."""
    BENCHMARKS_MD.parent.mkdir(parents=True, exist_ok=True)
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else HEADER
    section = f"## {title}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    BENCHMARKS_MD.write_text(text)
