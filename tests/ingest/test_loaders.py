"""Loaders: each source kind, and each kind of bad input ends in a clear skip reason."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from briefbot.ingest.fetch import Fetcher
from briefbot.ingest.loaders import load_source
from briefbot.models import Article, Skipped
from briefbot.settings import Settings
from tests.ingest.http_fixtures import LocalSite

BODY = (
    "The council voted 7-2 on Tuesday to approve the new budget, officials said.\n\n"
    "Mayor Ana Lopez called the vote a turning point for the city."
)
HTML = """<html lang="en"><head><title>Budget passes | City Times</title>
<meta name="author" content="Jane Roe"><meta property="og:site_name" content="City Times">
<meta property="article:published_time" content="2024-05-01T10:00:00Z"></head>
<body><nav>Home | World | Sport</nav><article><h1>Budget passes</h1>
<p>The council voted 7-2 on Tuesday to approve the new budget, officials said after a long debate
that lasted into the night and drew hundreds of residents to city hall.</p>
<p>Mayor Ana Lopez called the vote a turning point for the city and promised more money for
schools, roads and the public library system over the next three years.</p></article>
<footer>Copyright City Times</footer></body></html>"""


def load(source: str | Path, settings: Settings) -> list[Article | Skipped]:
    return list(load_source(str(source), Fetcher(settings)))


def only_skip(results: list[Article | Skipped]) -> Skipped:
    assert len(results) == 1 and isinstance(results[0], Skipped), results
    return results[0]


def test_txt_title_from_first_line(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "story.txt"
    path.write_text("Budget passes\n\n" + BODY, encoding="utf-8")
    [article] = load(path, settings)
    assert isinstance(article, Article)
    assert article.title == "Budget passes"
    assert article.text == BODY
    assert article.key == str(path.resolve())


def test_a_single_line_file_is_the_text_and_its_start_the_title(
    tmp_path: Path, settings: Settings
) -> None:
    line = " ".join(BODY.split()) + " " + "More of the same story without a line break. " * 2000
    path = tmp_path / "one-line.txt"
    path.write_text(line, encoding="utf-8")
    [article] = load(path, settings)
    assert isinstance(article, Article)
    assert article.text == line.strip()
    assert article.title == line[:120]  # not a 90 kB title stored and shown again


def test_markdown_front_matter(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "story.md"
    path.write_text(
        "---\ntitle: Budget passes\nsource: City Times\nauthors: [Jane Roe, Bo Li]\n"
        "published: 2024-05-01\nurl: https://example.com/budget\n---\n" + BODY,
        encoding="utf-8",
    )
    [article] = load(path, settings)
    assert isinstance(article, Article)
    assert (article.title, article.source, article.authors) == (
        "Budget passes",
        "City Times",
        ["Jane Roe", "Bo Li"],
    )
    assert article.published is not None and article.published.year == 2024
    assert article.key == "https://example.com/budget"


def test_html_main_text_and_metadata(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "story.html"
    path.write_text(HTML, encoding="utf-8")
    [article] = load(path, settings)
    assert isinstance(article, Article)
    assert article.title == "Budget passes"
    assert article.source == "City Times"
    assert article.authors == ["Jane Roe"]
    assert article.language == "en"
    assert "voted 7-2" in article.text and "Home | World" not in article.text
    assert "Copyright" not in article.text


def test_jsonl_malformed_line_named_and_others_ingest(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "feed.jsonl"
    good = {"title": "One", "text": BODY, "source": "Wire", "published": "2024-05-01"}
    lines = [
        json.dumps(good),
        '{"title": "broken", ',
        json.dumps({"title": "No text"}),
        json.dumps({"title": "Two", "text": BODY + " More.", "id": "x-2"}),
        json.dumps({"title": "Bad date", "text": BODY + " Again.", "published": "yesterday-ish"}),
        json.dumps(["not", "an", "object"]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = load(path, settings)
    articles = [r for r in results if isinstance(r, Article)]
    skipped = {r.location: r.reason for r in results if isinstance(r, Skipped)}
    assert [a.title for a in articles] == ["One", "Two"]
    assert articles[1].key == f"{path.parent.name}/feed.jsonl#x-2"
    assert skipped[f"{path}:2"].startswith("invalid JSON")
    assert skipped[f"{path}:3"] == "missing field 'text'"
    assert "field 'published'" in skipped[f"{path}:5"]
    assert "JSON object" in skipped[f"{path}:6"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"   \n\n", "empty file"),
        ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("latin1.txt", "Café story\n\nThe café opened.".encode("latin-1"), "invalid UTF-8"),
        ("short.txt", b"Title\n\nToo short.", "no article text"),
        ("empty.jsonl", b"\n\n", "empty file"),
        ("photo.png", b"\x89PNG", "unsupported file type"),
        ("nothing.html", b"<html><body><nav>Menu</nav></body></html>", "no article text"),
        ("empty-feed.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
         b"</channel></rss>", "feed has no entries"),
    ],
)  # fmt: skip
def test_bad_files_are_skipped_with_a_reason(
    tmp_path: Path, settings: Settings, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    skipped = only_skip(load(path, settings))
    assert skipped.location.startswith(str(path))
    assert reason in skipped.reason


def test_invalid_utf8_names_the_line(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Title\n\nfine line\nbad \xff byte here and more text to pass the minimum")
    skipped = only_skip(load(path, settings))
    assert skipped.location == f"{path}:4"


def test_file_over_size_cap(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "s", max_file_bytes=100, _env_file=None)  # type: ignore[call-arg]
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "word " * 100, encoding="utf-8")
    assert "over the 100-byte limit" in only_skip(load(path, settings)).reason


def test_missing_path(settings: Settings, tmp_path: Path) -> None:
    assert "no such file" in only_skip(load(tmp_path / "nope.txt", settings)).reason


def test_directory_is_recursive_and_ignores_hidden(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("One\n\n" + BODY, encoding="utf-8")
    (tmp_path / "a" / "b" / "two.md").write_text("# Two\n\n" + BODY + " Extra.", encoding="utf-8")
    (tmp_path / "a" / ".hidden.txt").write_text("Hidden\n\n" + BODY, encoding="utf-8")
    (tmp_path / "a" / "notes.csv").write_text("x,y", encoding="utf-8")
    results = load(tmp_path / "a", settings)
    assert sorted(r.title for r in results if isinstance(r, Article)) == ["One", "Two"]
    assert not [r for r in results if isinstance(r, Skipped)]


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        store_path=tmp_path / "s", allow_private_hosts=True, fetch_timeout_s=5, _env_file=None
    )


def test_url_and_feed_from_a_local_site(local_settings: Settings) -> None:
    with LocalSite() as site:
        site.route("/story", HTML.encode(), "text/html; charset=utf-8")
        site.route("/gz", gzip.compress(HTML.encode()), "text/html", gzip=True)
        feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>City Feed</title>
        <item><title>Budget passes (feed title)</title><link>{site.url}/story</link>
        <author>desk@example.com (Desk Writer)</author>
        <pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate></item>
        <item><title>Gone</title><link>{site.url}/missing</link></item></channel></rss>"""
        site.route("/feed.xml", feed.encode(), "application/rss+xml")
        [page] = load(f"{site.url}/story", local_settings)
        [gz] = load(f"{site.url}/gz", local_settings)
        results = load(f"{site.url}/feed.xml", local_settings)
    assert isinstance(page, Article) and page.url == f"{site.url}/story"
    assert isinstance(gz, Article) and gz.text == page.text
    entry, missing = results
    assert isinstance(entry, Article)
    assert entry.title == "Budget passes (feed title)"
    assert entry.source == "City Feed"
    assert entry.published is not None and entry.published.day == 1
    assert isinstance(missing, Skipped) and "HTTP 404" in missing.reason


def test_unreachable_url(local_settings: Settings) -> None:
    skipped = only_skip(load("http://127.0.0.1:9/never", local_settings))
    assert "cannot fetch" in skipped.reason


def test_loopback_refused_by_default(settings: Settings) -> None:
    skipped = only_skip(load("http://127.0.0.1:9/x", settings))
    assert "private/loopback" in skipped.reason


def test_wrong_content_type(local_settings: Settings) -> None:
    with LocalSite() as site:
        site.route("/img", b"\x89PNG....", "image/png")
        skipped = only_skip(load(f"{site.url}/img", local_settings))
    assert "unsupported content type 'image/png'" in skipped.reason
