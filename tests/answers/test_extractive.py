"""The extractive engine: verbatim quotes of the best sentences, verified, readably ordered."""

from __future__ import annotations

import pytest

from briefbot.answers.extractive import (
    NOTHING_QUOTABLE,
    ExtractiveEngine,
    answer_type,
    calendar_dates,
    focus_words,
    value_spans,
)
from briefbot.answers.types import Answer
from briefbot.citations import Passage
from briefbot.grounding.verify import verify_sentences
from briefbot.settings import Settings
from briefbot.text.words import stem
from tests.answers.helpers import DEMINERS, ENGINEERS, WEATHER, passage
from tests.fakes import FakeEmbedder


@pytest.fixture
def engine(settings: Settings) -> ExtractiveEngine:
    return ExtractiveEngine(FakeEmbedder(), settings)


@pytest.fixture
def terse(settings: Settings) -> ExtractiveEngine:
    """Quotes one sentence, so a second one can only come from conflict detection."""
    return ExtractiveEngine(FakeEmbedder(), settings.model_copy(update={"answer_max_sentences": 1}))


def assert_exact(answer: Answer, passages: list[Passage]) -> None:
    """Every citation quotes exactly the article text at its offsets."""
    by_article = {p.article_id: p for p in passages}
    for sentence in answer.sentences:
        assert sentence.citations
        for citation in sentence.citations:
            p = by_article[citation.article_id]
            assert citation.quote == p.text[citation.start - p.start : citation.end - p.start]
            assert citation.quote == sentence.text


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many engineers is North Korea sending?", "number"),
        ("When do the deminers arrive?", "date"),
        ("Who met Kim Jong Un?", "person"),
        ("Where are the engineers working?", "place"),
        ("Which year did the war start?", "date"),
        ("Which state was hit by the storm?", "place"),
        ("Which of these films won?", "any"),
        ("Why is North Korea involved?", "any"),
    ],
)
def test_answer_type_from_wording(question: str, kind: str) -> None:
    assert answer_type(question) == kind


def test_focus_is_the_counted_thing() -> None:
    assert focus_words("How many deminers is North Korea sending?") == [stem("deminers")]
    assert focus_words("Who is sending deminers?") == []


def test_number_question_quotes_the_sentence_with_the_figure(engine: ExtractiveEngine) -> None:
    passages = [passage(1, WEATHER), passage(2, ENGINEERS + " " + DEMINERS)]
    answer = engine.answer("How many engineers is North Korea sending to Russia?", passages)
    assert not answer.refused
    first = answer.sentences[0]
    assert "5,000" in first.text
    assert_exact(answer, passages)
    assert all(s.supported and s.support_score == 1.0 for s in answer.sentences)
    assert answer.mode == "extractive"


def test_focus_picks_the_counted_thing_over_another_number(engine: ExtractiveEngine) -> None:
    passages = [passage(1, ENGINEERS + " " + DEMINERS)]
    answer = engine.answer("How many deminers will clear mines?", passages)
    assert "1,000" in answer.sentences[0].text


def test_quotes_pass_the_verifier_unchanged(engine: ExtractiveEngine, settings: Settings) -> None:
    passages = [passage(1, ENGINEERS), passage(2, DEMINERS, offset=7)]
    answer = engine.answer("What will the engineers and deminers do?", passages)
    again = verify_sentences(answer.sentences, passages, FakeEmbedder(), settings)
    assert [s.supported for s in again] == [True] * len(answer.sentences)
    assert [s.citations for s in again] == [s.citations for s in answer.sentences]


def test_near_duplicate_wire_copies_are_quoted_once(engine: ExtractiveEngine) -> None:
    passages = [passage(1, ENGINEERS), passage(2, ENGINEERS, article="copy")]
    answer = engine.answer("How many engineers is North Korea sending?", passages)
    texts = [s.text for s in answer.sentences]
    assert len(texts) == len(set(texts))
    assert [s.n for s in answer.sources] == [1]


def test_at_most_the_configured_number_of_sentences(settings: Settings) -> None:
    settings = settings.model_copy(update={"answer_max_sentences": 1})
    engine = ExtractiveEngine(FakeEmbedder(), settings)
    answer = engine.answer(
        "What do the engineers and deminers do?", [passage(1, ENGINEERS + " " + DEMINERS)]
    )
    assert len(answer.sentences) == 1


def test_sentences_are_ordered_by_source_then_position(engine: ExtractiveEngine) -> None:
    text = (
        "The deminers clear mines near the border. The weather was mild. "
        "Officials said the deminers clear mines quickly and the deminers clear mines daily."
    )
    passages = [passage(1, text)]
    answer = engine.answer("Do the deminers clear mines?", passages)
    starts = [s.citations[0].start for s in answer.sentences]
    assert len(starts) >= 2
    assert starts == sorted(starts)


def test_conflicting_figures_from_two_sources_are_both_quoted(terse: ExtractiveEngine) -> None:
    passages = [
        passage(1, "North Korea is sending 5,000 engineers to Russia, Yonhap reported."),
        passage(2, "North Korea is sending 8,000 engineers to Russia, Reuters reported."),
    ]
    answer = terse.answer("How many engineers is North Korea sending to Russia?", passages)
    quoted = " ".join(s.text for s in answer.sentences)
    assert "5,000" in quoted and "8,000" in quoted
    assert {c.article_id for s in answer.sentences for c in s.citations} == {
        "article1",
        "article2",
    }


def test_an_answer_that_quotes_two_figures_says_the_sources_disagree(
    terse: ExtractiveEngine,
) -> None:
    passages = [
        passage(1, "North Korea is sending 5,000 engineers to Russia, Yonhap reported."),
        passage(2, "North Korea is sending 8,000 engineers to Russia, Reuters reported."),
    ]
    answer = terse.answer("How many engineers is North Korea sending to Russia?", passages)
    assert answer.notices == [
        "The sources disagree on the figure: Outlet 1 and Outlet 2 give different ones. "
        "Both are quoted below; check which is current."
    ]


def test_no_disagreement_is_claimed_for_agreeing_or_off_topic_figures(
    engine: ExtractiveEngine,
) -> None:
    agreeing = [
        passage(1, "North Korea is sending 5,000 engineers to Russia, Yonhap reported."),
        passage(2, "Some 5,000 North Korean engineers are going to Russia, Reuters said."),
    ]
    answer = engine.answer("How many engineers is North Korea sending to Russia?", agreeing)
    assert not any("disagree" in n for n in answer.notices)
    other_thing = [
        passage(1, "North Korea is sending 5,000 engineers to Russia, Yonhap reported."),
        passage(2, "North Korea is also sending 1,000 deminers to Russia, Reuters said."),
    ]
    answer = engine.answer("How many engineers is North Korea sending to Russia?", other_thing)
    assert not any("disagree" in n for n in answer.notices)


def test_streams_each_sentence(engine: ExtractiveEngine) -> None:
    streamed: list[str] = []
    answer = engine.answer(
        "How many engineers is North Korea sending?",
        [passage(1, ENGINEERS)],
        on_text=streamed.append,
    )
    assert [s.strip() for s in streamed] == [s.text for s in answer.sentences]


def test_nothing_to_quote_is_a_refusal(engine: ExtractiveEngine) -> None:
    answer = engine.answer("Anything?", [passage(1, "Too short.")])
    assert answer.refused and answer.refusal_reason == NOTHING_QUOTABLE
    assert answer.sentences == []


def test_calendar_dates_keep_the_most_specific_form() -> None:
    assert calendar_dates("It was released on July 21, 2017 in Japan.") == {"2017-07-21"}
    assert calendar_dates("released 21 Jul. 2017") == {"2017-07-21"}
    assert calendar_dates("launched in June 2020, a year after 2019") == {"2020-06", "2019"}
    assert calendar_dates("on Feb. 7, last week") == {"02-07", "last week"}


def test_date_question_prefers_the_full_date(engine: ExtractiveEngine) -> None:
    passages = [
        passage(1, "Splatoon 2 is a 2017 shooter game made by Nintendo for the Switch."),
        passage(2, "Nintendo released Splatoon 2 on July 21, 2017 for the Switch."),
    ]
    answer = engine.answer("When was Splatoon 2 released?", passages)
    assert "July 21, 2017" in answer.sentences[0].text


def test_conflicting_dates_from_two_sources_are_both_quoted(terse: ExtractiveEngine) -> None:
    passages = [
        passage(1, "Nintendo released Splatoon 2 on July 21, 2017 for the Switch."),
        passage(2, "Nintendo released Splatoon 2 on July 1, 2007 for the Switch."),
    ]
    answer = terse.answer("When was Splatoon 2 released?", passages)
    quoted = " ".join(s.text for s in answer.sentences)
    assert "July 21, 2017" in quoted and "July 1, 2007" in quoted


def test_conflicting_names_are_both_quoted(terse: ExtractiveEngine) -> None:
    passages = [
        passage(1, "Simona Halep won the women's singles title at Wimbledon in 2019."),
        passage(2, "Angelique Kerber won the women's singles title at Wimbledon in 2019."),
    ]
    answer = terse.answer("Who won the women's singles Wimbledon in 2019?", passages)
    quoted = " ".join(s.text for s in answer.sentences)
    assert "Simona Halep" in quoted and "Angelique Kerber" in quoted


def test_a_disagreeing_source_ranked_below_the_answer_passages_is_quoted(
    terse: ExtractiveEngine,
) -> None:
    answer_passages = [
        passage(1, "Egan Bernal won the 2021 Tour de France on Sunday in Paris."),
        passage(2, "The weather in Paris was mild on Sunday, forecasters said."),
    ]
    wider = [
        passage(3, "Officials said the race drew big crowds along the route this year."),
        passage(4, "Tadej Pogačar won the 2021 Tour de France on Sunday in Paris."),
    ]
    question = "Who won the 2021 Tour de France?"
    alone = terse.answer(question, answer_passages)
    assert "Pogačar" not in " ".join(s.text for s in alone.sentences)
    answer = terse.answer(question, answer_passages, wider=wider)
    assert [s.text for s in answer.sentences] == [
        "Egan Bernal won the 2021 Tour de France on Sunday in Paris.",
        "Tadej Pogačar won the 2021 Tour de France on Sunday in Paris.",
    ]
    assert all(s.supported for s in answer.sentences)
    assert [source.outlet for source in answer.sources] == ["Outlet 1", "Outlet 4"]
    assert answer.notices == [
        "The sources disagree on the name: Outlet 1 and Outlet 4 give different ones. "
        "Both are quoted below; check which is current."
    ]
    assert_exact(answer, [*answer_passages, *wider])


def test_a_date_and_the_same_date_with_its_year_do_not_disagree(terse: ExtractiveEngine) -> None:
    passages = [
        passage(1, "Xenoblade Chronicles X was released in Japan on April 29."),
        passage(2, "Xenoblade Chronicles X was published in Japan by Nintendo on April 29, 2015."),
    ]
    answer = terse.answer("When was Xenoblade Chronicles X released in Japan?", passages)
    assert len(answer.sentences) == 1
    assert not any("disagree" in n for n in answer.notices)


def test_another_value_in_an_unlike_sentence_is_no_disagreement(terse: ExtractiveEngine) -> None:
    passages = [
        passage(1, "Egan Bernal won the 2021 Tour de France on Sunday in Paris."),
        passage(2, "Mark Cavendish wins stage 13, his fourth victory in this year's race."),
    ]
    answer = terse.answer("Who won the 2021 Tour de France?", passages, wider=[])
    assert len(answer.sentences) == 1
    assert not any("disagree" in n for n in answer.notices)


@pytest.mark.parametrize(
    ("question", "first", "second"),
    [
        # a town and the country it is in
        (
            "Where are the engineers being sent?",
            "North Korea is sending 5,000 engineers to the Kursk region, officials said.",
            "North Korea is sending 5,000 engineers to Russia, officials said.",
        ),
        # an organisation after "from" is no place to disagree on
        (
            "Where are the engineers being sent?",
            "North Korea is sending 5,000 engineers to Russia, officials said.",
            "North Korea is sending 5,000 engineers to Russia, data from the Intelligence "
            "Service showed.",
        ),
        # a surname and the full name
        (
            "Who won the 2021 Tour de France?",
            "Bernal won the 2021 Tour de France on Sunday in Paris.",
            "Egan Bernal won the 2021 Tour de France on Sunday in Paris.",
        ),
    ],
)
def test_names_that_can_be_one_answer_do_not_disagree(
    terse: ExtractiveEngine, question: str, first: str, second: str
) -> None:
    answer = terse.answer(question, [passage(1, first), passage(2, second)])
    assert not any("disagree" in n for n in answer.notices), answer.notices


def test_one_source_gives_one_sentence_when_asked_for_one(terse: ExtractiveEngine) -> None:
    passages = [passage(1, "Nintendo released Splatoon 2 on July 21, 2017 for the Switch.")]
    answer = terse.answer("When was Splatoon 2 released?", passages)
    assert len(answer.sentences) == 1


def test_place_answers_come_from_the_gazetteer() -> None:
    from briefbot.answers.extractive import typed_values

    question = "Huge crowds lined the streets of which country to pay tribute to Pelé?"
    sentence = "SANTOS, Brazil (AP) — Brazil said a final farewell to Pelé on Tuesday."
    assert "brazil" in typed_values(sentence, answer_type(question), question)
    assert typed_values("Pelé was a great player.", "place", question) == set()


def test_a_follow_up_skips_what_was_said_unless_nothing_else_answers(
    engine: ExtractiveEngine,
) -> None:
    text = (
        "The deminers clear mines near the border. Officials said the deminers clear mines daily."
    )
    passages = [passage(1, text)]
    first_span = passages[0].citation(0, text.index(".") + 1)
    follow_up = engine.answer("Do the deminers clear mines?", passages, said=[first_span])
    assert follow_up.sentences
    assert all(c.start >= first_span.end for s in follow_up.sentences for c in s.citations)
    everything = passages[0].citation(0, len(text))
    again = engine.answer("Do the deminers clear mines?", passages, said=[everything])
    assert not again.refused and again.sentences, "all said before: say it again"


HIGHLIGHT_TEXT = (
    "North Korea is sending 5,000 engineers and 1,000 deminers to Russia, officials said on "
    "Oct. 3, 2024."
)


@pytest.mark.parametrize(
    ("question", "shown"),
    [
        ("How many engineers is North Korea sending?", ["5,000"]),
        ("How many deminers?", ["1,000"]),
        ("When did officials say so?", ["Oct. 3, 2024"]),
        ("Where is North Korea sending engineers?", ["Russia"]),
        ("What did officials say?", []),
    ],
)
def test_value_spans_are_the_asked_for_values(question: str, shown: list[str]) -> None:
    spans = value_spans(HIGHLIGHT_TEXT, question)
    assert [HIGHLIGHT_TEXT[a:b] for a, b in spans] == shown


def test_a_name_is_found_as_written_whatever_its_apostrophe_and_spaces() -> None:
    text = "The motion was tabled by Erin O’Toole\u00a0Jr on Monday."
    assert [text[a:b] for a, b in value_spans(text, "Who tabled the motion?")] == [
        "Erin O’Toole\u00a0Jr"
    ]
