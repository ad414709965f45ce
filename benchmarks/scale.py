"""Store and index costs as the store grows: bulk ingest, ingest 10 more, search, reopen.

A hashing embedder (a bag of hashed words, no model) stands in for MiniLM, so the figures are
the costs of chunking, de-duplication, the Chroma writes and the keyword index, not of the
model; the embedder's own time is measured and taken out of the per-article overhead. Each
synthetic article is 40 real sentences drawn from the RealTimeQA search results. Every size
runs in its own process (so its max RSS is its own), and the reopen in another one, as an app
that starts on an existing store.

    python benchmarks/scale.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from report import SHARED_DATA, machine, stamp, write_section

from briefbot import Briefbot, Settings
from briefbot.backends.embedders import Vectors
from briefbot.models import Article, article_id_for
from briefbot.text.sentences import split_sentences

SENTENCES_PER_ARTICLE = 40
BATCH = 1000
QUERIES = 40
_TOKEN = re.compile(r"\w+|[^\w\s]")


class HashingEmbedder:
    """Hashed bag of lower-cased words (256 dimensions): a stand-in with no model cost."""

    name = "hashing:bow-256"
    dimension = 256
    max_tokens = 256

    def __init__(self) -> None:
        self.seconds = 0.0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN.findall(t)) for t in texts]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]

    def embed(self, texts: Sequence[str]) -> Vectors:
        start = time.perf_counter()
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.casefold()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        self.seconds += time.perf_counter() - start
        return vectors / norms


def sentence_pool() -> list[str]:
    pool: list[str] = []
    for path in sorted((SHARED_DATA / "realtimeqa").glob("*_gcs.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for result in json.loads(line).get("search_result", []):
                text = result.get("text") or ""
                for span in split_sentences(text):
                    sentence = text[span.start : span.end].strip()
                    if 40 <= len(sentence) <= 400:
                        pool.append(sentence)
    return sorted(set(pool))


def articles(pool: list[str], count: int, seed: int, offset: int = 0) -> list[Article]:
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    made = []
    for index in range(offset, offset + count):
        sentences = rng.sample(pool, SENTENCES_PER_ARTICLE)
        text = "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))
        made.append(
            Article(
                id=article_id_for(text),
                key=f"scale#{index}",
                title=f"Scale article {index}",
                source=("Wire", "Gazette", "Courier")[index % 3],
                text=text,
                published=start + timedelta(hours=index % 17000),
            )
        )
    return made


def settings_for(store: Path) -> Settings:
    return Settings(store_path=store, _env_file=None)  # type: ignore[call-arg]


def queries(pool: list[str], seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(s.split()[:8]) for s in rng.sample(pool, QUERIES)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_one(size: int, store: Path) -> dict[str, Any]:
    """Bulk ingest ``size`` articles, then 10 more, then searches; in this process."""
    pool = sentence_pool()
    embedder = HashingEmbedder()
    bot = Briefbot.open(settings=settings_for(store), embedder=embedder)
    bulk = articles(pool, size, seed=size)
    start, cpu = time.perf_counter(), time.process_time()
    for part in range(0, size, BATCH):
        report = bot.ingest_articles(bulk[part : part + BATCH])
        assert not report.skipped, report.skipped
    bulk_s, bulk_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    bulk_embed_s = embedder.seconds
    added = bot.article_count()

    more = articles(pool, 10, seed=size + 1, offset=size)
    embedder.seconds = 0.0
    start = time.perf_counter()
    bot.ingest_articles(more)
    more_s = time.perf_counter() - start
    update = bot.bm25.last_update

    times, lexical_times = [], []
    for query in queries(pool, seed=size + 2):
        start = time.perf_counter()
        assert bot.search(query, 5)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        bot.bm25.search(query, 50)
        lexical_times.append(time.perf_counter() - start)
    lexical_bytes = sum(p.stat().st_size for p in bot.bm25.root.rglob("*") if p.is_file())
    return {
        "size": size,
        "articles": added,
        "chunks": bot.store.count_chunks(),
        "bulk_s": bulk_s,
        "bulk_embed_s": bulk_embed_s,
        "bulk_cpu_s": bulk_cpu_s,
        "more_s": more_s,
        "more_update": [update.kind, update.articles] if update else None,
        "search_p50_ms": 1000 * statistics.median(times),
        "search_p95_ms": 1000 * percentile(times, 0.95),
        "lexical_p50_ms": 1000 * statistics.median(lexical_times),
        "lexical_bytes": lexical_bytes,
        "builds": bot.bm25.builds,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_reopen(store: Path, query: str) -> dict[str, Any]:
    """Open the store as a starting app does and search it once."""
    start = time.perf_counter()
    bot = Briefbot.open(settings=settings_for(store), embedder=HashingEmbedder())
    bot.search(query, 5)
    return {
        "reopen_s": time.perf_counter() - start,
        "reopen_update": bot.bm25.last_update.kind if bot.bm25.last_update else None,
        "reopen_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| articles | chunks | bulk ingest overhead per article, wall / CPU (embedding out) "
        "| ingest 10 more | search p50 / p95 (hybrid) | keyword search p50 "
        "| reopen + first search | max RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        overhead_ms = 1000 * (r["bulk_s"] - r["bulk_embed_s"]) / r["size"]
        cpu_ms = 1000 * (r["bulk_cpu_s"] - r["bulk_embed_s"]) / r["size"]
        lines.append(
            f"| {r['articles']:,} | {r['chunks']:,} | {overhead_ms:.1f} / {cpu_ms:.1f} ms "
            f"| {r['more_s']:.2f} s | {r['search_p50_ms']:.0f} / {r['search_p95_ms']:.0f} ms "
            f"| {r['lexical_p50_ms']:.1f} ms | {r['reopen_s']:.2f} s "
            f"| {r['max_rss_mib']:,.0f} MiB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=None, help="Where the stores go (wiped).")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reopen", type=str, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.store)))
        return
    if args.reopen:
        print(json.dumps(run_reopen(args.store, args.reopen)))
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="briefbot-scale-"))
    query = queries(sentence_pool(), seed=0)[0]
    rows = []
    for size in args.sizes:
        store = work / f"store-{size}"
        shutil.rmtree(store, ignore_errors=True)
        started = time.perf_counter()
        row = child("--one", str(size), "--store", str(store))
        row |= child("--reopen", query, "--store", str(store))
        row["wall_s"] = time.perf_counter() - started
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    sizes = " ".join(str(s) for s in args.sizes)
    body = f"""{stamp()}; {machine()}.

Command: `python benchmarks/scale.py --sizes {sizes}`. Embedder: a hashing bag of words (256
dimensions, no model), so these are the costs of chunking, de-duplication, Chroma and the
keyword index; its own time is taken out of the overhead column. Each article is 40 real
sentences drawn from the RealTimeQA search results; articles are ingested in calls of
{BATCH:,}, then 10 more in one call. Searches: {QUERIES} queries of 8 words, `Briefbot.search`
(hybrid, k 5) and the keyword index alone (k 50). Reopen: a new process opens the store and
searches once. Max RSS: the process that ingested and searched. CPU: the process's CPU time
(every thread, Chroma's too), which the machine's other load does not inflate.

{table(rows)}

Ingest 10 more: the keyword index applied {", ".join(str(r["more_update"]) for r in rows)}
(kind, articles) and was built {", ".join(str(r["builds"]) for r in rows)} time(s) per run;
on reopen it was {", ".join(str(r["reopen_update"]) for r in rows)}. Keyword index on disk:
{", ".join(f"{r['lexical_bytes'] / 2**20:.0f} MiB" for r in rows)}. Wall time per size:
{", ".join(f"{r['wall_s']:.0f} s" for r in rows)}.
"""
    print(body)
    write_section("Scale (hashing embedder): ingest, search and reopen as the store grows", body)


if __name__ == "__main__":
    main()
