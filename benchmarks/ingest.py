"""Ingest benchmark: cold ingest vs bare embedding of the same chunks, and an unchanged re-ingest.

    .venv/bin/python benchmarks/ingest.py ../shared/data/realtimeqa/*_gcs.jsonl [--store DIR]

RealTimeQA search results are converted on the fly to briefbot's JSONL article format and go
through the product path (`Briefbot.ingest`). Targets: cold ingest <= 1.2x the bare embedding
time; unchanged re-ingest <= 5% of the cold ingest.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import machine, stamp, write_section

from briefbot import Briefbot, Settings


def convert(paths: list[Path], out: Path) -> int:
    """RealTimeQA `*_gcs.jsonl` -> one briefbot JSONL article per search result."""
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for path in paths:
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                for result in record.get("search_result") or []:
                    article = {
                        "id": result.get("url"),
                        "url": result.get("url"),
                        "title": result.get("title") or "",
                        "text": result.get("text") or "",
                        "source": urlparse(result.get("url") or "").hostname or "",
                        "published": result.get("publish_date") or None,
                        "authors": result.get("authors") or [],
                    }
                    handle.write(json.dumps(article, ensure_ascii=False) + "\n")
                    count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--store", type=Path, default=None, help="Store to (re)build (wiped).")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="briefbot-bench-"))
    articles_file = work / "articles.jsonl"
    records = convert(args.paths, articles_file)
    store = args.store or work / "store"
    if store.exists():
        shutil.rmtree(store)
    settings = Settings(store_path=store, _env_file=None)  # type: ignore[call-arg]

    started = time.perf_counter()
    bot = Briefbot.open(settings=settings)
    bot.embedder.embed(["warm-up"])  # load the model outside both timings
    open_s = time.perf_counter() - started

    started = time.perf_counter()
    cold = bot.ingest([articles_file])
    cold_s = time.perf_counter() - started

    chunks = list(bot.store.iter_chunks())
    texts = [c.text for c in chunks]
    started = time.perf_counter()
    bot.embedder.embed(texts)
    bare_s = time.perf_counter() - started

    started = time.perf_counter()
    again = bot.ingest([articles_file])
    again_s = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    embed_tokens = sum(c.embed_tokens for c in chunks)
    llm_tokens = sum(c.llm_tokens for c in chunks)
    rows = [
        ("input records", f"{records}"),
        ("articles stored", f"{bot.store.count_articles()}"),
        (
            "added / duplicates / skipped",
            f"{len(cold.added)} / {len(cold.duplicates)} / {len(cold.skipped)}",
        ),
        ("chunks", f"{len(chunks)}"),
        ("tokens (MiniLM word pieces / cl100k)", f"{embed_tokens:,} / {llm_tokens:,}"),
        ("open store + load model", f"{open_s:.1f} s"),
        ("cold ingest (wall)", f"{cold_s:.1f} s"),
        ("bare embedding of the same chunk texts", f"{bare_s:.1f} s"),
        ("**cold ingest / bare embedding**", f"**{cold_s / bare_s:.2f}x** (target <= 1.2x)"),
        (
            "unchanged re-ingest",
            f"{again_s:.2f} s ({len(again.unchanged)} unchanged, "
            f"{again.chunks_embedded} chunks embedded)",
        ),
        ("**re-ingest / cold ingest**", f"**{100 * again_s / cold_s:.1f}%** (target <= 5%)"),
        ("peak RSS", f"{peak_mib:.0f} MiB"),
    ]
    table = "| measure | value |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    body = (
        f"Machine: {machine()}. Run: {stamp()}.\n\n"
        "Command: `.venv/bin/python benchmarks/ingest.py ../shared/data/realtimeqa/*_gcs.jsonl "
        f"--store {store}`\n\n" + table + "\n\n"
        f"Records not stored as new articles: {len(cold.duplicates)} were another outlet's "
        f"copy of a stored article (outlet recorded), {len(cold.unchanged)} repeated an "
        "article already read "
        "(the same URL found for several questions). Both timings come from the same process, "
        "cold ingest first; the machine is shared, so compare the ratio, not the seconds.\n"
    )
    print(table)
    write_section("Ingest (RealTimeQA, 880 articles)", body)
    print(f"store: {store}")


if __name__ == "__main__":
    main()
