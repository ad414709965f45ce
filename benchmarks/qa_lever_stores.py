"""Build the RealTimeQA stores the retrieval levers are judged on (benchmarks/qa_levers.py).

    .venv/bin/python benchmarks/qa_lever_stores.py STORE [--context] [key=value ...]

``key=value`` are Settings fields (``chunk_max_tokens=128`` for smaller chunks). ``--context``
is the "contextual retrieval" experiment: each chunk is embedded with its article's title,
outlet and date on a line before it (the stored chunk text, offsets and quotes unchanged).
MiniLM reads 256 word pieces, so with full-size chunks the context pushes a chunk's last
words out of what the model sees. It was measured and dropped (docs/benchmarks.md), so it
lives here as an experiment, not as a setting of the product.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SHARED_DATA

from briefbot import Briefbot, Settings
from briefbot.evals.datasets import load_realtimeqa
from briefbot.ingest import ingestor
from briefbot.models import Article


def context_of(article: Article) -> str:
    """``Title (outlet, 5 January 2023)``: what the chunk is embedded with."""
    meta = ", ".join(article.outlets)
    if article.published:
        day = f"{article.published:%d %B %Y}"
        meta = f"{meta}, {day}" if meta else day
    return f"{article.title.strip()} ({meta})" if meta else article.title.strip()


def embed_with_context() -> None:
    """Make the ingestor embed each chunk after its article's context line."""
    original = ingestor.Ingestor._embed_and_store

    def patched(self: Any, pending: Any, index: Any, report: Any) -> None:
        real = self.embedder.embed
        for item in pending:
            item.chunks = self.chunks_of(item.article)
        texts = [context_of(i.article) + "\n" + c.text for i in pending for c in i.chunks]
        vectors = real(texts) if texts else np.zeros((0, self.embedder.dimension), np.float32)
        self.chunks_of = lambda article: next(i.chunks for i in pending if i.article is article)
        self.embedder.embed = lambda _texts: vectors
        try:
            original(self, pending, index, report)
        finally:
            self.embedder.embed = real
            del self.chunks_of

    ingestor.Ingestor._embed_and_store = patched  # type: ignore[method-assign]


def main() -> None:
    store, *options = sys.argv[1:]
    if "--context" in options:
        embed_with_context()
    updates = dict(o.split("=", 1) for o in options if "=" in o)
    data = load_realtimeqa(SHARED_DATA / "realtimeqa")
    bot = Briefbot.open(store=store, settings=Settings(**updates))
    started = time.perf_counter()
    report = bot.ingest_articles(data.articles)
    print(f"{report.summary()} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
