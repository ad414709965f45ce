"""Loaders of the public evaluation sets (RealTimeQA, RGB, NeuS and AllSides, FRANK, BASIL)
into briefbot articles, questions and annotated spans.

The data lives outside the project (``../shared/data``); paths are always arguments.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, Field

from briefbot.errors import SourceError
from briefbot.ingest.loaders import make_article
from briefbot.models import Article
from briefbot.text.sentences import Span


class QAItem(BaseModel):
    """A question with the strings that count as its answer (any one, case-insensitive)."""

    id: str
    question: str
    answers: list[str]
    asked: datetime | None = Field(default=None, description="When the question was asked.")
    group: str = Field(
        default="", description="The batch the question came in (RealTimeQA: its week's file)."
    )
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
                        group=path.name.split("_")[0],
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


_NEUS_FIELD = re.compile(r"TITLE=>\s*(?P<title>.*?)\s*ARTICLE=>\s*(?P<body>.*)", re.DOTALL)


@dataclass(frozen=True)
class Item:
    """One evaluation case: source articles and the human reference summary."""

    name: str
    articles: list[tuple[str, str]]  # (title, text)
    reference: str


def _neus_part(part: str) -> tuple[str, str]:
    match = _NEUS_FIELD.match(part.strip())
    if match is None:
        return "", part.strip()
    return match.group("title").strip(), match.group("body").strip()


def _window(items: list[Item], offset: int, limit: int | None) -> list[Item]:
    return items[offset : offset + limit] if limit else items[offset:]


def load_neus(folder: Path, limit: int | None = None, offset: int = 0) -> list[Item]:
    """Stories of ``val.source`` (3 articles split by ``[SEP]``) with ``val.target`` roundups."""
    sources = (folder / "val.source").read_text(encoding="utf-8").splitlines()
    targets = (folder / "val.target").read_text(encoding="utf-8").splitlines()
    items = []
    for index, (source, target) in enumerate(zip(sources, targets, strict=True)):
        articles = [_neus_part(part) for part in source.split("[SEP]") if part.strip()]
        items.append(Item(f"neus-{index}", articles, _neus_part(target)[1]))
    return _window(items, offset, limit)


def load_frank(folder: Path, limit: int | None = None, offset: int = 0) -> list[Item]:
    """CNN/DM articles of FRANK (those with ``*_reference`` highlights)."""
    items = []
    for path in sorted((folder / "articles").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        references = sorted(k for k in data if k.endswith("_reference"))
        if not references or not data.get("article"):
            continue
        reference = str(data.get("bart_reference") or data[references[0]])
        items.append(Item(f"frank-{path.stem[:12]}", [("", str(data["article"]))], reference))
    return _window(items, offset, limit)


@dataclass
class BasilArticle:
    key: str
    triplet: str
    outlet: str
    text: str
    sentences: list[Span]
    lex: list[tuple[int, int]] = field(default_factory=list)
    inf: list[tuple[int, int]] = field(default_factory=list)
    unplaced: int = 0


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(str(path), f"not readable JSON: {exc}") from exc


def _maybe_json(value: Any) -> Any:
    """Some BASIL fields are JSON inside a string."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _basil_text(paragraphs: Any, location: str) -> tuple[str, list[Span]]:
    paragraphs = _maybe_json(paragraphs)
    if not isinstance(paragraphs, list):
        raise SourceError(location, "body-paragraphs is not a list of paragraphs")
    parts: list[str] = []
    spans: list[Span] = []
    position = 0
    for paragraph in paragraphs:
        sentences = _maybe_json(paragraph)
        if isinstance(sentences, str):
            sentences = [sentences]
        if not isinstance(sentences, list):
            continue
        for index, sentence in enumerate(s for s in sentences if isinstance(s, str) and s.strip()):
            separator = (" " if index else "\n\n") if parts else ""
            parts.append(separator + sentence)
            position += len(separator)
            spans.append(Span(position, position + len(sentence), sentence))
            position += len(sentence)
    return "".join(parts), spans


def _place(
    sentences: Sequence[Span], text: str, snippet: str, start: int, end: int
) -> tuple[int, int] | None:
    """Article offsets of an annotation whose offsets are within one sentence."""
    for sentence in sentences:
        if sentence.text[start:end] == snippet:
            return sentence.start + start, sentence.start + end
    found = text.find(snippet) if snippet else -1
    return (found, found + len(snippet)) if found >= 0 else None


def load_basil(folder: Path, limit: int | None = None) -> list[BasilArticle]:
    """Articles with their ``lex``/``inf`` spans in article offsets (unplaceable ones counted)."""
    files = sorted((folder / "articles").glob("*/*.json"))
    if not files:
        raise SourceError(str(folder), "no articles/<year>/*.json; pass ../shared/data/basil")
    articles: list[BasilArticle] = []
    for path in files[:limit] if limit else files:
        record = _json(path)
        text, sentences = _basil_text(record.get("body-paragraphs"), str(path))
        article = BasilArticle(
            key=path.stem,
            triplet=str(record.get("triplet-uuid") or path.stem.rsplit("_", 1)[0]),
            outlet=str(record.get("source", "unknown")).casefold(),
            text=text,
            sentences=sentences,
        )
        annotation = folder / "annotations" / path.parent.name / f"{path.stem}_ann.json"
        if annotation.exists():
            data = _maybe_json(_json(annotation))
            phrases = _maybe_json(data.get("phrase-level-annotations", []))
            for phrase in phrases if isinstance(phrases, list) else []:
                if not isinstance(phrase, dict) or phrase.get("bias") not in ("lex", "inf"):
                    continue
                try:
                    start, end = int(phrase["start"]), int(phrase["end"])
                except (KeyError, TypeError, ValueError):
                    article.unplaced += 1
                    continue
                placed = _place(sentences, text, str(phrase.get("txt", "")), start, end)
                if placed is None:
                    article.unplaced += 1
                elif phrase["bias"] == "lex":
                    article.lex.append(placed)
                else:
                    article.inf.append(placed)
        articles.append(article)
    return articles


def load_allsides(path: Path, limit: int | None = None) -> list[tuple[str, str]]:
    """(lean, body text) for every outlet article of ``allsides_stories.jsonl``."""
    if not path.is_file():
        raise SourceError(str(path), "not found; pass ../shared/data/neus/allsides_stories.jsonl")
    found: list[tuple[str, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines[:limit] if limit else lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}:{number}", f"invalid JSON: {exc.msg}") from exc
        news = record.get("news") if isinstance(record, dict) else None
        for lean, item in (news or {}).items():
            body = item.get("newBody") if isinstance(item, dict) else None
            if isinstance(body, str):
                body = [body]
            if isinstance(body, list):
                text = "\n\n".join(p for p in body if isinstance(p, str) and p.strip())
                if text:
                    found.append((str(lean), text))
    return found


FRANK_ERROR_TYPES = ("EntE", "RelE", "CircE", "OutE", "CorefE", "LinkE", "GramE")
"""FRANK's error categories: entity, relation (predicate), circumstance, out-of-article,
coreference, discourse link and grammar errors."""

_DETOKENISE = [
    (re.compile(r" (['’](?:s|re|ve|ll|d|m)|n't)\b", re.IGNORECASE), r"\1"),
    (re.compile(r" ([.,;:!?%)\]])"), r"\1"),
    (re.compile(r"([(\[$£€]) "), r"\1"),
    (re.compile(r"`` |` ` "), '"'),
    (re.compile(r" ''| ' '"), '"'),
    (re.compile(r"\s+"), " "),
]


@dataclass
class FactualityJudgement:
    """A system summary of a FRANK article with its human factuality judgement."""

    article_hash: str
    system: str
    dataset: str  # "cnndm" or "xsum" (FRANK's "bbc")
    factuality: float  # share of the summary's sentences without an error, 0..1
    article: str
    summary: str
    errors: frozenset[str]  # FRANK error types found in at least one sentence


def _detokenise(text: str) -> str:
    """FRANK's summaries are PTB-tokenised ("palace 's", "£ 12,000 ."): join them back."""
    for pattern, replacement in _DETOKENISE:
        text = pattern.sub(replacement, text)
    return text.strip()


def _article_lines(data: dict[str, Any], location: str) -> str:
    lines = _maybe_json(data.get("article_lines"))
    if isinstance(lines, str):  # a Python list literal in a string
        try:
            lines = ast.literal_eval(lines)
        except (ValueError, SyntaxError) as exc:
            raise SourceError(location, "field 'article_lines' is not a list") from exc
    if isinstance(lines, list) and lines:
        # XSum's "article" lost the space after each sentence ("delays.The"); the lines keep it.
        return " ".join(str(line).strip() for line in lines)
    return str(data.get("article") or "")


def load_frank_judgements(folder: Path, limit: int | None = None) -> list[FactualityJudgement]:
    """FRANK's human judgements (``human_annotations.json``) joined to their summaries."""
    path = folder / "human_annotations.json"
    records = _json(path)
    if not isinstance(records, list):
        raise SourceError(str(path), "expected a list of judgements")
    articles: dict[str, dict[str, Any]] = {}
    judgements = []
    for number, record in enumerate(records, start=1):
        where = f"{path}, judgement {number}"
        try:
            article_hash, system = str(record["hash"]), str(record["model_name"])
            factuality = float(record["Factuality"])
            dataset = "xsum" if record["dataset"] == "bbc" else str(record["dataset"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(where, f"missing or invalid field {exc}") from exc
        if article_hash not in articles:
            data = _json(folder / "articles" / f"{article_hash}.json")
            if not isinstance(data, dict):
                raise SourceError(f"{folder / 'articles' / article_hash}.json", "not an object")
            articles[article_hash] = data
        data = articles[article_hash]
        if system not in data:
            raise SourceError(where, f"article {article_hash} has no summary by {system!r}")
        errors = frozenset(t for t in FRANK_ERROR_TYPES if float(record.get(t, 1.0)) < 1.0)
        judgements.append(
            FactualityJudgement(
                article_hash,
                system,
                dataset,
                factuality,
                _article_lines(data, where),
                _detokenise(str(data[system])),
                errors,
            )
        )
        if limit is not None and len(judgements) >= limit:
            break
    return judgements
