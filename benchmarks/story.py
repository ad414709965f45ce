"""Topic briefs keep one story: which articles a topic brief reads, with and without the
story filter (``grounding.story``), over the seed article and three AllSides stories.

The store holds the seed (North Korean troops in Russia) and the three outlets' articles of
AllSides stories 5643 (China-Taiwan military tensions), 5695 (the AUKUS submarine deal, China
and France) and 5685 (Canada's election), embedded with MiniLM. Each query's brief is built
twice: as the product does it, and with the filter switched off (every article that clears
``brief_article_floor``, as before the filter). An article counts as on topic when it belongs
to the story the query is about.

    .venv/bin/python benchmarks/story.py [--data ../shared/data] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import ROOT, SHARED_DATA, machine, stamp, write_section
from ui import allsides_story, build_store

import briefbot.grounding.scope as scope
from briefbot import Article, Briefbot, Settings

SEEDS = ROOT / "seeds"
TITLE = "Topic briefs: one story (seed + AllSides, MiniLM)"
STORIES = {"taiwan": 5643, "aukus": 5695, "canada": 5685}
QUERIES = [
    ("Taiwan China tensions", "taiwan"),
    ("China military flights near Taiwan", "taiwan"),
    ("North Korean troops in Russia", "seed"),
    ("Trudeau election result", "canada"),
]


TITLES: dict[str, str] = {}
"""Title of each AllSides article in the store -> its story's name."""


def story_of(article: Article) -> str:
    return TITLES.get(article.title, "seed")


def briefed(bot: Briefbot, query: str, filtered: bool) -> list[Article]:
    keep = scope.split_story
    if not filtered:
        scope.split_story = lambda _query, ranked: (list(ranked), [])
    try:
        brief = bot.brief(query=query)
    finally:
        scope.split_story = keep
    return [bot.article(i) for i in brief.article_ids]


def label(article: Article) -> str:
    return article.source or "seed (no outlet)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--no-write", action="store_true", help="Do not touch docs/benchmarks.md.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefbot-story-") as folder:
        work = Path(folder)
        for name, story in STORIES.items():
            TITLES.update(dict.fromkeys(allsides_story(args.data, story, work / name), name))
        store = build_store(work / "store", [SEEDS, *(work / name for name in STORIES)])
        bot = Briefbot.open(settings=Settings(store_path=store, _env_file=None))  # type: ignore[call-arg]
        rows = []
        totals = {True: [0, 0], False: [0, 0]}  # on topic, off topic
        for query, story in QUERIES:
            cells = []
            for filtered in (False, True):
                read = briefed(bot, query, filtered)
                off = [a for a in read if story_of(a) != story]
                totals[filtered][0] += len(read) - len(off)
                totals[filtered][1] += len(off)
                shown = ", ".join(label(a) for a in read if story_of(a) == story)
                if off:
                    shown += "; **off topic:** " + ", ".join(label(a) for a in off)
                cells.append(shown)
            rows.append(f"| {query} | {cells[0]} | {cells[1]} |")
    body = "\n".join(
        [
            f"Machine: {machine()}. Run: {stamp()}.",
            "",
            "Command: `python benchmarks/story.py` (seed article plus the three outlets' "
            "articles of AllSides stories 5643, 5695 and 5685, about 90 words each; MiniLM; "
            "extractive briefs; the articles each topic brief read, best match first).",
            "",
            "| topic | floor only (before) | story filter (now) |",
            "|---|---|---|",
            *rows,
            "",
            f"Articles on the query's story / off it: floor only {totals[False][0]} / "
            f"{totals[False][1]}, story filter {totals[True][0]} / {totals[True][1]}. "
            "The off-topic articles a floor of cosine similarity lets in share the region or "
            "the vocabulary of conflict, not the story's names (Taiwan, North Korea, Trudeau); "
            "the brief now names what it left out.",
        ]
    )
    print(body)
    if not args.no_write:
        write_section(TITLE, body)


if __name__ == "__main__":
    main()
