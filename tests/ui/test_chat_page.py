"""Chat page over the seed article embedded with the real MiniLM: answers, refusals, filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from briefbot import Briefbot
from briefbot.answers.types import Answer
from briefbot.render import render_markdown
from briefbot.ui.text import md_escape_inline
from tests.ui.conftest import AppFactory, rendered_html

pytestmark = pytest.mark.real_model

QUESTION = "How many engineers is North Korea sending to Russia?"


def test_question_gets_a_cited_answer_with_its_quote(
    real_seed_bot: Briefbot, make_app: AppFactory
) -> None:
    at = make_app(real_seed_bot)
    at.chat_input[0].set_value(QUESTION).run()

    assert not at.exception
    (turn,) = at.session_state["chat_turns"]
    answer: Answer = turn["answer"]
    assert not answer.refused and answer.mode == "extractive"
    paragraph = next(m.value for m in at.markdown if "\\[1\\]" in m.value)
    assert "5,000 engineers" in paragraph.replace("\\", "")

    (expander,) = [e for e in at.expander if e.label.startswith("\\[1\\]")]
    inside = "\n".join(m.value for m in expander.markdown).replace("\\", "")
    quote = answer.sentences[0].citations[0].quote.strip()
    marked = quote.replace("5,000", ":orange-background[5,000]", 1)
    assert f"**{marked}**" in inside, "the quote in bold in its paragraph, the figure marked"
    byline = expander.caption[0].value.replace("\\", "")
    assert byline.startswith("**North Korea Deploys 5,000 Troops to Russia")
    assert byline.endswith("unknown outlet · undated")

    assert next(c.value for c in at.code) == render_markdown(answer).rstrip("\n")


def test_follow_up_uses_the_history(real_seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(real_seed_bot)
    at.chat_input[0].set_value(QUESTION).run()
    at.chat_input[0].set_value("What about the deminers?").run()

    turns = at.session_state["chat_turns"]
    assert len(turns) == 2
    assert len(at.chat_message) == 4
    follow_up: Answer = turns[1]["answer"]
    assert follow_up.question == "What about the deminers?"
    assert follow_up.standalone_query and "North Korea" in follow_up.standalone_query


def test_unanswerable_question_is_refused_and_says_what_was_searched(
    real_seed_bot: Briefbot, make_app: AppFactory
) -> None:
    at = make_app(real_seed_bot)
    at.chat_input[0].set_value("Who won the 1998 football world cup final?").run()

    assert not at.exception
    assert at.session_state["chat_turns"][0]["answer"].refused
    (refusal,) = at.info
    assert refusal.value.startswith("**No answer.**")
    assert "1998 football world cup final" in refusal.value.replace("\\", "")
    assert "in all articles. Try other words for it or adding articles" in refusal.value
    # nothing cited; the figures behind the refusal only on demand
    assert [e.label for e in at.expander] == ["Details"]
    assert "best similarity" not in refusal.value


def test_outlet_filter_is_applied_and_reported(
    real_seed_bot: Briefbot, make_app: AppFactory
) -> None:
    from tests.ui.conftest import hostile_article

    real_seed_bot.ingest_articles([hostile_article()])
    at = make_app(real_seed_bot)
    outlet = "Evil [Gazette](http://evil.example)"
    at.multiselect(key="chat_outlets").select(outlet).run()
    at.chat_input[0].set_value(QUESTION).run()

    turn = at.session_state["chat_turns"][0]
    assert turn["filters"].outlets == [outlet]
    assert turn["answer"].refused, "the seed article is outside the chosen outlet"
    searched = "in outlets Evil \\[Gazette\\]\\(`http://evil.example`\\). Try"
    assert searched in at.info[0].value


def test_date_range_is_applied_as_whole_days(real_seed_bot: Briefbot, make_app: AppFactory) -> None:
    from tests.ui.conftest import hostile_article

    real_seed_bot.ingest_articles([hostile_article()])
    at = make_app(real_seed_bot)
    at.date_input(key="chat_days").set_value((date(2024, 11, 2), date(2024, 11, 2))).run()
    at.chat_input[0].set_value(QUESTION).run()

    turn = at.session_state["chat_turns"][0]
    assert turn["filters"].since == datetime(2024, 11, 2, tzinfo=UTC)
    assert turn["filters"].until.date() == date(2024, 11, 2)
    assert all(s.article_id == hostile_article().id for s in turn["answer"].sources)


def test_clear_empties_the_conversation(real_seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(real_seed_bot)
    at.chat_input[0].set_value(QUESTION).run()
    at.chat_input[0].set_value(QUESTION).run()
    assert len(at.session_state["chat_turns"]) == 2
    at.button(key="chat_clear").click().run()
    assert at.session_state["chat_turns"] == []


def test_flagged_sentence_is_visibly_marked(real_seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(real_seed_bot)
    at.chat_input[0].set_value(QUESTION).run()
    answer: Answer = at.session_state["chat_turns"][0]["answer"]
    flagged = answer.sentences[0].model_copy(
        update={"text": "North Korea sent 90,000 tanks.", "supported": False}
    )
    at.session_state["chat_turns"][0]["answer"] = answer.model_copy(
        update={"sentences": [*answer.sentences, flagged]}
    )
    at.run()

    paragraph = next(m.value for m in at.markdown if "\\[1\\]" in m.value)
    assert ":orange-badge[:material/warning: not supported by the sources] North Korea sent" in (
        paragraph
    )
    assert any("marked “not supported”" in c.value for c in at.caption)
    assert "90,000 tanks.[^1] **\\[unsupported\\]**" in next(c.value for c in at.code)


def test_fallback_notice_shows_in_the_sidebar(
    real_seed_bot: Briefbot, make_app: AppFactory
) -> None:
    at = make_app(real_seed_bot)
    at.chat_input[0].set_value(QUESTION).run()
    answer: Answer = at.session_state["chat_turns"][0]["answer"]
    notice = "The language model failed (HTTP 500); the extractive engine answered."
    at.session_state["chat_turns"][0]["answer"] = answer.model_copy(update={"notices": [notice]})
    at.run()

    assert [w.value for w in at.sidebar.warning] == [md_escape_inline(notice)]
    assert len(at.main.warning) == 1


def test_hostile_source_in_an_answer_is_shown_literally(
    real_seed_bot: Briefbot, make_app: AppFactory
) -> None:
    from tests.ui.conftest import hostile_article

    real_seed_bot.ingest_articles([hostile_article()])
    at = make_app(real_seed_bot)
    at.chat_input[0].set_value("When did the harbour bridge reopen after repairs?").run()

    answer: Answer = at.session_state["chat_turns"][0]["answer"]
    assert not answer.refused
    assert any(s.title.startswith("[click]") for s in answer.sources)
    html = rendered_html(at)
    assert "<a " not in html and "<script" not in html and "<img" not in html
    assert "[click](<code>http://evil.example</code>)" in html
