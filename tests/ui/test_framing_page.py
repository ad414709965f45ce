"""Framing page: both readings of one article, and a comparison of three outlets."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefbot import Briefbot
from briefbot.framing.report import FramingReport
from tests.ui.conftest import AppFactory, hostile_article, rendered_html

FIXTURES = Path(__file__).parent / "fixtures"
SUBMIT = "FormSubmitter:framing_form-Analyse the framing"


@pytest.fixture
def story_bot(seed_bot: Briefbot) -> Briefbot:
    """The seed article and two other outlets' versions of the same story."""
    assert len(seed_bot.ingest([FIXTURES]).added) == 2
    return seed_bot


def test_one_article_shows_both_readings(seed_bot: Briefbot, make_app: AppFactory) -> None:
    (seed,) = seed_bot.articles()
    at = make_app(seed_bot).switch_page("app_pages/framing.py").run()
    at.multiselect(key="framing_articles").select(seed.id)
    at.button(key=SUBMIT).click().run()

    assert not at.exception
    report: FramingReport = at.session_state["framing_result"]
    assert report.comparison is None
    assert [s.value for s in at.subheader] == ["Neutral reading", "Critical reading"]
    assert any("no cross-outlet comparison" in i.value.replace("\\", "") for i in at.info)

    labels = [e.label.replace("\\", "") for e in at.expander]
    assert any(label.startswith("**South Korea’s Yonhap news agency") for label in labels)
    assert any(
        label.startswith("**special military operation → war/invasion**") for label in labels
    )
    assert any(label.startswith("**reportedly**") for label in labels)

    hedge = next(e for e in at.expander if e.label.replace("\\", "").startswith("**reportedly**"))
    quote = next(h for h in report.articles[0].critical.hedges if h.text == "reportedly")
    assert f"**{quote.citation.quote}**" in hedge.markdown[-1].value.replace("\\", "")


def test_three_outlets_are_compared(story_bot: Briefbot, make_app: AppFactory) -> None:
    ids = [a.id for a in story_bot.articles()]
    at = make_app(story_bot).switch_page("app_pages/framing.py").run()
    at.multiselect(key="framing_articles").set_value(ids)
    at.button(key=SUBMIT).click().run()

    assert not at.exception
    report: FramingReport = at.session_state["framing_result"]
    assert report.comparison is not None and len(report.comparison.outlets) == 3
    assert at.subheader[0].value == "Across outlets"
    assert len(at.tabs) == 3
    table = at.dataframe[0].value
    assert set(table["Outlet"]) == {"Harbour Wire", "Evening Tribune", "unknown outlet"}
    tribune = table[table["Outlet"] == "Evening Tribune"].iloc[0]
    assert "dictatorship" in tribune["Loaded terms"]
    assert at.get("vega_lite_chart"), "the loaded-term and tone chart is drawn"

    facts = [e for e in at.expander if e.label.startswith("**Fact ")]
    shared_facts = [f for f in report.comparison.facts if f.coverage in ("all", "some")]
    assert len(facts) == len(shared_facts)
    alone = [e for e in at.expander if e.label.startswith("Only in ")]
    only = [f for f in report.comparison.facts if f.coverage == "one"]
    assert sum(len(e.markdown) for e in alone) == len(only)
    unclear = [f for f in report.comparison.facts if f.coverage == "unclear"]
    partly = [e for e in at.expander if e.label.startswith("Reported by one outlet, partly")]
    assert sum(len(e.markdown) for e in partly) == len(unclear)
    # The wire and the seed report the 5,000 engineers in different words: one fact, with
    # the checker's support shown; the tribune's sentence mixes in other claims, so it is a
    # partial match, never "only in the Evening Tribune".
    shared = next(e for e in facts if "5,000" in e.label)
    reporters = {m.value.split("_")[1] for m in shared.markdown if m.value.startswith("_")}
    assert {"Harbour Wire", "unknown outlet"} <= reporters
    assert any("(support 0." in m.value for m in shared.markdown)
    tribune_only = [
        f.cells[0].citation.quote for f in only if f.cells[0].outlet == "Evening Tribune"
    ]
    assert not any("5,000 engineers" in quote for quote in tribune_only)


def test_topic_with_nothing_near_is_an_error(seed_bot: Briefbot, make_app: AppFactory) -> None:
    at = make_app(seed_bot).switch_page("app_pages/framing.py").run()
    at.radio(key="framing_scope").set_value("Articles near a topic")
    at.button(key=SUBMIT).click().run()
    assert "Pick at least one article" in at.warning[0].value


def test_hostile_article_findings_render_as_text(bot: Briefbot, make_app: AppFactory) -> None:
    bot.ingest_articles([hostile_article()])
    at = make_app(bot).switch_page("app_pages/framing.py").run()
    at.multiselect(key="framing_articles").select(hostile_article().id)
    at.button(key=SUBMIT).click().run()

    assert not at.exception
    assert at.session_state["framing_result"].articles
    html = rendered_html(at)
    assert "<a " not in html and "<script" not in html and "<img" not in html
    assert "[click](<code>http://evil.example</code>)" in html
