"""Turning sources (files, directories, URLs, feeds, JSON Lines) into articles.

Each loader yields ``Article`` or ``Skipped`` (with the file, line or URL and the reason);
a bad input never stops the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from dateutil import parser as date_parser
from pydantic import ValidationError

from briefbot.errors import NotAFeedError, SourceError
from briefbot.ingest.fetch import Fetcher, Page
from briefbot.models import Article, Skipped, article_id_for
from briefbot.text.clean import stored_text

LoadResult = Article | Skipped

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | FEED_SUFFIXES
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_HTML_LANG = re.compile(rb"<html[^>]*\blang=[\"']?([A-Za-z-]{2,12})", re.IGNORECASE)
MIN_ARTICLE_CHARS = 40


def parse_date(value: Any, location: str, field: str = "published") -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = (
            value if isinstance(value, datetime) else date_parser.parse(str(value), fuzzy=False)
        )
    except (ValueError, OverflowError, TypeError) as exc:
        raise SourceError(location, f"field {field!r}: not a date: {str(value)[:60]!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _authors(value: Any, location: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [a.strip() for a in re.split(r",| and |;", value) if a.strip()]
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return [a.strip() for a in value if a.strip()]
    raise SourceError(location, "field 'authors': expected a string or a list of strings")


def make_article(
    *,
    location: str,
    key: str,
    title: str | None,
    text: str,
    source: str = "",
    authors: Any = None,
    published: Any = None,
    url: str | None = None,
    language: str | None = None,
) -> Article:
    text = stored_text(text)
    if len(text) < MIN_ARTICLE_CHARS:
        raise SourceError(location, "no article text (fewer than 40 characters)")
    title = stored_text(title or "") or text.split("\n", 1)[0][:120]
    try:
        return Article(
            id=article_id_for(text),
            key=key,
            title=title,
            source=stored_text(source),
            authors=_authors(authors, location),
            published=parse_date(published, location),
            url=url,
            language=language,
            text=text,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise SourceError(location, f"field {field!r}: {error['msg']}") from exc


# --- files ------------------------------------------------------------------------------


def read_text_file(path: Path, max_bytes: int) -> str:
    """The file as text, or a ``SourceError`` naming what is wrong with it."""
    location = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                location, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(location, f"cannot read: {exc.strerror}") from exc
    if not data.strip():
        raise SourceError(location, "empty file")
    if b"\x00" in data[:8192]:
        raise SourceError(location, "binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{location}:{line}", f"invalid UTF-8 at byte {exc.start}; save the file as UTF-8"
        ) from exc


def load_text(path: Path, max_bytes: int) -> Article:
    raw = read_text_file(path, max_bytes)
    location = str(path)
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(raw)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise SourceError(location, f"front matter is not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SourceError(location, "front matter must be a mapping of fields")
        meta = loaded
        body = raw[match.end() :]
        title = meta.get("title")
    else:
        lines = raw.strip().split("\n", 1)
        if len(lines) > 1 and lines[1].strip():
            title, body = lines[0].lstrip("#").strip(), lines[1]
        else:  # one line is the story, not its title: the title is its start (make_article)
            title, body = None, raw
    return make_article(
        location=location,
        key=str(meta.get("id") or meta.get("url") or path.resolve()),
        title=str(title) if title else None,
        text=body,
        source=str(meta.get("source", "")),
        authors=meta.get("authors") or meta.get("author"),
        published=meta.get("published") or meta.get("date"),
        url=meta.get("url"),
        language=meta.get("language"),
    )


_HIDDEN_CLASSES = frozenset(
    {"hidden", "hide", "sr-only", "visually-hidden", "visuallyhidden", "d-none", "invisible"}
)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:;|$|!)"
    r"|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$|!)",
    re.IGNORECASE,
)


def without_hidden_content(html: bytes | str) -> bytes | str:
    """``html`` without what a reader never sees: ``<template>``, the ``hidden`` attribute,
    hidden classes and styles (``display:none``, ``visibility:hidden``, zero font size or
    opacity). Injected instructions hide there; trafilatura would keep some of it as text."""
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return html
    doomed = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        classes = set((element.get("class") or "").lower().split())
        if (
            element.tag == "template"
            or element.get("hidden") is not None
            or (element.get("aria-hidden") or "").lower() == "true"
            or classes & _HIDDEN_CLASSES
            or _HIDDEN_STYLE.search(element.get("style") or "")
        ):
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the text that follows the element
    return str(lxml.html.tostring(root, encoding="unicode"))


def article_from_html(
    html: bytes | str, location: str, url: str | None, key: str, overrides: dict[str, Any]
) -> Article:
    import trafilatura

    document = trafilatura.bare_extraction(
        without_hidden_content(html),
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
    )
    if document is None or not getattr(document, "text", None):
        raise SourceError(location, "no article text found in the HTML page")
    data: dict[str, Any] = document if isinstance(document, dict) else document.as_dict()
    text = str(data.get("text") or "")
    title = overrides.get("title") or data.get("title")
    if title and text.startswith(str(title)):
        text = text[len(str(title)) :]
    # trafilatura separates paragraphs with one newline; we use blank lines.
    text = re.sub(r"\n+", "\n\n", text.strip())
    raw = html.encode("utf-8", "replace") if isinstance(html, str) else html
    lang = _HTML_LANG.search(raw[:4096])
    host = urlparse(url).hostname if url else None
    return make_article(
        location=location,
        key=key,
        title=title,
        text=text,
        source=overrides.get("source") or data.get("sitename") or host or "",
        authors=overrides.get("authors") or data.get("author"),
        published=overrides.get("published") or data.get("date"),
        url=url,
        language=overrides.get("language") or (lang.group(1).decode() if lang else None),
    )


def load_html_file(path: Path, max_bytes: int) -> Article:
    html = read_text_file(path, max_bytes)
    return article_from_html(html, str(path), None, str(path.resolve()), {})


JSONL_FIELDS = {"title", "text", "source", "url", "published", "authors", "id", "language"}


def load_jsonl(path: Path, max_bytes: int) -> Iterator[LoadResult]:
    """One article per line; the size limit applies to each line, not the whole file."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield Skipped(location=str(path), reason=f"cannot read: {exc.strerror}")
        return
    seen_content = False
    with handle:
        for number, raw in enumerate(handle, start=1):
            location = f"{path}:{number}"
            if not raw.strip():
                continue
            seen_content = True
            if len(raw) > max_bytes:
                yield Skipped(location=location, reason=f"line over the {max_bytes:,}-byte limit")
                continue
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                yield _article_from_record(json.loads(line), location, path)
            except UnicodeDecodeError as exc:
                yield Skipped(location=location, reason=f"invalid UTF-8 at byte {exc.start}")
            except json.JSONDecodeError as exc:
                yield Skipped(
                    location=location, reason=f"invalid JSON: {exc.msg} (column {exc.colno})"
                )
            except SourceError as exc:
                yield Skipped(location=exc.location, reason=exc.reason)
    if not seen_content:
        yield Skipped(location=str(path), reason="empty file")


def _article_from_record(record: Any, location: str, path: Path) -> Article:
    if not isinstance(record, dict):
        raise SourceError(location, "expected a JSON object with 'title' and 'text'")
    for field in ("text", "title"):
        value = record.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise SourceError(location, f"missing field {field!r}")
        if not isinstance(value, str):
            raise SourceError(location, f"field {field!r} must be a string")
    for field in ("source", "url", "id", "language"):
        if record.get(field) is not None and not isinstance(record[field], str | int):
            raise SourceError(location, f"field {field!r} must be a string")
    external = record.get("id")
    url = record.get("url") or None
    source = str(record.get("source") or "").strip()
    # A record's identity: its outlet's own id, else its id within this folder's file; the
    # file name alone made nyt/articles.jsonl and bbc/articles.jsonl replace each other.
    if external is not None:
        key = f"{source}#{external}" if source else f"{path.parent.name}/{path.name}#{external}"
    else:
        key = url or f"{path.resolve()}#{location}"
    return make_article(
        location=location,
        key=str(key),
        title=record["title"],
        text=record["text"],
        source=source,
        authors=record.get("authors"),
        published=record.get("published"),
        url=str(url) if url else None,
        language=record.get("language"),
    )


# --- web --------------------------------------------------------------------------------


def load_url(url: str, fetcher: Fetcher) -> Iterator[LoadResult]:
    """An article page, or every entry of a feed."""
    try:
        page = fetcher.fetch(url)
        if page.is_feed:
            yield from load_feed(page.body, url, fetcher)
        else:
            yield article_from_html(page.body, url, page.url, page.url, {})
    except SourceError as exc:
        yield Skipped(location=exc.location, reason=exc.reason)


def _entry_date(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class FeedDocument:
    """A parsed feed: its outlet name, language and entries (feedparser's dicts)."""

    outlet: str
    language: str | None
    entries: list[Any]


def parse_feed(body: bytes, location: str, max_entries: int) -> FeedDocument:
    """``body`` as a feed of at most ``max_entries`` entries, or ``SourceError`` saying why not
    (``NotAFeedError`` when it is no RSS/Atom feed at all)."""
    import feedparser

    feed = feedparser.parse(body)
    entries = list(feed.entries)[:max_entries]
    if not entries:
        if feed.bozo and not feed.feed:
            reason = feed.get("bozo_exception", "unparseable")
            raise NotAFeedError(location, f"not a valid RSS/Atom feed ({reason})")
        raise SourceError(location, "feed has no entries")
    outlet = str(feed.feed.get("title", "")) or (urlparse(location).hostname or "")
    language = feed.feed.get("language")
    return FeedDocument(outlet, str(language) if language else None, entries)


def load_feed_entry(
    document: FeedDocument, entry: Any, index: int, location: str, fetcher: Fetcher
) -> LoadResult:
    """Entry ``index`` (from 1) of a feed: its linked page, else the content the feed carries."""
    link = entry.get("link")
    entry_location = f"{location} entry {index}" + (f" ({link})" if link else "")
    overrides = {
        "title": entry.get("title"),
        "source": document.outlet,
        "authors": [a.get("name") for a in entry.get("authors", []) if a.get("name")] or None,
        "published": _entry_date(entry),
        "language": document.language,
    }
    try:
        if not link:
            raise SourceError(entry_location, "entry has no link")
        page: Page = fetcher.fetch(link)
        return article_from_html(page.body, entry_location, page.url, page.url, overrides)
    except SourceError as exc:
        content = entry.get("content")
        fallback = content[0].get("value") if content else None
        if fallback and link:
            try:
                return article_from_html(fallback, entry_location, link, link, overrides)
            except SourceError:
                pass
        return Skipped(location=entry_location, reason=exc.reason)


def load_feed(body: bytes, location: str, fetcher: Fetcher) -> Iterator[LoadResult]:
    try:
        document = parse_feed(body, location, fetcher.settings.feed_max_entries)
    except SourceError as exc:
        yield Skipped(location=exc.location, reason=exc.reason)
        return
    for index, entry in enumerate(document.entries, start=1):
        yield load_feed_entry(document, entry, index, location, fetcher)


# --- dispatch ---------------------------------------------------------------------------


def is_url(source: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source))


def load_file(path: Path, fetcher: Fetcher) -> Iterator[LoadResult]:
    suffix = path.suffix.lower()
    max_bytes = fetcher.settings.max_file_bytes
    try:
        if suffix in TEXT_SUFFIXES:
            yield load_text(path, max_bytes)
        elif suffix in HTML_SUFFIXES:
            yield load_html_file(path, max_bytes)
        elif suffix in JSONL_SUFFIXES:
            yield from load_jsonl(path, max_bytes)
        elif suffix in FEED_SUFFIXES:
            yield from load_feed(read_text_file(path, max_bytes).encode(), str(path), fetcher)
        else:
            yield Skipped(
                location=str(path),
                reason=f"unsupported file type {suffix or '(none)'!r}; use "
                + ", ".join(sorted(KNOWN_SUFFIXES)),
            )
    except SourceError as exc:
        yield Skipped(location=exc.location, reason=exc.reason)


def load_source(source: str, fetcher: Fetcher) -> Iterator[LoadResult]:
    """Everything one command-line source stands for."""
    if is_url(source):
        yield from load_url(source, fetcher)
        return
    path = Path(source).expanduser()
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        for file in files:
            if file.suffix.lower() in KNOWN_SUFFIXES:
                yield from load_file(file, fetcher)
        return
    if not path.exists():
        yield Skipped(location=source, reason="no such file, directory or URL")
        return
    yield from load_file(path, fetcher)
