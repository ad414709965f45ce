"""Streamlit pieces shared by the pages: cited text with expandable quotes, notices, export.

Source text only ever reaches the page through ``briefbot.ui.text`` escaping (never
``unsafe_allow_html``).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from briefbot.citations import Citation, CitedText, SourceRef
from briefbot.errors import NotFoundError
from briefbot.facade import Briefbot
from briefbot.models import Article, SearchFilters
from briefbot.ui import text as fmt


def notices(cited: CitedText) -> None:
    """Warnings the reader must see (e.g. the LLM failed and the extractive engine answered)."""
    for notice in cited.notices:
        st.warning(fmt.md_escape_inline(notice), icon="⚠️")


def citation_expander(
    citation: Citation, source: SourceRef | None, article: Callable[[str], Article | None]
) -> None:
    """One citation: the quoted span in its paragraph, with title, outlet, date and link."""
    with st.expander(fmt.citation_label(citation, source)):
        stored = article(citation.article_id)
        if stored is not None and stored.text[citation.start : citation.end] == citation.quote:
            context = fmt.quote_context(stored.text, citation.start, citation.end)
            st.markdown(fmt.context_markdown(context))
        else:
            st.markdown("**" + fmt.md_escape_inline(citation.quote) + "**")
        if source is not None:
            st.markdown(f"**{fmt.md_escape_inline(source.title)}**")
            st.caption(fmt.md_escape_inline(fmt.source_byline(source)))
            url = fmt.safe_url(source.url)
            if url:
                st.link_button("Open the source", url)


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
    """Every distinct citation of ``cited``, in order of appearance, as an expander."""
    by_number = {s.n: s for s in cited.sources}
    lookup = article_lookup(bot)
    shown: set[tuple[str, int, int]] = set()
    for sentence in cited.sentences:
        for citation in sentence.citations:
            key = (citation.article_id, citation.start, citation.end)
            if key in shown:
                continue
            shown.add(key)
            citation_expander(citation, by_number.get(citation.n), lookup)


def cited_text(
    bot: Briefbot,
    cited: CitedText,
    key: str,
    searched_for: str = "",
    filters: SearchFilters | None = None,
) -> None:
    """An answer or brief: notices, the cited paragraph (or the refusal), sources, export."""
    notices(cited)
    if cited.refused or not cited.sentences:
        st.info(fmt.refusal_text(cited, searched_for, filters), icon="🔎")
        return
    st.markdown(fmt.cited_markdown(cited))
    flagged = sum(1 for s in cited.sentences if not s.supported)
    if flagged:
        st.caption(
            f"{flagged} sentence{'s' if flagged != 1 else ''} marked “not supported”: "
            f"no source span backs {'them' if flagged != 1 else 'it'}; check before use."
        )
    sources_list(bot, cited)
    export(cited, key)


def export(cited: CitedText, key: str) -> None:
    """"Copy as Markdown": the text with footnotes, in a code block (copy button) and a file."""
    markdown = fmt.footnoted_markdown(cited)
    with st.expander("Copy as Markdown"):
        st.code(markdown, language="markdown", wrap_lines=True)
        st.download_button(
            "Download .md", markdown, file_name=f"{key}.md", mime="text/markdown", key=key
        )
