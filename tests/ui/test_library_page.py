"""Library page: ingest an uploaded file, open, search and delete articles."""

from __future__ import annotations

from pathlib import Path

from briefbot import Briefbot
from tests.ui.conftest import (
    HOSTILE_TITLE,
    AppFactory,
    hostile_article,
    rendered_html,
)

STORY = b"""Harbour bridge reopens after repairs

The harbour bridge reopened on Monday after ten weeks of repairs, the city council said.
"""


def test_upload_ingests_the_file_and_reports(bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(bot).switch_page("app_pages/library.py").run()
    assert any("store is empty" in i.value for i in at.info)

    at.file_uploader(key="upload_files").set_value(("bridge.txt", STORY, "text/plain"))
    at.button(key="FormSubmitter:upload_form-Ingest files").click().run()

    assert not at.exception
    assert [s.value for s in at.success] == [
        "1 added, 0 unchanged, 0 replaced, 0 duplicates, 0 skipped; 1 chunks embedded"
    ]
    titles = [a.title for a in bot.articles()]
    assert titles == ["Harbour bridge reopens after repairs"]
    listed = [m.value for m in at.markdown if m.value.startswith("- added:")]
    assert listed == ["- added: **Harbour bridge reopens after repairs** — unknown outlet"]
    assert at.selectbox(key="library_article").options[0].startswith("Harbour bridge reopens")


def test_upload_of_a_bad_file_lists_it_as_skipped(bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(bot).switch_page("app_pages/library.py").run()
    at.file_uploader(key="upload_files").set_value(("empty.txt", b"", "text/plain"))
    at.button(key="FormSubmitter:upload_form-Ingest files").click().run()

    assert not at.exception
    assert "0 added" in at.warning[0].value
    assert any("skipped" in m.value and "empty.txt" in m.value for m in at.markdown)
    assert bot.articles() == []


def test_open_shows_the_full_text(seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(seed_bot).switch_page("app_pages/library.py").run()
    at.button(key="library_open").click().run()

    body = "\n".join(m.value for m in at.markdown)
    assert "5,000 engineers" in body.replace("\\", "")
    assert "Kursk region" in body


def test_search_narrows_the_list(seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(seed_bot).switch_page("app_pages/library.py").run()
    at.text_input(key="library_search").input("no such outlet anywhere").run()
    assert any(i.value == "No article matches." for i in at.info)

    at.text_input(key="library_search").input("north korea").run()
    assert len(at.selectbox(key="library_article").options) == 1


def test_delete_asks_then_removes_the_article(seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(seed_bot).switch_page("app_pages/library.py").run()
    at.button(key="library_delete").click().run()
    assert seed_bot.articles(), "nothing is deleted before the confirmation"
    assert "Delete" in at.warning[0].value

    at.button(key="library_confirm_delete").click().run()

    assert not at.exception
    assert seed_bot.articles() == []
    assert any(s.value.startswith("Deleted") for s in at.success)
    assert any("store is empty" in i.value for i in at.info)


def test_hostile_title_and_text_show_literally(bot: Briefbot, make_app: AppFactory) -> None:
    bot.ingest_articles([hostile_article()])
    at = make_app(bot).switch_page("app_pages/library.py").run()
    at.button(key="library_open").click().run()

    html = rendered_html(at)
    assert "<a " not in html
    assert "<script" not in html and "<img" not in html and "<strong>bold" not in html
    assert "[click](<code>http://evil.example</code>)" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not [b for b in at.get("link_button")], "a javascript: URL is never a link"
    assert HOSTILE_TITLE in at.selectbox(key="library_article").options[0]


def test_url_ingest_reports_a_refused_address(bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(bot).switch_page("app_pages/library.py").run()
    at.text_area(key="ingest_urls").input("http://127.0.0.1:9/feed.xml")
    at.button(key="FormSubmitter:url_form-Fetch and ingest").click().run()

    assert not at.exception
    assert "0 added" in at.warning[0].value and "1 skipped" in at.warning[0].value
    skipped = next(m.value for m in at.markdown if m.value.startswith("- skipped"))
    assert "`http://127.0.0.1:9/feed.xml`" in skipped
    assert bot.articles() == []


def test_url_box_never_reads_files_on_the_server(
    bot: Briefbot, make_app: AppFactory, tmp_path: Path
) -> None:
    """A path typed in the URL box is skipped, not loaded: the server's files stay private."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "notes.txt").write_text(
        "Confidential: the source's home address is 12 Harbour Lane, and she asked not to be "
        "named in any story about the council vote."
    )
    at = make_app(bot).switch_page("app_pages/library.py").run()
    at.text_area(key="ingest_urls").input(f"{private}\n~\nfile://{private}/notes.txt")
    at.button(key="FormSubmitter:url_form-Fetch and ingest").click().run()

    assert not at.exception
    assert "3 skipped" in at.warning[0].value
    assert bot.articles() == []
    assert bot.search("home address Harbour Lane") == []
    skipped = [m.value for m in at.markdown if m.value.startswith("- skipped")]
    assert all("not a web address" in line for line in skipped)
