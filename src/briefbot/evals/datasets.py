"""Loaders that turn public evaluation sets into briefbot articles and questions.

The data lives outside the project (``../shared/data``); paths are always arguments.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, Field

from briefbot.errors import SourceError
from briefbot.ingest.loaders import make_article
from briefbot.models import Article


class QAItem(BaseModel):
    """A question with the strings that count as its answer (any one, case-insensitive)."""

    id: str
    question: str
    answers: list[str]
    asked: datetime | None = Field(default=None, description="When the question was asked.")
    result_ids: list[str] = Field(
        default_factory=list,
        description="Ids of the articles a search returned for this question (RealTimeQA).",
    )


class RGBItem(QAItem):
    """An RGB question with its supporting, non-answering and counterfactual snippets."""

    fake_answers: list[str] = Field(default_factory=list)
    positive: list[str]
    negative: list[str]
    positive_wrong: list[str] = Field(default_factory=list)


class RealTimeQA(BaseModel):
    """The pooled corpus of every question's search results, and the questions."""

    articles: list[Article]
    questions: list[QAItem]
    skipped: int = Field(default=0, description="Search results that are not articles.")


def _jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        location = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(location, f"invalid JSON: {exc.msg}") from exc
        if not isinstance(record, dict):
            raise SourceError(location, "expected a JSON object")
        yield location, record


def _require_dir(path: Path, pattern: str) -> list[Path]:
    files = sorted(path.glob(pattern))
    if not files:
        raise SourceError(
            str(path), f"no {pattern} files; pass the data folder, e.g. ../shared/data/realtimeqa"
        )
    return files


def load_realtimeqa(folder: Path) -> RealTimeQA:
    """``*_qa.jsonl`` questions (gold = ``choices[answer[0]]``, asked on ``question_date``)
    and the pooled ``*_gcs.jsonl`` search results, each question knowing its own."""
    questions: list[QAItem] = []
    for path in _require_dir(folder, "*_qa.jsonl"):
        for location, record in _jsonl(path):
            try:
                gold = record["choices"][int(record["answer"][0])]
                asked = record.get("question_date")
                questions.append(
                    QAItem(
                        id=str(record["question_id"]),
                        question=str(record["question_sentence"]),
                        answers=[str(gold)],
                        asked=(
                            datetime.strptime(str(asked), "%Y/%m/%d").replace(tzinfo=UTC)
                            if asked
                            else None
                        ),
                    )
                )
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise SourceError(location, f"not a RealTimeQA question: {exc!r}") from exc
    articles: list[Article] = []
    results_of: dict[str, list[str]] = {}
    skipped = 0
    for path in _require_dir(folder, "*_gcs.jsonl"):
        for location, record in _jsonl(path):
            own = results_of.setdefault(str(record.get("question_id")), [])
            for result in record.get("search_result") or []:
                url = str(result.get("url") or "") or None
                try:
                    article = make_article(
                        location=location,
                        key=url or f"{location}#{len(articles)}",
                        title=result.get("title") or "",
                        text=result.get("text") or "",
                        source=urlparse(url or "").hostname or "",
                        authors=result.get("authors") or [],
                        published=result.get("publish_date") or None,
                        url=url,
                    )
                except SourceError:
                    skipped += 1
                    continue
                articles.append(article)
                own.append(article.id)
    for item in questions:
        item.result_ids = results_of.get(item.id, [])
    return RealTimeQA(articles=articles, questions=questions, skipped=skipped)


def _strings(value: Any) -> list[str]:
    """RGB answers: a string, a list of strings, or a list of lists of variants."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [str(value)] if value is not None else []


def load_rgb(path: Path) -> list[RGBItem]:
    """``en_fact.jsonl``: one question per line."""
    if not path.is_file():
        raise SourceError(str(path), "no such file; pass e.g. ../shared/data/rgb/en_fact.jsonl")
    items = []
    for location, record in _jsonl(path):
        try:
            items.append(
                RGBItem(
                    id=str(record["id"]),
                    question=str(record["query"]),
                    answers=_strings(record["answer"]),
                    fake_answers=_strings(record.get("fakeanswer")),
                    positive=_strings(record.get("positive")),
                    negative=_strings(record.get("negative")),
                    positive_wrong=_strings(record.get("positive_wrong")),
                )
            )
        except KeyError as exc:
            raise SourceError(location, f"missing field {exc}") from exc
    return items


def rgb_articles(item: RGBItem, kind: str) -> list[Article]:
    """One article per snippet of ``kind`` ('positive', 'negative' or 'positive_wrong').

    Snippets under the loader's 40-character minimum are not articles and are left out.
    """
    snippets: list[str] = getattr(item, kind)
    articles = []
    for index, snippet in enumerate(snippets):
        location = f"rgb:{item.id}:{kind}:{index}"
        try:
            articles.append(
                make_article(
                    location=location,
                    key=location,
                    title=f"RGB {item.id} snippet {kind} {index}",
                    text=snippet,
                    source="rgb",
                )
            )
        except SourceError:
            continue
    return articles
