"""Streamlit pieces shared by the pages: cited text with expandable quotes, notices, export.

Source text only ever reaches the page through ``briefbot.ui.text`` escaping (never
``unsafe_allow_html``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from briefbot.citations import Citation, CitedText, SourceRef
from briefbot.errors import NotFoundError
from briefbot.facade import Briefbot
from briefbot.models import Article
from briefbot.render import render_markdown
from briefbot.ui import text as fmt


def notices(cited: CitedText) -> None:
    """Warnings the reader must see (e.g. the LLM failed and the extractive engine answered)."""
    for notice in cited.notices:
        st.warning(fmt.md_escape_inline(notice), icon=":material/warning:")


def quote_markdown(citation: Citation, article: Callable[[str], Article | None]) -> str:
    """The quoted span in bold inside its paragraph (just the quote if the article changed),
    what the question asked for highlighted in it."""
    marks = [(a - citation.start, b - citation.start) for a, b in citation.highlights]
    stored = article(citation.article_id)
    if stored is not None and stored.text[citation.start : citation.end] == citation.quote:
        context = fmt.quote_context(stored.text, citation.start, citation.end)
        return fmt.context_markdown(context, marks)
    return f"**{fmt.marked_quote(citation.quote, marks)}**"


def source_footer(source: SourceRef) -> None:
    """Title, outlet and date of a source under its quotes, and a link to it when it has one."""
    st.caption(
        f"**{fmt.md_escape_inline(source.title)}** · "
        + fmt.md_escape_inline(fmt.source_byline(source))
    )
    url = fmt.safe_url(source.url)
    if url:
        st.link_button("Open the source", url, icon=":material/open_in_new:")


def citation_expander(
    citation: Citation,
    source: SourceRef | None,
    article: Callable[[str], Article | None],
    label: str | None = None,
    details: Sequence[str] = (),
) -> None:
    """One finding or citation that opens to its quoted span in the paragraph around it.

    ``label`` and ``details`` are Markdown already escaped by the caller; the default label
    is ``[n] “start of the quote…” — Title``.
    """
    with st.expander(label or fmt.citation_label(citation, source)):
        for line in details:
            st.markdown(line)
        st.markdown(quote_markdown(citation, article))
        if source is not None:
            source_footer(source)


def article_lookup(bot: Briefbot) -> Callable[[str], Article | None]:
    """Memoised ``bot.article`` that returns None for articles deleted since the answer."""
    seen: dict[str, Article | None] = {}

    def get(article_id: str) -> Article | None:
        if article_id not in seen:
            try:
                seen[article_id] = bot.article(article_id)
            except NotFoundError:
                seen[article_id] = None
        return seen[article_id]

    return get


def sources_list(bot: Briefbot, cited: CitedText) -> None:
    """One expander per source, in order of first citation, listing every quote taken from it."""
    by_number = {s.n: s for s in cited.sources}
    lookup = article_lookup(bot)
    quotes: dict[int, list[Citation]] = {}
    seen: set[tuple[str, int, int]] = set()
    for sentence in cited.sentences:
        for citation in sentence.citations:
            key = (citation.article_id, citation.start, citation.end)
            if key not in seen:
                seen.add(key)
                quotes.setdefault(citation.n, []).append(citation)
    for n, citations in quotes.items():
        source = by_number.get(n)
        with st.expander(fmt.source_label(n, source, len(citations))):
            for citation in citations:
                st.markdown(quote_markdown(citation, lookup))
            if source is not None:
                source_footer(source)


def cited_text(
    bot: Briefbot,
    cited: CitedText,
    key: str,
) -> None:
    """An answer or brief: notices, the cited paragraph (or the refusal), sources, export."""
    notices(cited)
    if cited.refused or not cited.sentences:
        st.info(fmt.refusal_text(cited), icon=":material/search_off:")
        if cited.refusal_details:
            with st.expander("Details"):
                st.caption(fmt.md_escape_inline(cited.refusal_details))
        return
    st.markdown(fmt.cited_markdown(cited))
    st.caption(fmt.md_escape_inline(fmt.provenance(cited)))
    flagged = sum(1 for s in cited.sentences if not s.supported)
    if flagged:
        st.caption(
            f"{flagged} sentence{'s' if flagged != 1 else ''} marked “not supported”: "
            f"no source span backs {'them' if flagged != 1 else 'it'}; check before use."
        )
    sources_list(bot, cited)
    export(cited, key)


def export(cited: CitedText, key: str) -> None:
    """Copy as Markdown: ``render.render_markdown`` in a code block (copy button) and a file."""
    markdown = render_markdown(cited)
    with st.expander("Copy as Markdown"):
        st.code(markdown, language="markdown", wrap_lines=True)
        st.download_button(
            "Download .md", markdown, file_name=f"{key}.md", mime="text/markdown", key=key
        )
