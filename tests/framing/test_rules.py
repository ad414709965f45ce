"""The analyzer's lexical rules: attribution, hedges, loaded terms, evaluative voice, parties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from briefbot import Briefbot
from briefbot.framing.analyzer import Citer, analyze_text, critical_reading
from briefbot.framing.attribution import find_attributions
from briefbot.framing.lexicons import Lexicon, load_lexicon
from briefbot.framing.loaded import find_loaded, neutralise
from briefbot.framing.neutral import neutral_reading
from briefbot.models import Article
from tests.fakes import news_article


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def speakers(sentence: str, lexicon: Lexicon) -> list[tuple[str, str]]:
    return [
        (sentence[f.speaker_start : f.speaker_end], f.source_type)
        for f in find_attributions(sentence, tuple(lexicon.verbs))
    ]


SEED_ATTRIBUTIONS = [
    (
        "According to South Korea’s Yonhap news agency, citing data from the National "
        "Intelligence Service, Pyongyang is sending approximately 5,000 engineers.",
        [
            ("South Korea’s Yonhap news agency", "media"),
            ("the National Intelligence Service", "intelligence"),
        ],
    ),
    (
        "The Russian Foreign Ministry emphasized that North Korea’s military had played a "
        "pivotal role, a claim that has been echoed by Pyongyang in its own state media.",
        [
            ("The Russian Foreign Ministry", "official"),
            ("Pyongyang", "person_or_group"),
            ("its own state media", "state_media"),
        ],
    ),
    (
        "During their discussions, Lavrov expressed gratitude for North Korea’s support.",
        [("Lavrov", "person_or_group")],
    ),
    (
        "This collaboration has been framed by Russian officials as a mutual effort.",
        [("Russian officials", "official")],
    ),
    (
        "The scale of the deployment, which South Korea claims could reach up to 10,000 troops.",
        [("South Korea", "person_or_group")],
    ),
]


@pytest.mark.parametrize(("sentence", "expected"), SEED_ATTRIBUTIONS)
def test_seed_attributions(
    sentence: str, expected: list[tuple[str, str]], lexicon: Lexicon
) -> None:
    assert speakers(sentence, lexicon) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ('"We will not back down," said Maria Lopez, a union leader.', ["Maria Lopez"]),
        ("Police told reporters the road was closed.", ["Police"]),
        ("Troops moved, South Korea's spy agency said.", ["South Korea's spy agency"]),
        ("Officials have repeatedly denied the report.", ["Officials"]),
        ("The figures, according to the World Bank, were revised.", ["the World Bank"]),
        ("Xinhua, the state news agency, reported the visit.", ["Xinhua", "state news agency"]),
        ("Pyongyang is sending approximately 5,000 engineers to Russia.", []),
        ("This claims nothing about anyone.", []),
        ("Critics warn the deployment could drag the peninsula into the war.", ["Critics"]),
        ("Analysts believe the talks will fail.", ["Analysts"]),
        ("Another 1,000 soldiers trained in demining will follow, it added.", ["it"]),
        ("China holds drills around the island it claims as its own.", []),
        (
            "North Korea's state news agency KCNA did not mention the deployment.",
            ["North Korea's state news agency KCNA"],
        ),
        ("It said nothing, and it claims the island.", []),
    ],
)
def test_attribution_patterns(sentence: str, expected: list[str], lexicon: Lexicon) -> None:
    assert [name for name, _ in speakers(sentence, lexicon)] == expected


def test_state_media_with_a_name(lexicon: Lexicon) -> None:
    sentence = "The launch was reported by state media KCNA on Friday."
    found = speakers(sentence, lexicon)
    assert ("state media KCNA", "state_media") in found


def hedges(text: str, lexicon: Lexicon) -> list[str]:
    return [text[m.start : m.end] for m in lexicon.hedge_matcher.find(text)]


def test_hedges(lexicon: Lexicon) -> None:
    assert hedges("North Korea has reportedly begun deploying troops.", lexicon) == ["reportedly"]
    assert hedges("The effort is expected to be complemented.", lexicon) == ["is expected to"]
    assert hedges("Which could reach up to 10,000 troops.", lexicon) == ["could", "up to"]
    assert hedges("The talks resume in May in Geneva.", lexicon) == []
    assert hedges("Troops crossed the border on Friday.", lexicon) == []


def test_loaded_terms_with_neutral_alternatives(lexicon: Lexicon) -> None:
    sentence = (
        "Infrastructure damaged in Russia’s special military operation zone, pushing back "
        "foreign mercenaries in a carefully orchestrated effort."
    )
    found = {
        sentence[m.match.start : m.match.end]: m.match.term for m in find_loaded(sentence, lexicon)
    }
    assert set(found) == {"special military operation", "mercenaries", "orchestrated"}
    assert found["special military operation"].kind == "euphemism"
    assert found["special military operation"].neutral.startswith("war")
    assert found["mercenaries"].neutral == "fighters"
    assert found["orchestrated"].neutral == "organised"


def test_loaded_term_inside_a_quotation_is_the_speakers(lexicon: Lexicon) -> None:
    sentence = 'The minister called them "thugs" and the thugs left.'
    flags = [
        (sentence[m.match.start : m.match.end], m.in_quote) for m in find_loaded(sentence, lexicon)
    ]
    assert flags == [("thugs", True), ("thugs", False)]


def test_neutralise_keeps_quotes_and_inflects(lexicon: Lexicon) -> None:
    sentence = 'The senator slammed the so-called reform, calling it "a power grab".'
    text, replaced = neutralise(sentence, find_loaded(sentence, lexicon))
    assert text == 'The senator criticised the reform, calling it "a power grab".'
    assert replaced == [("slammed", "criticised"), ("so-called", "")]
    for word, expected in [("slams", "criticises"), ("slamming", "criticising")]:
        sentence = f"The senator is {word} it."
        assert (
            neutralise(sentence, find_loaded(sentence, lexicon))[0]
            == f"The senator is {expected} it."
        )


def test_neutralise_fits_the_indefinite_article(lexicon: Lexicon) -> None:
    for sentence, expected in [
        ("It was a brazen bid for power.", "It was an open bid for power."),
        ("A brazen bid followed.", "An open bid followed."),
        ("The regime made a brazen claim.", "The government made an open claim."),
    ]:
        assert neutralise(sentence, find_loaded(sentence, lexicon))[0] == expected


def _article(text: str) -> Article:
    return Article(id="a1", key="k", title="t", source="Daily", text=text)


TEXT = (
    "Officials said the bridge reopened on Monday. "
    "The reckless regime has shown a shocking disregard for its people. "
    "Engineers from Acme Corp repaired the span, according to the city council. "
    "Residents of Riverside Heights waited for hours while Mayor Jane Doe stayed silent."
)


def test_critical_reading_marks_attribution_and_evaluative_voice(lexicon: Lexicon) -> None:
    article = _article(TEXT)
    reading, tone = critical_reading(analyze_text(article.text, lexicon), Citer(article, 1, []))
    labels = [c.attribution_label for c in reading.claims]
    assert labels == ["Officials", "unattributed", "the city council", "unattributed"]
    assert [e.citation.quote for e in reading.evaluative] == [
        "The reckless regime has shown a shocking disregard for its people."
    ]
    assert {t.text for t in reading.loaded_terms} >= {"reckless", "regime"}
    parties = {p.name for p in reading.unquoted_parties}
    assert parties == {"Acme Corp", "Riverside Heights", "Mayor Jane Doe"}
    assert tone.sentences == 4
    assert 0 < tone.evaluative_share < 1
    for citation in [c.citation for c in reading.claims] + [
        p.citation for p in reading.unquoted_parties
    ]:
        assert article.text[citation.start : citation.end] == citation.quote


def test_neutral_reading_drops_the_writers_voice_and_cites_every_sentence(lexicon: Lexicon) -> None:
    article = _article(TEXT)
    reading = neutral_reading(analyze_text(article.text, lexicon), Citer(article, 1, []))
    assert len(reading.sentences) == 3
    assert [d.citation.quote for d in reading.dropped] == [
        "The reckless regime has shown a shocking disregard for its people."
    ]
    for sentence in reading.sentences:
        (citation,) = sentence.citations
        assert article.text[citation.start : citation.end] == citation.quote
    assert "attributed to Officials" in (reading.sentences[0].note or "")
    assert "unattributed" in (reading.sentences[2].note or "")


def test_article_without_claims_is_reported_not_a_crash(lexicon: Lexicon) -> None:
    article = _article("Live updates. Photos: Reuters.")
    analysis = analyze_text(article.text, lexicon)
    reading, tone = critical_reading(analysis, Citer(article, 1, []))
    assert reading.claims == []
    assert any("no claims found" in note for note in reading.notes)
    neutral = neutral_reading(analysis, Citer(article, 1, []))
    assert neutral.sentences == []
    assert neutral.notes
    assert tone.attributed_share == 0.0


def unquoted(text: str, lexicon: Lexicon) -> list[str]:
    article = _article(text)
    reading, _ = critical_reading(analyze_text(article.text, lexicon), Citer(article, 1, []))
    return [p.name for p in reading.unquoted_parties]


def test_a_capital_speaks_for_its_country_and_back(lexicon: Lexicon) -> None:
    text = (
        "Satellite images show that North Korea has sent engineers to the front. "
        "Pyongyang said the workers were volunteers. "
        "Officials in Moscow have not confirmed the deployment. "
        "Russia said the reports were exaggerated. "
        "State media showed Kim Jong Un at a factory on Sunday."
    )
    assert unquoted(text, lexicon) == ["Kim Jong Un"]
    # Without the capital speaking, the country is a party nobody quoted.
    assert "North Korea" in unquoted(text.replace("Pyongyang said", "Analysts said"), lexicon)


def test_a_town_named_as_a_location_is_a_place_not_a_party(lexicon: Lexicon) -> None:
    text = (
        "Shelling damaged homes in Kursk overnight. "
        "Fighting continued in areas like the Belgorod region. "
        "The governor, Alexei Smirnov, visited a shelter. "
        "A volunteer named Jackson handed out blankets."
    )
    assert unquoted(text, lexicon) == ["Alexei Smirnov", "Jackson"]


def test_gazetteer_facts() -> None:
    from briefbot.text.places import gazetteer

    places = gazetteer()
    assert places.aliases("Moscow") == ["Moscow", "Russia"]
    assert places.aliases("north korea") == ["north korea", "Pyongyang"]
    assert places.is_town("Kursk") and places.is_town("Texas")
    assert not places.is_town("Moscow") and not places.is_town("Russia")
    assert places.is_country("Ukraine") and places.is_capital("Kyiv")


@pytest.mark.parametrize(
    ("sentence", "flagged"),
    [
        ("China flew jets near the island it claims as its own.", []),
        ("The group claimed responsibility for the attack.", []),
        ("The Regime Change Act passed the Senate.", []),
        ("He claims the vote was rigged.", ["claims", "rigged"]),
        ("The regime slammed the vote.", ["regime", "slammed"]),
    ],
)
def test_loaded_terms_are_judged_in_context(sentence: str, flagged: list[str]) -> None:
    found = find_loaded(sentence, load_lexicon())
    assert [sentence[m.match.start : m.match.end] for m in found] == flagged


@pytest.mark.parametrize(
    ("sentence", "neutral"),
    [
        ("Russian military aggression continued.", "Russian military continued."),
        ("Officials said the claims were false.", "Officials said the claims were false."),
        ("He claims the vote was rigged.", "He says the vote was unfair."),
    ],
)
def test_neutral_wording_reads_grammatically(sentence: str, neutral: str) -> None:
    lexicon = load_lexicon()
    assert neutralise(sentence, find_loaded(sentence, lexicon))[0] == neutral


def flagged(sentence: str) -> list[str]:
    return [sentence[m.match.start : m.match.end] for m in find_loaded(sentence, load_lexicon())]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("He claimed the vote was rigged.", ["claimed", "rigged"]),
        ("Her office claims the bill would cut deficits.", ["claims"]),
        ("He wants to claim the credit.", []),
        ("Tea party organizers disputed claims of racism.", []),
        ("The suit doesn't contain statistics to support the claim.", []),
        ("Her discrimination claims were folded into a class action.", []),
        ("The terrorist attacks on Sept. 11 changed the agency.", []),
        ("America must win the war on terror.", []),
        ("Republicans sought entitlement cuts.", []),
        ("The governor called the protesters terrorists.", ["terrorists"]),
        ("Voters resent a culture of entitlement.", ["entitlement"]),
    ],
)
def test_loaded_flags_consider_sense_and_technical_use(sentence: str, expected: list[str]) -> None:
    assert flagged(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "neutral"),
    [
        (
            "She took to Facebook to blast her sister.",
            "She took to Facebook to criticise her sister.",
        ),
        ("Payments will plummet on Jan. 1.", "Payments will fall sharply on Jan. 1."),
        ("Officials admit the plan is no cure-all.", "Officials say the plan is no cure-all."),
        ("Attacks by extremists rose.", "Attacks by militants rose."),
        ("The law was riddled with loopholes.", "The law was riddled with provisions."),
        ("The senator kept insisting he was right.", "The senator kept saying he was right."),
        # a derived form the neutral wording was not written for stays as it is
        ("He questioned the secretary's insistence.", "He questioned the secretary's insistence."),
        ("A bitterly divided Congress met.", "A bitterly divided Congress met."),
        # a base-form verb's neutral does not replace the noun
        ("Read the full rant here.", "Read the full rant here."),
        # never coordinated with itself, never doubled
        ("After days of unrest and protests, calm.", "After days of unrest and protests, calm."),
        ("It met with scathing criticism.", "It met with criticism."),
    ],
)
def test_neutral_wording_fits_the_form_and_context(sentence: str, neutral: str) -> None:
    assert neutralise(sentence, find_loaded(sentence, load_lexicon()))[0] == neutral


def test_a_closing_it_added_is_the_previous_speaker_not_the_outlets_voice(
    lexicon: Lexicon,
) -> None:
    """Once labelled "unattributed: stated in the outlet's own voice", which it is not."""
    text = (
        "The engineers are to rebuild bridges in the Kursk region, the intelligence service "
        "said. Another 1,000 soldiers trained in demining will follow, it added."
    )
    article = Article(id="a1", key="a1", title="Engineers", source="Wire", text=text)
    items = analyze_text(text, lexicon)
    assert [f.source_type for f in items[1].attributions] == ["intelligence"]
    reading = neutral_reading(items, Citer(article, 1, []))
    notes = [s.note for s in reading.sentences]
    assert notes[1] == "attributed to “it” (the speaker of the sentence before)"
    assert not any("own voice" in n for n in notes)


def test_the_outlet_profile_lists_who_is_quoted_not_it(bot: Briefbot) -> None:
    wire = news_article(
        "The engineers are to rebuild bridges in the Kursk region, the intelligence service "
        "said. Another 1,000 soldiers trained in demining will follow, it added.",
        "Engineers to Kursk",
        "Harbour Wire",
        datetime(2024, 11, 4, tzinfo=UTC),
    )
    other = news_article(
        "North Korea sent engineers to Russia, officials said.",
        "Engineers sent",
        "Evening Tribune",
        datetime(2024, 11, 5, tzinfo=UTC),
    )
    bot.ingest_articles([wire, other])
    report = bot.compare([wire.id, other.id])
    assert report.comparison is not None
    profile = next(p for p in report.comparison.outlets if p.outlet == "Harbour Wire")
    assert [s.name for s in profile.quoted] == ["the intelligence service"]


def test_a_name_opening_the_sentence_keeps_its_first_word(lexicon: Lexicon) -> None:
    """Once listed as "Jong Un": the opener was dropped as a possible sentence-case word."""
    from briefbot.framing.analyzer import unquoted_parties

    text = (
        "Kim Jong Un's regime has shipped soldiers to Russia, Seoul claims. "
        "Residents of Riverside Heights were not told."
    )
    article = Article(id="a1", key="a1", title="Troops", source="Tribune", text=text)
    parties = {p.name for p in unquoted_parties(analyze_text(text, lexicon), Citer(article, 1, []))}
    assert "Kim Jong Un" in parties and "Jong Un" not in parties
    assert "Riverside Heights" in parties
