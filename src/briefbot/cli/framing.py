"""Framing commands: ``briefbot compare ID... | --query Q [--json]``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from briefbot.citations import Citation, CitedSentence
from briefbot.cli.common import (
    StoreOption,
    command,
    console,
    json_text,
    open_bot,
    safe,
)
from briefbot.framing.report import ArticleFraming, Comparison, FramingReport


def _ref(citation: Citation) -> str:
    return f"[{citation.n}:{citation.start}-{citation.end}]"


def _quote(citation: Citation) -> str:
    return f"“{safe(citation.quote)}” {_ref(citation)}"


def _print_llm(sentences: list[CitedSentence], title: str) -> None:
    if not sentences:
        return
    table = Table("sentence", "supported", "cited span", "note", title=title)
    for sentence in sentences:
        table.add_row(
            safe(sentence.text),
            "yes" if sentence.supported else "[red]NO[/red]",
            "\n".join(_quote(c) for c in sentence.citations) or "none",
            safe(sentence.note or ""),
        )
    console.print(table)


def _print_article(article: ArticleFraming) -> None:
    console.rule(
        f"[bold][{article.source_n}] {safe(article.title)}[/bold] — {safe(article.outlet)}"
    )
    if article.neutral.summary:
        console.print("[bold]Neutral summary[/bold] (the brief, loaded words replaced):")
        console.print(
            " ".join(
                f"{safe(s.text)} {' '.join(_ref(c) for c in s.citations)}"
                for s in article.neutral.summary
            )
        )
    neutral = Table(
        "#", "neutral reading", "source", "attribution / wording", title="Neutral reading"
    )
    for number, sentence in enumerate(article.neutral.sentences, start=1):
        neutral.add_row(
            str(number),
            safe(sentence.text),
            " ".join(_ref(c) for c in sentence.citations),
            safe(sentence.note or ""),
        )
    console.print(neutral)
    for dropped in article.neutral.dropped:
        console.print(f"  [dim]left out {_quote(dropped.citation)}: {safe(dropped.reason)}[/dim]")
    for note in article.neutral.notes:
        console.print(f"  [dim]{safe(note)}[/dim]")

    _print_llm(article.neutral.llm, "LLM neutral rewrite (each sentence verified)")

    critical = article.critical
    claims = Table("claim (quoted)", "who says so", "hedges", "corroborated", title="Claims")
    for claim in critical.claims:
        if claim.corroborations:
            best = claim.corroborations[0]
            corroborated = (
                f"{safe(best.outlet)}: {_quote(best.citation)} (support {best.support:.2f})"
            )
        else:
            corroborated = "none found" if claim.corroboration_checked else "not checked"
        speakers = "; ".join(
            f"{safe(s.name)} ({s.source_type}) {_ref(s.citation)}" for s in claim.speakers
        )
        claims.add_row(
            _quote(claim.citation),
            speakers or "[yellow]unattributed[/yellow]",
            ", ".join(safe(h.text) for h in claim.hedges),
            corroborated,
        )
    console.print(claims)
    if critical.loaded_terms:
        terms = Table(
            "term (quoted)",
            "kind",
            "neutral alternative",
            "whose word",
            "note",
            title="Loaded and euphemistic terms",
        )
        for term in critical.loaded_terms:
            terms.add_row(
                _quote(term.citation),
                term.kind,
                safe(term.neutral) or "(drop it)",
                "quoted speaker" if term.in_quote else "writer",
                safe(term.note),
            )
        console.print(terms)
    if critical.hedges:
        hedges = Table("hedge (quoted)", title="Hedges")
        for hedge in critical.hedges:
            hedges.add_row(_quote(hedge.citation))
        console.print(hedges)
    if critical.evaluative:
        evaluative = Table(
            "sentence in the writer's voice (quoted)",
            "cues",
            "sentiment",
            title="Evaluative sentences",
        )
        for item in critical.evaluative:
            evaluative.add_row(
                _quote(item.citation), safe(", ".join(item.cues)), f"{item.compound:+.2f}"
            )
        console.print(evaluative)
    if critical.unquoted_parties:
        parties = Table("party", "mentions", "first mention", title="Mentioned but never quoted")
        for party in critical.unquoted_parties:
            parties.add_row(safe(party.name), str(party.mentions), _quote(party.citation))
        console.print(parties)
    _print_llm(critical.llm, "LLM critical reading (each sentence verified)")
    tone = article.tone
    console.print(
        f"tone: mean sentiment {tone.mean_compound:+.2f}, "
        f"{tone.evaluative_share:.0%} evaluative sentences, "
        f"{tone.loaded_per_1000_words:.1f} loaded terms per 1,000 words, "
        f"{tone.attributed_share:.0%} of claims attributed"
    )
    for note in critical.notes:
        console.print(f"  [dim]{safe(note)}[/dim]")


def _print_comparison(comparison: Comparison) -> None:
    console.rule("[bold]Across outlets[/bold]")
    outlets = [p.outlet for p in comparison.outlets]
    facts = Table("#", "covered by", *[safe(o) for o in outlets], title="Facts aligned")
    for fact in comparison.facts:
        by_id = {c.article_id: c for c in fact.cells}
        row = [
            _quote(by_id[p.article_id].citation)
            if p.article_id in by_id
            else "[dim]partly matched[/dim]"
            if p.outlet in fact.possibly_also
            else "[dim]—[/dim]"
            for p in comparison.outlets
        ]
        facts.add_row(str(fact.index), fact.coverage, *row)
    console.print(facts)
    profiles = Table("outlet", "quotes", "loaded terms", "tone", "omits facts", title="Per outlet")
    for profile in comparison.outlets:
        profiles.add_row(
            safe(profile.outlet),
            "\n".join(f"{safe(s.name)} {_ref(s.citation)}" for s in profile.quoted) or "nobody",
            "\n".join(_quote(t.citation) for t in profile.loaded_terms) or "none",
            f"sentiment {profile.tone.mean_compound:+.2f}, "
            f"{profile.tone.evaluative_share:.0%} evaluative, "
            f"{profile.tone.loaded_per_1000_words:.1f} loaded/1k words",
            ", ".join(str(o.fact_index) for o in profile.omits) or "none",
        )
    console.print(profiles)
    counts = comparison.coverage_counts()
    console.print(
        f"{counts['all']} facts in all, {counts['some']} in some, {counts['one']} in one, "
        f"{counts['unclear']} in one with a partial match elsewhere "
        f"(the same fact: sentences that support each other, by the support checker)"
    )


def print_report(report: FramingReport) -> None:
    for article in report.articles:
        _print_article(article)
    if report.comparison:
        _print_comparison(report.comparison)
    console.rule("Sources")
    for source in report.sources:
        console.print(
            f"[{source.n}] {safe(source.title)} — {safe(source.outlet)} ({source.article_id})"
        )
    for notice in report.notices:
        console.print(f"[yellow]note:[/yellow] {safe(notice)}")


@command("compare")
def compare(
    article_ids: Annotated[
        list[str] | None, typer.Argument(help="Article ids (see `briefbot articles`).")
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Compare the articles near this query.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    llm: Annotated[
        bool,
        typer.Option("--llm", help="Also let the language model write both readings (verified)."),
    ] = False,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Write the loaded-terms/tone chart (Vega-Lite JSON) here."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Neutral and critical readings of articles, compared across outlets; every item quoted."""
    report = open_bot(store).compare(
        article_ids=article_ids or None, query=query, mode="llm" if llm else "offline"
    )
    if chart is not None:
        if report.comparison is None:
            raise typer.BadParameter("a chart needs two or more articles", param_hint="--chart")
        chart.write_text(json.dumps(report.comparison.chart, indent=2), encoding="utf-8")
    if as_json:
        print(json_text(report.to_dict()))
        return
    print_report(report)
