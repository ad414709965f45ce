"""Fixtures of the app tests: an ``AppTest`` of app.py holding a given ``Briefbot``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from briefbot import Article, Briefbot
from briefbot.models import article_id_for
from tests.conftest import ROOT

APP = ROOT / "app.py"
HOSTILE_TITLE = "[click](http://evil.example) <script>alert(1)</script> **bold**"
HOSTILE_TEXT = (
    "Officials said the [harbour](http://evil.example/x) bridge reopened on Monday after "
    "repairs. <img src=x onerror=alert(1)> The ministry claims **repairs** cost $5 million "
    "and took ten weeks.\n\n"
    "Residents of the harbour district welcomed the bridge reopening, a spokesman said."
)

AppFactory = Callable[[Briefbot], AppTest]


@pytest.fixture
def make_app() -> AppFactory:
    """``make_app(bot)``: app.py with ``bot`` injected, already run once on the Chat page."""

    def make(bot: Briefbot) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["briefbot"] = bot
        return at.run()

    return make


def hostile_article() -> Article:
    return Article(
        id=article_id_for(HOSTILE_TEXT),
        key="hostile.txt",
        title=HOSTILE_TITLE,
        source="Evil [Gazette](http://evil.example)",
        published=datetime(2024, 11, 2, tzinfo=UTC),
        url="javascript:alert(1)",
        text=HOSTILE_TEXT,
    )


def rendered_html(at: AppTest) -> str:
    """Every Markdown element of the page rendered by a CommonMark parser (HTML disabled)."""
    parser = MarkdownIt("commonmark", {"html": False})
    blocks = [m.value for m in at.markdown] + [e.label for e in at.expander]
    blocks += [c.value for c in at.caption] + [w.value for w in at.warning]
    blocks += [s.value for s in at.success] + [i.value for i in at.info]
    return "\n".join(parser.render(b) for b in blocks)
