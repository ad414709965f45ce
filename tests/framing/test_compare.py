"""``Briefbot.compare`` end to end over a store with the fake embedder (and the seed)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from briefbot import Briefbot
from briefbot.errors import ConfigError, EmptyScopeError, NotFoundError
from briefbot.framing.report import FramingReport
from briefbot.models import Article
from tests.fakes import news_article


def make_article(text: str, source: str, title: str) -> Article:
    return news_article(text, title, source)


def assert_every_citation_is_a_slice(bot: Briefbot, report: FramingReport) -> None:
    citations = report.citations()
    assert citations
    numbers = {s.n: s.article_id for s in report.sources}
    texts: dict[str, str] = {}
    for c in citations:
        text = texts.setdefault(c.article_id, bot.article(c.article_id).text)
        assert text[c.start : c.end] == c.quote
        assert numbers[c.n] == c.article_id


def test_seed_article_both_readings(seed_bot: Briefbot) -> None:
    (article,) = seed_bot.articles()
    report = seed_bot.compare([article.id])
    (reading,) = report.articles
    speakers = {s.name for claim in reading.critical.claims for s in claim.speakers}
    assert {
        "South Korea’s Yonhap news agency",
        "the National Intelligence Service",
        "The Russian Foreign Ministry",
        "Lavrov",
        "Pyongyang",
        "its own state media",
    } <= speakers
    (state_claim,) = [
        c
        for c in reading.critical.claims
        if any(s.source_type == "state_media" for s in c.speakers)
    ]
    assert "echoed by Pyongyang in its own state media" in state_claim.citation.quote
    hedges = {h.text for h in reading.critical.hedges}
    assert {"reportedly", "is expected to", "could"} <= hedges
    loaded = {t.text: t for t in reading.critical.loaded_terms}
    assert {"special military operation", "mercenaries", "orchestrated"} <= set(loaded)
    assert loaded["special military operation"].neutral == "war/invasion"
    assert reading.critical.evaluative
    assert any(not c.attributed for c in reading.critical.claims)
    neutral = reading.neutral.text
    assert "special military operation" not in neutral and "mercenaries" not in neutral
    assert all(len(s.citations) == 1 for s in reading.neutral.sentences)
    summary = reading.neutral.summary
    assert summary
    assert all(c.n == 1 for s in summary for c in s.citations)
    evaluative_starts = {e.citation.start for e in reading.critical.evaluative}
    assert all(c.start not in evaluative_starts for s in summary for c in s.citations)
    assert any("claims" in s.citations[0].quote and "says" in s.text for s in summary)
    assert report.comparison is None
    assert any("only one article" in n for n in report.notices)
    assert any("corroboration not checked" in n for n in report.notices)
    assert_every_citation_is_a_slice(seed_bot, report)
    assert all(c.chunk_id.startswith(article.id) for c in report.citations())
    json.dumps(report.to_dict())


@pytest.mark.real_model
def test_seed_article_with_real_embedder(real_seed_bot: Briefbot) -> None:
    (article,) = real_seed_bot.articles()
    report = real_seed_bot.compare([article.id])
    assert_every_citation_is_a_slice(real_seed_bot, report)
    assert report.articles[0].neutral.sentences


def test_unknown_id_is_not_found(seed_bot: Briefbot) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        seed_bot.compare(["nope"])


def test_nothing_to_compare_and_ambiguous_scope(seed_bot: Briefbot) -> None:
    with pytest.raises(EmptyScopeError):
        seed_bot.compare()
    with pytest.raises(ConfigError, match="not both"):
        seed_bot.compare(["x"], query="troops")


def test_query_far_from_everything_is_an_empty_scope(seed_bot: Briefbot) -> None:
    with pytest.raises(EmptyScopeError, match="no article is near"):
        seed_bot.compare(query="zzzz qqqq")


def test_query_finding_one_article_gives_per_article_report_with_note(seed_bot: Briefbot) -> None:
    report = seed_bot.compare(query="North Korea troops Russia engineers")
    assert len(report.articles) == 1
    assert report.comparison is None
    assert any("only one article found near the query" in n for n in report.notices)


def test_article_with_no_claims(bot: Briefbot) -> None:
    article = make_article("Live updates. Photos: Reuters.", "Wire", "Live")
    bot.ingest_articles([article])
    report = bot.compare([article.id])
    critical = report.articles[0].critical
    assert critical.claims == []
    assert any("no claims found" in n for n in critical.notes)
    assert report.articles[0].neutral.sentences == []


LEFT = (
    "North Korea has sent 5,000 engineers to Russia, South Korean intelligence said.\n\n"
    "The regime's thugs slammed the so-called sanctions, calling them a provocation.\n\n"
    "Ukrainian officials said the troops were seen near the border."
)
RIGHT = (
    "North Korea has sent 5,000 engineers to Russia, South Korean intelligence said on "
    "Tuesday.\n\nThe engineers will repair bridges and roads, according to the Russian "
    "Defence Ministry.\n\nMarkets in Seoul closed higher on Friday after a quiet session."
)


def test_two_article_comparison_end_to_end(bot: Briefbot) -> None:
    left = make_article(LEFT, "Left Daily", "Engineers sent")
    right = make_article(RIGHT, "Right Post", "Engineers to Russia")
    bot.ingest_articles([left, right])
    report = bot.compare([left.id, right.id])
    comparison = report.comparison
    assert comparison is not None
    shared = [f for f in comparison.facts if f.coverage == "all"]
    assert len(shared) == 1
    assert {c.outlet for c in shared[0].cells} == {"Left Daily", "Right Post"}
    assert all("5,000 engineers" in c.citation.quote for c in shared[0].cells)
    assert comparison.coverage_counts()["one"] == 4
    profiles = {p.outlet: p for p in comparison.outlets}
    assert {t.text for t in profiles["Left Daily"].loaded_terms} >= {"regime", "thugs", "slammed"}
    assert not profiles["Right Post"].loaded_terms
    assert profiles["Left Daily"].tone.loaded_per_1000_words > 0
    omitted = {
        cell.citation.quote
        for omission in profiles["Left Daily"].omits
        for cell in omission.reported_by
    }
    assert any("Russian Defence Ministry" in q for q in omitted)
    assert all(
        cell.article_id == right.id for o in profiles["Left Daily"].omits for cell in o.reported_by
    )
    quoted = {s.name for s in profiles["Right Post"].quoted}
    assert {"South Korean intelligence", "the Russian Defence Ministry"} <= quoted
    first_claim = report.articles[0].critical.claims[0]
    assert first_claim.corroboration_checked
    assert first_claim.corroborations[0].citation.article_id == right.id
    assert comparison.chart["facet"]
    rows = (
        comparison.chart["datasets"] if "datasets" in comparison.chart else comparison.chart["data"]
    )
    assert "Left Daily" in json.dumps(rows)
    assert_every_citation_is_a_slice(bot, report)
    json.dumps(report.to_dict())


def test_cli_json_and_escaped_tables(bot: Briefbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefbot.cli import app
    from briefbot.cli import framing as framing_cli

    marked = make_article(LEFT.replace("thugs", "[red]thugs[/red]"), "Left [b]Daily", "T [x]")
    right = make_article(RIGHT, "Right Post", "Engineers to Russia")
    bot.ingest_articles([marked, right])
    monkeypatch.setattr(framing_cli, "open_bot", lambda store=None: bot)
    runner = CliRunner()
    result = runner.invoke(app, ["compare", marked.id, right.id, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["comparison"]["facts"]
    result = runner.invoke(app, ["compare", marked.id, right.id], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[red]thugs[/red]" in result.output
    assert "Left [b]Daily" in result.output
    result = runner.invoke(app, ["compare", "missing-id"])
    assert result.exit_code == 1


WIRE_COPY = (
    "North Korea is sending about 5,000 military engineers to Russia, South Korea's National "
    "Intelligence Service said on Monday, according to the Yonhap news agency.\n\n"
    "Analysts said the move could deepen military cooperation between Pyongyang and Moscow."
)
AGENCY_COPY = (
    "According to South Korea’s Yonhap news agency, citing data from the National Intelligence "
    "Service, Pyongyang is sending approximately 5,000 engineers from the North Korean army to "
    "repair infrastructure damaged in Russia’s special military operation zone.\n\n"
    "Officials in Kyiv said the border crossings near Sumy were closed for the weekend."
)


def test_same_fact_in_other_words_is_shared_and_unrelated_sentences_are_not(
    bot: Briefbot,
) -> None:
    wire = make_article(WIRE_COPY, "Harbour Wire", "Engineers to Russia")
    agency = make_article(AGENCY_COPY, "Agency", "Pyongyang sends engineers")
    bot.ingest_articles([wire, agency])
    comparison = bot.compare([wire.id, agency.id]).comparison
    assert comparison is not None
    shared = [f for f in comparison.facts if f.coverage == "all"]
    assert len(shared) == 1  # the 5,000 engineers, reported in different words
    assert all("5,000" in c.citation.quote for c in shared[0].cells)
    assert all(c.support is not None and c.support >= 0.55 for c in shared[0].cells)
    # the two same-topic but unrelated sentences stay apart, each only in its outlet
    only = {f.cells[0].citation.quote for f in comparison.facts if f.coverage == "one"}
    assert any(q.startswith("Analysts said") for q in only)
    assert any(q.startswith("Officials in Kyiv") for q in only)


def test_corroboration_names_a_supporting_quote_only(bot: Briefbot) -> None:
    wire = make_article(WIRE_COPY, "Harbour Wire", "Engineers to Russia")
    agency = make_article(AGENCY_COPY, "Agency", "Pyongyang sends engineers")
    bot.ingest_articles([wire, agency])
    report = bot.compare([wire.id])
    claims = {c.citation.quote[:20]: c for c in report.articles[0].critical.claims}
    engineers = next(c for q, c in claims.items() if q.startswith("North Korea"))
    assert engineers.corroborations
    best = engineers.corroborations[0]
    assert best.outlet == "Agency" and "5,000 engineers" in best.citation.quote
    assert best.support >= 0.55
    analysts = next((c for q, c in claims.items() if q.startswith("Analysts")), None)
    if analysts is not None:
        assert not analysts.corroborations


def test_the_chart_reads_plainly_with_neutral_colours() -> None:
    from briefbot.framing.chart import chart_rows, framing_chart
    from briefbot.framing.report import OutletProfile, Tone

    profiles = [
        OutletProfile(
            article_id=f"a{i}",
            outlet=name,
            tone=Tone(
                words=100,
                sentences=5,
                mean_compound=value,
                evaluative_share=0.2,
                loaded_terms=0,
                loaded_per_1000_words=0.0,
                attributed_share=0.5,
            ),
        )
        for i, (name, value) in enumerate([("Left Daily", 0.0), ("Right Post", -0.4)])
    ]
    measures = {row["measure"] for row in chart_rows(profiles)}
    assert "tone (−1 negative, +1 positive)" in measures
    assert not any("VADER" in m or "compound" in m for m in measures)
    spec = json.dumps(framing_chart(profiles))
    layers = framing_chart(profiles)["spec"]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["bar", "text"], "zero bars get a figure"
    assert '"color": {"field"' not in spec, "no outlet gets a colour of its own"


def test_corroboration_embeds_in_two_calls_not_one_per_claim(
    bot: Briefbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every claim, then every candidate sentence, in one call each: MiniLM calls are what
    made Framing slow (14 calls for three short articles, 5 now)."""
    from briefbot.framing.framer import Framer

    wire = make_article(WIRE_COPY, "Harbour Wire", "Engineers to Russia")
    agency = make_article(AGENCY_COPY, "Agency", "Pyongyang sends engineers")
    bot.ingest_articles([wire, agency])
    corroborate = Framer._corroborate
    calls: list[int] = []

    def counted(self: Framer, *args: object) -> None:
        before = len(bot.embedder.calls)  # type: ignore[attr-defined]
        corroborate(self, *args)  # type: ignore[arg-type]
        calls.extend(bot.embedder.calls[before:])  # type: ignore[attr-defined]

    monkeypatch.setattr(Framer, "_corroborate", counted)
    report = bot.compare([wire.id, agency.id])
    claims = [c for a in report.articles for c in a.critical.claims]
    assert len(claims) >= 3 and all(c.corroboration_checked for c in claims)
    assert len(calls) <= 2, calls


def test_a_second_comparison_embeds_nothing_and_reads_the_same(bot: Briefbot) -> None:
    """The sentences a comparison embeds (its briefs, claims, candidates, alignment) are
    remembered by the ``Briefbot`` (``backends/memo.py``): comparing the same articles again,
    as another session of the app does, calls the model for nothing, with the same report."""
    wire = make_article(WIRE_COPY, "Harbour Wire", "Engineers to Russia")
    agency = make_article(AGENCY_COPY, "Agency", "Pyongyang sends engineers")
    bot.ingest_articles([wire, agency])
    first = bot.compare([wire.id, agency.id])
    before = len(bot.embedder.calls)  # type: ignore[attr-defined]
    second = bot.compare([wire.id, agency.id])
    assert bot.embedder.calls[before:] == []  # type: ignore[attr-defined]
    assert second.model_dump() == first.model_dump()
    fresh = Briefbot(bot.settings, bot.embedder, bot.store).compare([wire.id, agency.id])
    assert fresh.model_dump() == first.model_dump(), "remembered vectors change nothing"
