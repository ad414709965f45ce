"""End to end: ``streamlit run app.py`` over a temporary store, driven by headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefbot import Briefbot, Settings
from briefbot.backends.embedders import Embedder
from tests.conftest import ROOT, SEED_FILE
from tests.ui import browser
from tests.ui.conftest import hostile_article

pytestmark = [pytest.mark.browser, pytest.mark.real_model]

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def server(
    real_seed_store: Path, minilm: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app over a copy of the seed store plus one hostile article; yields its URL."""
    if not browser.CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: run `make system-deps`")
    work = tmp_path_factory.mktemp("browser")
    store = work / "store"
    shutil.copytree(real_seed_store, store)
    settings = Settings(store_path=store, _env_file=None)  # type: ignore[call-arg]
    Briefbot.open(settings=settings, embedder=minilm).ingest_articles([hostile_article()])
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        (ARTIFACTS / "streamlit-server.log").open("wb") as log,
        browser.streamlit_server(store, work, log) as url,
    ):
        yield url


def test_question_answer_and_citation_in_a_real_browser(server: str) -> None:
    seed_text = SEED_FILE.read_text(encoding="utf-8")
    with browser.chromium() as page:
        page.goto(server)
        browser.wait_ready(page)
        browser.ask(page, browser.QUESTION)

        answer = page.get_by_test_id("stChatMessage").nth(1)
        assert "5,000 engineers" in answer.get_by_test_id("stMarkdownContainer").first.inner_text()

        citation = answer.get_by_test_id("stExpander").first
        # one box per source: its number, title and how many quotes it holds
        assert "[1] North Korea Deploys" in citation.locator("summary").inner_text()
        assert "quote" in citation.locator("summary").inner_text()
        citation.locator("summary").click()
        quote = citation.locator("strong").first
        quote.wait_for(state="visible")
        shown = quote.inner_text()
        assert "5,000 engineers" in shown
        assert shown in seed_text, "the bold quote is an exact span of the seed article"
        # the figure asked for is highlighted inside the quote, and only it
        marked = quote.locator("span")
        assert [marked.nth(i).inner_text() for i in range(marked.count())] == ["5,000"]
        background = marked.first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "transparent")
        assert "North Korea Deploys 5,000 Troops" in citation.inner_text()
        page.screenshot(path=ARTIFACTS / "browser-chat.png", full_page=True)


def test_hostile_article_renders_as_text_in_a_real_browser(server: str) -> None:
    with browser.chromium() as page:
        page.goto(f"{server}/library")
        browser.wait_ready(page)
        page.get_by_test_id("stBaseButton-secondary").filter(has_text="Open").click()
        body = page.get_by_test_id("stMainBlockContainer")
        body.get_by_text("took ten weeks", exact=False).first.wait_for(state="visible")

        text = body.inner_text()
        assert "[click](http://evil.example) <script>alert(1)</script> **bold**" in text
        assert "<img src=x onerror=alert(1)>" in text
        assert body.locator("a[href*='evil.example']").count() == 0
        assert body.locator("img[src='x'], script").count() == 0
        assert page.evaluate("() => window.alertFired === undefined")
        page.screenshot(path=ARTIFACTS / "browser-hostile.png", full_page=True)
