"""Library page: ingest an uploaded file, open, search and delete articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefbot import Briefbot
from briefbot.ingest.fetch import Fetcher, host_entry
from tests.hardening.servers import html, redirect, serve
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


def test_sidebar_count_follows_an_upload(seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(seed_bot).switch_page("app_pages/library.py").run()
    assert any(c.value.startswith("1 article ·") for c in at.sidebar.caption)

    at.file_uploader(key="upload_files").set_value(("bridge.txt", STORY, "text/plain"))
    at.button(key="FormSubmitter:upload_form-Ingest files").click().run()

    assert not at.exception
    assert any(c.value.startswith("2 articles ·") for c in at.sidebar.caption)
    assert any(s.value.startswith("1 added") for s in at.success), "the report survives"


def test_columns_have_widths_so_outlets_are_not_cut_off(
    seed_bot: Briefbot, make_app: AppFactory
) -> None:
    at = make_app(seed_bot).switch_page("app_pages/library.py").run()
    (table,) = at.dataframe
    config = json.loads(table.proto.columns)
    widths = {name: config[name]["width"] for name in config if name in table.value.columns}
    assert set(widths) == {"Title", "Outlets", "Published", "Chunks", "Id"}
    assert widths["Outlets"] >= 150 and widths["Id"] >= 140  # 16 hex digits shown whole
    assert sum(widths.values()) <= 800  # the page's width at 1400 px beside the sidebar


def test_an_intranet_host_allowed_for_the_session_is_fetched(
    bot: Briefbot, make_app: AppFactory
) -> None:
    """Refused by default; allowed on the page, its pages are fetched in this session only,
    and a redirect from it to another local server is still refused."""
    with serve({"/article": html()}) as other, serve() as server:
        server.routes["/article"] = html()
        server.routes["/to-other"] = redirect(f"{other.base}/article")
        at = make_app(bot).switch_page("app_pages/library.py").run()
        at.text_area(key="ingest_urls").input(f"{server.base}/article")
        at.button(key="FormSubmitter:url_form-Fetch and ingest").click().run()
        assert "1 skipped" in at.warning[0].value and bot.articles() == []
        assert server.requests == []
        assert any("allow its host under “Intranet hosts”" in c.value for c in at.caption)

        at.text_input(key="intranet_host").input(f"http://{server.host}/anything")
        at.button(key="FormSubmitter:intranet_form-Allow for this session").click().run()
        assert at.session_state["intranet_hosts"] == [server.host]
        assert any(m.value == f"`{server.host}`" for m in at.markdown)

        at.text_area(key="ingest_urls").input(f"{server.base}/article\n{server.base}/to-other")
        at.button(key="FormSubmitter:url_form-Fetch and ingest").click().run()
        assert not at.exception
        assert "1 added" in at.warning[0].value and "1 skipped" in at.warning[0].value
        assert [a.url for a in bot.articles()] == [f"{server.base}/article"]
        assert other.requests == []

        # another session of the same server is not allowed anything
        fresh = make_app(bot).switch_page("app_pages/library.py").run()
        fresh.text_area(key="ingest_urls").input(f"{server.base}/to-other")
        fresh.button(key="FormSubmitter:url_form-Fetch and ingest").click().run()
        assert "1 skipped" in fresh.warning[0].value


def test_a_bad_intranet_host_is_a_message(bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(bot).switch_page("app_pages/library.py").run()
    at.text_input(key="intranet_host").input("not a host")
    at.button(key="FormSubmitter:intranet_form-Allow for this session").click().run()
    assert "not a host name" in at.error[0].value
    assert at.session_state["intranet_hosts"] == []


def test_the_allow_control_is_off_when_the_settings_say_so(
    bot: Briefbot, make_app: AppFactory
) -> None:
    bot.settings = bot.settings.model_copy(update={"app_intranet_hosts": False})
    at = make_app(bot).switch_page("app_pages/library.py").run()
    assert "Intranet hosts" not in [e.label for e in at.expander]


@pytest.mark.parametrize(
    ("typed", "entry"),
    [
        ("News.Intranet", "news.intranet"),
        ("news.intranet:8080", "news.intranet:8080"),
        ("http://10.0.0.5:81/feed.xml", "10.0.0.5:81"),
    ],
)
def test_host_entry_reads_what_a_reporter_types(typed: str, entry: str) -> None:
    assert host_entry(typed) == entry


def test_a_session_host_never_opens_metadata_addresses(bot: Briefbot) -> None:
    fetcher = Fetcher(bot.settings, ["169.254.169.254"])
    with pytest.raises(Exception, match="link-local"):
        fetcher.check("http://169.254.169.254/latest/meta-data/")
