"""Brief page: a cited paragraph on chosen articles or a topic, with sources and export."""

from __future__ import annotations

from briefbot import Briefbot
from briefbot.render import render_markdown
from tests.ui.conftest import AppFactory


def test_brief_of_a_chosen_article(seed_bot: Briefbot, make_app: AppFactory) -> None:
    (seed,) = seed_bot.articles()
    at = make_app(seed_bot).switch_page("app_pages/brief.py").run()
    at.multiselect(key="brief_articles").select(seed.id)
    at.button(key="FormSubmitter:brief_form-Write the brief").click().run()

    assert not at.exception
    brief = at.session_state["brief_result"]
    assert brief.sentences and all(s.citations for s in brief.sentences)
    paragraph = next(m.value for m in at.markdown if "\\[1\\]" in m.value)
    assert "North Korea" in paragraph
    labels = [e.label for e in at.expander]
    assert any(label.startswith("\\[1\\]") for label in labels)
    assert at.code[0].value == render_markdown(brief).rstrip("\n")
    # one box per source, listing each of its quotes
    (box,) = [e for e in at.expander if e.label.startswith("\\[1\\]")]
    quotes = {(c.start, c.end) for s in brief.sentences for c in s.citations}
    assert len(quotes) > 1
    assert box.label.endswith(f"{len(quotes)} quotes")
    assert len(box.markdown) == len(quotes)
    # the pasteable paragraph quotes and credits what it copies
    assert paragraph.startswith("“")
    assert "the article reported" in paragraph


def test_brief_needs_a_scope(seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(seed_bot).switch_page("app_pages/brief.py").run()
    at.button(key="FormSubmitter:brief_form-Write the brief").click().run()
    assert "Pick at least one article" in at.warning[0].value
    assert "brief_result" not in at.session_state


def test_topic_that_finds_nothing_says_so(seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(seed_bot).switch_page("app_pages/brief.py").run()
    at.radio(key="brief_scope").set_value("A topic")
    at.text_input(key="brief_topic").input("zzzz qqqq xxxx")
    at.button(key="FormSubmitter:brief_form-Write the brief").click().run()

    assert not at.exception
    assert not at.error, "finding nothing is a notice, not an error"
    (notice,) = at.info
    text = notice.value.replace("\\", "")
    assert text.startswith("The library has nothing on “zzzz qqqq xxxx” in all articles")
    assert "Try other words for it or adding articles that cover it." in text
    assert str(seed_bot.settings.store_path) not in text, "no file path in the app"
    (details,) = at.expander
    assert details.label == "Details" and "best similarity" in details.caption[0].value
    assert str(seed_bot.settings.store_path) not in details.caption[0].value
    assert at.session_state["brief_result"] is None


def test_brief_on_a_topic(seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(seed_bot).switch_page("app_pages/brief.py").run()
    at.radio(key="brief_scope").set_value("A topic")
    at.text_input(key="brief_topic").input("North Korean engineers sent to Russia")
    at.slider(key="brief_words").set_value(60)
    at.button(key="FormSubmitter:brief_form-Write the brief").click().run()

    assert not at.exception
    brief = at.session_state["brief_result"]
    assert brief.query == "North Korean engineers sent to Russia"
    assert brief.max_words == 60 and brief.word_count <= 60
    assert any(
        c.value.startswith(f"{brief.word_count} words · 1 article read") for c in at.main.caption
    )
