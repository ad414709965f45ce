"""A local newsroom for watch tests: a feed and its story pages, changed between polls."""

from __future__ import annotations

from email.utils import formatdate

from tests.ingest.http_fixtures import LocalSite

TOPICS = [
    ("Council passes the city budget",
     "The council voted seven to two on Tuesday to approve the new budget after a debate that "
     "lasted into the night. Mayor Ana Lopez promised more money for schools and roads."),
    ("Storm closes the northern ports",
     "Fishing boats stayed in harbour on Wednesday as a winter storm shut three northern ports. "
     "Forecasters expect gusts of ninety kilometres an hour until the weekend."),
    ("Rail strike ends after talks",
     "Train drivers returned to work on Friday after union leaders accepted a pay offer in "
     "overnight talks. Commuters faced delays on most lines during the morning."),
    ("Museum returns looted bronzes",
     "The national museum handed back twelve bronze plaques taken during a colonial raid, in a "
     "ceremony attended by the royal family. Curators spent four years tracing their history."),
]  # fmt: skip


def story_html(n: int, edition: int = 1) -> bytes:
    title, text = TOPICS[n]
    extra = (
        ""
        if edition == 1
        else (
            f"<p>Update {edition}: officials corrected the figures late in the evening and said "
            "a full statement would follow on Monday morning at the press office.</p>"
        )
    )
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{text} {text}</p><p>Reporters on the scene said residents were calm and that "
        f"local officials answered questions for an hour.</p>{extra}</article></body></html>"
    ).encode()


def feed_xml(site: LocalSite, items: list[tuple[int, int]]) -> bytes:
    """An RSS feed of ``(story, edition)`` items, each linking to its page on ``site``."""
    entries = "".join(
        f"<item><title>{TOPICS[n][0]}</title><link>{site.url}/story/{n}</link>"
        f"<guid>story-{n}</guid><description>{TOPICS[n][1][:60]} (edition {edition})"
        f"</description><pubDate>{formatdate(1_700_000_000 + 3600 * edition, usegmt=True)}"
        "</pubDate></item>"
        for n, edition in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>City Desk</title>'
        f"<link>{site.url}/</link>{entries}</channel></rss>"
    ).encode()


class Newsroom:
    """A local site with a feed and its story pages, changed between polls by the test."""

    def __init__(self, site: LocalSite) -> None:
        self.site = site
        self.feed = f"{site.url}/feed.xml"
        self.items: list[tuple[int, int]] = []

    def publish(self, *items: tuple[int, int]) -> None:
        self.items = list(items)
        for n, edition in items:
            self.site.route(f"/story/{n}", story_html(n, edition), "text/html; charset=utf-8")
        self.site.route("/feed.xml", feed_xml(self.site, self.items), "application/rss+xml")

    def story_fetches(self) -> list[str]:
        return [s.path for s in self.site.served if s.path.startswith("/story/")]
