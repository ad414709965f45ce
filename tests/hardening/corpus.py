"""Small distinct synthetic articles (no near-duplicates), generated from a seed."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

_WORDS = [
    "council",
    "budget",
    "harbour",
    "bridge",
    "school",
    "teachers",
    "strike",
    "hospital",
    "nurses",
    "election",
    "mayor",
    "river",
    "flood",
    "farmers",
    "drought",
    "court",
    "judge",
    "police",
    "station",
    "museum",
    "library",
    "festival",
    "market",
    "railway",
    "station",
    "tunnel",
    "airport",
    "runway",
    "factory",
    "workers",
    "union",
    "wages",
    "housing",
    "rents",
    "tenants",
    "energy",
    "prices",
    "solar",
    "wind",
    "turbines",
    "coast",
    "storm",
    "fishermen",
    "port",
    "ferry",
    "island",
    "tourists",
    "hotel",
    "parliament",
    "minister",
    "report",
    "inquiry",
    "audit",
    "contract",
    "company",
    "shares",
    "investors",
    "bank",
    "loans",
    "village",
    "road",
    "repairs",
    "cables",
    "engineers",
    "water",
    "supply",
    "pipes",
    "ministry",
    "health",
    "vaccine",
    "clinic",
]
OUTLETS = ("Harbour Times", "Valley Post", "City Wire")


def article_records(count: int, seed: int = 7, sentences: int = 9) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for index in range(count):
        body = []
        for _ in range(sentences):
            words = rng.sample(_WORDS, 12)
            body.append(" ".join(words).capitalize() + f" in district {rng.randint(1, 999)}.")
        records.append(
            {
                "id": f"a{index:03d}",
                "title": f"Story {index}: {' '.join(rng.sample(_WORDS, 4))}",
                "text": "\n\n".join(" ".join(body[i : i + 3]) for i in range(0, sentences, 3)),
                "source": OUTLETS[index % len(OUTLETS)],
                "published": f"2024-05-{1 + index % 28:02d}T08:00:00Z",
            }
        )
    return records


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
