"""Framing: neutral and critical readings of articles, and how outlets tell the same story."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from briefbot import Briefbot, BriefbotError, FramingReport
from briefbot.citations import Citation
from briefbot.framing.report import ArticleFraming, Comparison, Fact
from briefbot.ui import components
from briefbot.ui import text as fmt

bot: Briefbot = st.session_state.briefbot

st.header("Framing")
st.caption(
    "How a story is told: what is reported, whose claim it is, how it is hedged, which words "
    "carry a judgement, and what each outlet leaves out. Every finding opens to its quote."
)

articles = bot.articles()
if not articles:
    st.info("The store is empty: add articles on the Library page first.")
    st.stop()

by_id = {a.id: a for a in articles}
with st.form("framing_form", border=True):
    scope = st.radio(
        "Compare",
        ["Chosen articles", "Articles near a topic"],
        horizontal=True,
        key="framing_scope",
    )
    chosen = st.multiselect(
        "Articles (type to search; two or more for a cross-outlet comparison)",
        list(by_id),
        format_func=lambda article_id: fmt.article_label(by_id[article_id]),
        key="framing_articles",
        placeholder="Pick one article, or several on the same story",
    )
    topic = st.text_input(
        "Topic", key="framing_topic", placeholder="e.g. North Korean engineers in Kursk"
    )
    submitted = st.form_submit_button("Analyse the framing", type="primary")

if submitted:
    by_topic = scope == "Articles near a topic"
    if (by_topic and not topic.strip()) or (not by_topic and not chosen):
        st.warning("Pick at least one article, or type a topic.")
        st.stop()
    try:
        with st.spinner("Reading the articles…"):
            st.session_state.framing_result = bot.compare(
                article_ids=None if by_topic else chosen,
                query=topic.strip() if by_topic else None,
            )
    except BriefbotError as exc:
        st.session_state.framing_result = None
        st.error(fmt.md_escape_inline(str(exc)))

report: FramingReport | None = st.session_state.get("framing_result")
if report is None:
    st.stop()

lookup = components.article_lookup(bot)
for notice in report.notices:
    st.info(fmt.md_escape_inline(notice), icon=":material/info:")


def escaped(*notes: str | None) -> list[str]:
    return [fmt.md_escape_inline(n) for n in notes if n]


def finding(tag: str, citation: Citation, details: Sequence[str] = ()) -> None:
    """One finding: its tag as a badge, the quote in bold in its paragraph, details below."""
    head = f":gray-badge[{fmt.md_escape_inline(tag)}] " if tag.strip() else ""
    st.markdown(head + components.quote_markdown(citation, lookup))
    if details:
        st.caption(" · ".join(details))


def reading(framing: ArticleFraming) -> None:
    """One article: its figures and the summary of each reading first; every quote behind them
    in one box per reading, opened on demand."""
    tone = framing.tone
    cols = st.columns(4)
    cols[0].metric("Loaded terms / 1,000 words", f"{tone.loaded_per_1000_words:.1f}")
    cols[1].metric(
        "Tone",
        fmt.tone_label(tone.mean_compound),
        help=f"Mean VADER sentiment of the sentences: {fmt.signed(tone.mean_compound)} "
        "(−1 most negative, +1 most positive; within ±0.05 reads as neutral).",
    )
    cols[2].metric("Writer's own voice", fmt.percent(tone.evaluative_share))
    cols[3].metric("Claims attributed", fmt.percent(tone.attributed_share))

    neutral_col, critical_col = st.columns(2, gap="large")
    with neutral_col:
        st.subheader("Neutral reading")
        st.caption("What is reported, each claim with its source; the writer's judgements out.")
        neutral = framing.neutral
        st.markdown(" ".join(fmt.sentence_markdown(s) for s in neutral.sentences) or "—")
        for note in neutral.notes:
            st.caption(fmt.md_escape_inline(note))
        cited = [(s, c) for s in neutral.sentences for c in s.citations]
        if cited:
            with st.expander(f"The quotes behind it ({fmt.plural(len(cited), 'quote')})"):
                for sentence, citation in cited:
                    note = [f"_{fmt.md_escape_inline(sentence.note)}_"] if sentence.note else []
                    finding(f"[{citation.n}]", citation, note)
        if neutral.dropped:
            with st.expander(f"Left out ({fmt.plural(len(neutral.dropped), 'sentence')})"):
                for dropped in neutral.dropped:
                    st.markdown(
                        f"- “{fmt.md_escape_inline(dropped.citation.quote)}” "
                        f"— _{fmt.md_escape_inline(dropped.reason)}_"
                    )

    with critical_col:
        st.subheader("Critical reading")
        critical = framing.critical
        for note in critical.notes:
            st.caption(fmt.md_escape_inline(note))
        st.markdown(fmt.md_escape_inline(fmt.critical_summary(critical)))
        if not fmt.critical_findings(critical):
            return
        with st.expander("Every finding, with its quote"):
            if critical.claims:
                st.markdown(f"**Claims and who makes them** ({len(critical.claims)})")
            for claim in critical.claims:
                details = []
                if claim.hedges:
                    hedges = ", ".join(f"“{h.text}”" for h in claim.hedges)
                    details.append(f"hedged by {fmt.md_escape_inline(hedges)}")
                if claim.corroborations:
                    outlets = ", ".join(sorted({c.outlet for c in claim.corroborations}))
                    details.append(f"also reported by {fmt.md_escape_inline(outlets)}")
                elif claim.corroboration_checked:
                    details.append("no quote in another article was found to state it")
                finding(claim.attribution_label, claim.citation, details)
            if critical.hedges:
                st.markdown(f"**Hedges** ({len(critical.hedges)})")
            for hedge in critical.hedges:
                finding(hedge.text, hedge.citation, escaped(hedge.note))
            if critical.loaded_terms:
                st.markdown(f"**Loaded and euphemistic terms** ({len(critical.loaded_terms)})")
            for term in critical.loaded_terms:
                note = f"{term.kind}; {term.note}".strip("; ")
                tag = f"{term.text} → {term.neutral or '(drop)'}"
                finding(tag, term.citation, escaped(note))
            if critical.evaluative:
                st.markdown(f"**The writer's own voice** ({len(critical.evaluative)})")
            for sentence in critical.evaluative:
                tone_note = (
                    f"tone {fmt.tone_label(sentence.compound)} ({fmt.signed(sentence.compound)})"
                )
                finding(", ".join(sentence.cues), sentence.citation, [tone_note])
            if critical.unquoted_parties:
                st.markdown(f"**Mentioned, never quoted** ({len(critical.unquoted_parties)})")
            for party in critical.unquoted_parties:
                finding(f"{party.name} ({party.mentions}×)", party.citation)


def fact_lines(fact: Fact, outlets: Sequence[str]) -> None:
    """A shared fact: each outlet's sentence, then who partly matched or left it out."""
    reporters = ", ".join(fmt.for_display(c.outlet) for c in fact.cells)
    st.markdown(
        f"**Fact {fact.index}** · reported by {fact.coverage}: {fmt.md_escape_inline(reporters)}"
    )
    for cell in fact.cells:
        quote = components.quote_markdown(cell.citation, lookup)
        support = f" (support {cell.support:.2f})" if cell.support is not None else ""
        st.markdown(f"- _{fmt.md_escape_inline(cell.outlet)}_{support}: {quote}")
    reported = {fmt.for_display(c.outlet) for c in fact.cells}
    maybe = {fmt.for_display(o) for o in fact.possibly_also}
    missing = [o for o in outlets if o not in reported | maybe]
    if maybe:
        st.caption("Partly matched in " + fmt.md_escape_inline(", ".join(sorted(maybe))))
    if missing:
        st.caption("Not reported by " + fmt.md_escape_inline(", ".join(missing)))


def comparison_view(comparison: Comparison) -> None:
    """The summary (counts, table, chart) first; the facts and their quotes in three boxes."""
    counts = comparison.coverage_counts()
    st.subheader("Across outlets")
    st.caption(
        f"{fmt.plural(len(comparison.facts), 'fact')}: {counts['all']} reported by all, "
        f"{counts['some']} by some, {counts['one']} by one outlet only, {counts['unclear']} by "
        "one outlet with a partial match elsewhere. Two outlets report the same fact when each "
        "one's sentence restates the other's (the support checker, not word similarity)."
    )
    st.dataframe(
        [
            {
                "Outlet": fmt.for_display(p.outlet),
                "Tone": f"{fmt.tone_label(p.tone.mean_compound)} "
                f"({fmt.signed(p.tone.mean_compound)})",
                "Loaded / 1,000 words": round(p.tone.loaded_per_1000_words, 1),
                "Omits": len(p.omits),
                "Only here": len(p.only_here),
                "Loaded terms": ", ".join(fmt.for_display(t.text) for t in p.loaded_terms) or "—",
                "Quotes": ", ".join(fmt.for_display(s.name) for s in p.quoted) or "—",
            }
            for p in comparison.outlets
        ],
        hide_index=True,
        width="stretch",
    )
    if comparison.chart:
        st.markdown("**How the outlets compare**")
        st.caption(
            "Per outlet: loaded terms per 1,000 words, tone (−1 negative to +1 positive, near 0 "
            "neutral) and the share of sentences in the writer's own voice. Higher is not worse "
            "in itself; read the quotes."
        )
        st.vega_lite_chart(comparison.chart, width="content")
    outlets = [fmt.for_display(p.outlet) for p in comparison.outlets]
    shared = [f for f in comparison.facts if f.coverage in ("all", "some")]
    if shared:
        label = f"Facts reported by more than one outlet ({len(shared)})"
        with st.expander(label):
            for fact in shared:
                fact_lines(fact, outlets)
    alone = [f for f in comparison.facts if f.coverage == "one" and f.cells]
    if alone:
        with st.expander(f"Facts only one outlet reports ({len(alone)})"):
            for outlet in outlets:
                own = [f for f in alone if fmt.for_display(f.cells[0].outlet) == outlet]
                if own:
                    st.markdown(f"**Only in {fmt.md_escape_inline(outlet)}** ({len(own)})")
                for fact in own:
                    st.markdown(
                        f"- Fact {fact.index}: "
                        f"“{fmt.md_escape_inline(fact.cells[0].citation.quote)}”"
                    )
    unclear = [f for f in comparison.facts if f.coverage == "unclear" and f.cells]
    if unclear:
        with st.expander(f"Reported by one outlet, partly matched elsewhere ({len(unclear)})"):
            for fact in unclear:
                where = fmt.md_escape_inline(", ".join(fact.possibly_also))
                quote = fmt.md_escape_inline(fact.cells[0].citation.quote)
                outlet = fmt.md_escape_inline(fact.cells[0].outlet)
                st.markdown(f"- Fact {fact.index} ({outlet}): “{quote}” — partly in {where}")


if report.comparison is not None:
    comparison_view(report.comparison)
    st.divider()

if len(report.articles) == 1:
    only = report.articles[0]
    st.markdown(f"#### {fmt.md_escape_inline(only.title)}")
    st.caption(fmt.md_escape_inline(only.outlet))
    reading(only)
else:
    tabs = st.tabs([fmt.snippet(f"{a.outlet}: {a.title}", 40) for a in report.articles])
    for tab, framing in zip(tabs, report.articles, strict=True):
        with tab:
            st.markdown(f"#### {fmt.md_escape_inline(framing.title)}")
            reading(framing)
