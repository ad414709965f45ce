"""Brief: one cited paragraph on chosen articles or a topic."""

from __future__ import annotations

import streamlit as st

from briefbot import Briefbot, BriefbotError
from briefbot.errors import EmptyScopeError
from briefbot.ui import components
from briefbot.ui import text as fmt

bot: Briefbot = st.session_state.briefbot

st.header("Brief")
st.caption(
    "One paragraph you can paste into a draft: every sentence quotes an article and cites it."
)

articles = bot.articles()
if not articles:
    st.info("The store is empty: add articles on the Library page first.")
    st.stop()

by_id = {a.id: a for a in articles}
with st.form("brief_form", border=True):
    scope = st.radio("Brief on", ["Chosen articles", "A topic"], horizontal=True, key="brief_scope")
    chosen = st.multiselect(
        "Articles (type to search)",
        list(by_id),
        format_func=lambda article_id: fmt.article_label(by_id[article_id]),
        key="brief_articles",
        placeholder="Pick one article, or several on the same story",
    )
    topic_col, days_col, outlets_col = st.columns([3, 2, 2])
    topic = topic_col.text_input(
        "Topic", key="brief_topic", placeholder="e.g. North Korean troops in Russia"
    )
    bounds = fmt.date_bounds(articles)
    days = days_col.date_input(
        "Published between",
        value=(),
        min_value=bounds[0] if bounds else None,
        max_value=bounds[1] if bounds else None,
        key="brief_days",
        format="YYYY-MM-DD",
    )
    outlets = outlets_col.multiselect(
        "Outlets", fmt.outlet_choices(articles), key="brief_outlets", placeholder="All outlets"
    )
    max_words = st.slider(
        "Words at most", 40, 250, bot.settings.brief_max_words, step=10, key="brief_words"
    )
    submitted = st.form_submit_button("Write the brief", type="primary")

if submitted:
    since, until = fmt.day_range(days)
    filters = fmt.search_filters(outlets=outlets, since=since, until=until)
    by_topic = scope == "A topic"
    if by_topic and not topic.strip():
        st.warning("Type a topic, or choose “Chosen articles”.")
        st.stop()
    if not by_topic and not chosen:
        st.warning("Pick at least one article, or choose “A topic”.")
        st.stop()
    try:
        with st.spinner("Reading the articles in full…"):
            st.session_state.brief_result = bot.brief(
                article_ids=None if by_topic else chosen,
                query=topic.strip() if by_topic else None,
                since=filters.since if by_topic else None,
                until=filters.until if by_topic else None,
                outlets=filters.outlets if by_topic else None,
                max_words=max_words,
            )
    except EmptyScopeError as exc:
        st.session_state.brief_result = None
        st.info(fmt.md_escape_inline(str(exc)), icon=":material/search_off:")
        if exc.details:
            with st.expander("Details"):
                st.caption(fmt.md_escape_inline(exc.details))
    except BriefbotError as exc:
        st.session_state.brief_result = None
        st.error(fmt.md_escape_inline(str(exc)))

brief = st.session_state.get("brief_result")
if brief is not None:
    st.subheader("The brief")
    st.caption(
        f"{brief.word_count} words · {len(brief.article_ids)} "
        f"article{'s' if len(brief.article_ids) != 1 else ''} read in full · "
        f"{brief.mode} engine"
    )
    components.cited_text(bot, brief, key="brief")
