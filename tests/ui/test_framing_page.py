"""Framing page: both readings of one article, and a comparison of three outlets."""

from __future__ import annotations

import re
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

    # the summary is on the page; the findings and their quotes in one box per reading
    summary = next(m.value.replace("\\", "") for m in at.markdown if " claims; " in m.value)
    assert [e.label for e in at.expander] == [
        "The quotes behind it (10 quotes)",
        "Left out (10 sentences)",
        "Every finding, with its quote",
    ]
    assert summary.startswith("20 claims; 14 hedges; 5 loaded terms;")
    findings = next(e for e in at.expander if e.label == "Every finding, with its quote")
    lines = [m.value.replace("\\", "") for m in findings.markdown]
    assert any(line.startswith(":gray-badge[South Korea’s Yonhap news agency") for line in lines)
    assert any(
        line.startswith(":gray-badge[special military operation → war/invasion]") for line in lines
    )
    hedge = next(line for line in lines if line.startswith(":gray-badge[reportedly]"))
    quote = next(h for h in report.articles[0].critical.hedges if h.text == "reportedly")
    assert f"**{quote.citation.quote}**" in hedge


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

    # summary first: three boxes for the facts, two or three per article, not one per finding
    labels = [e.label for e in at.expander]
    assert len(labels) <= 3 + 3 * 3, labels
    shared_facts = [f for f in report.comparison.facts if f.coverage in ("all", "some")]
    (facts,) = [e for e in at.expander if e.label.startswith("Facts reported by more than one")]
    assert facts.label.endswith(f"({len(shared_facts)})")
    heads = [m for m in facts.markdown if m.value.startswith("**Fact ")]
    assert len(heads) == len(shared_facts)
    only = [f for f in report.comparison.facts if f.coverage == "one"]
    (alone,) = [e for e in at.expander if e.label.startswith("Facts only one outlet reports")]
    assert sum(m.value.startswith("- Fact ") for m in alone.markdown) == len(only)
    unclear = [f for f in report.comparison.facts if f.coverage == "unclear"]
    partly = [e for e in at.expander if e.label.startswith("Reported by one outlet, partly")]
    assert sum(len(e.markdown) for e in partly) == len(unclear)
    # The wire and the seed report the 5,000 engineers in different words: one fact, with
    # the checker's support shown; the tribune's sentence mixes in other claims, so it is a
    # partial match, never "only in the Evening Tribune".
    lines = [m.value for m in facts.markdown]
    start = next(
        i
        for i, line in enumerate(lines)
        if line.startswith("**Fact ") and any("5,000" in later for later in lines[i + 1 : i + 4])
    )
    cells = [line for line in lines[start + 1 :] if line.startswith("- _")]
    reporters = {line.split("_")[1] for line in cells[:3]}
    assert {"Harbour Wire", "unknown outlet"} <= reporters
    assert any("(support 0." in line for line in cells)
    # plurals are right wherever a count is shown
    texts = labels + [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert not [t for t in texts if re.search(r"\b1 (sentences|quotes|facts|claims|hedges)\b", t)]
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
