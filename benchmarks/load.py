"""Load benchmark: N concurrent simulated users asking RealTimeQA questions (extractive engine).

    .venv/bin/python benchmarks/load.py --store /tmp/briefbot-bench/rtqa-store \
        [--data ../shared/data] [--users 1,4,16] [--requests 48] [--no-server] [--no-write]

Every user shares one ``Briefbot`` (as Streamlit sessions do) and asks questions back to back.
The store is copied first, so the original is never written. The same run is repeated against
a ``chroma run`` server started on a second copy. Reports throughput and latency percentiles.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA, machine, stamp, write_section

from briefbot import Briefbot, Settings
from briefbot.backends.embedders import Embedder, create_embedder
from briefbot.evals.datasets import load_realtimeqa
from briefbot.evals.stats import median, percentile

SECTION = "Load: concurrent users (extractive answers over RealTimeQA)"
CHROMA = Path(sys.executable).with_name("chroma")


@dataclass
class Level:
    backend: str
    users: int
    requests: int
    errors: int
    wall_s: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_s if self.wall_s else float("nan")


def run_level(
    bot: Briefbot, questions: list[str], users: int, total: int, backend: str, offset: int
) -> Level:
    """``total`` asks spread over ``users`` threads; each thread takes the next question.

    Levels use different questions (``offset``), so no level is served from warm caches.
    """
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(offset, offset + total))

    def user() -> None:
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            started = time.perf_counter()
            try:
                bot.ask(questions[index % len(questions)])
            except Exception as exc:  # a benchmark counts failures instead of stopping
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=user) for _ in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for error in errors[:3]:
        print(f"  error: {error}", file=sys.stderr)
    return Level(backend, users, len(latencies), len(errors), wall, latencies)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    port = _free_port()
    log = (path.parent / "chroma-server.log").open("w")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {process.returncode}; see {log.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def measure(
    bot: Briefbot, questions: list[str], users: list[int], total: int, backend: str
) -> list[Level]:
    for question in questions[-3:]:  # warm up: BM25 load, model
        bot.ask(question)
    levels = []
    for index, n in enumerate(users):
        level = run_level(bot, questions, n, total, backend, index * total)
        print(
            f"{backend:>9} N={n:<3} {level.throughput:6.2f} asks/s  "
            f"p50 {median(level.latencies) * 1000:6.0f} ms  "
            f"p95 {percentile(level.latencies, 95) * 1000:6.0f} ms  errors {level.errors}",
            file=sys.stderr,
        )
        levels.append(level)
    return levels


def markdown(levels: list[Level], command: str, articles: int, chunks: int) -> str:
    rows = [
        "| store | users (N) | asks | errors | throughput (asks/s) | p50 latency (ms) "
        "| p95 latency (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        rows.append(
            f"| {level.backend} | {level.users} | {level.requests} | {level.errors} | "
            f"{level.throughput:.2f} | {median(level.latencies) * 1000:.0f} | "
            f"{percentile(level.latencies, 95) * 1000:.0f} |"
        )
    return "\n".join(
        [
            f"Machine: {machine()}. Run: {stamp()}.",
            f"Command: `{command}`",
            "",
            f"One shared `Briefbot` over the RealTimeQA store ({articles} articles, {chunks} "
            "chunks), extractive engine (no LLM), hybrid retrieval, real MiniLM. Each level sends "
            "the same number of asks from N threads; latency is per ask, throughput is asks "
            "over wall time. 'embedded' is the on-disk Chroma store, 'server' a `chroma run` "
            "server on a copy of it.",
            "",
            *rows,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="A built RealTimeQA store.")
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--users", default="1,4,16")
    parser.add_argument("--requests", type=int, default=40, help="Asks per level.")
    parser.add_argument("--no-server", action="store_true", help="Skip the chroma run server.")
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    users = [int(n) for n in args.users.split(",")]
    questions = [q.question for q in load_realtimeqa(args.data / "realtimeqa").questions]

    work = Path(tempfile.mkdtemp(prefix="briefbot-load-"))
    settings = Settings().model_copy(
        update={"openai_api_key": None, "openai_base_url": None, "chroma_url": None}
    )
    embedder: Embedder = create_embedder(settings)
    embedded = work / "embedded"
    shutil.copytree(args.store, embedded)
    bot = Briefbot.open(store=embedded, settings=settings, embedder=embedder)
    articles, chunks = bot.store.count_articles(), bot.store.count_chunks()
    levels = measure(bot, questions, users, args.requests, "embedded")
    if not args.no_server:
        served = work / "served"
        shutil.copytree(args.store, served)
        shutil.rmtree(served / "lexical", ignore_errors=True)  # the server is not a directory store
        with chroma_server(served) as url:
            server_bot = Briefbot.open(store=url, settings=settings, embedder=embedder)
            levels += measure(server_bot, questions, users, args.requests, "server")
    command = " ".join(["python", "benchmarks/load.py", *map(shlex.quote, sys.argv[1:])])
    text = markdown(levels, command, articles, chunks)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
