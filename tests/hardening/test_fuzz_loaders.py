"""Fuzzing: any bytes in any supported file become an article or a skip with a reason, and
the citation renderer copes with any text."""

from __future__ import annotations

import json
import re
import socket
import tempfile
from pathlib import Path
from unittest import mock

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefbot import Settings
from briefbot.citations import Citation, CitedSentence, CitedText, SourceRef
from briefbot.errors import UnsafeURLError
from briefbot.ingest.fetch import FEED_TYPES, HTML_TYPES, Fetcher, Page, check_url, parse_url
from briefbot.ingest.loaders import load_source
from briefbot.models import Article, Skipped, article_id_for
from briefbot.render import render_markdown, render_text

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


SUFFIXES = [".txt", ".md", ".html", ".jsonl", ".xml", ".rss", ".atom"]


class OfflineFetcher(Fetcher):
    """Feeds name links; fuzzed ones must never reach the network."""

    def fetch(self, url: str, accept: tuple[str, ...] = HTML_TYPES + FEED_TYPES) -> Page:
        raise UnsafeURLError(url, "offline test: no fetching")


FETCHER = OfflineFetcher(Settings(_env_file=None))  # type: ignore[call-arg]


def load(suffix: str, data: bytes) -> list[Article | Skipped]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        results = list(load_source(str(path), FETCHER))
    assert results, "every input ends in at least one article or skip"
    for result in results:
        if isinstance(result, Skipped):
            assert result.reason.strip()
            assert result.location.startswith(str(path))
        else:
            assert isinstance(result, Article)
            assert result.text.strip() and result.title.strip()
            assert result.id == article_id_for(result.text)
    return results


@FUZZ
@given(
    data=st.binary(max_size=4000),
    suffix=st.sampled_from([".txt", ".md", ".html", ".jsonl", ".xml", ".rss", ".atom"]),
)
def test_arbitrary_bytes(data: bytes, suffix: str) -> None:
    load(suffix, data)


@FUZZ
@given(text=st.text(max_size=3000), suffix=st.sampled_from([".txt", ".html", ".jsonl", ".xml"]))
def test_arbitrary_text(text: str, suffix: str) -> None:
    load(suffix, text.encode("utf-8", "surrogatepass"))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=200),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
RECORDS = st.fixed_dictionaries(
    {},
    optional={
        field: JSON_VALUES
        | st.text(max_size=300)
        | st.sampled_from(["2024-02-30", "yesterday", "1e400", "9999-99-99", "0", ""])
        for field in ("title", "text", "source", "url", "published", "authors", "id", "language")
    },
)


@FUZZ
@given(records=st.lists(RECORDS | JSON_VALUES, min_size=1, max_size=5))
def test_jsonl_records_of_any_shape(records: list[object]) -> None:
    lines = "\n".join(json.dumps(r, allow_nan=True) for r in records)
    results = load(".jsonl", lines.encode())
    assert len(results) == len(records)


FRONT_MATTER = st.dictionaries(
    st.sampled_from(["title", "date", "published", "authors", "author", "source", "url", "id"]),
    JSON_VALUES,
    max_size=5,
)


@FUZZ
@given(meta=FRONT_MATTER, body=st.text(min_size=0, max_size=500))
def test_text_with_any_front_matter(meta: dict[str, object], body: str) -> None:
    front = "\n".join(f"{k}: {json.dumps(v)}" for k, v in meta.items())
    load(".md", f"---\n{front}\n---\n{body}".encode("utf-8", "surrogatepass"))


TAGS = st.sampled_from(["p", "div", "article", "script", "title", "h1", "meta", "a", "!--", "html"])


@FUZZ
@given(parts=st.lists(st.tuples(TAGS, st.text(max_size=200)), max_size=12))
def test_html_soup(parts: list[tuple[str, str]]) -> None:
    html = "".join(f"<{tag}>{text}</{tag}>" for tag, text in parts)
    load(".html", html.encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    entries=st.lists(
        st.tuples(st.text(max_size=80), st.text(max_size=80), st.text(max_size=300)), max_size=5
    )
)
def test_feed_with_arbitrary_entries(entries: list[tuple[str, str, str]]) -> None:
    def esc(value: str) -> str:
        return value.replace("&", "&amp;").replace("<", "&lt;")

    items = "".join(
        f"<item><title>{esc(t)}</title><link>{esc(link)}</link>"
        f"<description>{esc(d)}</description></item>"
        for t, link, d in entries
    )
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    )
    load(".rss", feed.encode("utf-8", "surrogatepass"))


# --- the citation renderer -----------------------------------------------------------------

ANY_TEXT = st.text(max_size=200)
CITATIONS = st.builds(
    Citation,
    n=st.integers(1, 4),
    article_id=ANY_TEXT,
    chunk_id=ANY_TEXT,
    start=st.integers(0, 100),
    end=st.integers(0, 100),
    quote=ANY_TEXT,
)
SENTENCES = st.builds(
    CitedSentence,
    text=ANY_TEXT,
    citations=st.lists(CITATIONS, max_size=3),
    supported=st.booleans(),
    note=st.none() | ANY_TEXT,
)
SOURCES = st.builds(
    SourceRef,
    n=st.integers(1, 4),
    article_id=ANY_TEXT,
    title=ANY_TEXT,
    outlet=ANY_TEXT,
    url=st.none() | ANY_TEXT | st.sampled_from(["javascript:alert(1)", "http://x/<script>"]),
)
CITED = st.builds(
    CitedText,
    mode=st.sampled_from(["extractive", "llm"]),
    refused=st.booleans(),
    refusal_reason=st.none() | ANY_TEXT,
    sentences=st.lists(SENTENCES, max_size=5),
    sources=st.lists(SOURCES, max_size=4),
    notices=st.lists(ANY_TEXT, max_size=2),
)
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@settings(max_examples=300, deadline=None)
@given(cited=CITED)
def test_renderer_copes_with_any_cited_text(cited: CitedText) -> None:
    for rendered in (render_text(cited), render_markdown(cited)):
        assert not _RAW_CONTROL.search(rendered)
        if not cited.refused:
            unsupported = sum(not s.supported for s in cited.sentences)
            assert rendered.count("unsupported") >= unsupported
    markdown = render_markdown(cited)
    assert "<script" not in markdown.lower()
    assert "javascript:" not in markdown.lower()


@settings(max_examples=300, deadline=None)
@given(url=st.text(max_size=120) | st.from_regex(r"\Ahttps?://[^/]{0,30}(/.{0,30})?\Z"))
def test_url_parsing_never_crashes(url: str) -> None:
    """No DNS here (tests stay offline): only the parse step that precedes resolution."""
    try:
        parsed = parse_url(url)
    except UnsafeURLError as exc:
        assert exc.reason
        return
    assert parsed.scheme in ("http", "https") and parsed.host


@settings(max_examples=300, deadline=None)
@given(url=st.from_regex(r"\Ahttps?://[^/?#]{1,30}(:[0-9]{1,6})?(/.{0,30})?\Z"))
def test_checked_urls_always_build_a_pinned_request(url: str) -> None:
    """With DNS stubbed to one public address, every accepted URL becomes a valid request."""
    answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80))]
    with mock.patch("socket.getaddrinfo", return_value=answer):
        try:
            target = check_url(url)
        except UnsafeURLError as exc:
            assert exc.reason
            return
    with httpx.Client(trust_env=False) as client:
        request = client.build_request("GET", target.pinned(), headers={"Host": target.host_header})
    assert request.url.host == "93.184.216.34"
    assert request.headers["host"] == target.host_header
